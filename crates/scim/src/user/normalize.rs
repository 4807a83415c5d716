//! Type-checks and canonicalises attribute values against the schema table.
//!
//! Shared by the User body parser and the PATCH engine, so a value reaches storage in the same
//! shape whichever door it came through: canonical key spelling, JSON booleans, no nulls.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::schema::{AttrType, AttributeDef, ENTERPRISE_USER_SCHEMA, Mutability, SchemaPart};

fn invalid(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

/// Canonicalises every key of a core-schema or extension object. Read-only attributes are
/// dropped (RFC 7644 §3.5.1 says a client's values for them are ignored); unknown ones are an
/// error so that a typo never silently loses data.
pub(crate) fn normalize_object(
    part: SchemaPart,
    object: Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    let mut normalized = Map::new();
    let mut seen: Vec<&'static str> = Vec::new();
    for (key, value) in object {
        let (canonical, value) = normalize_entry(part, &key, value)?;
        if seen.contains(&canonical) {
            return Err(invalid(format!(
                "attribute '{canonical}' is given more than once"
            )));
        }
        seen.push(canonical);
        if let Some(value) = value {
            normalized.insert(canonical.to_owned(), value);
        }
    }
    Ok(normalized)
}

fn normalize_entry(
    part: SchemaPart,
    key: &str,
    value: Value,
) -> Result<(&'static str, Option<Value>), ScimError> {
    if part == SchemaPart::Core && key.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
        return Ok((ENTERPRISE_USER_SCHEMA, normalize_extension(value)?));
    }
    let def = part
        .attribute(key)
        .ok_or_else(|| invalid(format!("unknown attribute '{key}'")))?;
    match def.mutability {
        Mutability::ReadOnly => Ok((def.name, None)),
        Mutability::WriteOnly => Err(invalid(format!(
            "write-only attribute '{}' cannot be stored with the other attributes",
            def.name
        ))),
        Mutability::ReadWrite | Mutability::Immutable => {
            Ok((def.name, normalize_value(def, value, def.name)?))
        }
    }
}

/// The enterprise extension object; `None` when it is null or ends up empty, so that an empty
/// object does not make the resource claim the extension schema.
pub(crate) fn normalize_extension(value: Value) -> Result<Option<Value>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(object) => {
            let normalized = normalize_object(SchemaPart::Enterprise, object)?;
            Ok((!normalized.is_empty()).then_some(Value::Object(normalized)))
        }
        _ => Err(invalid(format!(
            "'{ENTERPRISE_USER_SCHEMA}' must be an object"
        ))),
    }
}

/// A whole attribute value: an array for multi-valued attributes. `None` means unassigned
/// (null, an empty array or an empty complex value, RFC 7643 §2.5).
pub(crate) fn normalize_value(
    def: &AttributeDef,
    value: Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if !def.multi_valued {
        return normalize_element(def, value, path);
    }
    let elements = match value {
        Value::Null => return Ok(None),
        Value::Array(elements) => elements,
        _ => return Err(invalid(format!("attribute '{path}' must be an array"))),
    };
    let normalized = normalize_elements(def, elements, path)?;
    check_single_primary(&normalized, path)?;
    Ok((!normalized.is_empty()).then_some(Value::Array(normalized)))
}

/// Elements of a multi-valued attribute, each checked like a single value; null elements are
/// rejected because an array slot has no "unassigned" meaning.
pub(crate) fn normalize_elements(
    def: &AttributeDef,
    elements: Vec<Value>,
    path: &str,
) -> Result<Vec<Value>, ScimError> {
    let mut normalized = Vec::with_capacity(elements.len());
    for element in elements {
        if element.is_null() {
            return Err(invalid(format!("attribute '{path}' must not contain null")));
        }
        if let Some(element) = normalize_element(def, element, path)? {
            normalized.push(element);
        }
    }
    Ok(normalized)
}

