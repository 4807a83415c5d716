//! The admin door: role, deactivate, reactivate, profile edits and delete, with source
//! `admin` and the acting admin as actor; only admins may use it.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{assert_api_error, provenance, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn an_admin_deactivates_reactivates_edits_and_deletes_a_user() {
    let app = TestApp::spawn().await;
    let (admin, id) = app.admin_and_member().await;
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let request = app.acting(&admin, method, &path);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    let off = json_with_status(
        send(Method::POST, format!("/users/{id}/deactivate"), None).await,
        200,
    )
    .await;
    assert_eq!(off["user"]["status"], "deactivated");
    let same = json_with_status(
        send(Method::POST, format!("/users/{id}/deactivate"), None).await,
        200,
    )
    .await;
    assert_eq!(
        same["user"]["version"], off["user"]["version"],
        "no event for no change"
    );
    json_with_status(
        send(Method::POST, format!("/users/{id}/reactivate"), None).await,
        200,
    )
    .await;
    let edit = json!({"attributes": {"title": "Analyst", "name": {"givenName": "Augusta"}}});
    let edited = json_with_status(
        send(Method::PATCH, format!("/users/{id}"), Some(edit)).await,
        200,
    )
    .await;
    assert_eq!(edited["user"]["attributes"]["title"], "Analyst");
    json_with_status(
        send(Method::DELETE, format!("/users/{id}"), None).await,
        200,
    )
    .await;

    let events = app.event_rows(&id).await;
    let types: Vec<_> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "user_invited",
            "user_invite_accepted",
            "user_deactivated",
            "user_reactivated",
            "user_patched",
            "user_deleted"
        ]
    );
    let token = json!(service_token_id(&app).await);
    for event in &events[2..] {
        assert_eq!(
            provenance(event),
            ("admin".into(), "user".into(), admin.clone(), token.clone())
        );
    }
    let row = app.diagnostics(&id).await;
    assert_eq!(
        (row["status"].as_str(), row["updated_source"].as_str()),
        (Some("deleted"), Some("admin"))
    );
    app.finish().await;
}

#[tokio::test]
async fn a_non_admin_or_no_acting_user_cannot_use_the_admin_door() {
    let app = TestApp::spawn().await;
    let (_, member) = app.admin_and_member().await;
    let as_member = app
        .acting(
            &member,
            Method::POST,
            &format!("/users/{member}/deactivate"),
        )
        .send()
        .await
        .unwrap();
    let message = assert_api_error(as_member, 403, "admin_required").await;
    assert!(message.contains("role member"), "{message}");
    let bare = app
        .service(Method::POST, &format!("/users/{member}/deactivate"))
        .send()
        .await
        .unwrap();
    assert_api_error(bare, 403, "actor_required").await;
    let invite = app
        .acting(&member, Method::POST, "/invitations")
        .json(&json!({"email": "eve@acme.test", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_api_error(invite, 403, "admin_required").await;
    assert_eq!(app.event_rows(&member).await.len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn an_admin_edit_with_an_invalid_attribute_is_refused_without_an_event() {
    let app = TestApp::spawn().await;
    let (admin, id) = app.admin_and_member().await;
    let response = app
        .acting(&admin, Method::PATCH, &format!("/users/{id}"))
        .json(&json!({"attributes": {"active": "yes"}}))
        .send()
        .await
        .unwrap();
    assert_api_error(response, 400, "invalid_body").await;
    let unknown = app
        .acting(
            &admin,
            Method::POST,
            &format!("/users/{}/deactivate", uuid::Uuid::new_v4()),
        )
        .send()
        .await
        .unwrap();
    assert_api_error(unknown, 404, "not_found").await;
    assert_eq!(app.event_rows(&id).await.len(), 2);
    app.finish().await;
}
