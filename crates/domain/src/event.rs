//! Events: what happened to a user, in the past tense, as stored in the log.
//!
//! Each event type has a payload schema version. A stored payload is decoded
//! through `UserEvent::decode`, which is where an upcaster for an old schema
//! version goes when a payload shape changes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Actor, DecodeError, Identity, Profile, Role, Source, UserId};

/// One change to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    Created {
        profile: Profile,
    },
    Replaced {
        profile: Profile,
    },
    Patched {
        profile: Profile,
    },
    /// The password changed; the payload says nothing more, on purpose.
    PasswordChanged,
    Deleted,
    /// A pending user was invited; the invitation runs until `expires_at`.
    Invited {
        profile: Profile,
        role: Role,
        expires_at: OffsetDateTime,
    },
    /// A new invitation code was sent; the old one is dead.
    InviteRenewed {
        expires_at: OffsetDateTime,
    },
    /// The invitation was withdrawn; the pending user is gone (status `deleted`).
    InviteRevoked,
    /// The invited person accepted and set their name and password (the hash is in the
    /// credential table, written in the same transaction).
    InviteAccepted {
        profile: Profile,
    },
    /// The identity provider took over a user who entered through a product door.
    Adopted {
        profile: Profile,
    },
    /// Someone joined through a product door, possibly with a single sign-on identity.
    Joined {
        profile: Profile,
        role: Role,
        identity: Option<Identity>,
    },
    /// A single sign-on identity was linked to the user.
    IdentityLinked {
        identity: Identity,
    },
    RoleChanged {
        role: Role,
    },
    Deactivated,
    Reactivated,
    /// The primary email changed from `old` to `new`; `profile` is the result.
    EmailChanged {
        old: Option<String>,
        new: String,
        profile: Profile,
    },
}

/// An event together with the facts the log records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub user_id: UserId,
    /// The user's version after this event; the first event is version 1.
    pub version: i64,
    pub occurred_at: OffsetDateTime,
    pub source: Source,
    pub actor: Actor,
    pub event: UserEvent,
}

/// The stored payload of the events that carry a whole profile.
#[derive(Serialize, Deserialize)]
struct ProfilePayloadV1 {
    profile: Profile,
}

