//! Invitation codes, beside the log like password hashes (see the `doors` migration): only
//! the SHA-256 of a code is stored, and each code is closed exactly once.

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use usertrail_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::StoreError;

/// What became of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Open,
    Used,
    Revoked,
    /// A resend replaced it.
    Superseded,
}

impl InvitationState {
    fn as_str(self) -> &'static str {
        match self {
            InvitationState::Open => "open",
            InvitationState::Used => "used",
            InvitationState::Revoked => "revoked",
            InvitationState::Superseded => "superseded",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "open" => InvitationState::Open,
            "used" => InvitationState::Used,
            "revoked" => InvitationState::Revoked,
            "superseded" => InvitationState::Superseded,
            other => return Err(StoreError::Corrupt(format!("invitation state {other:?}"))),
        })
    }
}

/// One stored code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: Uuid,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub expires_at: OffsetDateTime,
    pub state: InvitationState,
}

/// Stores a new open code for `user`. A user has at most one open code
/// (`invitations_one_open_key`): close the old one first.
pub async fn insert_invitation(
    client: &impl GenericClient,
    invitation: &Invitation,
    code_hash: &[u8],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO invitations (id, org_id, user_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
        &invitation.id,
        &invitation.org_id.0,
        &invitation.user_id.0,
        &code_hash,
        &now,
        &invitation.expires_at,
    ];
    client.execute(&statement, &params).await?;
    Ok(())
}

/// Closes the user's open code, if any, as `state`.
pub async fn close_open_invitation(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
    state: InvitationState,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "UPDATE invitations SET state = $3, closed_at = $4 \
             WHERE org_id = $1 AND user_id = $2 AND state = 'open'",
        )
        .await?;
    client
        .execute(&statement, &[&org.0, &user.0, &state.as_str(), &now])
        .await?;
    Ok(())
}

/// The code whose hash is `code_hash`, locked until the transaction ends, so that two
/// acceptances of one code are one after the other and the second sees it used.
pub async fn lock_invitation_by_code(
    client: &impl GenericClient,
    code_hash: &[u8],
) -> Result<Option<Invitation>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT id, org_id, user_id, expires_at, state FROM invitations \
             WHERE code_hash = $1 FOR UPDATE",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&code_hash]).await? else {
        return Ok(None);
    };
    let state: &str = row.get("state");
    Ok(Some(Invitation {
        id: row.get("id"),
        org_id: OrgId(row.get("org_id")),
        user_id: UserId(row.get("user_id")),
        expires_at: row.get("expires_at"),
        state: InvitationState::parse(state)?,
    }))
}
