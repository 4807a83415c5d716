use serde_json::json;

use super::*;

fn request(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST_SCHEMA], "Operations": operations})
}

fn error_type(body: Value) -> Option<ScimType> {
    BulkRequest::parse(body).unwrap_err().scim_type
}

#[test]
fn a_bulk_request_parses_into_its_operations_in_order() {
    let mut body = request(json!([
        {"method": "post", "path": "/Users", "bulkId": "u1", "data": {"userName": "ann"}},
        {"method": "DELETE", "path": "/Users/bulkId:u1", "version": "W/\"1\""}
    ]));
    body["failOnErrors"] = json!(2);
    let parsed = BulkRequest::parse(body).unwrap();
    assert_eq!(parsed.fail_on_errors, Some(2));
    assert_eq!(parsed.operations[0].method, BulkMethod::Post);
    assert_eq!(parsed.operations[0].data, Some(json!({"userName": "ann"})));
    assert_eq!(parsed.operations[1].method, BulkMethod::Delete);
    assert_eq!(parsed.operations[1].version.as_deref(), Some("W/\"1\""));
    assert_eq!(parsed.operations[1].bulk_id, None);
}

#[test]
fn malformed_bulk_requests_are_refused_whole() {
    let syntax = Some(ScimType::InvalidSyntax);
    let invalid = Some(ScimType::InvalidValue);
    assert_eq!(error_type(json!([])), syntax);
    assert_eq!(
        error_type(json!({"schemas": [BULK_REQUEST_SCHEMA]})),
        syntax
    );
    assert_eq!(error_type(json!({"Operations": []})), invalid);
    assert_eq!(
        error_type(request(json!([{"method": "GET", "path": "/Users"}]))),
        syntax
    );
    assert_eq!(error_type(request(json!([{"method": "DELETE"}]))), syntax);
    assert_eq!(
        error_type(request(json!([{"method": "POST", "path": "/Users"}]))),
        invalid
    );
    let twice = json!([
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {}},
        {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {}}
    ]);
    assert_eq!(error_type(request(twice)), invalid);
    let mut zero = request(json!([]));
    zero["failOnErrors"] = json!(0);
    assert_eq!(error_type(zero), invalid);
}

#[test]
fn bulk_paths_name_a_resource_type_and_maybe_an_id() {
    assert_eq!(
        parse_bulk_path("/Users").unwrap(),
        (ResourceKind::User, None)
    );
    assert_eq!(
        parse_bulk_path("/Groups/abc").unwrap(),
        (ResourceKind::Group, Some("abc"))
    );
    for path in ["/Schemas", "/Users/", "/Users/a/b", ""] {
        assert_eq!(parse_bulk_path(path).unwrap_err().status, 404, "{path}");
    }
}

#[test]
fn references_are_replaced_at_any_depth_and_unknown_ones_are_conflicts() {
    let mut ids = BulkIds::default();
    ids.insert("u1", "0193-user");
    let mut data = json!({"displayName": "see bulkId:u1", "members": [{"value": "bulkId:u1"}]});
    ids.resolve_data(&mut data).unwrap();
    assert_eq!(data["members"][0]["value"], "0193-user");
    // Only a value that starts with the prefix is a reference.
    assert_eq!(data["displayName"], "see bulkId:u1");
    assert_eq!(
        ids.resolve_path("/Users/bulkId:u1").unwrap(),
        "/Users/0193-user"
    );
    assert_eq!(ids.resolve_path("/Users").unwrap(), "/Users");

    let unknown = ids
        .resolve_data(&mut json!([{"value": "bulkId:later"}]))
        .unwrap_err();
    assert_eq!((unknown.status, unknown.scim_type), (409, None));
    assert_eq!(
        ids.resolve_path("/Groups/bulkId:g").unwrap_err().status,
        409
    );
}
