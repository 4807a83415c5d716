//! API tokens. The secret itself is never stored: callers hash it and the
//! store keeps and looks up the hash.

use std::fmt;
use std::str::FromStr;

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use usertrail_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::{Client, StoreError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A SCIM provisioning client: `/scim/v2` only.
    Scim,
    /// The product's backend: `/api/v1` reads and writes.
    Service,
    /// A compliance auditor: `/api/v1` reads only.
    Auditor,
    /// A user's own token: `/api/v1` as that user, with source `api`.
    Personal,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim",
            TokenKind::Service => "service",
            TokenKind::Auditor => "auditor",
            TokenKind::Personal => "personal",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "scim" => Ok(TokenKind::Scim),
            "service" => Ok(TokenKind::Service),
            "auditor" => Ok(TokenKind::Auditor),
            "personal" => Ok(TokenKind::Personal),
            other => Err(format!("unknown token kind {other:?}")),
        }
    }
}

/// A live token as authentication sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: Uuid,
    pub org_id: OrgId,
    pub kind: TokenKind,
    pub label: String,
    /// The user a personal token belongs to; `None` for every other kind.
    pub user_id: Option<UserId>,
}

/// What `create_token` stores.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub kind: TokenKind,
    pub label: &'a str,
    pub secret_hash: &'a [u8],
}

pub async fn create_token(
    client: &impl GenericClient,
    token: &NewToken<'_>,
    now: OffsetDateTime,
) -> Result<Token, StoreError> {
    insert_token(client, token, None, now).await
}

/// Creates a personal token of `user` (`token.kind` must be `Personal`).
pub async fn create_personal_token(
    client: &impl GenericClient,
    token: &NewToken<'_>,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Token, StoreError> {
    insert_token(client, token, Some(user), now).await
}

async fn insert_token(
    client: &impl GenericClient,
    token: &NewToken<'_>,
    user: Option<UserId>,
    now: OffsetDateTime,
) -> Result<Token, StoreError> {
    let user_id = user.map(|user| user.0);
    client
        .execute(
            "INSERT INTO api_tokens (id, org_id, kind, label, secret_hash, created_at, user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &token.id,
                &token.org_id.0,
                &token.kind.as_str(),
                &token.label,
                &token.secret_hash,
                &now,
                &user_id,
            ],
        )
        .await?;
    Ok(Token {
        id: token.id,
        org_id: token.org_id,
        kind: token.kind,
        label: token.label.to_owned(),
        user_id: user,
    })
}

/// A personal token as its owner lists it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: Uuid,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// The user's personal tokens, revoked ones included, newest first.
pub async fn list_personal_tokens(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
) -> Result<Vec<PersonalToken>, StoreError> {
    let rows = client
        .query(
            "SELECT id, label, created_at, revoked_at FROM api_tokens \
             WHERE org_id = $1 AND user_id = $2 AND kind = 'personal' \
             ORDER BY created_at DESC, id",
            &[&org.0, &user.0],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| PersonalToken {
            id: row.get("id"),
            label: row.get("label"),
            created_at: row.get("created_at"),
            revoked_at: row.get("revoked_at"),
        })
        .collect())
}

/// Revokes the user's personal token `id`; false when the user has no such live token.
pub async fn revoke_personal_token(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let revoked = client
        .execute(
            "UPDATE api_tokens SET revoked_at = $4 WHERE org_id = $1 AND user_id = $2 \
             AND id = $3 AND kind = 'personal' AND revoked_at IS NULL",
            &[&org.0, &user.0, &id, &now],
        )
        .await?;
    Ok(revoked == 1)
}

/// Revokes every live personal token of `user`, as its deletion must.
pub async fn revoke_user_tokens(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let statement = client
        .prepare_cached(
            "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 \
             AND revoked_at IS NULL",
        )
        .await?;
    Ok(client.execute(&statement, &[&org.0, &user.0, &now]).await?)
}

/// Whether the organization has a live SCIM token: then its IdP provisions users.
pub async fn has_live_scim_token(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<bool, StoreError> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE org_id = $1 AND kind = 'scim' \
             AND revoked_at IS NULL) AS live",
            &[&org.0],
        )
        .await?;
    Ok(row.get("live"))
}

/// The unrevoked token whose secret hashes to `secret_hash`.
pub async fn find_token_by_secret_hash(
    client: &Client,
    secret_hash: &[u8],
) -> Result<Option<Token>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT id, org_id, kind, label, user_id FROM api_tokens \
             WHERE secret_hash = $1 AND revoked_at IS NULL",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&secret_hash]).await? else {
        return Ok(None);
    };
    let kind: String = row.get("kind");
    let kind = kind.parse().map_err(StoreError::Corrupt)?;
    Ok(Some(Token {
        id: row.get("id"),
        org_id: OrgId(row.get("org_id")),
        kind,
        label: row.get("label"),
        user_id: row.get::<_, Option<Uuid>>("user_id").map(UserId),
    }))
}
