//! Reading the log: a user's events as stored, for history views.

use std::net::IpAddr;

use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;
use usertrail_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::{Client, StoreError};

/// One row of `user_events`, as an auditor would read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The log's own row id: the order in which rows were inserted.
    pub id: i64,
    pub event_id: Uuid,
    pub user_id: UserId,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    pub source: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_display: String,
    pub request_id: Option<String>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub occurred_at: OffsetDateTime,
    pub payload: Value,
    pub diff: Value,
}

const COLUMNS: &str = "id, event_id, user_id, version, event_type, schema_version, source, \
     actor_kind, actor_id, actor_display, request_id, client_addr, user_agent, occurred_at, \
     payload, diff";

/// Every event of one user, oldest first.
pub async fn user_events(
    client: &Client,
    org: OrgId,
    user: UserId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM user_events WHERE org_id = $1 AND user_id = $2 ORDER BY version"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&org.0, &user.0]).await?;
    Ok(rows.iter().map(stored_from_row).collect())
}

fn stored_from_row(row: &Row) -> StoredEvent {
    StoredEvent {
        id: row.get("id"),
        event_id: row.get("event_id"),
        user_id: UserId(row.get("user_id")),
        version: row.get("version"),
        event_type: row.get("event_type"),
        schema_version: row.get("schema_version"),
        source: row.get("source"),
        actor_kind: row.get("actor_kind"),
        actor_id: row.get("actor_id"),
        actor_display: row.get("actor_display"),
        request_id: row.get("request_id"),
        client_addr: row.get("client_addr"),
        user_agent: row.get("user_agent"),
        occurred_at: row.get("occurred_at"),
        payload: row.get("payload"),
        diff: row.get("diff"),
    }
}
