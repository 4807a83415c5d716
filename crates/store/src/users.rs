//! The write path of users: append events to the log and move the
//! projection along with them, in the caller's transaction.

use std::net::IpAddr;

use usertrail_domain::{OrgId, RecordedEvent, User, UserId, apply, diff};

use crate::projection::{USER_COLUMNS, upsert_user, user_from_row};
use crate::{Client, StoreError, Transaction};

/// Facts about the request that caused an event, stored beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
}

const INSERT_EVENT: &str = "INSERT INTO user_events (event_id, org_id, user_id, version, \
     event_type, schema_version, source, actor_kind, actor_id, actor_display, request_id, \
     client_addr, user_agent, occurred_at, payload, diff) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

/// The current state of a user from the projection, deleted ones included.
pub async fn load_user(
    tx: &Transaction<'_>,
    org: OrgId,
    user: UserId,
) -> Result<Option<User>, StoreError> {
    load(tx, org, user, "").await
}

/// `load_user` outside a transaction, for reads.
pub async fn get_user(
    client: &Client,
    org: OrgId,
    user: UserId,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&org.0, &user.0]).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Like `load_user`, and locks the row until the transaction ends. Use it
/// when a retry after a concurrent write would be wasted work anyway.
pub async fn load_user_for_update(
    tx: &Transaction<'_>,
    org: OrgId,
    user: UserId,
) -> Result<Option<User>, StoreError> {
    load(tx, org, user, " FOR UPDATE").await
}

async fn load(
    tx: &Transaction<'_>,
    org: OrgId,
    user: UserId,
    lock: &str,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2{lock}");
    let statement = tx.prepare_cached(&sql).await?;
    let row = tx.query_opt(&statement, &[&org.0, &user.0]).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Appends `events` (consecutive versions after `prior`) and updates the
/// projection. Returns the state after the last event.
///
/// Optimistic concurrency: a writer that raced us to the same version hits
/// the unique `(org_id, user_id, version)` and gets `ConcurrentModification`.
pub async fn append_user_events(
    tx: &Transaction<'_>,
    org: OrgId,
    prior: Option<User>,
    events: &[RecordedEvent],
    request: &RequestMeta,
) -> Result<Option<User>, StoreError> {
    let insert = tx.prepare_cached(INSERT_EVENT).await?;
    let mut state = prior;
    for recorded in events {
        let next = apply(state.clone(), recorded)?;
        let change = serde_json::to_value(diff(state.as_ref(), &next))
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let event = &recorded.event;
        tx.execute(
            &insert,
            &[
                &recorded.event_id,
                &org.0,
                &recorded.user_id.0,
                &recorded.version,
                &event.event_type(),
                &event.schema_version(),
                &recorded.source.as_str(),
                &recorded.actor.kind.as_str(),
                &recorded.actor.id,
                &recorded.actor.display,
                &request.request_id,
                &request.client_addr,
                &request.user_agent,
                &recorded.occurred_at,
                &event.payload(),
                &change,
            ],
        )
        .await?;
        state = Some(next);
    }
    if let Some(user) = &state
        && !events.is_empty()
    {
        upsert_user(tx, org, user).await?;
    }
    Ok(state)
}
