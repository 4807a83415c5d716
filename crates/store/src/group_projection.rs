//! The `groups` and `group_members` projections: how a folded `Group` becomes rows, how rows
//! become a `Group` again, and how both tables are rebuilt from `group_events`.
//!
//! `group_members` holds the members of live groups only; a deleted group keeps its member
//! set in the fold (the log never removed anyone) but has no rows. The live write path and
//! the rebuild both follow that rule, so a rebuild reproduces the table exactly.

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use usertrail_domain::{
    Actor, Group, GroupEvent, GroupId, GroupProfile, GroupStatus, OrgId, RecordedGroupEvent,
    UserId, apply_group,
};

use crate::projection::{change_from_row, known_event_type};
use crate::replay::Replay;
use crate::{StoreError, Transaction};

/// The columns `group_from_row` reads, in a form that can follow `SELECT`.
pub(crate) const GROUP_COLUMNS: &str = "id, version, status, resource, \
     created_at, created_source, created_actor_kind, created_actor_id, created_actor_display, \
     updated_at, updated_source, updated_actor_kind, updated_actor_id, updated_actor_display, \
     last_event_type";

const UPSERT_GROUP: &str = "INSERT INTO groups (org_id, id, version, status, display_name, \
     external_id, resource, \
     created_at, created_source, created_actor_kind, created_actor_id, created_actor_display, \
     updated_at, updated_source, updated_actor_kind, updated_actor_id, updated_actor_display, \
     last_event_type) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
     ON CONFLICT (org_id, id) DO UPDATE SET \
       version = EXCLUDED.version, status = EXCLUDED.status, \
       display_name = EXCLUDED.display_name, external_id = EXCLUDED.external_id, \
       resource = EXCLUDED.resource, updated_at = EXCLUDED.updated_at, \
       updated_source = EXCLUDED.updated_source, \
       updated_actor_kind = EXCLUDED.updated_actor_kind, \
       updated_actor_id = EXCLUDED.updated_actor_id, \
       updated_actor_display = EXCLUDED.updated_actor_display, \
       last_event_type = EXCLUDED.last_event_type";

const INSERT_MEMBERS: &str = "INSERT INTO group_members (org_id, group_id, user_id) \
     SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING";

const DELETE_MEMBERS: &str =
    "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 AND user_id = ANY($3)";

const DELETE_ALL_MEMBERS: &str = "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2";

/// Writes `group` as its `groups` row, inserting or overwriting.
pub(crate) async fn upsert_group(
    client: &impl GenericClient,
    org: OrgId,
    group: &Group,
) -> Result<(), StoreError> {
    let profile = &group.profile;
    let resource = Value::Object(profile.attributes().clone());
    let (created, updated) = (&group.created, &group.updated);
    let params: [&(dyn ToSql + Sync); 18] = [
        &org.0,
        &group.id.0,
        &group.version,
        &group.status.as_str(),
        &profile.display_name(),
        &profile.external_id(),
        &resource,
        &created.at,
        &created.source.as_str(),
        &created.actor.kind.as_str(),
        &created.actor.id,
        &created.actor.display,
        &updated.at,
        &updated.source.as_str(),
        &updated.actor.kind.as_str(),
        &updated.actor.id,
        &updated.actor.display,
        &group.last_event_type,
    ];
    let statement = client.prepare_cached(UPSERT_GROUP).await?;
    client.execute(&statement, &params).await?;
    Ok(())
}

/// Moves `group_members` along with one event: only the rows the event names change.
pub(crate) async fn apply_membership(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
    event: &GroupEvent,
) -> Result<(), StoreError> {
    let (sql, members) = match event {
        GroupEvent::Created { members, .. } | GroupEvent::MembersAdded { members } => {
            (INSERT_MEMBERS, members)
        }
        GroupEvent::MembersRemoved { members } => (DELETE_MEMBERS, members),
        GroupEvent::Deleted { .. } => {
            let statement = client.prepare_cached(DELETE_ALL_MEMBERS).await?;
            client.execute(&statement, &[&org.0, &group.0]).await?;
            return Ok(());
        }
        GroupEvent::Replaced { .. } | GroupEvent::Patched { .. } => return Ok(()),
    };
    if members.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = members.iter().map(|id| id.0).collect();
    let statement = client.prepare_cached(sql).await?;
    client
        .execute(&statement, &[&org.0, &group.0, &ids])
        .await?;
    Ok(())
}

