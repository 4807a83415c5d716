//! Reading the log: a user's events as stored, for history views, together with the group
//! events that made the user a member of a group or took them out of one.

use std::net::IpAddr;

use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;
use usertrail_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::{Client, StoreError};

/// Which log an event is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// `user_events`: a change to the user.
    User,
    /// `group_events`: a change to a group's membership that names the user.
    Group,
}

/// The group of a group event, as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventGroup {
    pub id: Uuid,
    /// The group's current displayName.
    pub display_name: Option<String>,
}

/// One row of `user_events` or `group_events`, as an auditor would read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub stream: Stream,
    /// The log's own row id: the order in which rows were inserted into its table.
    pub id: i64,
    pub event_id: Uuid,
    pub user_id: UserId,
    /// For group events, the group; `version` is then the group's version.
    pub group: Option<EventGroup>,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i16,
    pub source: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_display: String,
    /// The token that made the request (see `user_events.actor_token_id`).
    pub actor_token_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub occurred_at: OffsetDateTime,
    pub payload: Value,
    pub diff: Value,
}

const COLUMNS: &str = "id, event_id, version, event_type, schema_version, source, \
     actor_kind, actor_id, actor_display, actor_token_id, request_id, client_addr, user_agent, \
     occurred_at, payload, diff";

/// Every event of one user, and every membership event of a group that names the user:
/// its creation, additions, removals and its deletion (`group_events_members_idx` finds
/// them), oldest first. Events of the same instant keep
/// their log's order, user events first.
pub async fn user_events(
    client: &Client,
    org: OrgId,
    user: UserId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT * FROM ( \
           SELECT 'user' AS stream, {COLUMNS}, NULL::uuid AS group_id, NULL AS group_name \
           FROM user_events WHERE org_id = $1 AND user_id = $2 \
           UNION ALL \
           SELECT 'group', {GROUP_COLUMNS}, e.group_id, g.display_name \
           FROM group_events e LEFT JOIN groups g ON g.org_id = e.org_id AND g.id = e.group_id \
           WHERE e.org_id = $1 AND {members} ? $3 AND e.event_type IN ({types}) \
         ) AS history ORDER BY occurred_at, stream DESC, id",
        members = members_named_by("e"),
        types = EVENTS_NAMING_MEMBERS,
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client
        .query(&statement, &[&org.0, &user.0, &user.0.to_string()])
        .await?;
    Ok(rows.iter().map(|row| stored_from_row(row, user)).collect())
}

/// The group event types whose payload names members: an array of user ids at
/// `members`, which `group_events_members_idx` covers.
pub(crate) const EVENTS_NAMING_MEMBERS: &str =
    "'group_created', 'group_members_added', 'group_members_removed', 'group_deleted'";

/// The member ids that a group event (aliased `alias`) names, spelled as the
/// expression `group_events_members_idx` is built on: the log keeps `json`,
/// and `?` needs `jsonb`.
pub(crate) fn members_named_by(alias: &str) -> String {
    format!("({alias}.payload::jsonb)->'members'")
}

/// `COLUMNS` qualified by the `group_events` alias `e`, which the join needs.
const GROUP_COLUMNS: &str = "e.id, e.event_id, e.version, e.event_type, e.schema_version, \
     e.source, e.actor_kind, e.actor_id, e.actor_display, e.actor_token_id, e.request_id, \
     e.client_addr, e.user_agent, e.occurred_at, e.payload, e.diff";

fn stored_from_row(row: &Row, user: UserId) -> StoredEvent {
    let stream: &str = row.get("stream");
    let group = row.get::<_, Option<Uuid>>("group_id").map(|id| EventGroup {
        id,
        display_name: row.get("group_name"),
    });
    StoredEvent {
        stream: if stream == "group" {
            Stream::Group
        } else {
            Stream::User
        },
        id: row.get("id"),
        event_id: row.get("event_id"),
        user_id: user,
        group,
        version: row.get("version"),
        event_type: row.get("event_type"),
        schema_version: row.get("schema_version"),
        source: row.get("source"),
        actor_kind: row.get("actor_kind"),
        actor_id: row.get("actor_id"),
        actor_display: row.get("actor_display"),
        actor_token_id: row.get("actor_token_id"),
        request_id: row.get("request_id"),
        client_addr: row.get("client_addr"),
        user_agent: row.get("user_agent"),
        occurred_at: row.get("occurred_at"),
        payload: row.get("payload"),
        diff: row.get("diff"),
    }
}
