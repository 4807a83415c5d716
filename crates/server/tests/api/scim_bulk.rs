//! `POST /Bulk` (RFC 7644 §3.7): operations run in order through the same application layer
//! as the single-resource routes, `bulkId:` references, `failOnErrors`, and the limits.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

fn bulk_body(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

async fn post_bulk(app: &TestApp, body: &Value) -> reqwest::Response {
    app.scim(Method::POST, "/Bulk")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The BulkResponse of a request that must be answered 200, and its operations.
async fn bulk(app: &TestApp, body: Value) -> Vec<Value> {
    let response = json_with_status(post_bulk(app, &body).await, 200).await;
    assert_eq!(response["schemas"], json!([BULK_RESPONSE]));
    response["Operations"].as_array().unwrap().clone()
}

fn create_user(bulk_id: &str, user_name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": {"userName": user_name}})
}

/// The id at the end of a result's location.
fn id_in(result: &Value) -> String {
    let location = result["location"].as_str().unwrap();
    location.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_group_can_name_a_user_created_earlier_in_the_request_by_its_bulk_id() {
    let app = TestApp::spawn().await;

    let results = bulk(
        &app,
        bulk_body(json!([
            create_user("ann", "ann@example.com"),
            {"method": "POST", "path": "/Groups", "bulkId": "admins", "data": {
                "displayName": "admins", "members": [{"value": "bulkId:ann"}]
            }},
            {"method": "PATCH", "path": "/Users/bulkId:ann", "version": "W/\"1\"", "data": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "displayName", "value": "Ann"}]
            }}
        ])),
    )
    .await;

    let statuses: Vec<_> = results.iter().map(|result| &result["status"]).collect();
    assert_eq!(statuses, ["201", "201", "200"]);
    assert_eq!(results[0]["bulkId"], "ann");
    assert_eq!(results[0]["method"], "POST");
    assert_eq!(results[0]["version"], "W/\"1\"");
    assert_eq!(results[2]["version"], "W/\"2\"");
    let user_id = id_in(&results[0]);
    let group_id = id_in(&results[1]);
    assert!(
        results[1]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Groups/{group_id}"))
    );
    assert_eq!(app.member_rows(&group_id).await, [user_id.as_str()]);

    // The user's reads show what the bulk operations did.
    let response = app
        .scim(Method::GET, &format!("/Users/{user_id}"))
        .send()
        .await
        .unwrap();
    let user = json_with_status(response, 200).await;
    assert_eq!(user["displayName"], "Ann");
    assert_eq!(user["groups"][0]["value"], group_id);

    app.finish().await;
}

#[tokio::test]
async fn every_event_of_a_bulk_request_carries_its_request_id_source_and_actor() {
    let app = TestApp::spawn().await;
    let body = bulk_body(json!([
        create_user("a", "a@example.com"),
        create_user("b", "b@example.com"),
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "displayName": "g", "members": [{"value": "bulkId:a"}, {"value": "bulkId:b"}]
        }}
    ]));

    let response = post_bulk(&app, &body).await;
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let results = json_with_status(response, 200).await["Operations"].clone();

    let mut events = app.event_rows(&id_in(&results[0])).await;
    events.extend(app.event_rows(&id_in(&results[1])).await);
    events.extend(app.group_event_rows(&id_in(&results[2])).await);
    assert_eq!(events.len(), 3, "one event per operation: {events:?}");
    for event in &events {
        assert_eq!(event["request_id"], request_id.as_str());
        assert_eq!(event["source"], "scim");
        assert_eq!(event["actor_kind"], "scim_client");
    }

    app.finish().await;
}

