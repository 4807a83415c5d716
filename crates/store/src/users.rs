//! The write path of users: append events to the log and move the
//! projection along with them.
//!
//! The last event of a batch and the projection row are written by one
//! statement (a data-modifying CTE), so a single-event command is atomic even
//! outside a transaction and costs one round trip. Callers that need more
//! (several events, several users) pass a transaction instead of a client.

use std::net::IpAddr;
use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use usertrail_domain::{OrgId, RecordedEvent, User, UserId, apply, diff};

use crate::StoreError;
use crate::projection::{UPSERT_USER, USER_COLUMNS, USER_PARAMS, UserRow, user_from_row};

/// Facts about the request that caused an event, stored beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The token that authenticated the request (`user_events.actor_token_id`).
    pub actor_token_id: Option<uuid::Uuid>,
    pub request_id: Option<String>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
}

const EVENT_COLUMNS: &str = "event_id, org_id, user_id, version, event_type, schema_version, \
     source, actor_kind, actor_id, actor_display, request_id, client_addr, user_agent, \
     occurred_at, payload, diff, actor_token_id";
const EVENT_PARAMS: usize = 17;

/// `INSERT INTO user_events` with placeholders numbered from `first`.
fn insert_event_sql(first: usize) -> String {
    let placeholders: Vec<String> = (first..first + EVENT_PARAMS)
        .map(|n| format!("${n}"))
        .collect();
    format!(
        "INSERT INTO user_events ({EVENT_COLUMNS}) VALUES ({})",
        placeholders.join(", ")
    )
}

static INSERT_EVENT: LazyLock<String> = LazyLock::new(|| insert_event_sql(1));

/// One event and the projection row after it, in one statement: the
/// projection's parameters come first, the event's after them.
static INSERT_EVENT_AND_UPSERT_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH event AS ({}) {UPSERT_USER}",
        insert_event_sql(USER_PARAMS + 1)
    )
});

/// The current state of a user from the projection, deleted ones included.
pub async fn load_user(
    client: &impl GenericClient,
    org: OrgId,
    user: UserId,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&org.0, &user.0]).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Appends `events` (consecutive versions after `prior`) and updates the
/// projection. Returns the state after the last event.
///
/// Optimistic concurrency: a writer that raced us to the same version hits
/// the unique `(org_id, user_id, version)` and gets `ConcurrentModification`.
/// More than one event must be appended inside a transaction.
pub async fn append_user_events(
    client: &impl GenericClient,
    org: OrgId,
    prior: Option<User>,
    events: &[RecordedEvent],
    request: &RequestMeta,
) -> Result<Option<User>, StoreError> {
    let Some((last, earlier)) = events.split_last() else {
        return Ok(prior);
    };
    let mut state = prior;
    for recorded in earlier {
        let next = apply(state.clone(), recorded)?;
        let row = EventRow::new(org, state.as_ref(), &next, recorded, request)?;
        let statement = client.prepare_cached(&INSERT_EVENT).await?;
        client.execute(&statement, &row.params()).await?;
        state = Some(next);
    }

    let next = apply(state.clone(), last)?;
    let event = EventRow::new(org, state.as_ref(), &next, last, request)?;
    let user = UserRow::new(org, &next);
    let params: Vec<&(dyn ToSql + Sync)> =
        user.params().into_iter().chain(event.params()).collect();
    let statement = client.prepare_cached(&INSERT_EVENT_AND_UPSERT_USER).await?;
    client.execute(&statement, &params).await?;
    Ok(Some(next))
}

/// The values of one `user_events` row.
struct EventRow<'a> {
    org: uuid::Uuid,
    recorded: &'a RecordedEvent,
    request: &'a RequestMeta,
    event_type: &'static str,
    schema_version: i16,
    source: &'static str,
    actor_kind: &'static str,
    payload: Value,
    diff: Value,
}

impl<'a> EventRow<'a> {
    fn new(
        org: OrgId,
        before: Option<&User>,
        after: &User,
        recorded: &'a RecordedEvent,
        request: &'a RequestMeta,
    ) -> Result<Self, StoreError> {
        let diff = serde_json::to_value(diff(before, after))
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        Ok(Self {
            org: org.0,
            recorded,
            request,
            event_type: recorded.event.event_type(),
            schema_version: recorded.event.schema_version(),
            source: recorded.source.as_str(),
            actor_kind: recorded.actor.kind.as_str(),
            payload: recorded.event.payload(),
            diff,
        })
    }

    fn params(&self) -> [&(dyn ToSql + Sync); EVENT_PARAMS] {
        let recorded = self.recorded;
        [
            &recorded.event_id,
            &self.org,
            &recorded.user_id.0,
            &recorded.version,
            &self.event_type,
            &self.schema_version,
            &self.source,
            &self.actor_kind,
            &recorded.actor.id,
            &recorded.actor.display,
            &self.request.request_id,
            &self.request.client_addr,
            &self.request.user_agent,
            &recorded.occurred_at,
            &self.payload,
            &self.diff,
            &self.request.actor_token_id,
        ]
    }
}
