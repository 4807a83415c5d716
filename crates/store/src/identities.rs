//! The `user_identities` projection: which live user a single sign-on identity names.
//! Its primary key makes one `(issuer, subject)` name at most one user of an
//! organization, so two first logins racing for the same identity cannot both win.

use deadpool_postgres::GenericClient;
use usertrail_domain::{OrgId, User, UserId};

use crate::StoreError;

/// Adds the rows of `user`'s identities; none for a deleted user.
pub(crate) async fn insert_identities(
    client: &impl GenericClient,
    org: OrgId,
    user: &User,
) -> Result<(), StoreError> {
    if user.is_deleted() || user.identities.is_empty() {
        return Ok(());
    }
    let statement = client
        .prepare_cached(
            "INSERT INTO user_identities (org_id, issuer, subject, user_id) \
             SELECT $1, issuer, subject, $2 FROM unnest($3::text[], $4::text[]) \
               AS linked(issuer, subject)",
        )
        .await?;
    let issuers: Vec<&str> = user.identities.iter().map(|i| i.issuer.as_str()).collect();
    let subjects: Vec<&str> = user.identities.iter().map(|i| i.subject.as_str()).collect();
    client
        .execute(&statement, &[&org.0, &user.id.0, &issuers, &subjects])
        .await?;
    Ok(())
}

/// Makes the user's identity rows match its state; run with the events that change them.
pub async fn sync_identities(
    client: &impl GenericClient,
    org: OrgId,
    user: &User,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached("DELETE FROM user_identities WHERE org_id = $1 AND user_id = $2")
        .await?;
    client.execute(&statement, &[&org.0, &user.id.0]).await?;
    insert_identities(client, org, user).await
}

/// The live user that `(issuer, subject)` is linked to.
pub async fn find_user_by_identity(
    client: &impl GenericClient,
    org: OrgId,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserId>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT user_id FROM user_identities \
             WHERE org_id = $1 AND issuer = $2 AND subject = $3",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&org.0, &issuer, &subject])
        .await?;
    Ok(row.map(|row| UserId(row.get("user_id"))))
}
