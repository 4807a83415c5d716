//! Rendering of stored users and groups as SCIM resources and of list responses (RFC 7644
//! §3.4.2), and the `attributes` / `excludedAttributes` projection of a rendered resource.

use serde_json::{Map, Value, json};

use crate::schema::{LIST_RESPONSE_SCHEMA, ResourceKind};

mod projection;

pub use projection::AttributeSelection;

/// The `meta` attribute of a resource (RFC 7643 §3.1). The server computes every field; the
/// timestamps are already formatted so this crate needs no time library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta<'a> {
    pub resource_type: &'a str,
    pub created: &'a str,
    pub last_modified: &'a str,
    pub location: &'a str,
    pub version: &'a str,
}

/// Keys the server owns: stored attributes can never override them in a response.
const SERVER_KEYS: [&str; 4] = ["schemas", "id", "meta", "password"];

/// A stored user as a SCIM User resource. The password is never rendered (it is
/// `returned: never`), even if a caller passed a map that holds one. The caller narrows the
/// result with [`AttributeSelection::project`].
pub fn render_user(id: &str, attributes: &Map<String, Value>, meta: &Meta) -> Value {
    render_resource(ResourceKind::User, id, attributes, meta)
}

/// A stored resource of `kind` as SCIM JSON: `schemas` (the core schema and each extension
/// present), `id`, the attributes, and `meta`. Keys the server owns are never taken from the
/// map.
pub fn render_resource(
    kind: ResourceKind,
    id: &str,
    attributes: &Map<String, Value>,
    meta: &Meta,
) -> Value {
    let mut resource = Map::new();
    resource.insert("schemas".to_owned(), schemas_for(kind, attributes));
    resource.insert("id".to_owned(), Value::from(id));
    for (key, value) in attributes {
        if !SERVER_KEYS
            .iter()
            .any(|owned| key.eq_ignore_ascii_case(owned))
        {
            resource.insert(key.clone(), value.clone());
        }
    }
    resource.insert("meta".to_owned(), render_meta(meta));
    Value::Object(resource)
}

fn schemas_for(kind: ResourceKind, attributes: &Map<String, Value>) -> Value {
    let schemas = kind
        .parts()
        .iter()
        .filter(|part| !part.is_extension() || attributes.contains_key(part.urn()))
        .map(|part| Value::from(part.urn()))
        .collect();
    Value::Array(schemas)
}

fn render_meta(meta: &Meta) -> Value {
    json!({
        "resourceType": meta.resource_type,
        "created": meta.created,
        "lastModified": meta.last_modified,
        "location": meta.location,
        "version": meta.version,
    })
}

/// A ListResponse page. `start_index` is 1-based as in RFC 7644 §3.4.2.4.
pub fn list_response(total_results: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

    const META: Meta<'static> = Meta {
        resource_type: "User",
        created: "2026-01-02T03:04:05Z",
        last_modified: "2026-01-03T03:04:05Z",
        location: "https://example.com/scim/v2/Users/u1",
        version: "W/\"3\"",
    };

    fn attributes(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_user_renders_with_schemas_id_attributes_and_meta() {
        let rendered = render_user("u1", &attributes(json!({"userName": "b"})), &META);
        let expected = json!({
            "schemas": [USER_SCHEMA],
            "id": "u1",
            "userName": "b",
            "meta": {
                "resourceType": "User",
                "created": "2026-01-02T03:04:05Z",
                "lastModified": "2026-01-03T03:04:05Z",
                "location": "https://example.com/scim/v2/Users/u1",
                "version": "W/\"3\"",
            },
        });
        assert_eq!(rendered, expected);
    }

    #[test]
    fn the_enterprise_schema_is_listed_only_when_the_extension_is_present() {
        let plain = render_user("u1", &attributes(json!({"userName": "b"})), &META);
        assert_eq!(plain["schemas"], json!([USER_SCHEMA]));
        let stored = json!({"userName": "b", ENTERPRISE_USER_SCHEMA: {"department": "Ops"}});
        let rendered = render_user("u1", &attributes(stored), &META);
        assert_eq!(
            rendered["schemas"],
            json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
        );
        assert_eq!(rendered[ENTERPRISE_USER_SCHEMA]["department"], json!("Ops"));
    }

    #[test]
    fn a_password_or_forged_id_in_the_map_never_reaches_the_response() {
        let stored = json!({"userName": "b", "Password": "x", "id": "forged", "meta": {}});
        let rendered = render_user("u1", &attributes(stored), &META);
        assert_eq!(rendered.get("Password"), None);
        assert_eq!(rendered["id"], json!("u1"));
        assert_eq!(rendered["meta"]["resourceType"], json!("User"));
    }

    #[test]
    fn a_list_response_counts_the_resources_on_its_page() {
        let page = list_response(10, 3, vec![json!({"id": "a"}), json!({"id": "b"})]);
        let expected = json!({
            "schemas": [LIST_RESPONSE_SCHEMA],
            "totalResults": 10,
            "startIndex": 3,
            "itemsPerPage": 2,
            "Resources": [{"id": "a"}, {"id": "b"}],
        });
        assert_eq!(page, expected);
    }
}
