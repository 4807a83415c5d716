use serde_json::{Value, json};

use super::*;
use crate::schema::AttrType;

const BASE: &str = "https://example.com/scim/v2";

fn capabilities() -> Capabilities {
    Capabilities {
        max_results: 250,
        bulk_max_operations: 10,
        bulk_max_payload_size: 4096,
    }
}

/// Every definition of the table, sub-attributes included, with its dotted path.
fn walk(defs: &'static [AttributeDef], prefix: &str) -> Vec<(String, &'static AttributeDef)> {
    defs.iter()
        .flat_map(|def| {
            let path = format!("{prefix}{}", def.name);
            let subs = walk(def.sub_attributes, &format!("{path}."));
            std::iter::once((path, def)).chain(subs)
        })
        .collect()
}

/// The rendered definition at a dotted path of a schema resource.
fn rendered<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut attributes: &[Value] = schema["attributes"].as_array()?;
    let mut found = None;
    for name in path.split('.') {
        let def = attributes.iter().find(|def| def["name"] == name)?;
        found = Some(def);
        attributes = def["subAttributes"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
    }
    found
}

#[test]
fn the_service_provider_config_advertises_the_limit_it_is_given() {
    let config = service_provider_config(&capabilities(), BASE);
    assert_eq!(config["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
    assert_eq!(
        config["filter"],
        json!({"supported": true, "maxResults": 250})
    );
    assert_eq!(config["patch"]["supported"], json!(true));
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 10, "maxPayloadSize": 4096})
    );
    assert_eq!(config["changePassword"]["supported"], json!(true));
    assert_eq!(config["sort"]["supported"], json!(true));
    assert_eq!(config["etag"]["supported"], json!(true));
    let scheme = &config["authenticationSchemes"][0];
    assert_eq!(scheme["type"], json!("oauthbearertoken"));
    assert_eq!(scheme["primary"], json!(true));
    assert_eq!(
        config["meta"],
        json!({"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")})
    );
}

#[test]
fn users_are_advertised_with_an_optional_enterprise_extension_and_groups_without_any() {
    let names: Vec<&str> = RESOURCE_TYPES.iter().map(|rt| rt.name).collect();
    assert_eq!(names, ["User", "Group"]);
    let group = resource_type_resource(&GROUP_RESOURCE_TYPE, BASE);
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_SCHEMA);
    assert_eq!(group["schemaExtensions"], json!([]));
    let user = resource_type_resource(&USER_RESOURCE_TYPE, BASE);
    let expected = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")},
    });
    assert_eq!(user, expected);
}

#[test]
fn the_schemas_are_those_of_the_resource_types_each_listed_once() {
    let ids: Vec<&str> = schemas().iter().map(|schema| schema.id).collect();
    assert_eq!(ids, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
}

#[test]
fn lookups_ignore_case_and_unknown_ids_find_nothing() {
    assert_eq!(find_resource_type("user"), Some(&USER_RESOURCE_TYPE));
    assert_eq!(find_resource_type("group"), Some(&GROUP_RESOURCE_TYPE));
    assert_eq!(find_resource_type("Device"), None);
    let upper = ENTERPRISE_USER_SCHEMA.to_ascii_uppercase();
    assert_eq!(
        find_schema(&upper).map(|s| s.id),
        Some(ENTERPRISE_USER_SCHEMA)
    );
    assert_eq!(
        find_schema("urn:ietf:params:scim:schemas:core:2.0:Device"),
        None
    );
}

#[test]
fn every_attribute_and_sub_attribute_of_the_table_is_described_with_its_characteristics() {
    for description in schemas() {
        let schema = schema_resource(description, BASE);
        for (path, def) in walk(description.attributes, "") {
            let rendered = rendered(&schema, &path)
                .unwrap_or_else(|| panic!("{path} is missing from {}", description.id));
            assert_eq!(rendered["multiValued"], json!(def.multi_valued), "{path}");
            assert_eq!(rendered["required"], json!(def.required), "{path}");
            assert_eq!(rendered["caseExact"], json!(def.case_exact), "{path}");
            let sub_count = rendered["subAttributes"].as_array().map_or(0, Vec::len);
            assert_eq!(sub_count, def.sub_attributes.len(), "{path}");
        }
        let top_level = schema["attributes"].as_array().map_or(0, Vec::len);
        assert_eq!(
            top_level,
            description.attributes.len(),
            "{}",
            description.id
        );
    }
}

#[test]
fn characteristics_are_spelled_as_rfc_7643_section_7_spells_them() {
    let user = schema_resource(&USER_SCHEMA_DESCRIPTION, BASE);
    let expected = json!({
        "name": "userName", "type": "string", "multiValued": false, "required": true,
        "caseExact": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": "server",
    });
    assert_eq!(rendered(&user, "userName"), Some(&expected));
    let password = rendered(&user, "password");
    assert_eq!(
        password.map(|p| &p["mutability"]),
        Some(&json!("writeOnly"))
    );
    assert_eq!(password.map(|p| &p["returned"]), Some(&json!("never")));
    let id = rendered(&user, "id");
    assert_eq!(id.map(|p| &p["returned"]), Some(&json!("always")));
    let groups_ref = rendered(&user, "groups.$ref");
    let expected_ref = json!(["User", "Group"]);
    assert_eq!(
        groups_ref.map(|r| &r["referenceTypes"]),
        Some(&expected_ref)
    );
    assert_eq!(
        user["meta"]["location"],
        json!(format!("{BASE}/Schemas/{USER_SCHEMA}"))
    );
}

#[test]
fn every_reference_attribute_says_what_it_may_reference() {
    let all = walk(USER_ATTRIBUTES, "")
        .into_iter()
        .chain(walk(ENTERPRISE_USER_ATTRIBUTES, ""));
    for (path, def) in all {
        let is_reference = def.attr_type == AttrType::Reference;
        assert_eq!(!def.reference_types.is_empty(), is_reference, "{path}");
    }
}
