//! Operations on the values of a multi-valued attribute that a value filter selects
//! (`emails[type eq "work"]`, optionally `.value`), and the `primary` rule that goes with them.

use serde_json::{Map, Value};

use super::apply::{put_elements, take_elements};
use super::{PatchOp, invalid_value, matching};
use crate::error::{ScimError, ScimType};
use crate::filter::{CompValue, CompareOp, Filter};
use crate::schema::AttributeDef;
use crate::user::{is_primary, normalize_element};

pub(super) fn apply_filtered(
    container: &mut Map<String, Value>,
    op: PatchOp,
    def: &AttributeDef,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let mut elements = take_elements(container, def.name);
    let mut chosen: Vec<usize> = (0..elements.len())
        .filter(|&index| {
            elements
                .get(index)
                .is_some_and(|e| matching::matches(def, filter, e))
        })
        .collect();
    match op {
        // RFC 7644 §3.5.2.2 does not make a remove that matches nothing an error.
        PatchOp::Remove => remove_selected(&mut elements, &chosen, sub),
        PatchOp::Replace if chosen.is_empty() => return Err(no_target(def, filter)),
        PatchOp::Replace => {
            update_selected(&mut elements, &chosen, def, sub, value, Update::Replace)?
        }
        PatchOp::Add => {
            if chosen.is_empty() {
                // Entra ID adds `emails[type eq "work"].value` for a user without a work
                // email, expecting the element to be created from the filter's equalities.
                elements.push(element_from_equalities(def, filter)?);
                chosen.push(elements.len() - 1);
            }
            update_selected(&mut elements, &chosen, def, sub, value, Update::Merge)?;
        }
    }
    settle_primary(&mut elements, &chosen);
    put_elements(container, def.name, elements);
    Ok(())
}

/// A sub-attribute path on a multi-valued attribute without a filter (`emails.display`)
/// applies to every value.
pub(super) fn apply_to_all(
    container: &mut Map<String, Value>,
    op: PatchOp,
    def: &AttributeDef,
    sub: &AttributeDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let mut elements = take_elements(container, def.name);
    let chosen: Vec<usize> = (0..elements.len()).collect();
    if op != PatchOp::Remove && chosen.is_empty() {
        let detail = format!("'{}' has no values to set '{}' on", def.name, sub.name);
        return Err(ScimError::bad_request(ScimType::NoTarget, detail));
    }
    match op {
        PatchOp::Remove => remove_selected(&mut elements, &chosen, Some(sub)),
        PatchOp::Add | PatchOp::Replace => {
            update_selected(&mut elements, &chosen, def, Some(sub), value, Update::Merge)?;
        }
    }
    settle_primary(&mut elements, &chosen);
    put_elements(container, def.name, elements);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Update {
    /// Replace a selected value wholesale (replace without a sub-attribute).
    Replace,
    /// Set only the given sub-attributes.
    Merge,
}

fn update_selected(
    elements: &mut [Value],
    chosen: &[usize],
    def: &AttributeDef,
    sub: Option<&AttributeDef>,
    value: Option<&Value>,
    update: Update,
) -> Result<(), ScimError> {
    let value = value.cloned().unwrap_or(Value::Null);
    let given = match sub {
        Some(sub) => {
            let path = format!("{}.{}", def.name, sub.name);
            let mut object = Map::new();
            if let Some(normalized) = normalize_element(sub, value, &path)? {
                object.insert(sub.name.to_owned(), normalized);
            }
            object
        }
        None => match normalize_element(def, value, def.name)? {
            Some(Value::Object(object)) => object,
            _ => {
                return Err(invalid_value(format!(
                    "a value of '{}' must be an object",
                    def.name
                )));
            }
        },
    };
    let wholesale = update == Update::Replace && sub.is_none();
    for (index, element) in elements.iter_mut().enumerate() {
        if !chosen.contains(&index) {
            continue;
        }
        if wholesale || !element.is_object() {
            *element = Value::Object(Map::new());
        }
        let Some(fields) = element.as_object_mut() else {
            continue;
        };
        // A null for a sub-attribute unassigns it.
        if let (Some(sub), true) = (sub, given.is_empty()) {
            fields.remove(sub.name);
        }
        fields.extend(given.clone());
    }
    Ok(())
}

fn remove_selected(elements: &mut Vec<Value>, chosen: &[usize], sub: Option<&AttributeDef>) {
    let Some(sub) = sub else {
        let mut index = 0;
        elements.retain(|_| {
            index += 1;
            !chosen.contains(&(index - 1))
        });
        return;
    };
    for (index, element) in elements.iter_mut().enumerate() {
        if let (true, Some(fields)) = (chosen.contains(&index), element.as_object_mut()) {
            fields.remove(sub.name);
        }
    }
    elements.retain(|element| element.as_object().is_none_or(|fields| !fields.is_empty()));
}

/// A new value built from `type eq "work" and ...`; any other filter cannot say what to create.
fn element_from_equalities(def: &AttributeDef, filter: &Filter) -> Result<Value, ScimError> {
    let mut fields = Map::new();
    if !collect_equalities(def, filter, &mut fields) {
        return Err(no_target(def, filter));
    }
    Ok(Value::Object(fields))
}

fn collect_equalities(
    def: &AttributeDef,
    filter: &Filter,
    fields: &mut Map<String, Value>,
) -> bool {
    match filter {
        Filter::And(left, right) => {
            collect_equalities(def, left, fields) && collect_equalities(def, right, fields)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => {
            let Some(sub) = def.sub_attribute(&path.name) else {
                return false;
            };
            let value = match value {
                CompValue::String(text) => Value::from(text.as_str()),
                CompValue::Number(number) => Value::Number(number.clone()),
                CompValue::Bool(flag) => Value::Bool(*flag),
                CompValue::Null => return false,
            };
            fields.insert(sub.name.to_owned(), value);
            true
        }
        _ => false,
    }
}

/// When an operation made one of the `chosen` values primary, the others stop being primary
/// (RFC 7643 §2.4 allows only one). If several chosen values are primary, the final validation
/// rejects the request.
pub(super) fn settle_primary(elements: &mut [Value], chosen: &[usize]) {
    let chosen_primary = chosen
        .iter()
        .any(|&index| elements.get(index).is_some_and(is_primary));
    if !chosen_primary {
        return;
    }
    for (index, element) in elements.iter_mut().enumerate() {
        if !chosen.contains(&index)
            && is_primary(element)
            && let Some(fields) = element.as_object_mut()
        {
            fields.insert("primary".to_owned(), Value::Bool(false));
        }
    }
}

fn no_target(def: &AttributeDef, filter: &Filter) -> ScimError {
    let detail = format!("no value of '{}' matches the filter [{filter}]", def.name);
    ScimError::bad_request(ScimType::NoTarget, detail)
}
