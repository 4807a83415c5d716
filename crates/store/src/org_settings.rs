//! The organization's settings: the `org_events` log and the `org_settings` row folded
//! from it. Written like users: the events and the row in one transaction, with the
//! unique `(org_id, version)` turning a lost race into `ConcurrentModification`.

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use usertrail_domain::org::{
    OrgEvent, OrgSettings, OrgState, RecordedOrgEvent, apply_org, diff_org,
};
use usertrail_domain::{Actor, OrgId};

use crate::projection::{change_from_row, known_event_type};
use crate::{RequestMeta, StoreError, Transaction};

/// The organization's settings now; the defaults at version 0 when none was ever changed.
pub async fn load_org_state(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<OrgState, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT version, settings, updated_at, updated_source, updated_actor_kind, \
             updated_actor_id, updated_actor_display, last_event_type \
             FROM org_settings WHERE org_id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&org.0]).await? else {
        return Ok(OrgState::default());
    };
    let settings: OrgSettings = serde_json::from_value(row.get("settings"))
        .map_err(|error| StoreError::Corrupt(format!("org_settings.settings: {error}")))?;
    let last: &str = row.get("last_event_type");
    Ok(OrgState {
        version: row.get("version"),
        settings,
        updated: Some(change_from_row(&row, "updated")?),
        last_event_type: Some(known_event_type(OrgEvent::TYPES, last)?),
    })
}

/// Appends `events` after `prior` and writes the settings row; run inside `tx`.
pub async fn append_org_events(
    tx: &Transaction<'_>,
    org: OrgId,
    prior: OrgState,
    events: &[RecordedOrgEvent],
    request: &RequestMeta,
) -> Result<OrgState, StoreError> {
    let mut state = prior;
    for recorded in events {
        let next = apply_org(state.clone(), recorded)?;
        insert_event(tx, org, &state.settings, &next.settings, recorded, request).await?;
        state = next;
    }
    if !events.is_empty() {
        upsert_settings(tx, org, &state).await?;
    }
    Ok(state)
}

async fn insert_event(
    tx: &Transaction<'_>,
    org: OrgId,
    before: &OrgSettings,
    after: &OrgSettings,
    recorded: &RecordedOrgEvent,
    request: &RequestMeta,
) -> Result<(), StoreError> {
    let diff = serde_json::to_value(diff_org(before, after))
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let event = &recorded.event;
    let Actor { kind, id, display } = &recorded.actor;
    let params: [&(dyn ToSql + Sync); 16] = [
        &recorded.event_id,
        &org.0,
        &recorded.version,
        &event.event_type(),
        &event.schema_version(),
        &recorded.source.as_str(),
        &kind.as_str(),
        id,
        display,
        &request.actor_token_id,
        &request.request_id,
        &request.client_addr,
        &request.user_agent,
        &recorded.occurred_at,
        &event.payload(),
        &diff,
    ];
    let statement = tx
        .prepare_cached(
            "INSERT INTO org_events (event_id, org_id, version, event_type, schema_version, \
             source, actor_kind, actor_id, actor_display, actor_token_id, request_id, \
             client_addr, user_agent, occurred_at, payload, diff) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .await?;
    tx.execute(&statement, &params).await?;
    Ok(())
}

async fn upsert_settings(
    client: &impl GenericClient,
    org: OrgId,
    state: &OrgState,
) -> Result<(), StoreError> {
    let (Some(updated), Some(last)) = (&state.updated, state.last_event_type) else {
        return Ok(());
    };
    let settings = serde_json::to_value(&state.settings)
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let statement = client
        .prepare_cached(
            "INSERT INTO org_settings (org_id, version, settings, updated_at, updated_source, \
             updated_actor_kind, updated_actor_id, updated_actor_display, last_event_type) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id) DO UPDATE SET \
             version = EXCLUDED.version, settings = EXCLUDED.settings, \
             updated_at = EXCLUDED.updated_at, updated_source = EXCLUDED.updated_source, \
             updated_actor_kind = EXCLUDED.updated_actor_kind, \
             updated_actor_id = EXCLUDED.updated_actor_id, \
             updated_actor_display = EXCLUDED.updated_actor_display, \
             last_event_type = EXCLUDED.last_event_type",
        )
        .await?;
    let params: [&(dyn ToSql + Sync); 9] = [
        &org.0,
        &state.version,
        &settings,
        &updated.at,
        &updated.source.as_str(),
        &updated.actor.kind.as_str(),
        &updated.actor.id,
        &updated.actor.display,
        &last,
    ];
    client.execute(&statement, &params).await?;
    Ok(())
}

fn recorded_from_row(row: &Row) -> Result<RecordedOrgEvent, StoreError> {
    let source: &str = row.get("source");
    let kind: &str = row.get("actor_kind");
    let event_type: &str = row.get("event_type");
    let corrupt = |error: usertrail_domain::ParseEnumError| StoreError::Corrupt(error.to_string());
    Ok(RecordedOrgEvent {
        event_id: row.get("event_id"),
        version: row.get("version"),
        occurred_at: row.get("occurred_at"),
        source: source.parse().map_err(corrupt)?,
        actor: Actor {
            kind: kind.parse().map_err(corrupt)?,
            id: row.get("actor_id"),
            display: row.get("actor_display"),
        },
        event: OrgEvent::decode(event_type, row.get("schema_version"), row.get("payload"))?,
    })
}

/// Drops the organization's settings row and folds its log again; 1 if a row was written.
pub(crate) async fn rebuild_org_settings(
    tx: &Transaction<'_>,
    org: OrgId,
) -> Result<u64, StoreError> {
    tx.execute("DELETE FROM org_settings WHERE org_id = $1", &[&org.0])
        .await?;
    let rows = tx
        .query(
            "SELECT event_id, version, occurred_at, source, actor_kind, actor_id, \
             actor_display, event_type, schema_version, payload \
             FROM org_events WHERE org_id = $1 ORDER BY version",
            &[&org.0],
        )
        .await?;
    let mut state = OrgState::default();
    for row in &rows {
        state = apply_org(state, &recorded_from_row(row)?)?;
    }
    upsert_settings(tx, org, &state).await?;
    Ok(u64::from(state.version > 0))
}

/// The organization's settings log, oldest first, each row as an auditor reads it.
pub async fn org_events(client: &impl GenericClient, org: OrgId) -> Result<Vec<Value>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT jsonb_build_object('event_id', event_id, 'version', version, \
             'event_type', event_type, 'schema_version', schema_version, 'source', source, \
             'actor', jsonb_build_object('kind', actor_kind, 'id', actor_id, \
                                         'display', actor_display), \
             'actor_token_id', actor_token_id, 'request_id', request_id, \
             'occurred_at', occurred_at, 'payload', payload, 'diff', diff) AS event \
             FROM org_events WHERE org_id = $1 ORDER BY version",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0]).await?;
    Ok(rows.iter().map(|row| row.get("event")).collect())
}
