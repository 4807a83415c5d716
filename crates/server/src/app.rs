//! The application layer: one function that every door uses to change a
//! user. It loads the state, lets the domain decide, appends the events and
//! the projection together, and retries when another writer won a race it
//! did not need to lose. A new password rides along as its hash: the log
//! records `user_password_changed`, the hash goes to the credential table in
//! the same transaction.

use time::OffsetDateTime;
use tracing::instrument;
use usertrail_domain::{
    Actor, DomainError, OrgId, PasswordHash, Profile, RecordedEvent, Source, User, UserCommand,
    UserEvent, UserId, apply, decide,
};
use usertrail_store::{Pool, RequestMeta, StoreError};
use uuid::Uuid;

use crate::retry::{Attempt, with_retries};

/// Who is changing what, through which door, and when.
#[derive(Debug, Clone)]
pub struct Origin {
    pub org: OrgId,
    pub source: Source,
    pub actor: Actor,
    pub request: RequestMeta,
    pub now: OffsetDateTime,
}

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's `If-Match` names another version (412).
    #[error("the user is at version {current}, not the version in If-Match")]
    VersionMismatch { current: i64 },
}

/// The result of a command that went through.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub user: User,
    /// False when the command changed nothing and no event was written.
    pub changed: bool,
}

/// Runs the command that `build` makes from the user's current state.
///
/// `build` sees the state (or `None`) so that commands which depend on it,
/// such as a SCIM PATCH, are rebuilt on a retry. With `expected_version`,
/// a race is reported instead of retried: the caller asked for that version.
#[instrument(skip_all, fields(org = %origin.org, user = %user_id, source = %origin.source))]
pub async fn execute<E>(
    pool: &Pool,
    origin: &Origin,
    user_id: UserId,
    expected_version: Option<i64>,
    password: Option<&PasswordHash>,
    build: impl Fn(Option<&User>) -> Result<UserCommand, E>,
) -> Result<Outcome, E>
where
    E: From<AppError> + From<StoreError>,
{
    let once = || execute_once(pool, origin, user_id, expected_version, password, &build);
    let raced = || AppError::Store(StoreError::ConcurrentModification).into();
    with_retries(expected_version.is_none(), once, raced).await
}

impl<E: From<AppError>> From<AppError> for Attempt<E> {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Store(StoreError::ConcurrentModification) => Attempt::Raced,
            other => Attempt::Failed(other.into()),
        }
    }
}

async fn execute_once<E: From<AppError> + From<StoreError>>(
    pool: &Pool,
    origin: &Origin,
    user_id: UserId,
    expected_version: Option<i64>,
    password: Option<&PasswordHash>,
    build: &impl Fn(Option<&User>) -> Result<UserCommand, E>,
) -> Result<Outcome, Attempt<E>> {
    let mut client = pool.get().await.map_err(StoreError::from)?;

    // No transaction for the read: the append is atomic, and the unique
    // version turns a write based on a stale read into a retry.
    let state = usertrail_store::load_user(&client, origin.org, user_id).await?;
    if let (Some(expected), Some(user)) = (expected_version, &state)
        && !user.is_deleted()
        && user.version != expected
    {
        let current = user.version;
        return Err(AppError::VersionMismatch { current }.into());
    }
    let command = build(state.as_ref()).map_err(Attempt::Failed)?;
    let recorded = decide_all(origin, user_id, state.as_ref(), command, password.is_some())?;

    let changed = !recorded.is_empty();
    let after = append(&mut client, origin, state, &recorded, password).await?;
    let user = after.ok_or(AppError::Domain(DomainError::NotFound))?;
    Ok(Outcome { user, changed })
}

/// Creates a user under a fresh id: there is no state to load, so without a
/// password this is one statement.
#[instrument(skip_all, fields(org = %origin.org, user = %user_id, source = %origin.source))]
pub async fn create(
    pool: &Pool,
    origin: &Origin,
    user_id: UserId,
    profile: Profile,
    password: Option<&PasswordHash>,
) -> Result<User, AppError> {
    let command = UserCommand::Create { profile };
    let recorded = decide_all(origin, user_id, None, command, password.is_some())?;
    let mut client = pool.get().await.map_err(StoreError::from)?;
    let after = append(&mut client, origin, None, &recorded, password).await?;
    Ok(after.ok_or(DomainError::NotFound)?)
}

