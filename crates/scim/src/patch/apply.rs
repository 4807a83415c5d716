//! Applying one PATCH operation to a working copy of the attributes.
//!
//! Values are normalised against the schema *before* they are merged, so that comparisons
//! (de-duplication on add, value filters) see the same canonical shape as stored data.

use serde_json::{Map, Value};

use super::target::{self, AttributeTarget, Target};
use super::{PatchOp, PatchOperation, invalid_value, selected};
use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, ENTERPRISE_USER_SCHEMA, ResourceKind, SchemaPart};
use crate::user::{normalize_element, normalize_elements};

pub(super) fn apply_operation(
    kind: ResourceKind,
    document: &mut Map<String, Value>,
    operation: &PatchOperation,
) -> Result<(), ScimError> {
    let value = operation.value.as_ref();
    match &operation.path {
        Some(path) => apply_to(document, operation.op, &target::resolve(kind, path)?, value),
        None => apply_value_object(kind, document, operation.op, value),
    }
}

/// A no-path add or replace: each key of the value object is a target of its own (RFC 7644
/// §3.5.2.1). Keys may be paths, as Entra ID sends `{"name.givenName": "A"}`.
fn apply_value_object(
    kind: ResourceKind,
    document: &mut Map<String, Value>,
    op: PatchOp,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Some(Value::Object(object)) = value else {
        return Err(invalid_value(
            "without a 'path', 'value' must be an object of attributes",
        ));
    };
    for (key, value) in object {
        if restates_read_only(kind, document, key, value) {
            continue;
        }
        apply_to(document, op, &target::resolve_key(kind, key)?, Some(value))?;
    }
    Ok(())
}

/// Okta renames a group with `{"op": "replace", "value": {"id": "<its id>", "displayName":
/// ...}}`. Restating a read-only attribute's current value modifies nothing, so it is not a
/// mutability error; any other value for it still is.
fn restates_read_only(
    kind: ResourceKind,
    document: &Map<String, Value>,
    key: &str,
    value: &Value,
) -> bool {
    kind.core()
        .attribute(key)
        .is_some_and(|def| def.is_read_only() && document.get(def.name) == Some(value))
}

fn apply_to(
    document: &mut Map<String, Value>,
    op: PatchOp,
    target: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match target {
        Target::Extension => apply_to_extension(document, op, value),
        Target::Attribute(target) => in_part(document, target.part, |container| {
            apply_to_attribute(container, op, target, value)
        }),
    }
}

fn apply_to_extension(
    document: &mut Map<String, Value>,
    op: PatchOp,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if op == PatchOp::Remove {
        document.remove(ENTERPRISE_USER_SCHEMA);
        return Ok(());
    }
    let Some(Value::Object(object)) = value else {
        return Err(invalid_value(format!(
            "'{ENTERPRISE_USER_SCHEMA}' must be an object"
        )));
    };
    in_part(document, SchemaPart::Enterprise, |container| {
        for (key, value) in object {
            let def = SchemaPart::Enterprise.attribute(key).ok_or_else(|| {
                target::invalid_path(format!(
                    "unknown attribute '{ENTERPRISE_USER_SCHEMA}:{key}'"
                ))
            })?;
            target::check_writable(def, key)?;
            let target = AttributeTarget {
                part: SchemaPart::Enterprise,
                def,
                sub: None,
                filter: None,
            };
            apply_to_attribute(container, op, &target, Some(value))?;
        }
        Ok(())
    })
}

/// Runs `change` on the map that holds `part`'s attributes: the document itself for the core
/// schema, the extension object otherwise (created on demand, dropped when left empty).
fn in_part(
    document: &mut Map<String, Value>,
    part: SchemaPart,
    change: impl FnOnce(&mut Map<String, Value>) -> Result<(), ScimError>,
) -> Result<(), ScimError> {
    if !part.is_extension() {
        return change(document);
    }
    let mut extension = take_object(document, ENTERPRISE_USER_SCHEMA);
    change(&mut extension)?;
    put_object(document, ENTERPRISE_USER_SCHEMA, extension);
    Ok(())
}

fn apply_to_attribute(
    container: &mut Map<String, Value>,
    op: PatchOp,
    target: &AttributeTarget<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let def = target.def;
    match (target.filter, target.sub) {
        (Some(filter), sub) => selected::apply_filtered(container, op, def, filter, sub, value),
        (None, Some(sub)) if def.multi_valued => {
            selected::apply_to_all(container, op, def, sub, value)
        }
        (None, Some(sub)) => apply_to_sub(container, op, def, sub, value),
        (None, None) if op == PatchOp::Remove => remove_whole(container, def, value),
        (None, None) if def.multi_valued => add_or_replace_elements(container, op, def, value),
        (None, None) if def.attr_type == AttrType::Complex => merge_complex(container, def, value),
        (None, None) => set_simple(container, def, value),
    }
}

