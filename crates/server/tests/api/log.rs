//! The log refuses to be changed, whoever asks through SQL.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn update_delete_and_truncate_on_user_events_fail_with_an_append_only_message() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "ada@example.com"}))
        .await;
    let client = app.client().await;

    for statement in [
        "UPDATE user_events SET actor_display = 'someone else'",
        "DELETE FROM user_events",
        "TRUNCATE user_events",
    ] {
        let error = client.batch_execute(statement).await.unwrap_err();
        let message = error
            .as_db_error()
            .map(|db| db.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains("append-only"), "{statement}: {message}");
    }
    assert_eq!(app.event_count().await, 1, "every event is still there");

    app.finish().await;
}

#[tokio::test]
async fn a_scim_delete_keeps_the_event_history() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com"}))
        .await;
    let id = user["id"].as_str().unwrap();

    let response = app
        .scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let events = app.event_rows(id).await;
    let types: Vec<_> = events
        .iter()
        .map(|event| event["event_type"].clone())
        .collect();
    assert_eq!(types, [json!("user_created"), json!("user_deleted")]);

    app.finish().await;
}

#[tokio::test]
async fn the_rebuild_check_notices_a_projection_that_disagrees_with_the_log() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com"}))
        .await;
    let (projection, rebuilt) = app.projection_and_rebuild().await;
    assert_eq!(projection, rebuilt);

    // A write that bypassed the log: the check that ends every test must see it.
    let id = uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
    app.client()
        .await
        .execute(
            "UPDATE users SET display_name = 'edited behind the log' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let (projection, rebuilt) = app.projection_and_rebuild().await;
    assert_ne!(projection, rebuilt);

    app.client()
        .await
        .execute("UPDATE users SET display_name = NULL WHERE id = $1", &[&id])
        .await
        .unwrap();
    app.finish().await;
}
