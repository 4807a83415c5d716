//! Parsing of incoming SCIM User bodies (POST and PUT, RFC 7644 §3.3 and §3.5.1).
//!
//! The output is the canonical attribute map that the domain stores: canonical names, checked
//! types, no read-only attributes, no nulls, and never the password, which is handed back
//! separately so that it can be hashed before anything is logged.

pub(crate) mod normalize;

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::schema::{SchemaPart, USER_SCHEMA};

pub(crate) use normalize::{is_primary, normalize_element, normalize_elements, parse_bool_text};

/// A parsed User body.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    /// Canonical attributes, ready to be stored; never contains `password`, `id`, `meta`,
    /// `groups` or `schemas`.
    pub attributes: Map<String, Value>,
    /// The cleartext password if the client sent one. It must be hashed before it is stored.
    pub password: Option<String>,
}

/// Parses a POST or PUT body into canonical attributes and an optional password.
pub fn parse_user(body: Value) -> Result<UserInput, ScimError> {
    let Value::Object(mut object) = body else {
        return Err(ScimError::bad_request(
            ScimType::InvalidSyntax,
            "a User body must be a JSON object",
        ));
    };
    if let Some(schemas) = take_key(&mut object, "schemas") {
        check_schemas(&schemas)?;
    }
    let password = take_key(&mut object, "password")
        .map(password_text)
        .transpose()?
        .flatten();
    let attributes = validate_user_attributes(object)?;
    Ok(UserInput {
        attributes,
        password,
    })
}

/// The checks of [`parse_user`] on an attribute map without `schemas` or `password`: the PATCH
/// path runs it on the patched result, so PATCH cannot store what PUT would refuse.
pub fn validate_user_attributes(
    attributes: Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    let normalized = normalize::normalize_object(SchemaPart::Core, attributes)?;
    check_user_name(&normalized)?;
    Ok(normalized)
}

/// Removes a key matched case-insensitively, because SCIM attribute names are.
pub(crate) fn take_key(object: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))?
        .clone();
    object.remove(&key)
}

fn check_schemas(schemas: &Value) -> Result<(), ScimError> {
    let lists_user = schemas.as_array().is_some_and(|urns| {
        urns.iter().any(|urn| {
            urn.as_str()
                .is_some_and(|urn| urn.eq_ignore_ascii_case(USER_SCHEMA))
        })
    });
    if lists_user {
        return Ok(());
    }
    Err(ScimError::bad_request(
        ScimType::InvalidValue,
        format!("'schemas' must be an array that contains \"{USER_SCHEMA}\""),
    ))
}

fn password_text(value: Value) -> Result<Option<String>, ScimError> {
    match value {
        Value::String(password) => Ok(Some(password)),
        Value::Null => Ok(None),
        _ => Err(ScimError::bad_request(
            ScimType::InvalidValue,
            "'password' must be a string",
        )),
    }
}

/// userName is the one attribute RFC 7643 §4.1.1 makes required; a blank one would make the
/// per-organization uniqueness constraint meaningless.
fn check_user_name(attributes: &Map<String, Value>) -> Result<(), ScimError> {
    let user_name = attributes.get("userName").and_then(Value::as_str);
    if user_name.is_some_and(|name| !name.trim().is_empty()) {
        return Ok(());
    }
    Err(ScimError::bad_request(
        ScimType::InvalidValue,
        "'userName' is required and must not be empty",
    ))
}

#[cfg(test)]
mod tests;