/// One value of `def`, ignoring whether it is multi-valued: a single-valued attribute's value
/// or one element of a multi-valued one.
pub(crate) fn normalize_element(
    def: &AttributeDef,
    value: Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    match (def.attr_type, value) {
        (_, Value::Null) => Ok(None),
        (AttrType::Complex, Value::Object(object)) => {
            let normalized = normalize_complex(def, object, path)?;
            Ok((!normalized.is_empty()).then_some(Value::Object(normalized)))
        }
        (AttrType::Complex, _) => Err(invalid(format!("attribute '{path}' must be an object"))),
        (_, value) => normalize_scalar(def, value, path).map(Some),
    }
}

fn normalize_complex(
    def: &AttributeDef,
    object: Map<String, Value>,
    path: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut normalized = Map::new();
    let mut seen: Vec<&'static str> = Vec::new();
    for (key, value) in object {
        let sub = def
            .sub_attribute(&key)
            .ok_or_else(|| invalid(format!("unknown attribute '{path}.{key}'")))?;
        if seen.contains(&sub.name) {
            return Err(invalid(format!(
                "attribute '{path}.{}' is given twice",
                sub.name
            )));
        }
        seen.push(sub.name);
        if sub.is_read_only() {
            continue;
        }
        let sub_path = format!("{path}.{}", sub.name);
        if let Some(value) = normalize_element(sub, value, &sub_path)? {
            normalized.insert(sub.name.to_owned(), value);
        }
    }
    Ok(normalized)
}

/// A non-complex value. Booleans also accept the strings "true"/"false" in any case, because
/// Microsoft Entra ID sends `"False"` for `active`.
pub(crate) fn normalize_scalar(
    def: &AttributeDef,
    value: Value,
    path: &str,
) -> Result<Value, ScimError> {
    let wrong_type = |expected: &str| invalid(format!("attribute '{path}' must be {expected}"));
    match (def.attr_type, value) {
        (AttrType::Boolean, Value::Bool(flag)) => Ok(Value::Bool(flag)),
        (AttrType::Boolean, Value::String(text)) => parse_bool_text(&text)
            .map(Value::Bool)
            .ok_or_else(|| wrong_type("a boolean")),
        (AttrType::Boolean, _) => Err(wrong_type("a boolean")),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        (AttrType::Integer, _) => Err(wrong_type("an integer")),
        (AttrType::Decimal, Value::Number(n)) => Ok(Value::Number(n)),
        (AttrType::Decimal, _) => Err(wrong_type("a number")),
        (AttrType::DateTime, Value::String(text)) if looks_like_date_time(&text) => {
            Ok(Value::String(text))
        }
        (AttrType::DateTime, _) => Err(wrong_type("an xsd:dateTime string")),
        (AttrType::Binary, Value::String(text)) if looks_like_base64(&text) => {
            Ok(Value::String(text))
        }
        (AttrType::Binary, _) => Err(wrong_type("a base64 string")),
        (AttrType::String | AttrType::Reference, Value::String(text)) => Ok(Value::String(text)),
        (AttrType::String | AttrType::Reference | AttrType::Complex, _) => {
            Err(wrong_type("a string"))
        }
    }
}

pub(crate) fn parse_bool_text(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// RFC 7643 §2.4 requires at most one element with `"primary": true`.
pub(crate) fn check_single_primary(elements: &[Value], path: &str) -> Result<(), ScimError> {
    let primaries = elements
        .iter()
        .filter(|element| is_primary(element))
        .count();
    if primaries > 1 {
        return Err(invalid(format!(
            "attribute '{path}' has more than one primary value"
        )));
    }
    Ok(())
}

pub(crate) fn is_primary(element: &Value) -> bool {
    element.get("primary") == Some(&Value::Bool(true))
}

/// A shape check of `YYYY-MM-DDThh:mm:ss` at the start; full calendar validation would need a
/// time crate, which this crate deliberately does not depend on.
fn looks_like_date_time(text: &str) -> bool {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let bytes = text.as_bytes();
    bytes.len() >= shape.len()
        && shape
            .iter()
            .zip(bytes)
            .all(|(expected, actual)| match expected {
                b'd' => actual.is_ascii_digit(),
                b'T' => actual.eq_ignore_ascii_case(&b'T'),
                other => other == actual,
            })
}

fn looks_like_base64(text: &str) -> bool {
    text.bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"+/=-_\r\n".contains(&byte))
}
