//! Roles and linked identities: the parts of a user's state that are not SCIM attributes.
//!
//! A role says what the user may do in the product; usertrail itself only asks whether a
//! user is an `admin` (admins may use the admin door, invite, and change the organization's
//! settings). Why these four: `docs/adr/0010-acting-users-roles-and-idp-owned-fields.md`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseEnumError;

/// What a user may do in the product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organization: its members, invitations and settings.
    Admin,
    /// Creates and changes the product's content.
    Editor,
    /// Reads the product's content, changes nothing.
    Viewer,
    /// Belongs to the organization with the product's ordinary rights; the default.
    #[default]
    Member,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Admin, Role::Editor, Role::Viewer, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseEnumError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| ParseEnumError {
                what: "role",
                value: value.to_owned(),
            })
    }
}

/// An account at an external identity provider: who the user is to a single sign-on
/// issuer. `(issuer, subject)` names one person for as long as the issuer exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_spelling_and_serde() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