#[tokio::test]
async fn fail_on_errors_stops_the_request_after_that_many_failures() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "taken"})).await;
    let operations = json!([
        create_user("one", "one"),
        create_user("dup", "TAKEN"),
        create_user("two", "two")
    ]);

    let mut body = bulk_body(operations.clone());
    body["failOnErrors"] = json!(1);
    let results = bulk(&app, body).await;
    assert_eq!(
        results.len(),
        2,
        "the third operation must not run: {results:?}"
    );
    assert_eq!(results[1]["status"], "409");
    assert_eq!(results[1]["response"]["scimType"], "uniqueness");
    assert_eq!(
        results[1]["response"]["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(
        results[1].get("location").is_none(),
        "a failed POST has no location"
    );
    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", "userName eq \"two\"")])
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);

    // Without failOnErrors every operation runs, and the failure is only reported.
    let results = bulk(
        &app,
        bulk_body(json!([
            create_user("x", "TAKEN"),
            create_user("y", "three")
        ])),
    )
    .await;
    let statuses: Vec<_> = results.iter().map(|result| &result["status"]).collect();
    assert_eq!(statuses, ["409", "201"]);

    app.finish().await;
}

#[tokio::test]
async fn a_reference_to_a_later_failed_or_unknown_bulk_id_fails_that_operation_with_409() {
    let app = TestApp::spawn().await;

    let results = bulk(
        &app,
        bulk_body(json!([
            // "late" is created after this operation runs.
            {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {
                "displayName": "early", "members": [{"value": "bulkId:late"}]
            }},
            create_user("late", "late"),
            // "bad" fails, so nothing can refer to it.
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"nope": 1}},
            {"method": "DELETE", "path": "/Users/bulkId:bad"},
            {"method": "PUT", "path": "/Groups/bulkId:never", "data": {"displayName": "x"}}
        ])),
    )
    .await;

    let statuses: Vec<_> = results.iter().map(|result| &result["status"]).collect();
    assert_eq!(statuses, ["409", "201", "400", "409", "409"]);
    assert_eq!(results[2]["response"]["scimType"], "invalidValue");
    assert!(
        results[3]["response"]["detail"]
            .as_str()
            .unwrap()
            .contains("bulkId:bad")
    );
    assert!(
        results[3]["location"]
            .as_str()
            .unwrap()
            .ends_with("/scim/v2/Users/bulkId:bad")
    );
    // The group whose member could not be resolved was not created.
    let response = app.scim(Method::GET, "/Groups").send().await.unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);

    app.finish().await;
}

#[tokio::test]
async fn more_operations_than_max_operations_or_bytes_than_max_payload_answers_413() {
    let app = TestApp::spawn().await;
    let operations: Vec<Value> = (0..1001)
        .map(|n| json!({"method": "DELETE", "path": format!("/Users/{n}")}))
        .collect();
    let mut body = bulk_body(Value::Array(operations));
    body["Operations"][0] = create_user("first", "first");

    let error = assert_scim_error(post_bulk(&app, &body).await, 413, None).await;
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("maxOperations (1000)")
    );
    assert_eq!(app.event_count().await, 0);

    app.finish().await;
}

#[tokio::test]
async fn a_request_that_is_not_a_bulk_request_is_refused_before_anything_runs() {
    let app = TestApp::spawn().await;

    let not_json = app
        .scim(Method::POST, "/Bulk")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_scim_error(not_json, 400, Some("invalidSyntax")).await;
    let wrong_schema = json!({"schemas": ["urn:x"], "Operations": [create_user("a", "a")]});
    assert_scim_error(
        post_bulk(&app, &wrong_schema).await,
        400,
        Some("invalidValue"),
    )
    .await;
    let no_bulk_id =
        bulk_body(json!([{"method": "POST", "path": "/Users", "data": {"userName": "a"}}]));
    assert_scim_error(
        post_bulk(&app, &no_bulk_id).await,
        400,
        Some("invalidValue"),
    )
    .await;
    let bad_method = bulk_body(json!([{"method": "GET", "path": "/Users"}]));
    assert_scim_error(
        post_bulk(&app, &bad_method).await,
        400,
        Some("invalidSyntax"),
    )
    .await;
    assert_eq!(app.event_count().await, 0);
    // Per operation: an unknown endpoint and a method the path does not take.
    let results = bulk(
        &app,
        bulk_body(json!([
            {"method": "DELETE", "path": "/Schemas/x"},
            {"method": "POST", "path": "/Users/abc", "bulkId": "u", "data": {"userName": "a"}}
        ])),
    )
    .await;
    let statuses: Vec<_> = results.iter().map(|result| &result["status"]).collect();
    assert_eq!(statuses, ["404", "405"]);

    app.finish().await;
}