/// Reads a row selected with `GROUP_COLUMNS`, with the group's member ids.
pub(crate) fn group_from_row(row: &Row, members: BTreeSet<UserId>) -> Result<Group, StoreError> {
    let status: &str = row.get("status");
    let last_event_type: &str = row.get("last_event_type");
    let profile: GroupProfile = serde_json::from_value(row.get("resource"))
        .map_err(|error| StoreError::Corrupt(format!("groups.resource: {error}")))?;
    Ok(Group {
        id: GroupId(row.get("id")),
        version: row.get("version"),
        status: GroupStatus::parse(status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown group status {status:?}")))?,
        profile,
        members,
        created: change_from_row(row, "created")?,
        updated: change_from_row(row, "updated")?,
        last_event_type: known_event_type(GroupEvent::TYPES, last_event_type)?,
    })
}

/// The event columns that `recorded_group_from_row` reads.
pub(crate) const GROUP_EVENT_COLUMNS: &str = "event_id, group_id, version, occurred_at, source, \
     actor_kind, actor_id, actor_display, event_type, schema_version, payload";

/// Reads one event row selected with `GROUP_EVENT_COLUMNS`.
pub(crate) fn recorded_group_from_row(row: &Row) -> Result<RecordedGroupEvent, StoreError> {
    let event_type: &str = row.get("event_type");
    let source: &str = row.get("source");
    let kind: &str = row.get("actor_kind");
    let corrupt = |error: usertrail_domain::ParseEnumError| StoreError::Corrupt(error.to_string());
    Ok(RecordedGroupEvent {
        event_id: row.get("event_id"),
        group_id: GroupId(row.get("group_id")),
        version: row.get("version"),
        occurred_at: row.get("occurred_at"),
        source: source.parse().map_err(corrupt)?,
        actor: Actor {
            kind: kind.parse().map_err(corrupt)?,
            id: row.get("actor_id"),
            display: row.get("actor_display"),
        },
        event: GroupEvent::decode(event_type, row.get("schema_version"), row.get("payload"))?,
    })
}

/// Drops the organization's `groups` and `group_members` rows and recomputes them by folding
/// `group_events`, one group at a time, reading the log through a portal in batches as the
/// user rebuild does (see there why). Returns how many groups were written.
pub(crate) async fn rebuild_groups(tx: &Transaction<'_>, org: OrgId) -> Result<u64, StoreError> {
    tx.execute("DELETE FROM group_members WHERE org_id = $1", &[&org.0])
        .await?;
    tx.execute("DELETE FROM groups WHERE org_id = $1", &[&org.0])
        .await?;
    let sql = format!(
        "SELECT {GROUP_EVENT_COLUMNS} FROM group_events WHERE org_id = $1 \
         ORDER BY group_id, version"
    );
    let replay = Replay {
        decode: recorded_group_from_row,
        stream: |recorded: &RecordedGroupEvent| recorded.group_id,
        apply: |state, recorded: &RecordedGroupEvent| Ok(apply_group(state, recorded)?),
        id: |group: &Group| group.id,
    };
    replay
        .run(tx, &sql, &[&org.0], async |group| {
            write_rebuilt(tx, org, &group).await
        })
        .await
}

async fn write_rebuilt(tx: &Transaction<'_>, org: OrgId, group: &Group) -> Result<(), StoreError> {
    upsert_group(tx, org, group).await?;
    if group.is_deleted() {
        return Ok(());
    }
    let members = GroupEvent::MembersAdded {
        members: group.members.clone(),
    };
    apply_membership(tx, org, group.id, &members).await
}
