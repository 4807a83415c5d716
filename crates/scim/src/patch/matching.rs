//! In-memory evaluation of a PATCH value filter (`emails[type eq "work"]`) on the values of one
//! multi-valued attribute. List queries never come here: they are translated to SQL.

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::{ScimError, ScimType};
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::schema::{AttrType, AttributeDef};
use crate::user::parse_bool_text;

/// Checks that every path in `filter` names a sub-attribute of `def` and that ordering
/// operators are not used on booleans or binaries (RFC 7644 §3.4.2.2).
pub(super) fn check(def: &AttributeDef, filter: &Filter) -> Result<(), ScimError> {
    match filter {
        Filter::Compare { path, op, .. } => {
            let sub = sub_attribute(def, path)?;
            let ordering = matches!(
                op,
                CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
            );
            if ordering && matches!(sub.attr_type, AttrType::Boolean | AttrType::Binary) {
                let detail = format!("'{op}' cannot compare the {:?} '{path}'", sub.attr_type);
                return Err(ScimError::bad_request(ScimType::InvalidFilter, detail));
            }
            Ok(())
        }
        Filter::Present(path) => sub_attribute(def, path).map(|_| ()),
        Filter::And(left, right) | Filter::Or(left, right) => {
            check(def, left)?;
            check(def, right)
        }
        Filter::Not(inner) => check(def, inner),
        Filter::ValuePath { path, .. } => Err(super::target::invalid_path(format!(
            "value filters do not nest ('{path}')"
        ))),
    }
}

fn sub_attribute(def: &AttributeDef, path: &AttrPath) -> Result<&'static AttributeDef, ScimError> {
    let found = match (&path.schema, &path.sub) {
        (None, None) => def.sub_attribute(&path.name),
        _ => None,
    };
    found.ok_or_else(|| {
        super::target::invalid_path(format!("'{path}' is not a sub-attribute of '{}'", def.name))
    })
}

/// Whether one value of the attribute `def` matches `filter`; `check` must have passed.
pub(super) fn matches(def: &AttributeDef, filter: &Filter, element: &Value) -> bool {
    match filter {
        Filter::Compare { path, op, value } => def
            .sub_attribute(&path.name)
            .is_some_and(|sub| compare(sub, element.get(sub.name), *op, value)),
        Filter::Present(path) => def
            .sub_attribute(&path.name)
            .is_some_and(|sub| is_present(element.get(sub.name))),
        Filter::And(left, right) => matches(def, left, element) && matches(def, right, element),
        Filter::Or(left, right) => matches(def, left, element) || matches(def, right, element),
        Filter::Not(inner) => !matches(def, inner, element),
        Filter::ValuePath { .. } => false,
    }
}

fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(fields)) => !fields.is_empty(),
        Some(_) => true,
    }
}

fn compare(
    sub: &AttributeDef,
    actual: Option<&Value>,
    op: CompareOp,
    expected: &CompValue,
) -> bool {
    let actual = actual.filter(|value| !value.is_null());
    let ordering = match (actual, expected) {
        (None, CompValue::Null) => Some(Ordering::Equal),
        (None, _) | (Some(_), CompValue::Null) => None,
        (Some(actual), expected) => order(sub, actual, op, expected),
    };
    match (op, ordering) {
        (CompareOp::Ne, ordering) => ordering != Some(Ordering::Equal),
        (_, None) => false,
        (CompareOp::Eq, Some(ordering)) => ordering == Ordering::Equal,
        (CompareOp::Gt, Some(ordering)) => ordering == Ordering::Greater,
        (CompareOp::Ge, Some(ordering)) => ordering != Ordering::Less,
        (CompareOp::Lt, Some(ordering)) => ordering == Ordering::Less,
        (CompareOp::Le, Some(ordering)) => ordering != Ordering::Greater,
        // Substring operators are decided in `order`, which reports Equal for a match.
        (CompareOp::Co | CompareOp::Sw | CompareOp::Ew, Some(ordering)) => {
            ordering == Ordering::Equal
        }
    }
}

/// How `actual` relates to `expected`, or `None` when they cannot be compared. For the
/// substring operators the answer is Equal when the substring test holds.
fn order(
    sub: &AttributeDef,
    actual: &Value,
    op: CompareOp,
    expected: &CompValue,
) -> Option<Ordering> {
    match (actual, expected) {
        (Value::String(actual), CompValue::String(expected)) => {
            let fold = |text: &str| {
                if sub.case_exact {
                    text.to_owned()
                } else {
                    text.to_lowercase()
                }
            };
            order_text(&fold(actual), op, &fold(expected))
        }
        (Value::Bool(actual), CompValue::Bool(expected)) => Some(actual.cmp(expected)),
        // Entra ID writes `primary eq "True"`; the value is a boolean in the schema.
        (Value::Bool(actual), CompValue::String(text)) if sub.attr_type == AttrType::Boolean => {
            parse_bool_text(text).map(|expected| actual.cmp(&expected))
        }
        (Value::Number(actual), CompValue::Number(expected)) => {
            actual.as_f64()?.partial_cmp(&expected.as_f64()?)
        }
        _ => None,
    }
}

fn order_text(actual: &str, op: CompareOp, expected: &str) -> Option<Ordering> {
    let holds = match op {
        CompareOp::Co => actual.contains(expected),
        CompareOp::Sw => actual.starts_with(expected),
        CompareOp::Ew => actual.ends_with(expected),
        _ => return Some(actual.cmp(expected)),
    };
    holds.then_some(Ordering::Equal)
}
