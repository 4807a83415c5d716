//! Where a change came from: the door it used (`Source`) and who walked
//! through it (`Actor`). Both are stored on every event and shown in the
//! diagnostics, so their spellings are part of the public API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The door through which a change entered usertrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A SCIM provisioning client (the organization's identity provider).
    Scim,
    /// An invitation sent by someone in the product.
    Invite,
    /// The user signed up on their own.
    SelfRegistration,
    /// The user's first single sign-on login created or linked them.
    Sso,
    /// The user joined because their verified email domain is allowed.
    EmailDomain,
    /// An administrator of the organization.
    Admin,
    /// The user edited their own profile.
    SelfService,
    /// A program using an API token.
    Api,
    /// usertrail itself (maintenance, expiry).
    System,
}

/// What kind of party made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A SCIM token; the id is the token's id.
    ScimClient,
    /// A user of the organization; the id is the user's id.
    User,
    /// A service or personal API token; the id is the token's id.
    ApiToken,
    /// usertrail itself.
    System,
}

/// Who made a change: a kind, a stable id and a name a person recognises.
///
/// The display name is copied at the time of the change on purpose: a token
/// renamed later must not rewrite what the log says about the past.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
    pub display: String,
}

/// A stored or requested spelling that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
}

macro_rules! snake_case_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The snake_case spelling used in the database and the APIs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = ParseEnumError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(ParseEnumError { what: $what, value: value.to_owned() }),
                }
            }
        }
    };
}

snake_case_enum!(Source, "source", {
    Scim => "scim",
    Invite => "invite",
    SelfRegistration => "self_registration",
    Sso => "sso",
    EmailDomain => "email_domain",
    Admin => "admin",
    SelfService => "self_service",
    Api => "api",
    System => "system",
});

snake_case_enum!(ActorKind, "actor kind", {
    ScimClient => "scim_client",
    User => "user",
    ApiToken => "api_token",
    System => "system",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_round_trips_through_its_spelling_and_serde() {
        for source in Source::ALL {
            assert_eq!(source.as_str().parse::<Source>(), Ok(*source));
            let json = serde_json::to_value(source).unwrap();
            assert_eq!(json, serde_json::Value::from(source.as_str()));
        }
    }

    #[test]
    fn every_actor_kind_round_trips_through_its_spelling() {
        for kind in ActorKind::ALL {
            assert_eq!(kind.as_str().parse::<ActorKind>(), Ok(*kind));
        }
    }

    #[test]
    fn an_unknown_spelling_is_an_error_that_names_it() {
        let error = "ldap".parse::<Source>().unwrap_err();
        assert_eq!(error.to_string(), "unknown source \"ldap\"");
    }
}
