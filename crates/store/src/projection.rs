//! The `users` projection: how a folded `User` becomes a row, how a row
//! becomes a `User` again, and how every projection of an organization
//! (users, and through `group_projection` groups and memberships) is rebuilt
//! from the log.

use serde_json::Value;
use tokio_postgres::Row;
use usertrail_domain::{
    Actor, Change, OrgId, ParseEnumError, Profile, RecordedEvent, User, UserEvent, UserId,
    UserStatus, apply,
};

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use crate::replay::Replay;
use crate::{StoreError, Transaction};

/// The columns `user_from_row` reads, in a form that can follow `SELECT`.
pub(crate) const USER_COLUMNS: &str = "id, version, status, resource, \
     created_at, created_source, created_actor_kind, created_actor_id, created_actor_display, \
     updated_at, updated_source, updated_actor_kind, updated_actor_id, updated_actor_display, \
     last_event_type, role, invite_expires_at, identities, idp_managed";

/// How many parameters `UPSERT_USER` takes.
pub(crate) const USER_PARAMS: usize = 25;

pub(crate) const UPSERT_USER: &str = "INSERT INTO users (org_id, id, version, status, user_name, \
     external_id, active, display_name, email, resource, \
     created_at, created_source, created_actor_kind, created_actor_id, created_actor_display, \
     updated_at, updated_source, updated_actor_kind, updated_actor_id, updated_actor_display, \
     last_event_type, role, invite_expires_at, identities, idp_managed) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
     ON CONFLICT (org_id, id) DO UPDATE SET \
       version = EXCLUDED.version, status = EXCLUDED.status, user_name = EXCLUDED.user_name, \
       external_id = EXCLUDED.external_id, active = EXCLUDED.active, \
       display_name = EXCLUDED.display_name, email = EXCLUDED.email, \
       resource = EXCLUDED.resource, updated_at = EXCLUDED.updated_at, \
       updated_source = EXCLUDED.updated_source, \
       updated_actor_kind = EXCLUDED.updated_actor_kind, \
       updated_actor_id = EXCLUDED.updated_actor_id, \
       updated_actor_display = EXCLUDED.updated_actor_display, \
       last_event_type = EXCLUDED.last_event_type, role = EXCLUDED.role, \
       invite_expires_at = EXCLUDED.invite_expires_at, identities = EXCLUDED.identities, \
       idp_managed = EXCLUDED.idp_managed";

/// Writes `user` as its projection row, inserting or overwriting.
pub(crate) async fn upsert_user(
    client: &impl GenericClient,
    org: OrgId,
    user: &User,
) -> Result<(), StoreError> {
    let statement = client.prepare_cached(UPSERT_USER).await?;
    let row = UserRow::new(org, user);
    client.execute(&statement, &row.params()).await?;
    Ok(())
}

/// The values of one `users` row, borrowed from a folded `User`.
pub(crate) struct UserRow<'a> {
    org: uuid::Uuid,
    user: &'a User,
    status: &'static str,
    user_name: &'a str,
    external_id: Option<&'a str>,
    active: bool,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
    resource: Value,
    created_source: &'static str,
    created_actor_kind: &'static str,
    updated_source: &'static str,
    updated_actor_kind: &'static str,
    role: &'static str,
    identities: Value,
}

impl<'a> UserRow<'a> {
    pub(crate) fn new(org: OrgId, user: &'a User) -> Self {
        let profile = &user.profile;
        Self {
            org: org.0,
            user,
            status: user.status.as_str(),
            user_name: profile.user_name(),
            external_id: profile.external_id(),
            active: profile.active(),
            display_name: profile.display_name(),
            email: profile.primary_email(),
            resource: Value::Object(profile.attributes().clone()),
            created_source: user.created.source.as_str(),
            created_actor_kind: user.created.actor.kind.as_str(),
            updated_source: user.updated.source.as_str(),
            updated_actor_kind: user.updated.actor.kind.as_str(),
            role: user.role.as_str(),
            identities: serde_json::to_value(&user.identities).unwrap_or_default(),
        }
    }

    /// The parameters `$1`..`$25` of `UPSERT_USER`.
    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); USER_PARAMS] {
        let user = self.user;
        [
            &self.org,
            &user.id.0,
            &user.version,
            &self.status,
            &self.user_name,
            &self.external_id,
            &self.active,
            &self.display_name,
            &self.email,
            &self.resource,
            &user.created.at,
            &self.created_source,
            &self.created_actor_kind,
            &user.created.actor.id,
            &user.created.actor.display,
            &user.updated.at,
            &self.updated_source,
            &self.updated_actor_kind,
            &user.updated.actor.id,
            &user.updated.actor.display,
            &user.last_event_type,
            &self.role,
            &user.invite_expires_at,
            &self.identities,
            &user.idp_managed,
        ]
    }
}

