//! The decision: given a user's state and a command, which events happen.

use crate::{DomainError, User, UserCommand, UserEvent};

/// Validates `command` against `state` and returns the events it causes.
///
/// A command that would change nothing returns no event, so that a client
/// repeating the same PUT does not fill the log with non-changes.
pub fn decide(state: Option<&User>, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
    let live = state.filter(|user| !user.is_deleted());
    match (live, command) {
        (None, UserCommand::Create { profile }) if state.is_none() => {
            Ok(vec![UserEvent::Created { profile }])
        }
        (_, UserCommand::Create { .. }) => Err(DomainError::AlreadyExists),
        (None, _) => Err(DomainError::NotFound),
        (Some(user), UserCommand::Replace { profile }) => Ok(changed(user, &profile)
            .then_some(UserEvent::Replaced { profile })
            .into_iter()
            .collect()),
        (Some(user), UserCommand::Patch { profile }) => Ok(changed(user, &profile)
            .then_some(UserEvent::Patched { profile })
            .into_iter()
            .collect()),
        (Some(_), UserCommand::ChangePassword) => Ok(vec![UserEvent::PasswordChanged]),
        (Some(_), UserCommand::Delete) => Ok(vec![UserEvent::Deleted]),
    }
}

fn changed(user: &User, profile: &crate::Profile) -> bool {
    user.profile != *profile
}
