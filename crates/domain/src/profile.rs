//! A user's attributes as the directory stores them: the SCIM resource
//! without `id`, `meta`, `schemas` and read-only or write-only attributes.
//!
//! The SCIM crate validates attribute names and types at the edge; this type
//! only guards what the aggregate itself relies on (a non-empty `userName`,
//! a boolean `active`), so that no code past this point re-checks strings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::DomainError;

/// Validated user attributes. Keys use SCIM's canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Profile(Map<String, Value>);

impl Profile {
    /// Checks the invariants and wraps the attributes. A profile without
    /// `active` is stored as active, which is what it means: clients read
    /// back the state the directory acts on, not an absence to interpret.
    pub fn new(mut attributes: Map<String, Value>) -> Result<Self, DomainError> {
        match attributes.get("userName") {
            Some(Value::String(name)) if !name.trim().is_empty() => {}
            Some(Value::String(_)) => return Err(invalid("userName must not be empty")),
            Some(_) => return Err(invalid("userName must be a string")),
            None => return Err(invalid("userName is required")),
        }
        if attributes
            .get("active")
            .is_some_and(|active| !active.is_boolean())
        {
            return Err(invalid("active must be a boolean"));
        }
        if attributes
            .get("externalId")
            .is_some_and(|id| !id.is_string())
        {
            return Err(invalid("externalId must be a string"));
        }
        attributes.entry("active").or_insert(Value::Bool(true));
        Ok(Self(attributes))
    }

    pub fn user_name(&self) -> &str {
        self.str("userName").unwrap_or_default()
    }

    pub fn external_id(&self) -> Option<&str> {
        self.str("externalId")
    }

    pub fn display_name(&self) -> Option<&str> {
        self.str("displayName")
    }

    /// Whether the account is enabled (always set; see `new`).
    pub fn active(&self) -> bool {
        self.0
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The email marked primary, else the first one listed.
    pub fn primary_email(&self) -> Option<&str> {
        let emails = self.0.get("emails")?.as_array()?;
        let primary = emails
            .iter()
            .find(|email| email.get("primary").and_then(Value::as_bool) == Some(true));
        primary.or_else(|| emails.first())?.get("value")?.as_str()
    }

    /// The same attributes with `active` set to `active`.
    pub fn with_active(&self, active: bool) -> Self {
        let mut attributes = self.0.clone();
        attributes.insert("active".into(), Value::Bool(active));
        Self(attributes)
    }

    /// The same attributes with `email` as the one primary email; the other emails stay,
    /// no longer primary. An email that was listed already becomes the primary one.
    pub fn with_primary_email(&self, email: &str) -> Self {
        let mut attributes = self.0.clone();
        let mut emails: Vec<Value> = attributes
            .get("emails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let old = self.primary_email().map(str::to_owned);
        emails.retain(|entry| {
            let value = entry.get("value").and_then(Value::as_str);
            value != old.as_deref() && value.is_none_or(|value| !value.eq_ignore_ascii_case(email))
        });
        for entry in &mut emails {
            if let Some(object) = entry.as_object_mut() {
                object.remove("primary");
            }
        }
        let mut primary = Map::new();
        primary.insert("value".into(), Value::String(email.to_owned()));
        primary.insert("primary".into(), Value::Bool(true));
        emails.insert(0, Value::Object(primary));
        attributes.insert("emails".into(), Value::Array(emails));
        Self(attributes)
    }

    pub fn attributes(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn into_attributes(self) -> Map<String, Value> {
        self.0
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
}

impl TryFrom<Map<String, Value>> for Profile {
    type Error = DomainError;

    fn try_from(attributes: Map<String, Value>) -> Result<Self, Self::Error> {
        Self::new(attributes)
    }
}

impl From<Profile> for Map<String, Value> {
    fn from(profile: Profile) -> Self {
        profile.0
    }
}

fn invalid(reason: &str) -> DomainError {
    DomainError::InvalidProfile(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_profile_needs_a_non_empty_user_name() {
        assert!(Profile::new(map(json!({}))).is_err());
        assert!(Profile::new(map(json!({"userName": "  "}))).is_err());
        assert!(Profile::new(map(json!({"userName": 7}))).is_err());
        assert!(Profile::new(map(json!({"userName": "ada"}))).is_ok());
    }

    #[test]
    fn active_defaults_to_true_and_must_be_a_boolean() {
        let profile = Profile::new(map(json!({"userName": "ada"}))).unwrap();
        assert!(profile.active());
        assert_eq!(
            profile.attributes()["active"],
            json!(true),
            "stored, not implied"
        );
        let inactive = Profile::new(map(json!({"userName": "ada", "active": false}))).unwrap();
        assert!(!inactive.active());
        assert!(Profile::new(map(json!({"userName": "ada", "active": "no"}))).is_err());
    }

    #[test]
    fn the_primary_email_wins_over_the_first_one() {
        let profile = Profile::new(map(json!({
            "userName": "ada",
            "emails": [{"value": "a@home.test"}, {"value": "a@work.test", "primary": true}],
        })))
        .unwrap();
        assert_eq!(profile.primary_email(), Some("a@work.test"));
    }

    #[test]
    fn deserialising_checks_the_same_invariants() {
        let result: Result<Profile, _> = serde_json::from_value(json!({"userName": ""}));
        assert!(result.is_err());
    }
}
