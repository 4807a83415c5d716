//! SCIM `password`: write-only, hashed before any event is built, never in
//! a response, the log's payload or diff; only its hash is kept, outside
//! the log.

use reqwest::Method;
use serde_json::{Value, json};
use usertrail_domain::{OrgId, PasswordHash, UserId};
use usertrail_server::password::verify_password;

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const FIRST: &str = "Tr0ub4dor&3 first";
const SECOND: &str = "correct horse battery staple";

async fn stored_hash(app: &TestApp, id: &str) -> Option<PasswordHash> {
    let user = UserId(uuid::Uuid::parse_str(id).unwrap());
    let client = app.client().await;
    usertrail_store::password_hash(&client, OrgId(app.org.id.0), user)
        .await
        .unwrap()
}

/// Every stored event of the user, as text, must not mention the secret.
async fn assert_log_holds_no_secret(app: &TestApp, id: &str) {
    for event in app.event_rows(id).await {
        let text = event.to_string();
        for secret in [FIRST, SECOND, "argon2", "password\""] {
            assert!(
                !text.contains(secret),
                "{secret:?} leaked into the log: {text}"
            );
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["event_type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_password_on_create_is_hashed_recorded_as_changed_and_never_returned() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users")
        .json(&json!({"userName": "ada@example.com", "password": FIRST}))
        .send()
        .await
        .unwrap();
    let user = json_with_status(response, 201).await;
    let id = user["id"].as_str().unwrap();
    assert!(user.get("password").is_none());
    assert_eq!(user["meta"]["version"], "W/\"2\"");

    let events = app.event_rows(id).await;
    assert_eq!(types(&events), ["user_created", "user_password_changed"]);
    assert_eq!(events[1]["payload"], json!({}));
    assert_eq!(events[1]["diff"], json!([]));
    assert_log_holds_no_secret(&app, id).await;
    assert!(
        app.projection_row(id).await.unwrap()["resource"]
            .get("password")
            .is_none()
    );

    let hash = stored_hash(&app, id).await.unwrap();
    assert!(verify_password(FIRST, &hash));
    assert!(!verify_password(SECOND, &hash));

    let response = app
        .scim(
            Method::GET,
            &format!("/Users/{id}?attributes=password,userName"),
        )
        .send()
        .await
        .unwrap();
    assert!(
        json_with_status(response, 200)
            .await
            .get("password")
            .is_none()
    );

    app.finish().await;
}

#[tokio::test]
async fn okta_changes_a_password_with_a_no_path_replace_and_only_that_is_recorded() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com", "password": FIRST}))
        .await;
    let id = user["id"].as_str().unwrap();

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"password": SECOND}}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    let patched = json_with_status(response, 200).await;
    assert!(patched.get("password").is_none());
    assert_eq!(patched["meta"]["version"], "W/\"3\"");

    let events = app.event_rows(id).await;
    assert_eq!(
        types(&events),
        [
            "user_created",
            "user_password_changed",
            "user_password_changed"
        ]
    );
    assert_eq!(events[2]["source"], "scim");
    assert_eq!(events[2]["actor_id"], app.org.scim_token_id.to_string());
    assert_log_holds_no_secret(&app, id).await;
    assert!(verify_password(
        SECOND,
        &stored_hash(&app, id).await.unwrap()
    ));

    app.finish().await;
}

#[tokio::test]
async fn a_put_without_a_password_keeps_it_and_one_with_a_password_replaces_it() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com", "password": FIRST}))
        .await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/Users/{id}");

    let body = json!({"userName": "ada@example.com", "title": "Analyst"});
    let response = app
        .scim(Method::PUT, &path)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(verify_password(
        FIRST,
        &stored_hash(&app, id).await.unwrap()
    ));

    let body = json!({"userName": "ada@example.com", "title": "Analyst", "password": SECOND});
    let response = app
        .scim(Method::PUT, &path)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(verify_password(
        SECOND,
        &stored_hash(&app, id).await.unwrap()
    ));

    let events = app.event_rows(id).await;
    assert_eq!(
        types(&events),
        [
            "user_created",
            "user_password_changed",
            "user_replaced",
            "user_password_changed"
        ]
    );
    assert_log_holds_no_secret(&app, id).await;

    app.finish().await;
}

#[tokio::test]
async fn deleting_a_user_forgets_its_password_hash() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com", "password": FIRST}))
        .await;
    let id = user["id"].as_str().unwrap();

    let response = app
        .scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(stored_hash(&app, id).await, None);

    app.finish().await;
}

#[tokio::test]
async fn an_empty_password_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users")
        .json(&json!({"userName": "ada@example.com", "password": ""}))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidValue")).await;
    assert_eq!(app.event_count().await, 0);

    app.finish().await;
}

#[tokio::test]
async fn a_filter_on_password_in_a_url_is_403_sensitive_and_never_matches_in_a_search() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "ada@example.com", "password": FIRST}))
        .await;

    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", format!("password eq \"{FIRST}\""))])
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 403, Some("sensitive")).await;

    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": format!("password eq \"{FIRST}\"")
    });
    let response = app
        .scim(Method::POST, "/Users/.search")
        .json(&search)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert!(
        status == 400 || body.contains("\"totalResults\":0"),
        "a write-only attribute must never match: {status} {body}"
    );

    app.finish().await;
}
