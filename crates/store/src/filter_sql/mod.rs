//! The translation of a SCIM filter tree (RFC 7644 §3.4.2.2) into a condition over the
//! `users` or `groups` projection.
//!
//! Attribute names are resolved through the schema table, so only canonical names reach the
//! SQL text, and every literal travels as a bind parameter. What cannot be translated is
//! refused with [`StoreError::UnsupportedQuery`] (400 `invalidFilter`), never ignored.
//!
//! A multi-valued attribute matches when any of its elements does (`emails.value co "x"`,
//! `emails[type eq "work"]`), except `ne`, which holds when no element equals the value, so
//! that `ne` stays the negation of `eq` as it is for singular attributes (where `ne` also
//! matches users that lack the attribute).

mod compare;
mod target;

use usertrail_scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use usertrail_scim::schema::{AttributeDef, ResourceKind, resolve_attribute_in};

use crate::StoreError;
use crate::sql::Params;
pub(crate) use compare::escape_like;
use compare::{compare_leaf, null_comparison};
pub(crate) use target::{ELEMENT, Kind, Leaf, Target, resolve};
use target::{GROUP_MEMBERS_JSON, USER_GROUPS_JSON};
use target::{Whole, element_leaf};

/// Translates `filter` into a condition on `users`, adding its values to `params`.
#[cfg(test)]
pub(crate) fn user_filter_sql(filter: &Filter, params: &mut Params) -> Result<String, StoreError> {
    filter_sql(ResourceKind::User, filter, params)
}

/// Translates `filter` into a condition on the projection of `kind` (`users` or `groups`),
/// adding its values to `params`.
pub(crate) fn filter_sql(
    kind: ResourceKind,
    filter: &Filter,
    params: &mut Params,
) -> Result<String, StoreError> {
    translate(filter, &Scope::Resource(kind), params)
}

/// What the attribute names of a filter refer to.
enum Scope<'a> {
    /// The resource itself.
    Resource(ResourceKind),
    /// Inside `attr[...]`: sub-attributes of `def`, found in the JSON object `container`.
    Value {
        def: &'static AttributeDef,
        container: &'a str,
    },
}

impl Scope<'_> {
    fn resolve(&self, path: &AttrPath) -> Result<Target, StoreError> {
        match self {
            Scope::Resource(kind) => {
                let (schema, sub) = (path.schema.as_deref(), path.sub.as_deref());
                let resolved = resolve_attribute_in(*kind, schema, &path.name, sub)
                    .ok_or_else(|| unknown_attribute(*kind, path))?;
                resolve(resolved)
            }
            Scope::Value { def, container } => {
                if path.schema.is_some() || path.sub.is_some() {
                    return Err(StoreError::UnsupportedQuery(format!(
                        "inside {}[...] name its sub-attributes directly, e.g. {}[value eq \"x\"]",
                        def.name, def.name
                    )));
                }
                element_leaf(def, container, &path.name).map(Target::Leaf)
            }
        }
    }
}

fn translate(filter: &Filter, scope: &Scope, params: &mut Params) -> Result<String, StoreError> {
    match filter {
        Filter::And(left, right) => Ok(format!(
            "({} AND {})",
            translate(left, scope, params)?,
            translate(right, scope, params)?
        )),
        Filter::Or(left, right) => Ok(format!(
            "({} OR {})",
            translate(left, scope, params)?,
            translate(right, scope, params)?
        )),
        Filter::Not(inner) => Ok(format!(
            "(NOT COALESCE({}, false))",
            translate(inner, scope, params)?
        )),
        Filter::Present(path) => Ok(match scope.resolve(path)? {
            Target::Leaf(leaf) => leaf.present,
            Target::Whole(whole) => whole.present,
            Target::Elements { array, sub } => any_element(&array, &sub.present),
        }),
        Filter::Compare { path, op, value } => {
            compare_target(scope.resolve(path)?, *op, value, params)
        }
        Filter::ValuePath { path, filter } => match scope {
            Scope::Resource(kind) => value_path(*kind, path, filter, params),
            // The parser already refuses nested value paths; this keeps the SQL honest.
            Scope::Value { .. } => Err(StoreError::UnsupportedQuery(
                "value filters do not nest".to_owned(),
            )),
        },
    }
}

