use serde_json::json;

use super::*;
use crate::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

fn resource() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        "externalId": "e-1",
        "userName": "ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [
            {"value": "ada@work.test", "type": "work", "primary": true},
            {"type": "home"},
        ],
        ENTERPRISE_USER_SCHEMA: {"department": "Ops", "costCenter": "42"},
        "meta": {"resourceType": "User", "version": "W/\"1\""},
    })
}

fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    AttributeSelection::parse(attributes, excluded)
        .unwrap()
        .project(resource())
}

#[test]
fn without_parameters_the_resource_is_unchanged() {
    assert_eq!(project(None, None), resource());
    assert_eq!(project(Some(" "), Some("")), resource());
}

#[test]
fn attributes_keeps_the_named_ones_plus_schemas_and_id() {
    let projected = project(Some("userName, NAME.givenName"), None);
    let expected = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        "userName": "ada",
        "name": {"givenName": "Ada"},
    });
    assert_eq!(projected, expected);
}

#[test]
fn a_sub_attribute_of_a_multi_valued_attribute_is_kept_in_every_element() {
    let projected = project(Some("emails.value"), None);
    assert_eq!(projected["emails"], json!([{"value": "ada@work.test"}]));
}

#[test]
fn urn_qualified_paths_and_bare_extension_urns_select_extension_attributes() {
    let one = project(
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
        None,
    );
    assert_eq!(one[ENTERPRISE_USER_SCHEMA], json!({"department": "Ops"}));
    assert_eq!(one.get("userName"), None);

    let whole = project(Some(ENTERPRISE_USER_SCHEMA), None);
    assert_eq!(
        whole[ENTERPRISE_USER_SCHEMA],
        json!({"department": "Ops", "costCenter": "42"})
    );

    let core = project(
        Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
        None,
    );
    assert_eq!(core["userName"], "ada");
}

#[test]
fn excluded_attributes_removes_what_is_named_but_never_id() {
    let projected = project(
        None,
        Some(
            "name.familyName,emails,meta,id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
        ),
    );
    let expected = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        "externalId": "e-1",
        "userName": "ada",
        "name": {"givenName": "Ada"},
        ENTERPRISE_USER_SCHEMA: {"department": "Ops"},
    });
    assert_eq!(projected, expected);
}

#[test]
fn excluding_every_extension_attribute_drops_the_extension_object() {
    let projected = project(None, Some(ENTERPRISE_USER_SCHEMA));
    assert_eq!(projected.get(ENTERPRISE_USER_SCHEMA), None);
    assert_eq!(projected["userName"], "ada");
}

#[test]
fn a_password_is_never_returned_even_when_asked_for() {
    let mut stored = resource();
    stored["password"] = json!("secret");
    let selection = AttributeSelection::parse(Some("password,userName"), None).unwrap();
    let projected = selection.project(stored.clone());
    assert_eq!(projected.get("password"), None);
    assert_eq!(projected["userName"], "ada");
    let default = AttributeSelection::default().project(stored);
    assert_eq!(default.get("password"), None);
}

#[test]
fn unknown_names_and_both_lists_at_once_are_invalid_values() {
    for (attributes, excluded) in [
        (Some("userName,favouriteColour"), None),
        (None, Some("name.nickname")),
        (Some("userName"), Some("emails")),
    ] {
        let error = AttributeSelection::parse(attributes, excluded).unwrap_err();
        assert_eq!(error.status, 400);
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{error}");
    }
}
