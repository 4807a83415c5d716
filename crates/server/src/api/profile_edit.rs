//! Attribute edits through the product's doors: merging changed attributes into a profile,
//! validating the result with the SCIM schema (the same rules as a SCIM write), and the
//! organization's rule that the IdP owns the identity fields.

use serde_json::{Map, Value};
use usertrail_domain::{OrgId, Profile, User, guard_idp_owned};
use usertrail_store::GenericClient;

use super::{ApiError, ErrorCode};

/// `attributes` checked against the SCIM User schema and the domain's invariants.
pub fn validated(attributes: Map<String, Value>) -> Result<Profile, ApiError> {
    let normalized = usertrail_scim::validate_user_attributes(attributes)
        .map_err(|error| ApiError::new(ErrorCode::InvalidBody, error.detail))?;
    Ok(Profile::new(normalized)?)
}

/// `profile` with each of `changes` set, or removed when its value is `null`.
pub fn merged(profile: &Profile, changes: &Map<String, Value>) -> Result<Profile, ApiError> {
    let mut attributes = profile.attributes().clone();
    for (name, value) in changes {
        let existing = attributes
            .keys()
            .find(|key| key.eq_ignore_ascii_case(name))
            .cloned();
        if let Some(existing) = existing {
            attributes.remove(&existing);
        }
        if !value.is_null() {
            attributes.insert(name.clone(), value.clone());
        }
    }
    validated(attributes)
}

/// Whether the organization's IdP owns userName, name, emails and active now.
pub async fn idp_owns_fields(client: &impl GenericClient, org: OrgId) -> Result<bool, ApiError> {
    let settings = usertrail_store::load_org_state(client, org).await?.settings;
    let has_scim = usertrail_store::has_live_scim_token(client, org).await?;
    Ok(settings.idp_owns_fields(has_scim))
}

/// Refuses a change of an IdP-owned field of `user` when the organization lets the IdP
/// own them (`owned`) and the IdP manages this user (created or adopted over SCIM).
pub fn guard(owned: bool, user: &User, after: &Profile) -> Result<(), ApiError> {
    if owned && user.idp_managed {
        guard_idp_owned(&user.profile, after)?;
    }
    Ok(())
}
