//! The user aggregate's state and the fold that derives it from events.
//!
//! `User` is both what `decide` looks at and what the store projects into
//! the `users` table, diagnostics included, so that "rebuild the projection"
//! and "fold the log" are the same function.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Actor, FoldError, Identity, Profile, RecordedEvent, Role, Source, UserEvent, UserId};

/// Where a user stands, as shown in the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    /// Invited but not yet accepted. Past the invitation's expiry, reads show it as
    /// `invite_expired` (see `User::status_at`); the stored status stays `pending`, so
    /// that expiry needs no writer and a rebuild gives the same rows.
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
    pub role: Role,
    /// When the open invitation runs out; only for a pending user.
    pub invite_expires_at: Option<OffsetDateTime>,
    /// Single sign-on identities linked to the user, in the order they were linked.
    pub identities: Vec<Identity>,
    /// Whether the organization's IdP provisions this user: created over SCIM, or adopted
    /// by a SCIM create. Such a user cannot be adopted again, and the IdP owns its
    /// identity fields when the organization says so.
    pub idp_managed: bool,
}

impl User {
    /// The document that the log's diffs are computed over: what a person
    /// would call "the user" at a version.
    pub fn document(&self) -> Value {
        let mut document = json!({
            "status": self.status.as_str(),
            "role": self.role,
            "idp_managed": self.idp_managed,
            "profile": self.profile,
        });
        if let Some(expires_at) = self.invite_expires_at {
            let at = expires_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            document["invite_expires_at"] = Value::String(at);
        }
        if !self.identities.is_empty() {
            document["identities"] = json!(self.identities);
        }
        document
    }

    /// The status as a reader at `now` should see it: a pending user whose invitation ran
    /// out is `invite_expired`.
    pub fn status_at(&self, now: OffsetDateTime) -> &'static str {
        match (self.status, self.invite_expires_at) {
            (UserStatus::Pending, Some(expires_at)) if expires_at <= now => "invite_expired",
            (status, _) => status.as_str(),
        }
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
        let (profile, status, role, invite_expires_at, identities) = match &recorded.event {
            UserEvent::Created { profile } => {
                (profile, UserStatus::of(profile), Role::Member, None, vec![])
            }
            UserEvent::Invited {
                profile,
                role,
                expires_at,
            } => (
                profile,
                UserStatus::Pending,
                *role,
                Some(*expires_at),
                vec![],
            ),
            UserEvent::Joined {
                profile,
                role,
                identity,
            } => {
                let identities = identity.iter().cloned().collect();
                (profile, UserStatus::of(profile), *role, None, identities)
            }
            _ => {
                return Err(FoldError::NoUser {
                    event_type,
                    version,
                });
            }
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
            status,
            profile: profile.clone(),
            created: change.clone(),
            updated: change,
            last_event_type: event_type,
            role,
            invite_expires_at,
            identities,
            idp_managed: matches!(recorded.event, UserEvent::Created { .. }),
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
    apply_change(&mut user, &recorded.event, version)?;
    user.version = version;
    user.updated = change;
    user.last_event_type = event_type;
    Ok(user)
}

/// Moves an existing user along one event.
fn apply_change(user: &mut User, event: &UserEvent, version: i64) -> Result<(), FoldError> {
    let pending = user.status == UserStatus::Pending;
    match event {
        UserEvent::Created { .. } | UserEvent::Invited { .. } | UserEvent::Joined { .. } => {
            return Err(FoldError::CreatedTwice { version });
        }
        // A pending user stays pending whatever its attributes say, until accepted.
        UserEvent::Replaced { profile } | UserEvent::Patched { profile } => {
            if !pending {
                user.status = UserStatus::of(profile);
            }
            user.profile = profile.clone();
        }
        UserEvent::EmailChanged { profile, .. } => user.profile = profile.clone(),
        UserEvent::InviteAccepted { profile } | UserEvent::Adopted { profile } => {
            user.status = UserStatus::of(profile);
            user.profile = profile.clone();
            user.invite_expires_at = None;
            user.idp_managed |= matches!(event, UserEvent::Adopted { .. });
        }
        UserEvent::InviteRenewed { expires_at } => user.invite_expires_at = Some(*expires_at),
        UserEvent::InviteRevoked => {
            user.status = UserStatus::Deleted;
            user.invite_expires_at = None;
        }
        UserEvent::IdentityLinked { identity } => user.identities.push(identity.clone()),
        UserEvent::RoleChanged { role } => user.role = *role,
        UserEvent::Deactivated | UserEvent::Reactivated => {
            let active = *event == UserEvent::Reactivated;
            user.profile = user.profile.with_active(active);
            user.status = UserStatus::of(&user.profile);
        }
        UserEvent::PasswordChanged => {}
        // A deleted invitee's invitation goes with them.
        UserEvent::Deleted => {
            user.status = UserStatus::Deleted;
            user.invite_expires_at = None;
        }
    }
    Ok(())
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
