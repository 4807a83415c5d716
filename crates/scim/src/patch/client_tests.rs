//! Requests as real provisioning clients send them, replayed verbatim, and the parse-time
//! checks of the PatchOp envelope.

use serde_json::json;

use super::tests::{patched, scim_type, stored};
use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

#[test]
fn okta_deactivation_with_a_no_path_replace_sets_active_false() -> Result<(), ScimError> {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}],
    });
    let result = PatchRequest::parse(body)?.apply(&stored())?;
    assert_eq!(result["active"], json!(false));
    Ok(())
}

#[test]
fn entra_capitalised_replace_with_a_false_string_sets_active_false() -> Result<(), ScimError> {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    });
    let result = PatchRequest::parse(body)?.apply(&stored())?;
    assert_eq!(result["active"], json!(false));
    Ok(())
}

#[test]
fn entra_no_path_value_with_dotted_and_urn_keys_sets_each_attribute() -> Result<(), ScimError> {
    let result = patched(json!([{
        "op": "Add",
        "value": {
            "name.givenName": "Babs",
            "name.familyName": "J",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
            "active": "True",
        },
    }]))?;
    assert_eq!(
        result["name"],
        json!({"givenName": "Babs", "familyName": "J"})
    );
    let extension = json!({"department": "Tours", "employeeNumber": "701984"});
    assert_eq!(result[ENTERPRISE_USER_SCHEMA], extension);
    assert_eq!(result["active"], json!(true));
    Ok(())
}

#[test]
fn entra_no_path_value_keyed_by_the_extension_urn_merges_into_it() -> Result<(), ScimError> {
    let value = json!({ENTERPRISE_USER_SCHEMA: {"costCenter": "4130"}});
    let result = patched(json!([{"op": "Replace", "value": value}]))?;
    assert_eq!(
        result[ENTERPRISE_USER_SCHEMA],
        json!({"department": "Tours", "costCenter": "4130"})
    );
    Ok(())
}

#[test]
fn entra_multi_operation_update_applies_every_operation() -> Result<(), ScimError> {
    let result = patched(json!([
        {"op": "Add", "path": "displayName", "value": "Babs Jensen"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@work.example"},
        {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
    ]))?;
    assert_eq!(result["displayName"], json!("Babs Jensen"));
    assert_eq!(result["emails"][0]["value"], json!("babs@work.example"));
    assert_eq!(result["name"]["familyName"], json!("Jensen-Smith"));
    Ok(())
}

#[test]
fn entra_adding_a_work_email_to_a_user_without_one_creates_it() -> Result<(), ScimError> {
    let mut user = stored();
    user.remove("emails");
    let body = json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@x"}],
    });
    let result = PatchRequest::parse(body)?.apply(&user)?;
    assert_eq!(result["emails"], json!([{"type": "work", "value": "w@x"}]));
    Ok(())
}

#[test]
fn entra_manager_given_as_a_bare_id_becomes_the_manager_value() -> Result<(), ScimError> {
    let path = format!("{ENTERPRISE_USER_SCHEMA}:manager");
    let result = patched(json!([{"op": "Add", "path": path, "value": "mgr-1"}]))?;
    assert_eq!(
        result[ENTERPRISE_USER_SCHEMA]["manager"],
        json!({"value": "mgr-1"})
    );
    Ok(())
}

#[test]
fn entra_primary_filter_with_a_string_boolean_matches() -> Result<(), ScimError> {
    let path = "emails[primary eq \"True\"].value";
    let result = patched(json!([{"op": "Replace", "path": path, "value": "p@x"}]))?;
    assert_eq!(result["emails"][0]["value"], json!("p@x"));
    Ok(())
}

#[test]
fn okta_password_change_is_taken_out_of_the_attributes() -> Result<(), ScimError> {
    let body = json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [{"op": "replace", "value": {"password": "n3w-secret"}}],
    });
    let request = PatchRequest::parse(body)?;
    assert_eq!(request.password(), Some("n3w-secret"));
    assert_eq!(request.apply(&stored())?, stored());
    Ok(())
}

#[test]
fn a_password_path_is_taken_out_of_the_operations() -> Result<(), ScimError> {
    let body = json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [
            {"op": "replace", "path": "password", "value": "s"},
            {"op": "replace", "path": "title", "value": "Lead"},
        ],
    });
    let request = PatchRequest::parse(body)?;
    assert_eq!(
        (request.password(), request.operations().len()),
        (Some("s"), 1)
    );
    let removal =
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "remove", "path": "password"}]});
    assert_eq!(
        scim_type(PatchRequest::parse(removal)),
        Some(ScimType::InvalidValue)
    );
    Ok(())
}

#[test]
fn the_envelope_must_name_the_patch_schema_and_hold_operations() {
    let op = json!({"op": "replace", "path": "title", "value": "x"});
    let no_schema = json!({"Operations": [op.clone()]});
    assert_eq!(
        scim_type(PatchRequest::parse(no_schema)),
        Some(ScimType::InvalidValue)
    );
    let empty = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": []});
    assert_eq!(
        scim_type(PatchRequest::parse(empty)),
        Some(ScimType::InvalidSyntax)
    );
    assert_eq!(
        scim_type(PatchRequest::parse(json!([op]))),
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn each_operation_is_checked_when_the_request_is_parsed() {
    let parse = |operation: Value| {
        PatchRequest::parse(json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}))
    };
    assert_eq!(
        scim_type(parse(json!({"op": "move", "path": "title"}))),
        Some(ScimType::InvalidSyntax)
    );
    assert_eq!(
        scim_type(parse(json!({"op": "add", "path": "title"}))),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        scim_type(parse(json!({"op": "Replace", "value": null}))),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        scim_type(parse(json!({"op": "remove"}))),
        Some(ScimType::NoTarget)
    );
    assert_eq!(
        scim_type(parse(json!({"op": "remove", "path": "emails["}))),
        Some(ScimType::InvalidPath)
    );
    assert_eq!(
        scim_type(parse(json!({"op": "remove", "path": 3}))),
        Some(ScimType::InvalidPath)
    );
}

#[test]
fn op_names_are_case_insensitive_and_parsed_into_typed_paths() -> Result<(), ScimError> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [
        {"op": "ADD", "path": "emails[type eq \"work\"].value", "value": "x"},
        {"op": "Remove", "path": "title"},
    ]});
    let request = PatchRequest::parse(body)?;
    let ops: Vec<PatchOp> = request
        .operations()
        .iter()
        .map(|operation| operation.op)
        .collect();
    assert_eq!(ops, [PatchOp::Add, PatchOp::Remove]);
    let first = request
        .operations()
        .first()
        .and_then(|operation| operation.path.as_ref());
    assert_eq!(
        first.map(ToString::to_string).as_deref(),
        Some("emails[type eq \"work\"].value")
    );
    Ok(())
}

#[test]
fn a_no_path_value_that_is_not_an_object_is_invalid() {
    let ops = json!([{"op": "replace", "value": "inactive"}]);
    assert_eq!(scim_type(patched(ops)), Some(ScimType::InvalidValue));
}
