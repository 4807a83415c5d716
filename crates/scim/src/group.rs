//! Parsing of incoming SCIM Group bodies (POST and PUT, RFC 7644 §3.3, §3.5.1) and of a
//! patched Group document, and the JSON shapes of member references going out.
//!
//! Members leave the attribute map here: the directory stores them as a set of user ids with
//! events of their own, so the map the domain receives holds only `displayName` and
//! `externalId`.

use serde_json::{Map, Value, json};

use crate::error::{ScimError, ScimType};
use crate::schema::{GROUP_SCHEMA, SchemaPart};
use crate::user::{normalize, take_key};

/// A parsed Group body: canonical attributes without `members`, and the member ids named, in
/// the order given, each once.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInput {
    pub attributes: Map<String, Value>,
    pub members: Vec<String>,
}

/// Parses a POST or PUT body.
pub fn parse_group(body: Value) -> Result<GroupInput, ScimError> {
    let Value::Object(mut object) = body else {
        return Err(ScimError::bad_request(
            ScimType::InvalidSyntax,
            "a Group body must be a JSON object",
        ));
    };
    if let Some(schemas) = take_key(&mut object, "schemas") {
        check_schemas(&schemas)?;
    }
    validate_group_attributes(object)
}

/// The checks of [`parse_group`] on an attribute map without `schemas`; the PATCH path runs it
/// on the patched document, so PATCH cannot store what PUT would refuse.
pub fn validate_group_attributes(attributes: Map<String, Value>) -> Result<GroupInput, ScimError> {
    let mut normalized = normalize::normalize_object(SchemaPart::Group, attributes)?;
    let display_name = normalized.get("displayName").and_then(Value::as_str);
    if display_name.is_none_or(|name| name.trim().is_empty()) {
        return Err(invalid("'displayName' is required and must not be empty"));
    }
    let members = match normalized.remove("members") {
        Some(Value::Array(elements)) => member_ids(elements)?,
        _ => Vec::new(),
    };
    Ok(GroupInput {
        attributes: normalized,
        members,
    })
}

/// The working document a PATCH is applied to: the stored attributes, the group's `id` (so
/// that Okta's restated id is recognised as no change) and its members as `{"value": id}`.
pub fn patch_document(
    id: &str,
    attributes: &Map<String, Value>,
    members: impl IntoIterator<Item = String>,
) -> Map<String, Value> {
    let mut document = attributes.clone();
    document.insert("id".to_owned(), Value::from(id));
    let members: Vec<Value> = members
        .into_iter()
        .map(|id| json!({ "value": id }))
        .collect();
    if !members.is_empty() {
        document.insert("members".to_owned(), Value::Array(members));
    }
    document
}

/// One element of a Group's `members` in a response (RFC 7643 §4.2).
pub fn member_reference(id: &str, location: &str, display: &str) -> Value {
    json!({ "value": id, "$ref": location, "display": display, "type": "User" })
}

/// One element of a User's read-only `groups` (RFC 7643 §4.1.2). Membership is always
/// direct: groups do not nest here.
pub fn group_reference(id: &str, location: &str, display: &str) -> Value {
    json!({ "value": id, "$ref": location, "display": display, "type": "direct" })
}

/// The `value` of each member, each once. Only users can be members: nested groups are
/// refused rather than stored as users that do not exist.
fn member_ids(elements: Vec<Value>) -> Result<Vec<String>, ScimError> {
    let mut ids: Vec<String> = Vec::with_capacity(elements.len());
    let mut seen = std::collections::HashSet::with_capacity(elements.len());
    for element in elements {
        let kind = element.get("type").and_then(Value::as_str);
        if kind.is_some_and(|kind| !kind.eq_ignore_ascii_case("User")) {
            return Err(invalid(
                "only users can be members of a group; nested groups are not supported",
            ));
        }
        let Some(Value::String(id)) = element.get("value") else {
            return Err(invalid("each member needs a 'value': the id of a user"));
        };
        if seen.insert(id.clone()) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

fn check_schemas(schemas: &Value) -> Result<(), ScimError> {
    let lists_group = schemas.as_array().is_some_and(|urns| {
        urns.iter().any(|urn| {
            urn.as_str()
                .is_some_and(|urn| urn.eq_ignore_ascii_case(GROUP_SCHEMA))
        })
    });
    if lists_group {
        return Ok(());
    }
    Err(invalid(format!(
        "'schemas' must be an array that contains \"{GROUP_SCHEMA}\""
    )))
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

#[cfg(test)]
mod tests;
