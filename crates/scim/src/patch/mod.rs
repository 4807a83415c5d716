//! SCIM PATCH (RFC 7644 §3.5.2): parsing a PatchOp body and applying it to stored attributes.
//!
//! Parsing checks everything that does not depend on the current resource, so a malformed
//! request fails before anything is loaded. Applying works on a copy and validates the result
//! like a PUT body, so a PATCH is all-or-nothing and cannot store what PUT would refuse.

mod apply;
mod matching;
mod selected;
mod target;

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::filter::{PatchPath, parse_patch_path};
use crate::schema::{PATCH_OP_SCHEMA, ResourceKind, USER_SCHEMA, require_message_schema};
use crate::user::{take_key, validate_user_attributes};

/// The kind of a PATCH operation; matched case-insensitively because Entra ID sends "Replace".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

impl PatchOp {
    fn from_word(word: &str) -> Option<Self> {
        [Self::Add, Self::Remove, Self::Replace]
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// One entry of `Operations`. `value` is present for add and replace (parsing guarantees it)
/// and optional for remove, where it lists values to take out of a multi-valued attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOp,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A parsed PatchOp request.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    operations: Vec<PatchOperation>,
    /// A password set by the request. It is taken out of the operations at parse time so that
    /// it never enters the attribute map, and therefore never the audit log.
    password: Option<String>,
}

impl PatchRequest {
    pub fn parse(body: Value) -> Result<Self, ScimError> {
        let Value::Object(mut object) = body else {
            return Err(syntax("a PatchOp body must be a JSON object"));
        };
        require_message_schema(take_key(&mut object, "schemas").as_ref(), PATCH_OP_SCHEMA)?;
        let operations = match take_key(&mut object, "Operations") {
            Some(Value::Array(operations)) if !operations.is_empty() => operations,
            _ => return Err(syntax("'Operations' must be a non-empty array")),
        };
        let mut request = Self {
            operations: Vec::new(),
            password: None,
        };
        for raw in operations {
            let operation = parse_operation(raw)?;
            if let Some(operation) = request.take_password(operation)? {
                request.operations.push(operation);
            }
        }
        Ok(request)
    }

    /// The operations that change attributes, in request order (password changes excluded).
    pub fn operations(&self) -> &[PatchOperation] {
        &self.operations
    }

    /// The new password if an operation sets one (the last one wins). Hash it before storing;
    /// a request that only sets a password leaves [`PatchRequest::apply`]'s result unchanged.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Applies every operation to a copy of `attributes` and validates the result with
    /// [`validate_user_attributes`]. On error nothing is applied. The result equals the input
    /// when the request changes nothing, which the caller uses to skip writing an event.
    pub fn apply(&self, attributes: &Map<String, Value>) -> Result<Map<String, Value>, ScimError> {
        validate_user_attributes(self.apply_in(ResourceKind::User, attributes)?)
    }

    /// Applies every operation to a copy of the attributes of a `kind` resource, resolving
    /// paths against that resource's schema. The result is not validated as a whole: the
    /// caller runs the validator of the resource type (as [`PatchRequest::apply`] does for
    /// users), so that a PATCH cannot store what PUT would refuse.
    pub fn apply_in(
        &self,
        kind: ResourceKind,
        attributes: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let mut working = attributes.clone();
        for operation in &self.operations {
            apply::apply_operation(kind, &mut working, operation)?;
        }
        Ok(working)
    }

    fn take_password(
        &mut self,
        mut operation: PatchOperation,
    ) -> Result<Option<PatchOperation>, ScimError> {
        let targets_password = operation.path.as_ref().is_some_and(is_password_path);
        if targets_password {
            if operation.op == PatchOp::Remove {
                return Err(invalid_value("'password' cannot be removed"));
            }
            self.password = Some(password_text(operation.value)?);
            return Ok(None);
        }
        if let (None, Some(Value::Object(value))) = (&operation.path, &mut operation.value)
            && let Some(password) = take_key(value, "password")
        {
            self.password = Some(password_text(Some(password))?);
        }
        Ok(Some(operation))
    }
}

fn parse_operation(raw: Value) -> Result<PatchOperation, ScimError> {
    let Value::Object(mut raw) = raw else {
        return Err(syntax("each PATCH operation must be a JSON object"));
    };
    let op = match take_key(&mut raw, "op") {
        Some(Value::String(word)) => PatchOp::from_word(&word),
        _ => None,
    }
    .ok_or_else(|| syntax("'op' must be \"add\", \"remove\" or \"replace\""))?;
    let path = match take_key(&mut raw, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(parse_patch_path(&path)?),
        Some(_) => {
            return Err(ScimError::bad_request(
                ScimType::InvalidPath,
                "'path' must be a string",
            ));
        }
    };
    let value = take_key(&mut raw, "value").filter(|value| !value.is_null());
    match (op, &path, &value) {
        (PatchOp::Remove, None, _) => Err(ScimError::bad_request(
            ScimType::NoTarget,
            "a remove operation needs a 'path'",
        )),
        (PatchOp::Add | PatchOp::Replace, _, None) => Err(invalid_value(format!(
            "a {} operation needs a 'value'",
            op.as_str()
        ))),
        _ => Ok(PatchOperation { op, path, value }),
    }
}

fn is_password_path(path: &PatchPath) -> bool {
    let core = path
        .attr
        .schema
        .as_deref()
        .is_none_or(|urn| urn.eq_ignore_ascii_case(USER_SCHEMA));
    core && path.filter.is_none()
        && path.attr.sub.is_none()
        && path.attr.name.eq_ignore_ascii_case("password")
}

fn password_text(value: Option<Value>) -> Result<String, ScimError> {
    match value {
        Some(Value::String(password)) => Ok(password),
        _ => Err(invalid_value("'password' must be a string")),
    }
}

fn syntax(detail: &str) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod tests;