impl UserEvent {
    pub const TYPES: &'static [&'static str] = &[
        "user_created",
        "user_replaced",
        "user_patched",
        "user_password_changed",
        "user_deleted",
        "user_invited",
        "user_invite_renewed",
        "user_invite_revoked",
        "user_invite_accepted",
        "user_adopted",
        "user_joined",
        "identity_linked",
        "user_role_changed",
        "user_deactivated",
        "user_reactivated",
        "user_email_changed",
    ];

    /// The snake_case type stored in `user_events.event_type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            UserEvent::Created { .. } => "user_created",
            UserEvent::Replaced { .. } => "user_replaced",
            UserEvent::Patched { .. } => "user_patched",
            UserEvent::PasswordChanged => "user_password_changed",
            UserEvent::Deleted => "user_deleted",
            UserEvent::Invited { .. } => "user_invited",
            UserEvent::InviteRenewed { .. } => "user_invite_renewed",
            UserEvent::InviteRevoked => "user_invite_revoked",
            UserEvent::InviteAccepted { .. } => "user_invite_accepted",
            UserEvent::Adopted { .. } => "user_adopted",
            UserEvent::Joined { .. } => "user_joined",
            UserEvent::IdentityLinked { .. } => "identity_linked",
            UserEvent::RoleChanged { .. } => "user_role_changed",
            UserEvent::Deactivated => "user_deactivated",
            UserEvent::Reactivated => "user_reactivated",
            UserEvent::EmailChanged { .. } => "user_email_changed",
        }
    }

    /// The version of the payload's shape; bump it with an upcaster.
    pub fn schema_version(&self) -> i16 {
        1
    }

    /// The payload as stored. Events carry the whole resulting profile, so
    /// that folding never needs the protocol that produced the change.
    pub fn payload(&self) -> Value {
        match self {
            UserEvent::Created { profile }
            | UserEvent::Replaced { profile }
            | UserEvent::Patched { profile } => json!({ "profile": profile }),
            UserEvent::PasswordChanged | UserEvent::Deleted => json!({}),
            door => crate::door_events::payload(door),
        }
    }

    /// Decodes a stored event, upcasting old payload versions.
    pub fn decode(
        event_type: &str,
        schema_version: i16,
        payload: Value,
    ) -> Result<Self, DecodeError> {
        if schema_version != 1 {
            return Err(DecodeError::UnknownVersion {
                event_type: event_type.to_owned(),
                schema_version,
            });
        }
        let profile = || -> Result<Profile, DecodeError> {
            serde_json::from_value::<ProfilePayloadV1>(payload.clone())
                .map(|decoded| decoded.profile)
                .map_err(|error| DecodeError::Payload {
                    event_type: event_type.to_owned(),
                    reason: error.to_string(),
                })
        };
        match event_type {
            "user_created" => Ok(UserEvent::Created {
                profile: profile()?,
            }),
            "user_replaced" => Ok(UserEvent::Replaced {
                profile: profile()?,
            }),
            "user_patched" => Ok(UserEvent::Patched {
                profile: profile()?,
            }),
            "user_password_changed" => Ok(UserEvent::PasswordChanged),
            "user_deleted" => Ok(UserEvent::Deleted),
            other => crate::door_events::decode(other, payload),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        serde_json::from_value(json!({"userName": "ada", "name": {"givenName": "Ada"}})).unwrap()
    }

    fn all_events() -> Vec<UserEvent> {
        let expires_at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(7);
        let identity = Identity {
            issuer: "https://idp.example".into(),
            subject: "248289761001".into(),
        };
        vec![
            UserEvent::Created { profile: profile() },
            UserEvent::Replaced { profile: profile() },
            UserEvent::Patched { profile: profile() },
            UserEvent::PasswordChanged,
            UserEvent::Deleted,
            UserEvent::Invited {
                profile: profile(),
                role: Role::Editor,
                expires_at,
            },
            UserEvent::InviteRenewed { expires_at },
            UserEvent::InviteRevoked,
            UserEvent::InviteAccepted { profile: profile() },
            UserEvent::Adopted { profile: profile() },
            UserEvent::Joined {
                profile: profile(),
                role: Role::Member,
                identity: Some(identity.clone()),
            },
            UserEvent::IdentityLinked { identity },
            UserEvent::RoleChanged { role: Role::Admin },
            UserEvent::Deactivated,
            UserEvent::Reactivated,
            UserEvent::EmailChanged {
                old: Some("ada@old.test".into()),
                new: "ada@new.test".into(),
                profile: profile(),
            },
        ]
    }

    #[test]
    fn every_event_decodes_from_its_own_type_and_payload() {
        for event in all_events() {
            let decoded =
                UserEvent::decode(event.event_type(), event.schema_version(), event.payload());
            assert_eq!(decoded, Ok(event));
        }
    }

    #[test]
    fn the_types_list_names_every_event_type_and_nothing_else() {
        let types: Vec<_> = all_events().iter().map(UserEvent::event_type).collect();
        assert_eq!(types, UserEvent::TYPES);
    }

    #[test]
    fn an_unknown_schema_version_is_refused_rather_than_guessed() {
        let decoded = UserEvent::decode("user_created", 2, json!({"profile": {"userName": "a"}}));
        assert!(matches!(decoded, Err(DecodeError::UnknownVersion { .. })));
    }

    #[test]
    fn a_payload_that_breaks_the_profile_invariants_does_not_decode() {
        let decoded = UserEvent::decode("user_patched", 1, json!({"profile": {"userName": ""}}));
        assert!(matches!(decoded, Err(DecodeError::Payload { .. })));
    }
}
