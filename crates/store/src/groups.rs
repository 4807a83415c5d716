//! The group side of the store: append group events and move the `groups` and
//! `group_members` projections along in the same transaction, load a group, list groups for
//! SCIM, and answer the membership questions that User responses need.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use usertrail_domain::{
    Group, GroupId, OrgId, RecordedGroupEvent, UserId, apply_group, diff_group,
};
use usertrail_scim::schema::ResourceKind;
use uuid::Uuid;

use crate::group_projection::{GROUP_COLUMNS, apply_membership, group_from_row, upsert_group};
use crate::listing::{ScimQuery, list_sql, run_list};
use crate::{Client, RequestMeta, StoreError, Transaction};

static INSERT_GROUP_EVENT: LazyLock<String> = LazyLock::new(|| {
    "INSERT INTO group_events (event_id, org_id, group_id, version, event_type, \
     schema_version, source, actor_kind, actor_id, actor_display, request_id, client_addr, \
     user_agent, occurred_at, payload, diff, actor_token_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        .to_owned()
});

/// A live member of a group as responses show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    pub id: UserId,
    /// The user's displayName, else their userName.
    pub display: String,
}

/// A group a user belongs to, as the User `groups` attribute shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub id: GroupId,
    pub display: String,
}

/// A group with its live members, for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedGroup {
    /// The state the domain decides on: members include users deleted since they joined.
    pub group: Group,
    /// The members to show: live users only, in id order.
    pub live_members: Vec<MemberView>,
}

/// The current state of a group from the projection, deleted ones included.
pub async fn load_group(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
) -> Result<Option<LoadedGroup>, StoreError> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE org_id = $1 AND id = $2");
    let statement = client.prepare_cached(&sql).await?;
    let Some(row) = client.query_opt(&statement, &[&org.0, &group.0]).await? else {
        return Ok(None);
    };
    let mut members = members_of_groups(client, org, &[group]).await?;
    let members = members.remove(&group).unwrap_or_default();
    Ok(Some(members.loaded(&row)?))
}

/// The members of one group: every id, for the domain, and the live ones, for responses.
#[derive(Debug, Default)]
struct Members {
    all: BTreeSet<UserId>,
    live: Vec<MemberView>,
}

impl Members {
    fn loaded(self, row: &tokio_postgres::Row) -> Result<LoadedGroup, StoreError> {
        Ok(LoadedGroup {
            group: group_from_row(row, self.all)?,
            live_members: self.live,
        })
    }
}

/// The members of each of `groups`, in one query; groups without members have no entry.
async fn members_of_groups(
    client: &impl GenericClient,
    org: OrgId,
    groups: &[GroupId],
) -> Result<HashMap<GroupId, Members>, StoreError> {
    let ids: Vec<Uuid> = groups.iter().map(|id| id.0).collect();
    let statement = client
        .prepare_cached(
            "SELECT gm.group_id, gm.user_id, u.status, \
                    coalesce(u.display_name, u.user_name) AS display \
             FROM group_members gm LEFT JOIN users u ON u.org_id = gm.org_id AND u.id = gm.user_id \
             WHERE gm.org_id = $1 AND gm.group_id = ANY($2) ORDER BY gm.group_id, gm.user_id",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0, &ids]).await?;
    let mut members: HashMap<GroupId, Members> = HashMap::new();
    for row in &rows {
        let group = members.entry(GroupId(row.get("group_id"))).or_default();
        let id = UserId(row.get("user_id"));
        group.all.insert(id);
        let status: Option<&str> = row.get("status");
        if status.is_some_and(|status| status != "deleted") {
            let display = row.get::<_, Option<String>>("display").unwrap_or_default();
            group.live.push(MemberView { id, display });
        }
    }
    Ok(members)
}

