//! Events: what happened to a user, in the past tense, as stored in the log.
//!
//! Each event type has a payload schema version. A stored payload is decoded
//! through `UserEvent::decode`, which is where an upcaster for an old schema
//! version goes when a payload shape changes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Actor, DecodeError, Profile, Source, UserId};

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
    ];

    /// The snake_case type stored in `user_events.event_type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            UserEvent::Created { .. } => "user_created",
            UserEvent::Replaced { .. } => "user_replaced",
            UserEvent::Patched { .. } => "user_patched",
            UserEvent::PasswordChanged => "user_password_changed",
            UserEvent::Deleted => "user_deleted",
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
            other => Err(DecodeError::UnknownType(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        serde_json::from_value(json!({"userName": "ada", "name": {"givenName": "Ada"}})).unwrap()
    }

    fn all_events() -> [UserEvent; 5] {
        [
            UserEvent::Created { profile: profile() },
            UserEvent::Replaced { profile: profile() },
            UserEvent::Patched { profile: profile() },
            UserEvent::PasswordChanged,
            UserEvent::Deleted,
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
