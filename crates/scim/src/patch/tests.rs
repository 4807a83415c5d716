//! One test per PATCH semantic of RFC 7644 §3.5.2, on a typical stored user.

use serde_json::{Map, Value, json};

use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

pub(super) fn stored() -> Map<String, Value> {
    object(json!({
        "userName": "bjensen",
        "title": "Tour Guide",
        "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "b@work.example", "type": "work", "primary": true},
            {"value": "b@home.example", "type": "home"},
        ],
        ENTERPRISE_USER_SCHEMA: {"department": "Tours"},
    }))
}

pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

/// Applies the given operations to [`stored`].
pub(super) fn patched(operations: Value) -> Result<Map<String, Value>, ScimError> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
    PatchRequest::parse(body)?.apply(&stored())
}

pub(super) fn scim_type(result: Result<impl std::fmt::Debug, ScimError>) -> Option<ScimType> {
    result.err().and_then(|error| error.scim_type)
}

#[test]
fn replace_with_a_simple_path_sets_the_attribute() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "replace", "path": "title", "value": "Lead"}]))?;
    assert_eq!(result["title"], json!("Lead"));
    Ok(())
}

#[test]
fn a_sub_attribute_path_sets_only_that_sub_attribute() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "add", "path": "NAME.givenname", "value": "Babs"}]))?;
    assert_eq!(
        result["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
    Ok(())
}

#[test]
fn removing_a_sub_attribute_keeps_its_siblings() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "remove", "path": "name.givenName"}]))?;
    assert_eq!(result["name"], json!({"familyName": "Jensen"}));
    Ok(())
}

#[test]
fn a_urn_prefixed_path_sets_an_enterprise_attribute() -> Result<(), ScimError> {
    let path = format!("{ENTERPRISE_USER_SCHEMA}:department");
    let result = patched(json!([{"op": "replace", "path": path, "value": "Finance"}]))?;
    assert_eq!(
        result[ENTERPRISE_USER_SCHEMA],
        json!({"department": "Finance"})
    );
    Ok(())
}

#[test]
fn a_urn_prefixed_core_path_is_the_core_attribute() -> Result<(), ScimError> {
    let path = "urn:ietf:params:scim:schemas:core:2.0:User:displayName";
    let result = patched(json!([{"op": "add", "path": path, "value": "Babs"}]))?;
    assert_eq!(result["displayName"], json!("Babs"));
    Ok(())
}

#[test]
fn removing_the_extension_urn_removes_the_whole_extension() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}]))?;
    assert!(!result.contains_key(ENTERPRISE_USER_SCHEMA));
    Ok(())
}

#[test]
fn a_value_filter_path_with_a_sub_attribute_changes_only_matching_values() -> Result<(), ScimError>
{
    let ops =
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@w"}]);
    let result = patched(ops)?;
    let expected = json!([
        {"value": "new@w", "type": "work", "primary": true},
        {"value": "b@home.example", "type": "home"},
    ]);
    assert_eq!(result["emails"], expected);
    Ok(())
}

#[test]
fn replace_with_a_value_filter_replaces_the_matching_value_wholesale() -> Result<(), ScimError> {
    let value = json!({"value": "b2@home.example", "type": "home"});
    let ops = json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": value}]);
    let result = patched(ops)?;
    assert_eq!(result["emails"][1], value);
    assert_eq!(result["emails"][0]["value"], json!("b@work.example"));
    Ok(())
}

#[test]
fn add_to_a_multi_valued_attribute_appends() -> Result<(), ScimError> {
    let ops =
        json!([{"op": "add", "path": "emails", "value": [{"value": "o@x", "type": "other"}]}]);
    let result = patched(ops)?;
    let emails = result["emails"].as_array().map(Vec::len);
    assert_eq!(emails, Some(3));
    assert_eq!(
        result["emails"][2],
        json!({"value": "o@x", "type": "other"})
    );
    Ok(())
}

#[test]
fn adding_a_value_that_is_already_there_changes_nothing() -> Result<(), ScimError> {
    let value = json!([{"Value": "b@home.example", "TYPE": "home"}]);
    let result = patched(json!([{"op": "add", "path": "emails", "value": value}]))?;
    assert_eq!(result, stored());
    Ok(())
}

#[test]
fn replace_of_a_multi_valued_attribute_replaces_all_values() -> Result<(), ScimError> {
    let value = json!([{"value": "only@x", "type": "work"}]);
    let result = patched(json!([{"op": "replace", "path": "emails", "value": value}]))?;
    assert_eq!(result["emails"], value);
    Ok(())
}

#[test]
fn remove_with_a_value_filter_removes_the_matching_values() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]))?;
    assert_eq!(
        result["emails"],
        json!([{"value": "b@home.example", "type": "home"}])
    );
    Ok(())
}

#[test]
fn removing_the_last_matching_value_unassigns_the_attribute() -> Result<(), ScimError> {
    let ops = json!([{"op": "remove", "path": "emails[type eq \"work\" or type eq \"home\"]"}]);
    assert!(!patched(ops)?.contains_key("emails"));
    Ok(())
}

#[test]
fn removing_a_missing_attribute_or_unmatched_value_is_a_no_op() -> Result<(), ScimError> {
    let ops = json!([
        {"op": "remove", "path": "nickName"},
        {"op": "remove", "path": "phoneNumbers[type eq \"fax\"]"},
        {"op": "remove", "path": "emails[type eq \"fax\"]"},
    ]);
    assert_eq!(patched(ops)?, stored());
    Ok(())
}

#[test]
fn remove_with_a_value_removes_the_listed_values() -> Result<(), ScimError> {
    let ops = json!([{"op": "remove", "path": "emails", "value": [{"value": "b@work.example"}]}]);
    assert_eq!(
        patched(ops)?["emails"],
        json!([{"value": "b@home.example", "type": "home"}])
    );
    Ok(())
}

