//! The access log: every read of the audit trail, by an auditor's token or
//! by an operator with the CLI, itself append-only, so that who looked at
//! what is as evident as who changed what.

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::record::rfc3339;
use crate::{Client, StoreError};

/// Who read the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// An auditor token, over the API.
    Token { id: Uuid, label: String },
    /// Someone with database access, through the CLI: the operating-system
    /// user, the host and the database role.
    Operator(String),
}

/// One read of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub org_id: Uuid,
    pub reader: Reader,
    /// `events_query`, `events_export`, `events_export_finished`, `verify`,
    /// `proof` or `access_log_query`.
    pub action: &'static str,
    pub filter: Value,
    pub row_count: Option<i64>,
    pub request_id: Option<String>,
    pub accessed_at: OffsetDateTime,
}

/// Appends one access; returns its id.
pub async fn record_access(client: &Client, access: &Access) -> Result<i64, StoreError> {
    let (token_id, token_label, operator) = match &access.reader {
        Reader::Token { id, label } => (Some(id), Some(label), None),
        Reader::Operator(operator) => (None, None, Some(operator)),
    };
    let row = client
        .query_one(
            "INSERT INTO audit_access_log (org_id, token_id, token_label, operator, action, \
               filter, row_count, request_id, accessed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &access.org_id,
                &token_id,
                &token_label,
                &operator,
                &access.action,
                &access.filter,
                &access.row_count,
                &access.request_id,
                &access.accessed_at,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// Accesses of `org` with an id below `before`, newest first, as JSON.
pub async fn list_access(
    client: &Client,
    org: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, Value)>, StoreError> {
    let rows = client
        .query(
            "SELECT * FROM audit_access_log WHERE org_id = $1 \
             AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            &[&org, &before, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let id: i64 = row.get("id");
            let at: OffsetDateTime = row.get("accessed_at");
            let value = json!({
                "id": id,
                "token_id": row.get::<_, Option<Uuid>>("token_id"),
                "token_label": row.get::<_, Option<String>>("token_label"),
                "operator": row.get::<_, Option<String>>("operator"),
                "action": row.get::<_, String>("action"),
                "filter": row.get::<_, Value>("filter"),
                "row_count": row.get::<_, Option<i64>>("row_count"),
                "request_id": row.get::<_, Option<String>>("request_id"),
                "accessed_at": rfc3339(at),
            });
            (id, value)
        })
        .collect())
}
