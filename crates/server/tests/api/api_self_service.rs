//! Self-service: a user edits their own name and preferences and changes their email;
//! source `self_service`, actor the user.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{assert_api_error, provenance, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn a_user_edits_their_own_name_and_preferences() {
    let app = TestApp::spawn().await;
    let (_, id) = app.admin_and_member().await;
    let edit = json!({"attributes": {"name": {"givenName": "Augusta"}, "locale": "en-GB", "timezone": "Europe/London"}});
    let response = app
        .acting(&id, Method::PATCH, "/me")
        .json(&edit)
        .send()
        .await
        .unwrap();
    let edited = json_with_status(response, 200).await;
    assert_eq!(edited["user"]["attributes"]["timezone"], "Europe/London");

    let events = app.event_rows(&id).await;
    let last = events.last().unwrap();
    assert_eq!(last["event_type"], "user_patched");
    let token = json!(service_token_id(&app).await);
    assert_eq!(
        provenance(last),
        ("self_service".into(), "user".into(), id.clone(), token)
    );
    assert_eq!(app.diagnostics(&id).await["updated_source"], "self_service");

    let title = app
        .acting(&id, Method::PATCH, "/me")
        .json(&json!({"attributes": {"title": "CEO"}}))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(title, 400, "invalid_body").await;
    assert!(message.contains("title"), "{message}");
    assert_eq!(app.event_rows(&id).await.len(), events.len());
    app.finish().await;
}

#[tokio::test]
async fn a_change_of_email_records_the_old_and_the_new_value() {
    let app = TestApp::spawn().await;
    let (_, id) = app.admin_and_member().await;
    let response = app
        .acting(&id, Method::PUT, "/me/email")
        .json(&json!({"email": "ada@new.test"}))
        .send()
        .await
        .unwrap();
    let changed = json_with_status(response, 200).await;
    assert_eq!(changed["user"]["email"], "ada@new.test");

    let events = app.event_rows(&id).await;
    let last = events.last().unwrap();
    assert_eq!(last["event_type"], "user_email_changed");
    assert_eq!(last["payload"]["old"], "ada@acme.test");
    assert_eq!(last["payload"]["new"], "ada@new.test");
    assert_eq!(last["source"], "self_service");
    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["email"], "ada@new.test");
    app.finish().await;
}

#[tokio::test]
async fn self_service_needs_an_acting_user() {
    let app = TestApp::spawn().await;
    let response = app.service(Method::GET, "/me").send().await.unwrap();
    assert_api_error(response, 403, "actor_required").await;
    app.finish().await;
}