#[test]
fn add_without_a_path_merges_each_key_of_the_value() -> Result<(), ScimError> {
    let value =
        json!({"nickName": "Babs", "name": {"middleName": "J"}, "emails": [{"value": "n@x"}]});
    let result = patched(json!([{"op": "add", "value": value}]))?;
    assert_eq!(result["nickName"], json!("Babs"));
    assert_eq!(result["name"]["middleName"], json!("J"));
    assert_eq!(result["name"]["givenName"], json!("Barbara"));
    assert_eq!(result["emails"].as_array().map(Vec::len), Some(3));
    Ok(())
}

#[test]
fn replace_of_a_value_filter_that_matches_nothing_is_no_target() {
    let ops = json!([{"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"}]);
    assert_eq!(scim_type(patched(ops)), Some(ScimType::NoTarget));
}

#[test]
fn add_through_an_unmatched_equality_filter_creates_the_value() -> Result<(), ScimError> {
    let ops =
        json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "555"}]);
    assert_eq!(
        patched(ops)?["phoneNumbers"],
        json!([{"type": "work", "value": "555"}])
    );
    let ops = json!([{"op": "add", "path": "emails[value co \"zzz\"].type", "value": "other"}]);
    assert_eq!(scim_type(patched(ops)), Some(ScimType::NoTarget));
    Ok(())
}

#[test]
fn an_unknown_attribute_is_an_invalid_path() {
    let by_path = json!([{"op": "replace", "path": "favouriteColour", "value": "red"}]);
    assert_eq!(scim_type(patched(by_path)), Some(ScimType::InvalidPath));
    let by_key = json!([{"op": "replace", "value": {"favouriteColour": "red"}}]);
    assert_eq!(scim_type(patched(by_key)), Some(ScimType::InvalidPath));
    let by_sub = json!([{"op": "replace", "path": "name.nick", "value": "B"}]);
    assert_eq!(scim_type(patched(by_sub)), Some(ScimType::InvalidPath));
    let by_filter = json!([{"op": "remove", "path": "emails[colour eq \"red\"]"}]);
    assert_eq!(scim_type(patched(by_filter)), Some(ScimType::InvalidPath));
}

#[test]
fn modifying_a_read_only_attribute_is_a_mutability_error() {
    for (path, value) in [
        ("id", json!("x")),
        ("meta.created", json!("x")),
        ("groups", json!([])),
    ] {
        let ops = json!([{"op": "replace", "path": path, "value": value}]);
        assert_eq!(
            scim_type(patched(ops)),
            Some(ScimType::Mutability),
            "{path}"
        );
    }
    let by_key = json!([{"op": "add", "value": {"id": "x"}}]);
    assert_eq!(scim_type(patched(by_key)), Some(ScimType::Mutability));
    let removal = json!([{"op": "remove", "path": "groups"}]);
    assert_eq!(scim_type(patched(removal)), Some(ScimType::Mutability));
}

#[test]
fn making_one_value_primary_clears_primary_on_the_others() -> Result<(), ScimError> {
    let ops = json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]);
    let result = patched(ops)?;
    assert_eq!(result["emails"][0]["primary"], json!(false));
    assert_eq!(result["emails"][1]["primary"], json!(true));
    let value = json!([{"value": "p@x", "primary": true}]);
    let added = patched(json!([{"op": "add", "path": "emails", "value": value}]))?;
    assert_eq!(added["emails"][0]["primary"], json!(false));
    assert_eq!(added["emails"][2]["primary"], json!(true));
    Ok(())
}

#[test]
fn replacing_the_list_with_two_primaries_is_rejected() {
    let value = json!([{"value": "a", "primary": true}, {"value": "b", "primary": true}]);
    let ops = json!([{"op": "replace", "path": "emails", "value": value}]);
    assert_eq!(scim_type(patched(ops)), Some(ScimType::InvalidValue));
}

#[test]
fn a_failing_later_operation_applies_nothing() {
    let before = stored();
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"},
    ]});
    let result = PatchRequest::parse(body).and_then(|request| request.apply(&before));
    assert_eq!(scim_type(result), Some(ScimType::NoTarget));
    assert_eq!(before, stored());
}

#[test]
fn the_patched_result_is_validated_like_a_put_body() {
    let blank = json!([{"op": "replace", "path": "userName", "value": ""}]);
    assert_eq!(scim_type(patched(blank)), Some(ScimType::InvalidValue));
    let removed = json!([{"op": "remove", "path": "userName"}]);
    assert_eq!(scim_type(patched(removed)), Some(ScimType::InvalidValue));
    let wrong_type = json!([{"op": "replace", "path": "active", "value": "maybe"}]);
    assert_eq!(scim_type(patched(wrong_type)), Some(ScimType::InvalidValue));
}

#[test]
fn a_patch_that_changes_nothing_returns_the_input() -> Result<(), ScimError> {
    let ops = json!([{"op": "replace", "path": "title", "value": "Tour Guide"}]);
    assert_eq!(patched(ops)?, stored());
    Ok(())
}

#[test]
fn replace_with_null_unassigns_through_a_value_object() -> Result<(), ScimError> {
    let result = patched(json!([{"op": "replace", "value": {"title": null}}]))?;
    assert!(!result.contains_key("title"));
    Ok(())
}

#[test]
fn ordering_a_boolean_in_a_value_filter_is_an_invalid_filter() {
    let ops = json!([{"op": "remove", "path": "emails[primary gt true]"}]);
    assert_eq!(scim_type(patched(ops)), Some(ScimType::InvalidFilter));
}
