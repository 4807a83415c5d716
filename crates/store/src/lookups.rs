//! Finding users by what the doors know of them: an email address, or the pending
//! invitations of an organization. Reads of the `users` projection only.

use deadpool_postgres::GenericClient;
use usertrail_domain::{OrgId, User};

use crate::StoreError;
use crate::projection::{USER_COLUMNS, user_from_row};

/// The live user that a SCIM create naming `emails` adopts: one who came through a
/// product door (not managed by the IdP yet) and whose userName or primary email is one of
/// `emails`, compared without case. Invitations and joins use the email as userName.
pub async fn find_adoptable_user_by_email(
    client: &impl GenericClient,
    org: OrgId,
    emails: &[String],
) -> Result<Option<User>, StoreError> {
    let lowered: Vec<String> = emails.iter().map(|email| email.to_lowercase()).collect();
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT idp_managed \
         AND status <> 'deleted' AND (lower(user_name) = ANY($2) OR lower(email) = ANY($2)) \
         ORDER BY created_at LIMIT 1"
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&org.0, &lowered]).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The live user whose userName or primary email is `email`, compared without case.
pub async fn find_live_user_by_email(
    client: &impl GenericClient,
    org: OrgId,
    email: &str,
) -> Result<Option<User>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND status <> 'deleted' \
         AND (lower(user_name) = lower($2) OR lower(email) = lower($2)) \
         ORDER BY lower(user_name) = lower($2) DESC, created_at LIMIT 1"
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&org.0, &email]).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The organization's pending users, oldest invitation first.
pub async fn list_pending_users(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<Vec<User>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND status = 'pending' \
         ORDER BY created_at, id"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&org.0]).await?;
    rows.iter().map(user_from_row).collect()
}
