//! Group bodies and Group PATCH requests as real provisioning clients send them (Entra ID,
//! Okta), applied to a stored group with the same engine that patches users.

use serde_json::{Map, Value, json};

use super::*;
use crate::patch::PatchRequest;
use crate::schema::{PATCH_OP_SCHEMA, ResourceKind};
use crate::{AttributeSelection, SortBy, parse_attribute_reference_in};

const GROUP_ID: &str = "3f1c0a52-0000-4000-8000-000000000001";

fn stored() -> Map<String, Value> {
    let attributes = json!({"displayName": "Ops", "externalId": "okta-7"});
    let Value::Object(attributes) = attributes else {
        return Map::new();
    };
    patch_document(GROUP_ID, &attributes, ["u1".to_owned(), "u2".to_owned()])
}

fn patched(operations: Value) -> Result<GroupInput, ScimError> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
    let document = PatchRequest::parse(body)?.apply_in(ResourceKind::Group, &stored())?;
    validate_group_attributes(document)
}

#[test]
fn a_group_body_keeps_display_name_and_external_id_and_lists_members_apart() {
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "displayname": "Ops",
        "externalId": "e-1",
        "members": [{"value": "u1", "display": "Ada"}, {"value": "u2"}, {"value": "u1"}],
    });
    let input = parse_group(body).unwrap();
    assert_eq!(
        Value::Object(input.attributes),
        json!({"displayName": "Ops", "externalId": "e-1"})
    );
    assert_eq!(input.members, ["u1", "u2"]);
}

#[test]
fn a_group_body_without_display_name_or_with_a_nested_group_is_invalid() {
    let missing = parse_group(json!({"schemas": [GROUP_SCHEMA]})).unwrap_err();
    assert_eq!(missing.scim_type, Some(ScimType::InvalidValue));
    let nested = json!({"displayName": "A", "members": [{"value": "g", "type": "Group"}]});
    assert_eq!(
        parse_group(nested).unwrap_err().scim_type,
        Some(ScimType::InvalidValue)
    );
    let user_attribute = json!({"displayName": "A", "userName": "x"});
    assert!(parse_group(user_attribute).is_err());
}

#[test]
fn entra_remove_with_members_named_in_the_value_removes_only_those() {
    let result = patched(json!([{
        "op": "Remove", "path": "members", "value": [{"value": "u1"}]
    }]))
    .unwrap();
    assert_eq!(result.members, ["u2"]);
}

#[test]
fn remove_with_a_value_filter_on_members_removes_the_matching_member() {
    let result = patched(json!([{"op": "remove", "path": "members[value eq \"u2\"]"}])).unwrap();
    assert_eq!(result.members, ["u1"]);
}

#[test]
fn add_members_ignores_the_ones_already_present() {
    let value = json!([{"value": "u2"}, {"value": "u3", "display": "Grace"}]);
    let result = patched(json!([{"op": "ADD", "path": "members", "value": value}])).unwrap();
    assert_eq!(result.members, ["u1", "u2", "u3"]);
}

#[test]
fn okta_replace_of_members_sets_the_whole_list_and_an_empty_list_clears_it() {
    let result = patched(json!([{
        "op": "replace", "path": "members", "value": [{"value": "u9"}]
    }]))
    .unwrap();
    assert_eq!(result.members, ["u9"]);
    let cleared = patched(json!([{"op": "replace", "path": "members", "value": []}])).unwrap();
    assert!(cleared.members.is_empty());
}

#[test]
fn okta_no_path_replace_that_restates_the_id_renames_the_group() {
    let value = json!({"id": GROUP_ID, "displayName": "Operations"});
    let result = patched(json!([{"op": "replace", "value": value}])).unwrap();
    assert_eq!(result.attributes["displayName"], "Operations");
    assert_eq!(result.attributes.get("id"), None);
    assert_eq!(result.members, ["u1", "u2"]);
}

#[test]
fn a_no_path_replace_with_another_id_is_still_a_mutability_error() {
    let value = json!({"id": "someone-else", "displayName": "Operations"});
    let error = patched(json!([{"op": "replace", "value": value}])).unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::Mutability));
}

#[test]
fn a_group_patch_cannot_name_user_attributes() {
    let error = patched(json!([{"op": "replace", "path": "userName", "value": "x"}])).unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn group_attribute_names_resolve_against_the_group_schema_only() {
    let members = parse_attribute_reference_in(ResourceKind::Group, "members.value");
    assert!(members.is_some());
    assert!(parse_attribute_reference_in(ResourceKind::Group, "userName").is_none());
    assert!(SortBy::parse_for(ResourceKind::Group, "displayName", None).is_ok());
    assert!(SortBy::parse_for(ResourceKind::Group, "userName", None).is_err());
    let selection = AttributeSelection::parse_for(ResourceKind::Group, None, Some("members"));
    let rendered = json!({
        "schemas": [GROUP_SCHEMA], "id": "g", "displayName": "Ops",
        "members": [{"value": "u1"}],
    });
    let projected = selection.unwrap().project(rendered);
    assert_eq!(
        projected,
        json!({"schemas": [GROUP_SCHEMA], "id": "g", "displayName": "Ops"})
    );
}
