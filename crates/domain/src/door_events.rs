//! The stored payloads of the events that the product's doors cause (invitations, joins,
//! identity links, roles, activation and email changes): their shape and their decoding.
//! The SCIM events' payloads stay in `event.rs`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{DecodeError, Identity, Profile, Role, UserEvent};

#[derive(Serialize, Deserialize)]
struct InvitedV1 {
    profile: Profile,
    role: Role,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

#[derive(Serialize, Deserialize)]
struct RenewedV1 {
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

#[derive(Serialize, Deserialize)]
struct ProfileV1 {
    profile: Profile,
}

#[derive(Serialize, Deserialize)]
struct JoinedV1 {
    profile: Profile,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<Identity>,
}

#[derive(Serialize, Deserialize)]
struct IdentityV1 {
    identity: Identity,
}

#[derive(Serialize, Deserialize)]
struct RoleV1 {
    role: Role,
}

#[derive(Serialize, Deserialize)]
struct EmailChangedV1 {
    old: Option<String>,
    new: String,
    profile: Profile,
}

/// These payloads are maps of strings and a profile, which always serialise.
fn to_value(payload: impl Serialize) -> Value {
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

/// The payload of a door event; `{}` for the events that carry nothing.
pub(crate) fn payload(event: &UserEvent) -> Value {
    match event.clone() {
        UserEvent::Invited {
            profile,
            role,
            expires_at,
        } => to_value(InvitedV1 {
            profile,
            role,
            expires_at,
        }),
        UserEvent::InviteRenewed { expires_at } => to_value(RenewedV1 { expires_at }),
        UserEvent::InviteAccepted { profile } | UserEvent::Adopted { profile } => {
            to_value(ProfileV1 { profile })
        }
        UserEvent::Joined {
            profile,
            role,
            identity,
        } => to_value(JoinedV1 {
            profile,
            role,
            identity,
        }),
        UserEvent::IdentityLinked { identity } => to_value(IdentityV1 { identity }),
        UserEvent::RoleChanged { role } => to_value(RoleV1 { role }),
        UserEvent::EmailChanged { old, new, profile } => {
            to_value(EmailChangedV1 { old, new, profile })
        }
        _ => Value::Object(serde_json::Map::new()),
    }
}

/// Decodes a stored door event of schema version 1.
pub(crate) fn decode(event_type: &str, payload: Value) -> Result<UserEvent, DecodeError> {
    fn read<T: serde::de::DeserializeOwned>(
        event_type: &str,
        payload: Value,
    ) -> Result<T, DecodeError> {
        serde_json::from_value(payload).map_err(|error| DecodeError::Payload {
            event_type: event_type.to_owned(),
            reason: error.to_string(),
        })
    }
    Ok(match event_type {
        "user_invited" => {
            let InvitedV1 {
                profile,
                role,
                expires_at,
            } = read(event_type, payload)?;
            UserEvent::Invited {
                profile,
                role,
                expires_at,
            }
        }
        "user_invite_renewed" => {
            let RenewedV1 { expires_at } = read(event_type, payload)?;
            UserEvent::InviteRenewed { expires_at }
        }
        "user_invite_revoked" => UserEvent::InviteRevoked,
        "user_invite_accepted" => UserEvent::InviteAccepted {
            profile: read::<ProfileV1>(event_type, payload)?.profile,
        },
        "user_adopted" => UserEvent::Adopted {
            profile: read::<ProfileV1>(event_type, payload)?.profile,
        },
        "user_joined" => {
            let JoinedV1 {
                profile,
                role,
                identity,
            } = read(event_type, payload)?;
            UserEvent::Joined {
                profile,
                role,
                identity,
            }
        }
        "identity_linked" => UserEvent::IdentityLinked {
            identity: read::<IdentityV1>(event_type, payload)?.identity,
        },
        "user_role_changed" => UserEvent::RoleChanged {
            role: read::<RoleV1>(event_type, payload)?.role,
        },
        "user_deactivated" => UserEvent::Deactivated,
        "user_reactivated" => UserEvent::Reactivated,
        "user_email_changed" => {
            let EmailChangedV1 { old, new, profile } = read(event_type, payload)?;
            UserEvent::EmailChanged { old, new, profile }
        }
        other => return Err(DecodeError::UnknownType(other.to_owned())),
    })
}
