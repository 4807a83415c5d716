use serde_json::json;

use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

fn parsed(body: Value) -> Result<Value, ScimError> {
    parse_user(body).map(|input| Value::Object(input.attributes))
}

fn scim_type(result: Result<impl std::fmt::Debug, ScimError>) -> Option<ScimType> {
    result.err().and_then(|error| error.scim_type)
}

#[test]
fn attribute_names_are_canonicalised_at_every_level() -> Result<(), ScimError> {
    let body = json!({
        "SCHEMAS": [USER_SCHEMA],
        "USERNAME": "bjensen",
        "Name": {"GIVENNAME": "Barbara"},
        "emails": [{"VALUE": "b@example.com", "Type": "work"}],
    });
    let expected = json!({
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com", "type": "work"}],
    });
    assert_eq!(parsed(body)?, expected);
    Ok(())
}

#[test]
fn an_unknown_attribute_is_rejected_and_named() {
    let error = parse_user(json!({"userName": "b", "favouriteColour": "red"})).err();
    assert_eq!(
        error.as_ref().and_then(|e| e.scim_type),
        Some(ScimType::InvalidValue)
    );
    assert!(error.is_some_and(|e| e.detail.contains("favouriteColour")));
}

#[test]
fn an_unknown_sub_attribute_is_rejected_with_its_full_path() {
    let error = parse_user(json!({"userName": "b", "name": {"nick": "B"}})).err();
    assert!(error.is_some_and(|e| e.detail.contains("name.nick")));
}

#[test]
fn boolean_strings_in_any_case_become_json_booleans() -> Result<(), ScimError> {
    for (text, flag) in [
        ("True", true),
        ("false", false),
        ("FALSE", false),
        ("true", true),
    ] {
        let attributes = parsed(json!({"userName": "b", "active": text}))?;
        assert_eq!(attributes["active"], json!(flag));
    }
    let nested = parsed(json!({"userName": "b", "emails": [{"value": "x", "primary": "True"}]}))?;
    assert_eq!(nested["emails"][0]["primary"], json!(true));
    Ok(())
}

#[test]
fn a_non_boolean_string_for_a_boolean_is_rejected() {
    let result = parse_user(json!({"userName": "b", "active": "yes"}));
    assert_eq!(scim_type(result), Some(ScimType::InvalidValue));
}

#[test]
fn two_primary_values_in_one_attribute_are_rejected() {
    let body = json!({
        "userName": "b",
        "emails": [{"value": "a", "primary": true}, {"value": "c", "primary": "True"}],
    });
    assert_eq!(scim_type(parse_user(body)), Some(ScimType::InvalidValue));
}

#[test]
fn one_primary_per_attribute_is_accepted_across_attributes() {
    let body = json!({
        "userName": "b",
        "emails": [{"value": "a", "primary": true}, {"value": "c", "primary": false}],
        "phoneNumbers": [{"value": "1", "primary": true}],
    });
    assert!(parse_user(body).is_ok());
}

#[test]
fn the_password_is_extracted_and_never_left_in_the_attributes() -> Result<(), ScimError> {
    let input = parse_user(json!({"userName": "b", "Password": "s3cret"}))?;
    assert_eq!(input.password.as_deref(), Some("s3cret"));
    assert!(
        !input
            .attributes
            .keys()
            .any(|key| key.eq_ignore_ascii_case("password"))
    );
    Ok(())
}

#[test]
fn a_non_string_password_is_rejected() {
    assert_eq!(
        scim_type(parse_user(json!({"userName": "b", "password": 7}))),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn read_only_attributes_sent_by_the_client_are_dropped() -> Result<(), ScimError> {
    let body = json!({
        "userName": "b",
        "id": "client-chosen",
        "meta": {"resourceType": "User"},
        "groups": [{"value": "g1"}],
    });
    assert_eq!(parsed(body)?, json!({"userName": "b"}));
    Ok(())
}

#[test]
fn the_enterprise_extension_is_canonicalised_and_its_read_only_parts_dropped()
-> Result<(), ScimError> {
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "b",
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {
            "Department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John"},
        },
    });
    let expected = json!({
        "userName": "b",
        ENTERPRISE_USER_SCHEMA: {
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
        },
    });
    assert_eq!(parsed(body)?, expected);
    Ok(())
}

#[test]
fn an_unknown_enterprise_attribute_is_rejected() {
    let body = json!({"userName": "b", ENTERPRISE_USER_SCHEMA: {"badge": "7"}});
    assert_eq!(scim_type(parse_user(body)), Some(ScimType::InvalidValue));
}

#[test]
fn null_values_and_empty_arrays_mean_unassigned_and_are_removed() -> Result<(), ScimError> {
    let body = json!({
        "userName": "b",
        "title": null,
        "emails": [],
        "name": {"givenName": null},
        ENTERPRISE_USER_SCHEMA: {"department": null},
    });
    assert_eq!(parsed(body)?, json!({"userName": "b"}));
    Ok(())
}

#[test]
fn user_name_is_required_and_must_not_be_blank() {
    for body in [
        json!({}),
        json!({"userName": ""}),
        json!({"userName": "  "}),
        json!({"userName": 5}),
    ] {
        assert_eq!(scim_type(parse_user(body)), Some(ScimType::InvalidValue));
    }
}

#[test]
fn schemas_must_list_the_user_schema() {
    let wrong =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "b"});
    assert_eq!(scim_type(parse_user(wrong)), Some(ScimType::InvalidValue));
    let not_array = json!({"schemas": USER_SCHEMA, "userName": "b"});
    assert_eq!(
        scim_type(parse_user(not_array)),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn a_body_that_is_not_an_object_is_invalid_syntax() {
    assert_eq!(
        scim_type(parse_user(json!(["userName"]))),
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn the_same_attribute_twice_in_different_case_is_rejected() {
    let body = json!({"userName": "b", "title": "x", "TITLE": "y"});
    assert_eq!(scim_type(parse_user(body)), Some(ScimType::InvalidValue));
}

#[test]
fn values_of_the_wrong_type_are_rejected() {
    let bodies = [
        json!({"userName": "b", "title": 3}),
        json!({"userName": "b", "emails": {"value": "a"}}),
        json!({"userName": "b", "emails": ["a@example.com"]}),
        json!({"userName": "b", "name": "Barbara"}),
        json!({"userName": "b", "emails": [null]}),
        json!({"userName": "b", ENTERPRISE_USER_SCHEMA: "x"}),
    ];
    for body in bodies {
        assert_eq!(
            scim_type(parse_user(body.clone())),
            Some(ScimType::InvalidValue),
            "{body}"
        );
    }
}

#[test]
fn validate_rejects_a_password_left_in_the_attribute_map() {
    let mut map = Map::new();
    map.insert("userName".to_owned(), json!("b"));
    map.insert("password".to_owned(), json!("x"));
    assert_eq!(
        scim_type(validate_user_attributes(map)),
        Some(ScimType::InvalidValue)
    );
}