/// The recorded events of `command`, followed by `user_password_changed`
/// when a new password comes with it.
pub(crate) fn decide_all(
    origin: &Origin,
    user_id: UserId,
    state: Option<&User>,
    command: UserCommand,
    password_changed: bool,
) -> Result<Vec<RecordedEvent>, AppError> {
    let mut recorded = record(origin, user_id, state, decide(state, command)?);
    // An accepted invitation says itself that the password was set.
    let recorded_already = recorded
        .iter()
        .any(|event| matches!(event.event, UserEvent::InviteAccepted { .. }));
    if password_changed && !recorded_already {
        let mut after = state.cloned();
        for event in &recorded {
            after = Some(apply(after, event).map_err(StoreError::from)?);
        }
        let events = decide(after.as_ref(), UserCommand::ChangePassword)?;
        recorded.extend(record(origin, user_id, after.as_ref(), events));
    }
    Ok(recorded)
}

/// Appends in one statement when that is all there is to write, and in a
/// transaction when there are several events or credentials to keep in step.
async fn append(
    client: &mut usertrail_store::Client,
    origin: &Origin,
    state: Option<User>,
    recorded: &[RecordedEvent],
    password: Option<&PasswordHash>,
) -> Result<Option<User>, StoreError> {
    let (org, request) = (origin.org, &origin.request);
    let beside_log = recorded
        .iter()
        .any(|event| changes_identities(&event.event));
    if recorded.len() <= 1 && password.is_none() && !beside_log {
        return usertrail_store::append_user_events(&*client, org, state, recorded, request).await;
    }
    let tx = client.transaction().await?;
    let after = append_in(&tx, origin, state, recorded, password).await?;
    tx.commit().await?;
    Ok(after)
}

/// Appends inside `tx`, with what must change beside the log: the password hash, a
/// deleted user's credentials and personal tokens, and the single sign-on identities.
pub(crate) async fn append_in(
    tx: &usertrail_store::Transaction<'_>,
    origin: &Origin,
    state: Option<User>,
    recorded: &[RecordedEvent],
    password: Option<&PasswordHash>,
) -> Result<Option<User>, StoreError> {
    let (org, request) = (origin.org, &origin.request);
    let after = usertrail_store::append_user_events(tx, org, state, recorded, request).await?;
    let Some(user) = &after else {
        return Ok(after);
    };
    if let Some(hash) = password {
        usertrail_store::set_password_hash(tx, org, user.id, hash, origin.now).await?;
    }
    let deletes = recorded
        .iter()
        .any(|event| event.event == UserEvent::Deleted);
    if deletes {
        usertrail_store::forget_password(tx, org, user.id).await?;
        usertrail_store::revoke_user_tokens(tx, org, user.id, origin.now).await?;
    }
    if recorded
        .iter()
        .any(|event| changes_identities(&event.event))
    {
        usertrail_store::sync_identities(tx, org, user).await?;
    }
    Ok(after)
}

/// Whether `event` changes the rows of `user_identities` (a deletion removes them), or,
/// for a deletion, the credentials.
fn changes_identities(event: &UserEvent) -> bool {
    matches!(
        event,
        UserEvent::Deleted | UserEvent::IdentityLinked { .. } | UserEvent::Joined { .. }
    )
}

fn record(
    origin: &Origin,
    user_id: UserId,
    state: Option<&User>,
    events: Vec<UserEvent>,
) -> Vec<RecordedEvent> {
    let first_version = state.map_or(1, |user| user.version + 1);
    events
        .into_iter()
        .zip(first_version..)
        .map(|(event, version)| RecordedEvent {
            event_id: Uuid::now_v7(),
            user_id,
            version,
            occurred_at: origin.now,
            source: origin.source,
            actor: origin.actor.clone(),
            event,
        })
        .collect()
}
