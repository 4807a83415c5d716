//! The user aggregate's state and the fold that derives it from events.
//!
//! `User` is both what `decide` looks at and what the store projects into
//! the `users` table, diagnostics included, so that "rebuild the projection"
//! and "fold the log" are the same function.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Actor, FoldError, Profile, RecordedEvent, Source, UserEvent, UserId};

/// Where a user stands, as shown in the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    /// Invited but not yet accepted (reserved for the invitation door).
    Pending,
    Deactivated,
    /// Gone from SCIM; kept here so that its history still answers.
    Deleted,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
            UserStatus::Deactivated => "deactivated",
            UserStatus::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(UserStatus::Active),
            "pending" => Some(UserStatus::Pending),
            "deactivated" => Some(UserStatus::Deactivated),
            "deleted" => Some(UserStatus::Deleted),
            _ => None,
        }
    }

    fn of(profile: &Profile) -> Self {
        if profile.active() {
            UserStatus::Active
        } else {
            UserStatus::Deactivated
        }
    }
}

/// When, through which door and by whom a change was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: OffsetDateTime,
    pub source: Source,
    pub actor: Actor,
}

/// The current state of one user, with the diagnostics of its first and
/// last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub version: i64,
    pub status: UserStatus,
    pub profile: Profile,
    pub created: Change,
    pub updated: Change,
    pub last_event_type: &'static str,
}

impl User {
    /// The document that the log's diffs are computed over: what a person
    /// would call "the user" at a version.
    pub fn document(&self) -> Value {
        json!({ "status": self.status.as_str(), "profile": self.profile })
    }

    pub fn is_deleted(&self) -> bool {
        self.status == UserStatus::Deleted
    }
}

/// Folds one recorded event onto the state before it.
pub fn apply(state: Option<User>, recorded: &RecordedEvent) -> Result<User, FoldError> {
    let change = Change {
        at: recorded.occurred_at,
        source: recorded.source,
        actor: recorded.actor.clone(),
    };
    let event_type = recorded.event.event_type();
    let version = recorded.version;

    let Some(mut user) = state else {
        let UserEvent::Created { profile } = &recorded.event else {
            return Err(FoldError::NoUser {
                event_type,
                version,
            });
        };
        if version != 1 {
            return Err(FoldError::VersionGap {
                previous: 0,
                found: version,
            });
        }
        return Ok(User {
            id: recorded.user_id,
            version,
            status: UserStatus::of(profile),
            profile: profile.clone(),
            created: change.clone(),
            updated: change,
            last_event_type: event_type,
        });
    };

    if version != user.version + 1 {
        return Err(FoldError::VersionGap {
            previous: user.version,
            found: version,
        });
    }
    if user.is_deleted() {
        return Err(FoldError::AfterDeletion {
            event_type,
            version,
        });
    }
    match &recorded.event {
        UserEvent::Created { .. } => return Err(FoldError::CreatedTwice { version }),
        UserEvent::Replaced { profile } | UserEvent::Patched { profile } => {
            user.status = UserStatus::of(profile);
            user.profile = profile.clone();
        }
        UserEvent::PasswordChanged => {}
        UserEvent::Deleted => user.status = UserStatus::Deleted,
    }
    user.version = version;
    user.updated = change;
    user.last_event_type = event_type;
    Ok(user)
}

/// Folds a user's events, oldest first, into its state; `None` for no events.
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a RecordedEvent>,
) -> Result<Option<User>, FoldError> {
    let mut state = None;
    for recorded in events {
        state = Some(apply(state, recorded)?);
    }
    Ok(state)
}

/// The RFC 6902 JSON Patch that turns `before` into `after`; from an empty
/// document when the user did not exist before.
pub fn diff(before: Option<&User>, after: &User) -> json_patch::Patch {
    let before = before.map_or_else(|| json!({}), User::document);
    json_patch::diff(&before, &after.document())
}
