//! The application layer of groups: load a group, check `If-Match`, let the domain decide,
//! check that every user being added is a live user of the organization, and append the
//! events with the projection in one transaction; retried when another writer won a race
//! the caller did not ask to lose.
//!
//! Members are checked here and not in the domain because it takes a read of the users
//! projection. A user deleted between the check and the commit stays in the group's log
//! as a member; every read leaves deleted users out, so SCIM never shows them.

use std::collections::BTreeSet;

use tracing::instrument;
use usertrail_domain::{
    Group, GroupCommand, GroupError, GroupEvent, GroupId, RecordedGroupEvent, UserId, decide_group,
};
use usertrail_store::{LoadedGroup, Pool, StoreError};
use uuid::Uuid;

use crate::app::Origin;
use crate::retry::{Attempt, with_retries};

/// Why a group command did not go through. Variant docs name the SCIM status.
#[derive(Debug, thiserror::Error)]
pub enum GroupAppError {
    /// Not found (404), id taken (409), or invalid attributes (400).
    #[error(transparent)]
    Domain(#[from] GroupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's `If-Match` names another version (412).
    #[error("the group is at version {current}, not the version in If-Match")]
    VersionMismatch { current: i64 },
    /// Members that are not live users of the organization: unknown, deleted, or another
    /// organization's (400 `invalidValue`).
    #[error("no such user in this organization: {}", list(.0))]
    UnknownMembers(Vec<UserId>),
}

fn list(ids: &[UserId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The result of a group command that went through.
#[derive(Debug, Clone)]
pub struct GroupOutcome {
    pub group: Group,
    /// False when the command changed nothing and no event was written.
    pub changed: bool,
}

/// Creates a group under a fresh id.
#[instrument(skip_all, fields(org = %origin.org, group = %group_id, source = %origin.source))]
pub async fn create_group(
    pool: &Pool,
    origin: &Origin,
    group_id: GroupId,
    command: GroupCommand,
) -> Result<Group, GroupAppError> {
    let outcome = execute_group(pool, origin, group_id, None, |_| {
        Ok::<_, GroupAppError>(command.clone())
    })
    .await?;
    Ok(outcome.group)
}

/// Runs the command that `build` makes from the group's current state (with its live
/// members, for a PATCH that needs them). With `expected_version`, a race is reported as
/// the caller's 412 instead of retried.
#[instrument(skip_all, fields(org = %origin.org, group = %group_id, source = %origin.source))]
pub async fn execute_group<E>(
    pool: &Pool,
    origin: &Origin,
    group_id: GroupId,
    expected_version: Option<i64>,
    build: impl Fn(Option<&LoadedGroup>) -> Result<GroupCommand, E>,
) -> Result<GroupOutcome, E>
where
    E: From<GroupAppError> + From<StoreError>,
{
    let once = || execute_once(pool, origin, group_id, expected_version, &build);
    let raced = || GroupAppError::Store(StoreError::ConcurrentModification).into();
    with_retries(expected_version.is_none(), once, raced).await
}

impl<E: From<GroupAppError>> From<GroupAppError> for Attempt<E> {
    fn from(error: GroupAppError) -> Self {
        match error {
            GroupAppError::Store(StoreError::ConcurrentModification) => Attempt::Raced,
            other => Attempt::Failed(other.into()),
        }
    }
}

impl<E: From<GroupAppError>> From<GroupError> for Attempt<E> {
    fn from(error: GroupError) -> Self {
        GroupAppError::Domain(error).into()
    }
}

async fn execute_once<E: From<GroupAppError> + From<StoreError>>(
    pool: &Pool,
    origin: &Origin,
    group_id: GroupId,
    expected_version: Option<i64>,
    build: &impl Fn(Option<&LoadedGroup>) -> Result<GroupCommand, E>,
) -> Result<GroupOutcome, Attempt<E>> {
    let mut client = pool.get().await.map_err(StoreError::from)?;
    let tx = client.transaction().await.map_err(StoreError::from)?;

    let loaded = usertrail_store::load_group(&tx, origin.org, group_id).await?;
    let state = loaded.as_ref().map(|loaded| &loaded.group);
    if let (Some(expected), Some(group)) = (expected_version, state)
        && !group.is_deleted()
        && group.version != expected
    {
        let current = group.version;
        return Err(GroupAppError::VersionMismatch { current }.into());
    }
    let command = build(loaded.as_ref()).map_err(Attempt::Failed)?;
    let events = decide_group(state, command)?;
    check_new_members(&tx, origin, &events).await?;

    let changed = !events.is_empty();
    let recorded = record(origin, group_id, state, events);
    let prior = loaded.map(|loaded| loaded.group);
    let after =
        usertrail_store::append_group_events(&tx, origin.org, prior, &recorded, &origin.request)
            .await?;
    tx.commit().await.map_err(StoreError::from)?;
    let group = after.ok_or(GroupAppError::Domain(GroupError::NotFound))?;
    Ok(GroupOutcome { group, changed })
}

/// Refuses the events if any user they add is not a live user of the organization.
async fn check_new_members(
    client: &impl usertrail_store::GenericClient,
    origin: &Origin,
    events: &[GroupEvent],
) -> Result<(), GroupAppError> {
    let added: BTreeSet<UserId> = events
        .iter()
        .filter(|event| !matches!(event, GroupEvent::MembersRemoved { .. }))
        .filter_map(GroupEvent::member_ids)
        .flatten()
        .copied()
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    let live = usertrail_store::live_user_ids(client, origin.org, &added).await?;
    let unknown: Vec<UserId> = added.difference(&live).copied().collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(GroupAppError::UnknownMembers(unknown))
    }
}

fn record(
    origin: &Origin,
    group_id: GroupId,
    state: Option<&Group>,
    events: Vec<GroupEvent>,
) -> Vec<RecordedGroupEvent> {
    let first_version = state.map_or(1, |group| group.version + 1);
    events
        .into_iter()
        .zip(first_version..)
        .map(|(event, version)| RecordedGroupEvent {
            event_id: Uuid::now_v7(),
            group_id,
            version,
            occurred_at: origin.now,
            source: origin.source,
            actor: origin.actor.clone(),
            event,
        })
        .collect()
}
