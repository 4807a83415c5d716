//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a
//! rendered resource a response carries, decided by each attribute's `returned` setting.
//!
//! The projection runs on the rendered JSON rather than on stored attributes, so that `id`,
//! `meta` and `schemas` follow the same rules as everything else.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::schema::{
    AttributeDef, AttributeReference, ResourceKind, Returned, SchemaPart,
    parse_attribute_reference_in,
};

/// The parsed `attributes` / `excludedAttributes` of one request, for one resource type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeSelection {
    kind: ResourceKind,
    mode: Mode,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Mode {
    /// Neither parameter: every attribute returned by default.
    #[default]
    Default,
    /// `attributes`: the minimum set (`returned: always`) plus what is named.
    Only(Vec<AttributeReference>),
    /// `excludedAttributes`: the default set minus what is named, except `returned: always`.
    Except(Vec<AttributeReference>),
}

/// How a request's list names one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// Not at all.
    No,
    /// As a whole: the attribute itself or its schema's URN.
    Whole,
    /// Only through some of its sub-attributes.
    Subs,
}

impl AttributeSelection {
    /// Parses the two comma-separated query parameters; an empty parameter counts as absent.
    /// Unknown attribute names are refused (400 `invalidValue`), so that a typo never returns
    /// a silently different shape; so is sending both lists, whose combination RFC 7644 leaves
    /// undefined.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        Self::parse_for(ResourceKind::User, attributes, excluded)
    }

    /// [`AttributeSelection::parse`] for a resource of `kind`, whose schema the names are
    /// resolved against.
    pub fn parse_for(
        kind: ResourceKind,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        let attributes = attributes.filter(|text| !text.trim().is_empty());
        let excluded = excluded.filter(|text| !text.trim().is_empty());
        let mode = match (attributes, excluded) {
            (None, None) => Mode::Default,
            (Some(list), None) => Mode::Only(parse_list(kind, "attributes", list)?),
            (None, Some(list)) => Mode::Except(parse_list(kind, "excludedAttributes", list)?),
            (Some(_), Some(_)) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    "send either attributes or excludedAttributes, not both",
                ));
            }
        };
        Ok(Self { kind, mode })
    }

    /// Keeps the attributes of a rendered resource that this selection returns.
    /// `schemas` always stays: a resource without it cannot be read.
    pub fn project(&self, resource: Value) -> Value {
        let Value::Object(object) = resource else {
            return resource;
        };
        let mut projected = Map::new();
        for (key, value) in object {
            let core = self.kind.core();
            let kept = if key == "schemas" {
                Some(value)
            } else if let Some(part) = self.extension(&key) {
                self.project_extension(part, value)
            } else {
                match core.attribute(&key) {
                    Some(def) => self.project_attribute(core, def, value),
                    // Rendering only emits known keys; anything else is not ours to return.
                    None => None,
                }
            };
            if let Some(value) = kept {
                projected.insert(key, value);
            }
        }
        Value::Object(projected)
    }

    /// The extension of this resource type whose URN is `key`, if it is one.
    fn extension(&self, key: &str) -> Option<SchemaPart> {
        self.kind
            .part_from_urn(key)
            .filter(|part| part.is_extension())
    }

    fn project_extension(&self, part: SchemaPart, value: Value) -> Option<Value> {
        let Value::Object(object) = value else {
            return None;
        };
        let projected: Map<String, Value> = object
            .into_iter()
            .filter_map(|(key, value)| {
                let def = part.attribute(&key)?;
                let value = self.project_attribute(part, def, value)?;
                Some((key, value))
            })
            .collect();
        (!projected.is_empty()).then_some(Value::Object(projected))
    }

    fn project_attribute(
        &self,
        part: SchemaPart,
        def: &'static AttributeDef,
        value: Value,
    ) -> Option<Value> {
        match def.returned {
            Returned::Always => return Some(value),
            Returned::Never => return None,
            Returned::Default | Returned::Request => {}
        }
        let references = match &self.mode {
            Mode::Default => return (def.returned == Returned::Default).then_some(value),
            Mode::Only(references) | Mode::Except(references) => references,
        };
        let named = naming(references, part, def);
        let subs = || named_subs(references, part, def);
        match (&self.mode, named) {
            (Mode::Only(_), Named::Whole) => Some(value),
            (Mode::Only(_), Named::Subs) => keep_subs(def, value, &|sub| {
                sub.returned == Returned::Always || subs().contains(&sub.name)
            }),
            (Mode::Except(_), _) if def.returned == Returned::Request => None,
            (Mode::Except(_), Named::No) => Some(value),
            (Mode::Except(_), Named::Subs) => keep_subs(def, value, &|sub| {
                sub.returned == Returned::Always || !subs().contains(&sub.name)
            }),
            (Mode::Only(_), Named::No) | (Mode::Except(_), Named::Whole) | (Mode::Default, _) => {
                None
            }
        }
    }
}

fn parse_list(
    kind: ResourceKind,
    parameter: &str,
    list: &str,
) -> Result<Vec<AttributeReference>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            parse_attribute_reference_in(kind, entry).ok_or_else(|| {
                ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{parameter} names an unknown attribute '{entry}'"),
                )
            })
        })
        .collect()
}

fn naming(references: &[AttributeReference], part: SchemaPart, def: &AttributeDef) -> Named {
    let mut named = Named::No;
    for reference in references {
        match reference {
            AttributeReference::Schema(schema) if *schema == part => return Named::Whole,
            AttributeReference::Attribute(resolved)
                if resolved.part == part && resolved.attribute.name == def.name =>
            {
                if resolved.sub_attribute.is_none() {
                    return Named::Whole;
                }
                named = Named::Subs;
            }
            _ => {}
        }
    }
    named
}

fn named_subs(
    references: &[AttributeReference],
    part: SchemaPart,
    def: &AttributeDef,
) -> Vec<&'static str> {
    references
        .iter()
        .filter_map(|reference| match reference {
            AttributeReference::Attribute(resolved)
                if resolved.part == part && resolved.attribute.name == def.name =>
            {
                resolved.sub_attribute.map(|sub| sub.name)
            }
            _ => None,
        })
        .collect()
}

/// Keeps the sub-attributes of a complex value of `def` (or of each element of a multi-valued
/// one) that `keep` accepts. Values left empty disappear, as an unassigned attribute would.
fn keep_subs(
    def: &AttributeDef,
    value: Value,
    keep: &impl Fn(&AttributeDef) -> bool,
) -> Option<Value> {
    match value {
        Value::Object(object) => {
            let kept: Map<String, Value> = object
                .into_iter()
                .filter(|(key, _)| def.sub_attribute(key).is_some_and(keep))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(elements) => {
            let kept: Vec<Value> = elements
                .into_iter()
                .filter_map(|element| keep_subs(def, element, keep))
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        // A simple value has no sub-attributes to choose from.
        other => Some(other),
    }
}

#[cfg(test)]
mod tests;
