//! Where an attribute of a SCIM User or Group lives in its projection row (`users` or
//! `groups`): a column with its own index, a member of the `resource` JSON, or, for the
//! membership attributes (`members`, a User's `groups`), a correlated subquery over
//! `group_members`. Names are resolved case-insensitively through the schema table, and only
//! the table's canonical names, never the client's text, reach the SQL.

use usertrail_scim::schema::{
    AttrType, AttributeDef, ENTERPRISE_USER_SCHEMA, ResolvedAttribute, SchemaPart,
};

use crate::StoreError;

/// A resolved attribute path.
pub(crate) enum Target {
    /// One value per user.
    Leaf(Leaf),
    /// A complex attribute named without a sub-attribute (`name`, `emails`, `meta`).
    Whole(Whole),
    /// A sub-attribute of a multi-valued attribute (`emails.value`): one leaf per element.
    Elements { array: String, sub: Leaf },
}

pub(crate) struct Whole {
    pub def: &'static AttributeDef,
    /// The JSON value (an array when multi-valued); `None` for `meta`, which is not stored.
    pub json: Option<String>,
    pub present: String,
}

/// One value: SQL that yields it, typed per `kind`, and SQL that is true when it is assigned.
/// `present` is never NULL, so that `not` and `eq null` can negate it safely.
pub(crate) struct Leaf {
    pub value: String,
    pub kind: Kind,
    pub present: String,
    /// The canonical name, for error messages.
    pub name: &'static str,
}

/// How a leaf compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `ordered` is false for binary values, which RFC 7644 does not let filters order.
    Text { case_exact: bool, ordered: bool },
    /// A boolean column.
    Boolean,
    /// A JSON boolean; `value` is `jsonb`.
    JsonBoolean,
    /// `value` is `timestamptz`.
    DateTime,
    /// `value` is `numeric`.
    Decimal,
    /// The `id` column; `value` is `uuid`.
    Uuid,
}

/// The alias under which value paths and multi-valued comparisons see one element.
pub(crate) const ELEMENT: &str = "elem.value";

/// A Group's live members as a JSON array of `{"value": id}`, computed from `group_members`
/// for the `groups` row being filtered, so that every filter form over a multi-valued
/// attribute works on it unchanged. Deleted users are left out, as in every response.
pub(crate) const GROUP_MEMBERS_JSON: &str = "(SELECT coalesce(jsonb_agg(jsonb_build_object(\
     'value', gm.user_id::text)), '[]'::jsonb) FROM group_members gm JOIN users u \
     ON u.org_id = gm.org_id AND u.id = gm.user_id \
     WHERE gm.org_id = groups.org_id AND gm.group_id = groups.id AND u.status <> 'deleted')";

/// A User's groups as a JSON array of `{"value", "display", "type"}`, for the `users` row
/// being filtered. `group_members` only holds rows of live groups.
pub(crate) const USER_GROUPS_JSON: &str = "(SELECT coalesce(jsonb_agg(jsonb_build_object(\
     'value', gm.group_id::text, 'display', g.display_name, 'type', 'direct')), '[]'::jsonb) \
     FROM group_members gm JOIN groups g ON g.org_id = gm.org_id AND g.id = gm.group_id \
     WHERE gm.org_id = users.org_id AND gm.user_id = users.id)";

/// Resolves an attribute of a User or Group (top level, or a sub-attribute of it).
pub(crate) fn resolve(resolved: ResolvedAttribute) -> Result<Target, StoreError> {
    let def = resolved.attribute;
    if resolved.part != SchemaPart::Enterprise
        && let Some(target) = column_target(resolved.part, def, resolved.sub_attribute)?
    {
        return Ok(target);
    }
    let container = match resolved.part {
        SchemaPart::Core | SchemaPart::Group => "resource".to_owned(),
        SchemaPart::Enterprise => format!("(resource->{})", literal(ENTERPRISE_USER_SCHEMA)),
    };
    let json = match (resolved.part, def.name) {
        (SchemaPart::Group, "members") => GROUP_MEMBERS_JSON.to_owned(),
        (SchemaPart::Core, "groups") => USER_GROUPS_JSON.to_owned(),
        _ => member(&container, def.name),
    };
    json_target(container, json, def, resolved.sub_attribute)
}

fn json_target(
    container: String,
    json: String,
    def: &'static AttributeDef,
    sub_attribute: Option<&'static AttributeDef>,
) -> Result<Target, StoreError> {
    match (sub_attribute, def.multi_valued) {
        (None, _) if def.attr_type == AttrType::Complex => Ok(Target::Whole(Whole {
            def,
            present: json_present(&json),
            json: Some(json),
        })),
        (None, _) => Ok(Target::Leaf(json_leaf(&container, def))),
        (Some(sub), true) => Ok(Target::Elements {
            array: json,
            sub: json_leaf(ELEMENT, sub),
        }),
        (Some(sub), false) => Ok(Target::Leaf(json_leaf(&json, sub))),
    }
}

