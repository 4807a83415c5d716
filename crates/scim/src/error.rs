//! The one error type of the SCIM layer and its RFC 7644 §3.12 rendering.
//!
//! Every fallible function in this crate returns [`ScimError`], which already carries the HTTP
//! status and `scimType` the response must have, so the server renders it without deciding.

use serde::Serialize;
use serde_json::{Value, json};

use crate::schema::ERROR_SCHEMA;

/// The `scimType` detail error keywords of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
        }
    }
}

/// A SCIM protocol error: the status it becomes, its optional `scimType`, and a detail that is
/// safe to show the client (it never contains internal state).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with the given `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 404; RFC 7644 defines no `scimType` for it.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 401; RFC 7644 defines no `scimType` for it.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }

    /// 409 `uniqueness`, e.g. a userName already taken in the organization.
    pub fn conflict_uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// The RFC 7644 §3.12 error body. `status` is a string there, not a number, and `scimType`
    /// is left out rather than sent as null because clients differ in how they read null.
    pub fn to_body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(scim_type), Some(object)) = (self.scim_type, body.as_object_mut()) {
            object.insert("scimType".to_owned(), Value::from(scim_type.as_str()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_string_status_and_scim_type() {
        let error = ScimError::conflict_uniqueness("userName bjensen is already taken");
        assert_eq!(
            error.to_body(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName bjensen is already taken",
            })
        );
    }

    #[test]
    fn error_body_omits_scim_type_when_there_is_none() {
        let body = ScimError::not_found("User 42 not found").to_body();
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "404",
                "detail": "User 42 not found",
            })
        );
    }

    #[test]
    fn scim_type_serialises_to_the_same_keyword_as_as_str() -> Result<(), serde_json::Error> {
        let all = [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
        ];
        for scim_type in all {
            assert_eq!(
                serde_json::to_value(scim_type)?,
                Value::from(scim_type.as_str())
            );
        }
        Ok(())
    }

    #[test]
    fn constructors_set_the_status_the_rfc_requires() {
        assert_eq!(
            ScimError::bad_request(ScimType::InvalidPath, "x").status,
            400
        );
        assert_eq!(ScimError::unauthorized("x").status, 401);
        assert_eq!(ScimError::unauthorized("x").scim_type, None);
        assert_eq!(ScimError::not_found("x").status, 404);
        assert_eq!(ScimError::conflict_uniqueness("x").status, 409);
    }
}
