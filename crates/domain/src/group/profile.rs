//! A group's own attributes as the directory stores them: the SCIM Group resource without
//! `id`, `meta`, `schemas` and `members`, which the aggregate keeps as a set of user ids.
//!
//! Like `Profile`, this only guards what the aggregate relies on (a non-empty `displayName`,
//! a string `externalId`); the SCIM crate has checked names and types at the edge.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::GroupError;

/// Validated group attributes. Keys use SCIM's canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct GroupProfile(Map<String, Value>);

impl GroupProfile {
    /// Checks the invariants and wraps the attributes.
    pub fn new(attributes: Map<String, Value>) -> Result<Self, GroupError> {
        match attributes.get("displayName") {
            Some(Value::String(name)) if !name.trim().is_empty() => {}
            Some(Value::String(_)) => return Err(invalid("displayName must not be empty")),
            Some(_) => return Err(invalid("displayName must be a string")),
            None => return Err(invalid("displayName is required")),
        }
        if attributes
            .get("externalId")
            .is_some_and(|id| !id.is_string())
        {
            return Err(invalid("externalId must be a string"));
        }
        // Membership is a set of ids with events of its own; a copy here would drift.
        if attributes.contains_key("members") {
            return Err(invalid("members are not part of the group's attributes"));
        }
        Ok(Self(attributes))
    }

    pub fn display_name(&self) -> &str {
        self.0
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn external_id(&self) -> Option<&str> {
        self.0.get("externalId").and_then(Value::as_str)
    }

    pub fn attributes(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl TryFrom<Map<String, Value>> for GroupProfile {
    type Error = GroupError;

    fn try_from(attributes: Map<String, Value>) -> Result<Self, Self::Error> {
        Self::new(attributes)
    }
}

impl From<GroupProfile> for Map<String, Value> {
    fn from(profile: GroupProfile) -> Self {
        profile.0
    }
}

fn invalid(reason: &str) -> GroupError {
    GroupError::InvalidProfile(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_group_profile_needs_a_non_empty_display_name() {
        assert!(GroupProfile::new(map(json!({}))).is_err());
        assert!(GroupProfile::new(map(json!({"displayName": "  "}))).is_err());
        assert!(GroupProfile::new(map(json!({"displayName": 7}))).is_err());
        let profile = GroupProfile::new(map(json!({"displayName": "Ops"}))).unwrap();
        assert_eq!(profile.display_name(), "Ops");
    }

    #[test]
    fn members_never_enter_the_profile() {
        let with_members = json!({"displayName": "Ops", "members": [{"value": "x"}]});
        assert!(GroupProfile::new(map(with_members)).is_err());
    }
}