/// A sub-attribute of `def` as seen from `container`, one element or object of `def`; the
/// name comes from inside a value path such as `emails[type eq "work"]`.
pub(crate) fn element_leaf(
    def: &'static AttributeDef,
    container: &str,
    name: &str,
) -> Result<Leaf, StoreError> {
    let sub = def.sub_attribute(name).ok_or_else(|| {
        StoreError::UnsupportedQuery(format!("{} has no sub-attribute '{name}'", def.name))
    })?;
    Ok(json_leaf(container, sub))
}

/// Attributes with a column of their own: the indexed fast paths, and what is not in
/// `resource` at all (`id`, `meta`). `users` and `groups` share the column names of the
/// attributes they have in common.
fn column_target(
    part: SchemaPart,
    def: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
) -> Result<Option<Target>, StoreError> {
    let name = def.name;
    let text = |column: &'static str, case_exact: bool| Leaf {
        value: column.to_owned(),
        kind: Kind::Text {
            case_exact,
            ordered: true,
        },
        present: format!("COALESCE({column} <> '', false)"),
        name,
    };
    let leaf = match name {
        "id" => Leaf {
            value: "id".to_owned(),
            kind: Kind::Uuid,
            present: "true".to_owned(),
            name,
        },
        "userName" => text("user_name", false),
        "externalId" => text("external_id", true),
        "displayName" => text("display_name", false),
        // The domain reads an unset `active` as true, so every user has a value.
        "active" => Leaf {
            value: "active".to_owned(),
            kind: Kind::Boolean,
            present: "true".to_owned(),
            name,
        },
        "meta" => return meta_target(part, def, sub).map(Some),
        _ => return Ok(None),
    };
    Ok(Some(Target::Leaf(leaf)))
}

fn meta_target(
    part: SchemaPart,
    def: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
) -> Result<Target, StoreError> {
    let Some(sub) = sub else {
        return Ok(Target::Whole(Whole {
            def,
            json: None,
            present: "true".to_owned(),
        }));
    };
    let (value, kind) = match sub.name {
        "created" => ("created_at", Kind::DateTime),
        "lastModified" => ("updated_at", Kind::DateTime),
        "resourceType" if part == SchemaPart::Group => ("'Group'::text", exact_text()),
        "resourceType" => ("'User'::text", exact_text()),
        "version" => ("('W/\"' || version || '\"')", exact_text()),
        _ => {
            return Err(StoreError::UnsupportedQuery(format!(
                "meta.{} cannot be filtered or sorted on; use id instead",
                sub.name
            )));
        }
    };
    Ok(Target::Leaf(Leaf {
        value: value.to_owned(),
        kind,
        present: "true".to_owned(),
        name: sub.name,
    }))
}

fn exact_text() -> Kind {
    Kind::Text {
        case_exact: true,
        ordered: true,
    }
}

/// A simple attribute `def` stored as a member of the JSON object `container`.
fn json_leaf(container: &str, def: &'static AttributeDef) -> Leaf {
    let json = member(container, def.name);
    let text = format!("({container}->>{})", literal(def.name));
    let (value, kind) = match def.attr_type {
        AttrType::String | AttrType::Reference | AttrType::Complex => (
            text,
            Kind::Text {
                case_exact: def.case_exact,
                ordered: true,
            },
        ),
        AttrType::Binary => (
            text,
            Kind::Text {
                case_exact: def.case_exact,
                ordered: false,
            },
        ),
        AttrType::Boolean => (json.clone(), Kind::JsonBoolean),
        AttrType::DateTime => (format!("{text}::timestamptz"), Kind::DateTime),
        AttrType::Integer | AttrType::Decimal => (format!("{text}::numeric"), Kind::Decimal),
    };
    Leaf {
        value,
        kind,
        present: json_present(&json),
        name: def.name,
    }
}

fn member(container: &str, name: &str) -> String {
    format!("({container}->{})", literal(name))
}

/// RFC 7644 `pr`: assigned and not empty. The stored resource never holds nulls or empty
/// containers, but an empty string is a value a client may have sent.
fn json_present(json: &str) -> String {
    format!("COALESCE({json} NOT IN ('null', '\"\"', '[]', '{{}}'), false)")
}

/// A SQL string literal. Only names from the static schema table are ever passed here.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
