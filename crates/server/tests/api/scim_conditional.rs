//! `If-None-Match` on `GET /Users/{id}`: a client holding the current version gets 304.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, json_with_status};

async fn user_id(app: &TestApp) -> String {
    let user = app
        .create_user(json!({"userName": "ada@example.com"}))
        .await;
    user["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn get_with_the_current_etag_in_if_none_match_returns_304_without_a_body() {
    let app = TestApp::spawn().await;
    let id = user_id(&app).await;

    for tag in ["W/\"1\"", "\"1\"", "*", "W/\"7\", W/\"1\""] {
        let response = app
            .scim(Method::GET, &format!("/Users/{id}"))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304, "If-None-Match: {tag}");
        assert_eq!(
            response.headers()["etag"],
            "W/\"1\"",
            "If-None-Match: {tag}"
        );
        assert!(
            response.bytes().await.unwrap().is_empty(),
            "If-None-Match: {tag}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn get_with_an_older_etag_in_if_none_match_returns_the_current_resource() {
    let app = TestApp::spawn().await;
    let id = user_id(&app).await;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Ada"}],
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await;

    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .header("if-none-match", "W/\"1\"")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["etag"], "W/\"2\"");
    let user = json_with_status(response, 200).await;
    assert_eq!(user["displayName"], "Ada");
    app.finish().await;
}

#[tokio::test]
async fn if_none_match_does_not_hide_that_a_user_is_gone() {
    let app = TestApp::spawn().await;
    let id = user_id(&app).await;
    let response = app
        .scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .header("if-none-match", "*")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
    app.finish().await;
}