/// Reads a row selected with `USER_COLUMNS`.
pub(crate) fn user_from_row(row: &Row) -> Result<User, StoreError> {
    let status: &str = row.get("status");
    let last_event_type: &str = row.get("last_event_type");
    let role: &str = row.get("role");
    let profile: Profile = serde_json::from_value(row.get("resource"))
        .map_err(|error| StoreError::Corrupt(format!("users.resource: {error}")))?;
    Ok(User {
        id: UserId(row.get("id")),
        version: row.get("version"),
        status: UserStatus::parse(status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?,
        profile,
        created: change_from_row(row, "created")?,
        updated: change_from_row(row, "updated")?,
        last_event_type: known_event_type(UserEvent::TYPES, last_event_type)?,
        role: role
            .parse()
            .map_err(|error: ParseEnumError| StoreError::Corrupt(error.to_string()))?,
        invite_expires_at: row.get("invite_expires_at"),
        identities: serde_json::from_value(row.get("identities"))
            .map_err(|error| StoreError::Corrupt(format!("users.identities: {error}")))?,
        idp_managed: row.get("idp_managed"),
    })
}

/// The static spelling of a stored `last_event_type`, among `types`.
pub(crate) fn known_event_type(
    types: &'static [&'static str],
    stored: &str,
) -> Result<&'static str, StoreError> {
    types
        .iter()
        .copied()
        .find(|known| *known == stored)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown event {stored:?}")))
}

pub(crate) fn change_from_row(row: &Row, prefix: &str) -> Result<Change, StoreError> {
    let column = |name: &str| format!("{prefix}_{name}");
    let source: &str = row.get(column("source").as_str());
    let kind: &str = row.get(column("actor_kind").as_str());
    let corrupt = |error: usertrail_domain::ParseEnumError| StoreError::Corrupt(error.to_string());
    Ok(Change {
        at: row.get(column("at").as_str()),
        source: source.parse().map_err(corrupt)?,
        actor: Actor {
            kind: kind.parse().map_err(corrupt)?,
            id: row.get(column("actor_id").as_str()),
            display: row.get(column("actor_display").as_str()),
        },
    })
}

/// Reads one event row selected with `EVENT_COLUMNS`.
pub(crate) fn recorded_from_row(row: &Row) -> Result<RecordedEvent, StoreError> {
    let event_type: &str = row.get("event_type");
    let source: &str = row.get("source");
    let kind: &str = row.get("actor_kind");
    let corrupt = |error: usertrail_domain::ParseEnumError| StoreError::Corrupt(error.to_string());
    Ok(RecordedEvent {
        event_id: row.get("event_id"),
        user_id: UserId(row.get("user_id")),
        version: row.get("version"),
        occurred_at: row.get("occurred_at"),
        source: source.parse().map_err(corrupt)?,
        actor: Actor {
            kind: kind.parse().map_err(corrupt)?,
            id: row.get("actor_id"),
            display: row.get("actor_display"),
        },
        event: UserEvent::decode(event_type, row.get("schema_version"), row.get("payload"))?,
    })
}

/// The event columns that `recorded_from_row` reads.
pub(crate) const EVENT_COLUMNS: &str = "event_id, user_id, version, occurred_at, source, \
     actor_kind, actor_id, actor_display, event_type, schema_version, payload";

/// Drops the organization's projection rows (`users`, `groups`,
/// `group_members`) and recomputes each one by folding its events. Returns how
/// many users and groups were written.
pub async fn rebuild_projection(tx: &Transaction<'_>, org: OrgId) -> Result<u64, StoreError> {
    let users = rebuild_users(tx, org).await?;
    let groups = crate::group_projection::rebuild_groups(tx, org).await?;
    let settings = crate::org_settings::rebuild_org_settings(tx, org).await?;
    Ok(users + groups + settings)
}

/// Drops the organization's `users` rows and folds its user log again.
async fn rebuild_users(tx: &Transaction<'_>, org: OrgId) -> Result<u64, StoreError> {
    tx.execute("DELETE FROM users WHERE org_id = $1", &[&org.0])
        .await?;
    tx.execute("DELETE FROM user_identities WHERE org_id = $1", &[&org.0])
        .await?;
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM user_events WHERE org_id = $1 ORDER BY user_id, version"
    );
    let replay = Replay {
        decode: recorded_from_row,
        stream: |recorded: &RecordedEvent| recorded.user_id,
        apply: |state, recorded: &RecordedEvent| Ok(apply(state, recorded)?),
        id: |user: &User| user.id,
    };
    replay
        .run(tx, &sql, &[&org.0], async |user| {
            upsert_user(tx, org, &user).await?;
            crate::identities::insert_identities(tx, org, &user).await
        })
        .await
}

/// `rebuild_projection` for every organization; returns users and groups written.
pub async fn rebuild_all_projections(tx: &Transaction<'_>) -> Result<u64, StoreError> {
    let orgs = tx
        .query("SELECT id FROM organizations ORDER BY id", &[])
        .await?;
    let mut written = 0;
    for row in orgs {
        written += rebuild_projection(tx, OrgId(row.get("id"))).await?;
    }
    Ok(written)
}
