//! SCIM PATCH of users over HTTP, and If-Match: every write is read back
//! from both the `users` projection and the `user_events` log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};
use crate::scim_users::{ada, id_of};

#[tokio::test]
async fn patch_adds_replaces_and_removes_simple_attributes() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "add", "path": "title", "value": "Analyst"},
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "remove", "path": "externalId"}
        ]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    let user = json_with_status(response, 200).await;
    assert_eq!(user["title"], "Analyst");
    assert_eq!(user["name"]["givenName"], "Augusta");
    assert_eq!(user["name"]["familyName"], "Lovelace");
    assert!(user.get("externalId").is_none());
    assert_eq!(user["meta"]["version"], "W/\"2\"");

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["resource"]["title"], "Analyst");
    assert_eq!(row["external_id"], Value::Null);
    assert_eq!(row["last_event_type"], "user_patched");

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 2, "one request, one event");
    assert_eq!(events[1]["event_type"], "user_patched");
    let diff = events[1]["diff"].as_array().unwrap();
    assert!(diff.contains(&json!({"op": "add", "path": "/profile/title", "value": "Analyst"})));
    assert!(diff.contains(&json!({"op": "remove", "path": "/profile/externalId"})));

    app.finish().await;
}

#[tokio::test]
async fn patch_without_path_merges_an_object_and_okta_deactivation_works() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false, "displayName": "A. L."}}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    let user = json_with_status(response, 200).await;
    assert_eq!(user["active"], false);
    assert_eq!(user["displayName"], "A. L.");
    assert_eq!(user["userName"], "ada@example.com");

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["status"], "deactivated");
    assert_eq!(row["active"], false);
    let events = app.event_rows(&id).await;
    assert!(
        events[1]["diff"]
            .as_array()
            .unwrap()
            .contains(&json!({"op": "replace", "path": "/status", "value": "deactivated"}))
    );

    app.finish().await;
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_no_event() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Ada Lovelace"}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(response, 200).await["meta"]["version"],
        "W/\"1\""
    );
    assert_eq!(app.event_rows(&id).await.len(), 1);

    app.finish().await;
}

#[tokio::test]
async fn a_bad_patch_returns_a_scim_error_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let created = app.create_user(ada()).await;
    let id = id_of(&created);

    let unknown_path = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "replace", "path": "favouriteColour", "value": "blue"}
        ]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&unknown_path)
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidPath")).await;

    let no_user_name = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": "userName"}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&no_user_name)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(response, 200).await,
        created,
        "no operation was applied"
    );
    assert_eq!(app.event_rows(&id).await.len(), 1);

    app.finish().await;
}

#[tokio::test]
async fn a_stale_if_match_returns_412_and_the_current_one_succeeds() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Analyst"}]
    });

    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .header("if-match", "W/\"7\"")
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 412, None).await;

    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .header("if-match", "W/\"1\"")
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await["title"], "Analyst");
    assert_eq!(app.event_rows(&id).await.len(), 2);

    app.finish().await;
}