/// Appends `events` (consecutive versions after `prior`), then writes the `groups` row and
/// the membership rows they change, all in `tx`. Returns the state after the last event.
///
/// Optimistic concurrency: a writer that raced us to the same version hits the unique
/// `(org_id, group_id, version)` and gets `ConcurrentModification`; a displayName taken by
/// another live group of the organization is `GroupDisplayNameTaken`.
pub async fn append_group_events(
    tx: &Transaction<'_>,
    org: OrgId,
    prior: Option<Group>,
    events: &[RecordedGroupEvent],
    request: &RequestMeta,
) -> Result<Option<Group>, StoreError> {
    let mut state = prior;
    for recorded in events {
        let next = apply_group(state.clone(), recorded)?;
        insert_event(tx, org, state.as_ref(), &next, recorded, request).await?;
        apply_membership(tx, org, recorded.group_id, &recorded.event).await?;
        state = Some(next);
    }
    if let Some(group) = state.as_ref().filter(|_| !events.is_empty()) {
        upsert_group(tx, org, group).await?;
    }
    Ok(state)
}

async fn insert_event(
    tx: &Transaction<'_>,
    org: OrgId,
    before: Option<&Group>,
    after: &Group,
    recorded: &RecordedGroupEvent,
    request: &RequestMeta,
) -> Result<(), StoreError> {
    let diff = serde_json::to_value(diff_group(before, after))
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let event = &recorded.event;
    let payload: Value = event.payload();
    let params: [&(dyn ToSql + Sync); 17] = [
        &recorded.event_id,
        &org.0,
        &recorded.group_id.0,
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
        &payload,
        &diff,
        &request.actor_token_id,
    ];
    let statement = tx.prepare_cached(&INSERT_GROUP_EVENT).await?;
    tx.execute(&statement, &params).await?;
    Ok(())
}

/// Which of `ids` are live (not deleted) users of the organization. Ids of other
/// organizations' users are not found, like unknown ones.
pub async fn live_user_ids(
    client: &impl GenericClient,
    org: OrgId,
    ids: &BTreeSet<UserId>,
) -> Result<BTreeSet<UserId>, StoreError> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let statement = client
        .prepare_cached(
            "SELECT id FROM users WHERE org_id = $1 AND id = ANY($2) AND status <> 'deleted'",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0, &ids]).await?;
    Ok(rows.iter().map(|row| UserId(row.get("id"))).collect())
}

/// The groups each of `users` belongs to, by group display name then id.
pub async fn groups_of_users(
    client: &impl GenericClient,
    org: OrgId,
    users: &[UserId],
) -> Result<HashMap<UserId, Vec<GroupRef>>, StoreError> {
    let ids: Vec<Uuid> = users.iter().map(|id| id.0).collect();
    let statement = client
        .prepare_cached(
            "SELECT gm.user_id, g.id, g.display_name FROM group_members gm \
             JOIN groups g ON g.org_id = gm.org_id AND g.id = gm.group_id \
             WHERE gm.org_id = $1 AND gm.user_id = ANY($2) \
             ORDER BY gm.user_id, lower(g.display_name), g.id",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0, &ids]).await?;
    let mut groups: HashMap<UserId, Vec<GroupRef>> = HashMap::new();
    for row in &rows {
        groups
            .entry(UserId(row.get("user_id")))
            .or_default()
            .push(GroupRef {
                id: GroupId(row.get("id")),
                display: row.get("display_name"),
            });
    }
    Ok(groups)
}

/// The total number of matches and the requested page of live groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPage {
    pub total_results: i64,
    pub groups: Vec<LoadedGroup>,
}

/// SCIM `GET /Groups`: live groups matching the query, each with its live members.
pub async fn list_scim_groups(
    client: &Client,
    org: OrgId,
    query: &ScimQuery<'_>,
) -> Result<GroupPage, StoreError> {
    let sql = list_sql(ResourceKind::Group, org, query)?;
    let (total_results, rows) = run_list(client, &sql, query).await?;
    // The members of the whole page in one query, whatever the page size.
    let ids: Vec<GroupId> = rows.iter().map(|row| GroupId(row.get("id"))).collect();
    let mut members = members_of_groups(client, org, &ids).await?;
    let mut groups = Vec::with_capacity(rows.len());
    for (row, id) in rows.iter().zip(&ids) {
        groups.push(members.remove(id).unwrap_or_default().loaded(row)?);
    }
    Ok(GroupPage {
        total_results,
        groups,
    })
}
