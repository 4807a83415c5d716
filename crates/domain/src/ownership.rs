//! Fields that the organization's identity provider owns.
//!
//! Once an organization provisions users over SCIM, the IdP is the source of truth for who
//! a person is: their userName, name, emails and whether they are active. A change of one
//! of these through the admin or self-service door would be overwritten by the next sync
//! and would make the directory disagree with the IdP in between, so it is refused.

use crate::{DomainError, Profile};

/// The attributes the IdP owns, in the order they are reported.
pub const IDP_OWNED_FIELDS: &[&str] = &["userName", "name", "emails", "active"];

/// Refuses `after` if it changes an IdP-owned attribute of `before`; the error names the
/// first such attribute and the owner.
pub fn guard_idp_owned(before: &Profile, after: &Profile) -> Result<(), DomainError> {
    let field = |profile: &Profile, name: &str| profile.attributes().get(name).cloned();
    match IDP_OWNED_FIELDS
        .iter()
        .find(|name| field(before, name) != field(after, name))
    {
        Some(name) => Err(DomainError::OwnedByIdp { field: name }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn profile(value: serde_json::Value) -> Profile {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_change_of_an_owned_field_is_refused_naming_the_field() {
        let before = profile(json!({"userName": "ada", "name": {"givenName": "Ada"}}));
        let after = profile(json!({"userName": "ada", "name": {"givenName": "Augusta"}}));
        assert_eq!(
            guard_idp_owned(&before, &after),
            Err(DomainError::OwnedByIdp { field: "name" })
        );
    }

    #[test]
    fn a_change_of_other_fields_passes() {
        let before = profile(json!({"userName": "ada", "title": "Analyst"}));
        let after = profile(json!({"userName": "ada", "title": "Countess", "locale": "en-GB"}));
        assert_eq!(guard_idp_owned(&before, &after), Ok(()));
    }
}
