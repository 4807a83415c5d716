//! Resolution of a PATCH path against the schema of the resource being patched: which
//! attribute, in which part of the resource, and whether the client may change it.

use crate::error::{ScimError, ScimType};
use crate::filter::{Filter, PatchPath};
use crate::schema::{AttributeDef, Mutability, ResourceKind, SchemaPart};

use super::matching;

/// What a PATCH path designates.
#[derive(Debug)]
pub(super) enum Target<'p> {
    /// The whole Enterprise User extension object, named by its bare URN.
    Extension,
    Attribute(AttributeTarget<'p>),
}

/// An attribute, optionally narrowed to a sub-attribute and/or to the values a filter selects.
#[derive(Debug)]
pub(super) struct AttributeTarget<'p> {
    pub(super) part: SchemaPart,
    pub(super) def: &'static AttributeDef,
    pub(super) sub: Option<&'static AttributeDef>,
    pub(super) filter: Option<&'p Filter>,
}

pub(super) fn resolve(kind: ResourceKind, path: &PatchPath) -> Result<Target<'_>, ScimError> {
    let attr = &path.attr;
    if let Some(schema) = &attr.schema {
        // `urn:...:enterprise:2.0:User` splits as schema `urn:...:2.0` and name `User`.
        let whole = format!("{schema}:{}", attr.name);
        if kind
            .part_from_urn(&whole)
            .is_some_and(SchemaPart::is_extension)
        {
            return match (&attr.sub, &path.filter) {
                (None, None) => Ok(Target::Extension),
                _ => Err(invalid_path(format!("'{path}' is not an attribute path"))),
            };
        }
    }
    let part = match &attr.schema {
        None => kind.core(),
        Some(urn) => kind
            .part_from_urn(urn)
            .ok_or_else(|| invalid_path(format!("unknown schema '{urn}' in path '{path}'")))?,
    };
    let def = part.attribute(&attr.name).ok_or_else(|| {
        invalid_path(format!(
            "unknown attribute '{}' in path '{path}'",
            attr.name
        ))
    })?;
    check_writable(def, &path.to_string())?;
    let sub = match &attr.sub {
        None => None,
        Some(name) => Some(resolve_sub(def, name, path)?),
    };
    let filter = path.filter.as_ref();
    if let Some(filter) = filter {
        if !def.multi_valued {
            return Err(invalid_path(format!(
                "'{}' is not multi-valued; it takes no filter",
                def.name
            )));
        }
        matching::check(def, filter)?;
    }
    Ok(Target::Attribute(AttributeTarget {
        part,
        def,
        sub,
        filter,
    }))
}

/// Resolves one key of a no-path add/replace value, which Entra ID may write as a path
/// (`name.givenName`, `urn:...:User:department`).
pub(super) fn resolve_key(kind: ResourceKind, key: &str) -> Result<Target<'static>, ScimError> {
    let path = crate::filter::parse_patch_path(key)?;
    if path.filter.is_some() {
        // FIXME: value-filter keys inside a no-path value object are not supported.
        return Err(invalid_path(format!(
            "'{key}' cannot be used as a key of a value object"
        )));
    }
    Ok(match resolve(kind, &path)? {
        Target::Extension => Target::Extension,
        Target::Attribute(AttributeTarget { part, def, sub, .. }) => {
            Target::Attribute(AttributeTarget {
                part,
                def,
                sub,
                filter: None,
            })
        }
    })
}

fn resolve_sub(
    def: &'static AttributeDef,
    name: &str,
    path: &PatchPath,
) -> Result<&'static AttributeDef, ScimError> {
    let sub = def
        .sub_attribute(name)
        .ok_or_else(|| invalid_path(format!("unknown sub-attribute '{name}' in path '{path}'")))?;
    check_writable(sub, &path.to_string())?;
    Ok(sub)
}

pub(super) fn check_writable(def: &AttributeDef, path: &str) -> Result<(), ScimError> {
    match def.mutability {
        Mutability::ReadOnly => Err(ScimError::bad_request(
            ScimType::Mutability,
            format!("'{path}' is read-only"),
        )),
        // Parsing takes password operations out; any other write-only use is a bad path.
        Mutability::WriteOnly => Err(invalid_path(format!("'{path}' cannot be patched this way"))),
        Mutability::ReadWrite | Mutability::Immutable => Ok(()),
    }
}

pub(super) fn invalid_path(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidPath, detail)
}
