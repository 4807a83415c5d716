//! The protocol side of `/Bulk` (RFC 7644 §3.7): parsing a BulkRequest, the paths of its
//! operations, and the `bulkId:` references that let one operation name a resource that an
//! earlier operation of the same request created.
//!
//! Running the operations is the server's job; everything here is pure, so the rules for
//! what a request may say are tested without a database.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::schema::{ResourceKind, require_message_schema};
use crate::user::take_key;

pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// The prefix of a reference to the resource created by the operation with that bulkId.
const REFERENCE_PREFIX: &str = "bulkId:";

/// The HTTP method of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl BulkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Self::Post, Self::Put, Self::Patch, Self::Delete]
            .into_iter()
            .find(|method| method.as_str().eq_ignore_ascii_case(word))
    }
}

/// One operation of a BulkRequest, as sent: its path and data may still hold references.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    pub method: BulkMethod,
    pub bulk_id: Option<String>,
    pub path: String,
    /// The ETag the resource must have, like `If-Match`.
    pub version: Option<String>,
    pub data: Option<Value>,
}

/// A parsed BulkRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// Stop after this many failed operations; `None` runs them all.
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<BulkOperation>,
}

impl BulkRequest {
    /// Parses a BulkRequest. A body that is not one (not an object, no `Operations` array,
    /// an operation without a known `method` or a `path`) is 400 `invalidSyntax`; a wrong
    /// `schemas`, a POST without `bulkId`, a bulkId used twice or a `failOnErrors` below 1
    /// is 400 `invalidValue`. Such a request runs nothing.
    pub fn parse(body: Value) -> Result<Self, ScimError> {
        let Value::Object(mut object) = body else {
            return Err(syntax("a BulkRequest body must be a JSON object"));
        };
        require_message_schema(
            take_key(&mut object, "schemas").as_ref(),
            BULK_REQUEST_SCHEMA,
        )?;
        let fail_on_errors = match take_key(&mut object, "failOnErrors") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .and_then(|limit| usize::try_from(limit).ok())
                    .filter(|limit| *limit >= 1)
                    .ok_or_else(|| invalid("'failOnErrors' must be an integer of at least 1"))?,
            ),
        };
        let Some(Value::Array(raw)) = take_key(&mut object, "Operations") else {
            return Err(syntax("'Operations' must be an array"));
        };
        let operations = raw
            .into_iter()
            .map(parse_operation)
            .collect::<Result<Vec<_>, _>>()?;
        check_bulk_ids(&operations)?;
        Ok(Self {
            fail_on_errors,
            operations,
        })
    }
}

fn parse_operation(raw: Value) -> Result<BulkOperation, ScimError> {
    let Value::Object(mut raw) = raw else {
        return Err(syntax("each bulk operation must be a JSON object"));
    };
    let method = text(&mut raw, "method")?
        .as_deref()
        .and_then(BulkMethod::from_word)
        .ok_or_else(|| syntax("'method' must be \"POST\", \"PUT\", \"PATCH\" or \"DELETE\""))?;
    let path = text(&mut raw, "path")?.ok_or_else(|| syntax("each operation needs a 'path'"))?;
    let bulk_id = text(&mut raw, "bulkId")?;
    if method == BulkMethod::Post && bulk_id.is_none() {
        return Err(invalid("a POST operation needs a 'bulkId' (RFC 7644 §3.7)"));
    }
    Ok(BulkOperation {
        method,
        bulk_id,
        path,
        version: text(&mut raw, "version")?,
        data: take_key(&mut raw, "data").filter(|data| !data.is_null()),
    })
}

fn text(object: &mut Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match take_key(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(syntax(&format!("'{name}' must be a string"))),
    }
}

/// RFC 7644 §3.7: a bulkId is unique within a request, or references would be ambiguous.
fn check_bulk_ids(operations: &[BulkOperation]) -> Result<(), ScimError> {
    let mut seen = HashSet::new();
    for bulk_id in operations.iter().filter_map(|op| op.bulk_id.as_deref()) {
        if !seen.insert(bulk_id) {
            return Err(invalid(&format!("bulkId {bulk_id:?} is used twice")));
        }
    }
    Ok(())
}

/// The resource type and id (if any) that an operation's `path` names: `/Users`,
/// `/Groups/{id}`, ... Anything else is 404, as the same path would be on its own.
pub fn parse_bulk_path(path: &str) -> Result<(ResourceKind, Option<&str>), ScimError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (endpoint, id) = match trimmed.split_once('/') {
        Some((endpoint, id)) => (endpoint, Some(id)),
        None => (trimmed, None),
    };
    let kind = match endpoint {
        "Users" => ResourceKind::User,
        "Groups" => ResourceKind::Group,
        _ => return Err(ScimError::not_found(format!("no SCIM endpoint at {path}"))),
    };
    if id.is_some_and(|id| id.is_empty() || id.contains('/')) {
        return Err(ScimError::not_found(format!("no SCIM endpoint at {path}")));
    }
    Ok((kind, id))
}

/// The ids of the resources that earlier operations of one request created, by bulkId.
#[derive(Debug, Clone, Default)]
pub struct BulkIds {
    ids: HashMap<String, String>,
}

impl BulkIds {
    pub fn insert(&mut self, bulk_id: &str, id: &str) {
        self.ids.insert(bulk_id.to_owned(), id.to_owned());
    }

    /// `path` with a `bulkId:<bulkId>` id replaced by the resource's id.
    pub fn resolve_path(&self, path: &str) -> Result<String, ScimError> {
        match path.rsplit_once('/') {
            Some((endpoint, last)) => Ok(format!("{endpoint}/{}", self.resolve_text(last)?)),
            None => Ok(path.to_owned()),
        }
    }

    /// Replaces every string of `data` (at any depth) that is a `bulkId:<bulkId>` reference
    /// by the id of the resource that bulkId created; other strings stay as they are.
    pub fn resolve_data(&self, data: &mut Value) -> Result<(), ScimError> {
        match data {
            Value::String(text) => {
                *text = self.resolve_text(text)?;
                Ok(())
            }
            Value::Array(values) => values
                .iter_mut()
                .try_for_each(|value| self.resolve_data(value)),
            Value::Object(object) => object
                .values_mut()
                .try_for_each(|value| self.resolve_data(value)),
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }

    /// RFC 7644 §3.7.1 lets a server answer 409 for references it does not resolve; here
    /// that is a bulkId of a later operation (they run in order), of a failed one, or of
    /// none at all.
    fn resolve_text(&self, text: &str) -> Result<String, ScimError> {
        let Some(bulk_id) = text.strip_prefix(REFERENCE_PREFIX) else {
            return Ok(text.to_owned());
        };
        self.ids.get(bulk_id).cloned().ok_or_else(|| {
            let detail = format!(
                "{text:?} names no resource created by an earlier, successful operation of \
                 this request"
            );
            ScimError::new(409, None, detail)
        })
    }
}

fn syntax(detail: &str) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

fn invalid(detail: &str) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

#[cfg(test)]
mod tests;