/// A remove without a filter. With a value on a multi-valued attribute, only the listed values
/// are removed (Entra ID removes group members this way); otherwise the attribute goes.
fn remove_whole(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Some(listed) = value.filter(|_| def.multi_valued) else {
        container.remove(def.name);
        return Ok(());
    };
    let listed = elements_of(def, listed)?;
    let mut elements = take_elements(container, def.name);
    elements.retain(|element| !listed.iter().any(|wanted| contains_all(element, wanted)));
    put_elements(container, def.name, elements);
    Ok(())
}

fn contains_all(element: &Value, wanted: &Value) -> bool {
    match (element, wanted) {
        (Value::Object(element), Value::Object(wanted)) => wanted
            .iter()
            .all(|(key, value)| element.get(key) == Some(value)),
        _ => element == wanted,
    }
}

/// Add appends the values not already present; replace substitutes the whole list.
fn add_or_replace_elements(
    container: &mut Map<String, Value>,
    op: PatchOp,
    def: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let new = match value {
        Some(value) => elements_of(def, value)?,
        None => Vec::new(),
    };
    if op == PatchOp::Replace {
        // Okta clears a group with `"value": []`: the old values must go even then.
        container.remove(def.name);
        put_elements(container, def.name, new);
        return Ok(());
    }
    let mut elements = take_elements(container, def.name);
    let mut added = Vec::new();
    for element in new {
        if !elements.contains(&element) {
            added.push(elements.len());
            elements.push(element);
        }
    }
    selected::settle_primary(&mut elements, &added);
    put_elements(container, def.name, elements);
    Ok(())
}

/// The values of a multi-valued attribute from a PATCH value. A lone object is accepted as a
/// one-element list, which several clients send.
fn elements_of(def: &AttributeDef, value: &Value) -> Result<Vec<Value>, ScimError> {
    let elements = match value {
        Value::Array(elements) => elements.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    normalize_elements(def, elements, def.name)
}

/// Add and replace on a single-valued complex attribute both set the given sub-attributes and
/// keep the others (RFC 7644 §3.5.2.1 and §3.5.2.3). A null value unassigns the attribute.
fn merge_complex(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let value = match value.cloned().unwrap_or(Value::Null) {
        Value::Null => {
            container.remove(def.name);
            return Ok(());
        }
        // Entra ID sets the enterprise `manager` to the manager's id as a bare string.
        Value::String(id) if def.sub_attribute("value").is_some() => {
            Value::Object(Map::from_iter([("value".to_owned(), Value::String(id))]))
        }
        value => value,
    };
    let Some(Value::Object(given)) = normalize_element(def, value, def.name)? else {
        return Ok(());
    };
    let mut object = take_object(container, def.name);
    object.extend(given);
    put_object(container, def.name, object);
    Ok(())
}

fn set_simple(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let value = value.cloned().unwrap_or(Value::Null);
    match normalize_element(def, value, def.name)? {
        Some(value) => container.insert(def.name.to_owned(), value),
        None => container.remove(def.name),
    };
    Ok(())
}

/// `name.givenName` and the like: one sub-attribute of a single-valued complex attribute.
fn apply_to_sub(
    container: &mut Map<String, Value>,
    op: PatchOp,
    def: &AttributeDef,
    sub: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let mut object = take_object(container, def.name);
    let path = format!("{}.{}", def.name, sub.name);
    let given = match op {
        PatchOp::Remove => None,
        PatchOp::Add | PatchOp::Replace => {
            normalize_element(sub, value.cloned().unwrap_or(Value::Null), &path)?
        }
    };
    match given {
        Some(given) => object.insert(sub.name.to_owned(), given),
        None => object.remove(sub.name),
    };
    put_object(container, def.name, object);
    Ok(())
}

fn take_object(container: &mut Map<String, Value>, name: &str) -> Map<String, Value> {
    match container.remove(name) {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

fn put_object(container: &mut Map<String, Value>, name: &str, object: Map<String, Value>) {
    if !object.is_empty() {
        container.insert(name.to_owned(), Value::Object(object));
    }
}

pub(super) fn take_elements(container: &mut Map<String, Value>, name: &str) -> Vec<Value> {
    match container.remove(name) {
        Some(Value::Array(elements)) => elements,
        _ => Vec::new(),
    }
}

pub(super) fn put_elements(container: &mut Map<String, Value>, name: &str, elements: Vec<Value>) {
    if !elements.is_empty() {
        container.insert(name.to_owned(), Value::Array(elements));
    }
}
