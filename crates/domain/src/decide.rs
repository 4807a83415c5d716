//! The decision: given a user's state and a command, which events happen.

use crate::{DomainError, Profile, User, UserCommand, UserEvent, UserStatus};

/// Validates `command` against `state` and returns the events it causes.
///
/// A command that would change nothing returns no event, so that a client
/// repeating the same PUT does not fill the log with non-changes.
pub fn decide(state: Option<&User>, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
    let live = state.filter(|user| !user.is_deleted());
    match (creation(command), live) {
        (Ok(event), None) if state.is_none() => Ok(vec![event]),
        (Ok(_), _) => Err(DomainError::AlreadyExists),
        (Err(_), None) => Err(DomainError::NotFound),
        (Err(command), Some(user)) => decide_for(user, command),
    }
}

/// The first event of a user when `command` creates one; the command back otherwise.
fn creation(command: UserCommand) -> Result<UserEvent, UserCommand> {
    match command {
        UserCommand::Create { profile } => Ok(UserEvent::Created { profile }),
        UserCommand::Invite {
            profile,
            role,
            expires_at,
        } => Ok(UserEvent::Invited {
            profile,
            role,
            expires_at,
        }),
        UserCommand::Join {
            profile,
            role,
            identity,
        } => Ok(UserEvent::Joined {
            profile,
            role,
            identity,
        }),
        other => Err(other),
    }
}

/// The events of a command on a user that exists and is not deleted.
fn decide_for(user: &User, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
    let pending = user.status == UserStatus::Pending;
    let when = |condition: bool, event: UserEvent| condition.then_some(event).into_iter().collect();
    Ok(match command {
        UserCommand::Replace { profile } => {
            when(changed(user, &profile), UserEvent::Replaced { profile })
        }
        UserCommand::Patch { profile } => {
            when(changed(user, &profile), UserEvent::Patched { profile })
        }
        UserCommand::ChangePassword => vec![UserEvent::PasswordChanged],
        UserCommand::Delete => vec![UserEvent::Deleted],
        UserCommand::RenewInvite { expires_at } => {
            require_pending(pending)?;
            vec![UserEvent::InviteRenewed { expires_at }]
        }
        UserCommand::RevokeInvite => {
            require_pending(pending)?;
            vec![UserEvent::InviteRevoked]
        }
        UserCommand::AcceptInvite { profile, now } => {
            require_pending(pending)?;
            if user
                .invite_expires_at
                .is_some_and(|expires_at| expires_at <= now)
            {
                return Err(DomainError::InviteExpired);
            }
            vec![UserEvent::InviteAccepted { profile }]
        }
        // Any user that entered through a product door, pending or accepted, may be taken
        // over by the IdP once; a user the IdP provisions already is simply taken.
        UserCommand::Adopt { profile } => {
            if user.idp_managed {
                return Err(DomainError::AlreadyExists);
            }
            vec![UserEvent::Adopted { profile }]
        }
        UserCommand::LinkIdentity { identity } => when(
            !user.identities.contains(&identity),
            UserEvent::IdentityLinked { identity },
        ),
        UserCommand::ChangeRole { role } => {
            when(user.role != role, UserEvent::RoleChanged { role })
        }
        UserCommand::Deactivate => {
            require_accepted(pending)?;
            when(user.status == UserStatus::Active, UserEvent::Deactivated)
        }
        UserCommand::Reactivate => {
            require_accepted(pending)?;
            when(
                user.status == UserStatus::Deactivated,
                UserEvent::Reactivated,
            )
        }
        UserCommand::ChangeEmail { email } => change_email(user, &email),
        UserCommand::Create { .. } | UserCommand::Invite { .. } | UserCommand::Join { .. } => {
            return Err(DomainError::AlreadyExists);
        }
    })
}

fn change_email(user: &User, email: &str) -> Vec<UserEvent> {
    let old = user.profile.primary_email().map(str::to_owned);
    if old.as_deref() == Some(email) {
        return vec![];
    }
    vec![UserEvent::EmailChanged {
        old,
        new: email.to_owned(),
        profile: user.profile.with_primary_email(email),
    }]
}

fn require_pending(pending: bool) -> Result<(), DomainError> {
    if pending {
        Ok(())
    } else {
        Err(DomainError::NotPending)
    }
}

fn require_accepted(pending: bool) -> Result<(), DomainError> {
    if pending {
        Err(DomainError::StillPending)
    } else {
        Ok(())
    }
}

fn changed(user: &User, profile: &Profile) -> bool {
    user.profile != *profile
}
