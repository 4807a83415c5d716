//! SCIM failures over HTTP: authentication, isolation between organizations,
//! malformed bodies and unknown endpoints, each an RFC 7644 error body.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_scim_error};

#[tokio::test]
async fn a_missing_or_wrong_token_returns_401_in_scim_format() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .get(app.url("/scim/v2/Users"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    assert_scim_error(response, 401, None).await;

    let response = app
        .http
        .get(app.url("/scim/v2/Users"))
        .bearer_auth("ut_scim_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 401, None).await;

    let response = app
        .http
        .get(app.url("/scim/v2/Users"))
        .bearer_auth(&app.org.service_token)
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 403, None).await;

    app.finish().await;
}

#[tokio::test]
async fn malformed_bodies_return_400_with_the_right_scim_type() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidSyntax")).await;

    let response = app
        .scim(Method::POST, "/Users")
        .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidValue")).await;

    let response = app
        .scim(Method::POST, "/Users")
        .header("content-type", "application/json")
        .body(json!({"userName": "plain-json@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "application/json is accepted too");

    let big = "x".repeat(70 * 1024);
    let response = app
        .scim(Method::POST, "/Users")
        .json(&json!({"userName": "big@example.com", "displayName": big}))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 413, None).await;
    assert_eq!(app.event_count().await, 1);

    app.finish().await;
}

#[tokio::test]
async fn unknown_scim_paths_and_methods_answer_with_scim_errors() {
    let app = TestApp::spawn().await;

    let response = app.scim(Method::GET, "/Widgets").send().await.unwrap();
    assert_scim_error(response, 404, None).await;
    let response = app.scim(Method::DELETE, "/Users").send().await.unwrap();
    assert_scim_error(response, 405, None).await;

    app.finish().await;
}
