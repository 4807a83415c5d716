//! The application layer for writes that must commit together with a row beside the log
//! (an invitation code opened, used or closed): the same load -> decide -> append steps as
//! `app::execute`, inside a transaction that the caller owns and commits.
//!
//! The caller runs its write through [`in_transaction`], which runs it again, whole and on
//! fresh state, when it lost a race to another writer of the same user.

use tracing::instrument;
use usertrail_domain::{DomainError, PasswordHash, User, UserCommand, UserId};
use usertrail_store::{Client, StoreError, Transaction};

use crate::api::{ApiError, ErrorCode};
use crate::app::{self, AppError, Origin, Outcome};
use crate::retry::ATTEMPTS;

/// Runs `write` in a transaction of its own and commits it. When the write lost a race
/// (another writer appended the user's next version first: `concurrent_modification`),
/// the transaction is rolled back and `write` runs again, up to [`ATTEMPTS`] times, as
/// `app::execute` does for writes of the log alone. Everything `write` decided or wrote
/// beside the log is decided again too.
pub async fn in_transaction<T>(
    client: &mut Client,
    mut write: impl AsyncFnMut(&Transaction<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 1;
    loop {
        let tx = client.transaction().await.map_err(StoreError::from)?;
        match write(&tx).await {
            Ok(value) => {
                tx.commit().await.map_err(StoreError::from)?;
                return Ok(value);
            }
            Err(error) if error.code == ErrorCode::ConcurrentModification && attempt < ATTEMPTS => {
                tx.rollback().await.map_err(StoreError::from)?;
                tracing::debug!(attempt, "concurrent write; deciding again");
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Runs the command that `build` makes from the user's state, inside `tx`.
#[instrument(skip_all, fields(org = %origin.org, user = %user_id, source = %origin.source))]
pub async fn execute_in<E>(
    tx: &Transaction<'_>,
    origin: &Origin,
    user_id: UserId,
    password: Option<&PasswordHash>,
    build: impl FnOnce(Option<&User>) -> Result<UserCommand, E>,
) -> Result<Outcome, E>
where
    E: From<AppError> + From<StoreError>,
{
    let state = usertrail_store::load_user(tx, origin.org, user_id).await?;
    let command = build(state.as_ref())?;
    let recorded = app::decide_all(origin, user_id, state.as_ref(), command, password.is_some())?;
    let changed = !recorded.is_empty();
    let after = app::append_in(tx, origin, state, &recorded, password).await?;
    let user = after.ok_or(AppError::Domain(DomainError::NotFound))?;
    Ok(Outcome { user, changed })
}