fn compare_target(
    target: Target,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    match target {
        Target::Leaf(leaf) => compare_leaf(&leaf, op, value, params),
        Target::Elements { array, sub } => compare_elements(&array, &sub, op, value, params),
        Target::Whole(whole) => compare_whole(&whole, op, value, params),
    }
}

/// A complex attribute compared as a whole: `emails co "@example.com"` compares the `value`
/// sub-attribute, which RFC 7643 §2.4 makes the element's primary content. Ordering a
/// complex value has no meaning, so it is refused.
fn compare_whole(
    whole: &Whole,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    if *value == CompValue::Null {
        return null_comparison(&whole.present, whole.def.name, op);
    }
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let has_value = whole.def.sub_attribute("value").is_some();
    let Some(json) = whole.json.as_deref().filter(|_| has_value && !ordering) else {
        let example = whole
            .def
            .sub_attributes
            .first()
            .map_or("value", |sub| sub.name);
        return Err(StoreError::UnsupportedQuery(format!(
            "{} is a complex attribute and cannot be compared with {}; compare one of its \
             sub-attributes, e.g. {}.{example}",
            whole.def.name,
            op.as_str(),
            whole.def.name
        )));
    };
    if whole.def.multi_valued {
        let sub = element_leaf(whole.def, ELEMENT, "value")?;
        compare_elements(json, &sub, op, value, params)
    } else {
        compare_leaf(&element_leaf(whole.def, json, "value")?, op, value, params)
    }
}

/// A sub-attribute of a multi-valued attribute: true when any element matches.
fn compare_elements(
    array: &str,
    sub: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    if *value == CompValue::Null {
        return null_comparison(&any_element(array, &sub.present), sub.name, op);
    }
    if let Some(indexed) = indexed_match(array, sub, op, value, params) {
        return Ok(indexed);
    }
    if op == CompareOp::Ne {
        let equal = compare_leaf(sub, CompareOp::Eq, value, params)?;
        return Ok(format!("(NOT {})", any_element(array, &equal)));
    }
    let condition = compare_leaf(sub, op, value, params)?;
    Ok(any_element(array, &condition))
}

/// `attr[filter]`: the inner filter runs against each element of a multi-valued attribute
/// (or against the one value of a singular complex attribute).
fn value_path(
    kind: ResourceKind,
    path: &AttrPath,
    inner: &Filter,
    params: &mut Params,
) -> Result<String, StoreError> {
    let not_complex = || {
        StoreError::UnsupportedQuery(format!(
            "{}[...] needs a complex attribute that has sub-attributes",
            path.name
        ))
    };
    let Target::Whole(whole) = Scope::Resource(kind).resolve(path)? else {
        return Err(not_complex());
    };
    let Some(json) = whole.json.as_deref() else {
        return Err(not_complex());
    };
    if !whole.def.multi_valued {
        let scope = Scope::Value {
            def: whole.def,
            container: json,
        };
        return translate(inner, &scope, params);
    }

    let scope = Scope::Value {
        def: whole.def,
        container: ELEMENT,
    };
    let value_equality = indexed_equality(whole.def, json, inner, params)?;
    if let Some(indexed) = &value_equality
        && !matches!(inner, Filter::And(..))
    {
        // The inner filter is exactly `value eq "..."`, which the index answers alone.
        return Ok(indexed.clone());
    }
    let exists = any_element(json, &translate(inner, &scope, params)?);
    Ok(match value_equality {
        // Necessary but not sufficient (another element may hold the value): it narrows
        // the candidates through the index, and the EXISTS decides.
        Some(indexed) => format!("({indexed} AND {exists})"),
        None => exists,
    })
}

