//! The application layer for writes that must commit together with a row beside the log
//! (an invitation code opened, used or closed): the same load -> decide -> append steps as
//! `app::execute`, inside a transaction that the caller owns and commits.
//!
//! These writes are not retried on a lost race: the caller's transaction holds other rows,
//! so a race surfaces as `ConcurrentModification` (409, "retry").

use tracing::instrument;
use usertrail_domain::{DomainError, PasswordHash, User, UserCommand, UserId};
use usertrail_store::{StoreError, Transaction};

use crate::app::{self, AppError, Origin, Outcome};

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
