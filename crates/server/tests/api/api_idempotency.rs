//! `Idempotency-Key` on the product's door writes: a retry gets the first response and
//! writes nothing, a reused key with another request is refused, a failed write frees its
//! key, a claim whose request never answered is taken over once stale, and a key is
//! forgotten once it expires.

use reqwest::Method;
use serde_json::{Value, json};

use crate::door_support::assert_api_error;
use crate::helpers::{TestApp, json_with_status};

async fn invite_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.service(Method::POST, "/invitations")
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_invitation_answers_the_first_response_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ada@acme.test", "role": "editor"});

    let first = invite_with_key(&app, "invite-ada-1", &body).await;
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    let first = json_with_status(first, 201).await;
    let events = app.event_count().await;

    let again = invite_with_key(&app, "invite-ada-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = json_with_status(again, 201).await;
    assert_eq!(
        again, first,
        "the same user and the same code, returned once more"
    );
    assert_eq!(app.event_count().await, events, "the retry wrote nothing");
    let id = first["user"]["id"].as_str().unwrap();
    let stored = app.event_rows(id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["event_type"], "user_invited");
    assert_eq!(app.projection_row(id).await.unwrap()["status"], "pending");

    // Without the key, the same request is a new one: the email is taken now.
    let response = app
        .service(Method::POST, "/invitations")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_api_error(response, 409, "email_taken").await;
    app.finish().await;
}

#[tokio::test]
async fn a_key_sent_again_with_another_body_is_422_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let first = invite_with_key(&app, "k", &json!({"email": "ada@acme.test"})).await;
    json_with_status(first, 201).await;
    let events = app.event_count().await;

    let other = invite_with_key(&app, "k", &json!({"email": "grace@acme.test"})).await;
    assert_api_error(other, 422, "idempotency_key_reused").await;
    assert_eq!(app.event_count().await, events);
    let response = app.api("/users?q=grace").send().await.unwrap();
    assert_eq!(json_with_status(response, 200).await["users"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn a_failed_write_frees_its_key_for_the_corrected_request() {
    let app = TestApp::spawn().await;
    let bad = invite_with_key(&app, "k", &json!({"email": "not an email"})).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(app.event_count().await, 0);

    let good = invite_with_key(&app, "k", &json!({"email": "ada@acme.test"})).await;
    let good = json_with_status(good, 201).await;
    assert_eq!(good["user"]["user_name"], "ada@acme.test");
    app.finish().await;
}

#[tokio::test]
async fn a_claim_still_running_is_409_and_a_stale_one_is_taken_over() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ada@acme.test"});
    // What a request that is still running (or whose process died) leaves behind: a claim
    // without a response. Its fingerprint is what this request's would be; take it from a
    // first, answered use of another key.
    json_with_status(invite_with_key(&app, "first", &body).await, 201).await;
    let client = app.client().await;
    client
        .execute(
            "INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, status, body, \
               created_at) \
             SELECT org_id, token_id, 'running', fingerprint, 0, 'null', now() \
             FROM idempotency_keys WHERE key = 'first'",
            &[],
        )
        .await
        .unwrap();
    let running = invite_with_key(&app, "running", &body).await;
    assert_api_error(running, 409, "idempotency_key_in_progress").await;

    client
        .execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '10 minutes' \
             WHERE key = 'running'",
            &[],
        )
        .await
        .unwrap();
    // Taken over: the write runs again, and here answers what it answers now.
    let retried = invite_with_key(&app, "running", &body).await;
    assert_api_error(retried, 409, "email_taken").await;
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM idempotency_keys WHERE key = 'running'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the failed retry freed the key");
    app.finish().await;
}

/// Moves the stored time of `key` back by `hours`, as if it had been used that long ago.
async fn age_key(app: &TestApp, key: &str, hours: i32) {
    app.client()
        .await
        .execute(
            "UPDATE idempotency_keys SET created_at = created_at - make_interval(hours => $2) \
             WHERE key = $1",
            &[&key, &hours],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_key_is_a_new_request_and_the_purge_deletes_expired_keys_only() {
    let app = TestApp::spawn().await;
    let ada = json!({"email": "ada@acme.test"});
    let bob = json!({"email": "bob@acme.test"});
    json_with_status(invite_with_key(&app, "k", &ada).await, 201).await;
    // Within the 24 hours the tests run with, the key still refuses another body.
    age_key(&app, "k", 23).await;
    assert_api_error(
        invite_with_key(&app, "k", &bob).await,
        422,
        "idempotency_key_reused",
    )
    .await;

    age_key(&app, "k", 2).await;
    let events = app.event_count().await;
    let fresh = invite_with_key(&app, "k", &bob).await;
    assert_eq!(fresh.headers().get("idempotent-replayed"), None);
    let fresh = json_with_status(fresh, 201).await;
    assert_eq!(fresh["user"]["email"], "bob@acme.test", "{fresh}");
    assert_eq!(app.event_count().await, events + 1, "the write ran");
    let id = fresh["user"]["id"].as_str().unwrap();
    assert_eq!(app.event_rows(id).await[0]["event_type"], "user_invited");
    assert_eq!(app.projection_row(id).await.unwrap()["status"], "pending");
    // The key now answers with the new response.
    let again = invite_with_key(&app, "k", &bob).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_with_status(again, 201).await, fresh);

    json_with_status(
        invite_with_key(&app, "old", &json!({"email": "cy@acme.test"})).await,
        201,
    )
    .await;
    age_key(&app, "old", 25).await;
    let client = app.client().await;
    let expired_before = app.now() - time::Duration::hours(24);
    let purged = usertrail_store::idempotency::purge_expired(&client, expired_before, 10)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: Vec<String> = client
        .query("SELECT key FROM idempotency_keys ORDER BY key", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(left, ["k"]);
    app.finish().await;
}