/// For `emails[value eq "x" and ...]`: the index condition implied by a `value eq` among
/// the top-level conjuncts of the inner filter, if there is one.
fn indexed_equality(
    def: &'static AttributeDef,
    array: &str,
    inner: &Filter,
    params: &mut Params,
) -> Result<Option<String>, StoreError> {
    let mut conjuncts = vec![inner];
    while let Some(filter) = conjuncts.pop() {
        match filter {
            Filter::And(left, right) => conjuncts.extend([left.as_ref(), right.as_ref()]),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.schema.is_none() && path.sub.is_none() => {
                let sub = element_leaf(def, ELEMENT, &path.name)?;
                if let Some(indexed) = indexed_match(array, &sub, CompareOp::Eq, value, params) {
                    return Ok(Some(indexed));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// A condition an index answers, equivalent to comparing `sub` of any element of `array`.
fn indexed_match(
    array: &str,
    sub: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Option<String> {
    membership_match(array, sub, op, value, params)
        .or_else(|| lower_values_match(array, sub, op, value, params))
}

/// `members.value eq "<user id>"` on groups and `groups.value eq "<group id>"` on users, as
/// an EXISTS on `group_members` that its primary key or `group_members_user_idx` serves,
/// instead of aggregating the whole membership per row.
fn membership_match(
    array: &str,
    sub: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Option<String> {
    let (CompareOp::Eq, CompValue::String(text), "value") = (op, value, sub.name) else {
        return None;
    };
    let is_members = array == GROUP_MEMBERS_JSON;
    if !is_members && array != USER_GROUPS_JSON {
        return None;
    }
    // An id that is no UUID names no user or group, as for `id eq`.
    let Ok(id) = uuid::Uuid::parse_str(text) else {
        return Some("false".to_owned());
    };
    let id = params.push(id);
    Some(if is_members {
        format!(
            "EXISTS (SELECT 1 FROM group_members gm JOIN users u ON u.org_id = gm.org_id \
             AND u.id = gm.user_id WHERE gm.org_id = groups.org_id AND gm.group_id = groups.id \
             AND gm.user_id = {id} AND u.status <> 'deleted')"
        )
    } else {
        format!(
            "EXISTS (SELECT 1 FROM group_members gm WHERE gm.org_id = users.org_id \
             AND gm.user_id = users.id AND gm.group_id = {id})"
        )
    })
}

/// `eq`/`ne` on a case-insensitive `value` sub-attribute, as containment in the lower-cased
/// values of the array (`scim_lower_values`, migration V2). It means exactly what the EXISTS
/// form means, and for `emails` the GIN index `users_email_values_idx` serves it.
fn lower_values_match(
    array: &str,
    sub: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Option<String> {
    let CompValue::String(text) = value else {
        return None;
    };
    let case_insensitive = matches!(
        sub.kind,
        Kind::Text {
            case_exact: false,
            ..
        }
    );
    let negated = match op {
        CompareOp::Eq => false,
        CompareOp::Ne => true,
        _ => return None,
    };
    if sub.name != "value" || !case_insensitive {
        return None;
    }
    // Pushed only once the fast path is certain: an unused parameter would fail the query.
    let contains = format!(
        "(scim_lower_values({array}) @> ARRAY[lower({})])",
        params.push(text.clone())
    );
    Some(if negated {
        format!("(NOT {contains})")
    } else {
        contains
    })
}

/// True when some element of the JSON array `array` satisfies `condition`, which sees the
/// element as [`ELEMENT`].
fn any_element(array: &str, condition: &str) -> String {
    format!("EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS elem(value) WHERE {condition})")
}

fn unknown_attribute(kind: ResourceKind, path: &AttrPath) -> StoreError {
    let schema = path
        .schema
        .as_deref()
        .map(|urn| format!("{urn}:"))
        .unwrap_or_default();
    let sub = path
        .sub
        .as_deref()
        .map(|sub| format!(".{sub}"))
        .unwrap_or_default();
    let name = kind.name();
    let hint = match kind {
        ResourceKind::User => {
            "; extension attributes need their schema URN, e.g. \
             urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
        }
        ResourceKind::Group => "",
    };
    StoreError::UnsupportedQuery(format!(
        "the {name} schema has no attribute {schema}{}{sub}{hint}",
        path.name
    ))
}

#[cfg(test)]
mod tests;
