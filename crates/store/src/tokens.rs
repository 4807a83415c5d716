//! API tokens. The secret itself is never stored: callers hash it and the
//! store keeps and looks up the hash.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;
use usertrail_domain::OrgId;
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
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim",
            TokenKind::Service => "service",
            TokenKind::Auditor => "auditor",
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
    client: &Client,
    token: &NewToken<'_>,
    now: OffsetDateTime,
) -> Result<Token, StoreError> {
    client
        .execute(
            "INSERT INTO api_tokens (id, org_id, kind, label, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &token.id,
                &token.org_id.0,
                &token.kind.as_str(),
                &token.label,
                &token.secret_hash,
                &now,
            ],
        )
        .await?;
    Ok(Token {
        id: token.id,
        org_id: token.org_id,
        kind: token.kind,
        label: token.label.to_owned(),
    })
}

/// The unrevoked token whose secret hashes to `secret_hash`.
pub async fn find_token_by_secret_hash(
    client: &Client,
    secret_hash: &[u8],
) -> Result<Option<Token>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT id, org_id, kind, label FROM api_tokens \
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
    }))
}
