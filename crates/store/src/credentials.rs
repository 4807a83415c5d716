//! Password hashes, beside the log rather than in it (see migration V4).

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use usertrail_domain::{OrgId, PasswordHash, UserId};

use crate::StoreError;

/// Stores `hash` as the user's current password, replacing any earlier one.
pub async fn set_password_hash(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
    hash: &PasswordHash,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO user_credentials (org_id, user_id, password_hash, changed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) DO UPDATE SET \
             password_hash = EXCLUDED.password_hash, changed_at = EXCLUDED.changed_at",
        )
        .await?;
    client
        .execute(&statement, &[&org.0, &user.0, &hash.as_phc(), &now])
        .await?;
    Ok(())
}

/// The user's current password hash, if one was set.
pub async fn password_hash(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
) -> Result<Option<PasswordHash>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT password_hash FROM user_credentials WHERE org_id = $1 AND user_id = $2",
        )
        .await?;
    let row = client.query_opt(&statement, &[&org.0, &user.0]).await?;
    Ok(row.map(|row| PasswordHash::from_phc(row.get("password_hash"))))
}

/// Forgets the user's password, as a deletion must.
pub async fn forget_password(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached("DELETE FROM user_credentials WHERE org_id = $1 AND user_id = $2")
        .await?;
    client.execute(&statement, &[&org.0, &user.0]).await?;
    Ok(())
}
