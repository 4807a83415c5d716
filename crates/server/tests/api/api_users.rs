//! `/api/v1/users`: the diagnostics and history of users.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_with_status};

async fn create(app: &TestApp, user_name: &str) -> String {
    let user = app.create_user(json!({"userName": user_name})).await;
    user["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_diagnostics_say_how_a_user_was_created_and_last_changed() {
    let app = TestApp::spawn().await;
    let id = create(&app, "ada@example.com").await;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Analyst"}]
    });
    app.scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();

    let response = app.api(&format!("/users/{id}")).send().await.unwrap();
    let user = json_with_status(response, 200).await;
    assert_eq!(user["user_name"], "ada@example.com");
    assert_eq!(user["status"], "active");
    assert_eq!(user["version"], 2);
    assert_eq!(user["created_source"], "scim");
    assert_eq!(
        user["created_actor"],
        json!({"kind": "scim_client", "id": app.org.scim_token_id.to_string(), "display": "Entra ID"})
    );
    assert_eq!(user["updated_source"], "scim");
    assert_eq!(user["last_event_type"], "user_patched");
    assert_eq!(user["attributes"]["title"], "Analyst");
    assert!(user["created_at"].as_str().unwrap() <= user["updated_at"].as_str().unwrap());

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["version"], 2);

    app.finish().await;
}

#[tokio::test]
async fn the_history_lists_every_event_oldest_first_with_actor_and_diff() {
    let app = TestApp::spawn().await;
    let id = create(&app, "ada@example.com").await;
    app.scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();

    let response = app
        .api(&format!("/users/{id}/events"))
        .send()
        .await
        .unwrap();
    let history = json_with_status(response, 200).await;
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event_type"], "user_created");
    assert_eq!(events[0]["version"], 1);
    assert_eq!(events[1]["event_type"], "user_deleted");
    assert_eq!(events[1]["source"], "scim");
    assert_eq!(events[1]["actor"]["id"], app.org.scim_token_id.to_string());
    assert_eq!(
        events[1]["diff"],
        json!([{"op": "replace", "path": "/status", "value": "deleted"}])
    );
    assert_eq!(
        app.event_rows(&id).await[1]["event_id"],
        events[1]["event_id"]
    );

    let response = app
        .api(&format!("/users/{}/events", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(response, 404).await["error"]["code"],
        "not_found"
    );

    app.finish().await;
}

#[tokio::test]
async fn the_list_includes_deleted_users_and_filters_by_status_and_source() {
    let app = TestApp::spawn().await;
    let kept = create(&app, "kept@example.com").await;
    let gone = create(&app, "gone@example.com").await;
    app.scim(Method::DELETE, &format!("/Users/{gone}"))
        .send()
        .await
        .unwrap();

    let all = json_with_status(app.api("/users").send().await.unwrap(), 200).await;
    assert_eq!(
        ids(&all),
        [gone.clone(), kept.clone()],
        "newest change first"
    );
    assert_eq!(all["users"][0]["status"], "deleted");

    let deleted = app.api("/users?status=deleted").send().await.unwrap();
    assert_eq!(ids(&json_with_status(deleted, 200).await), [gone]);

    let by_scim = app
        .api("/users?created_source=scim&sort=created_at&order=asc")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&json_with_status(by_scim, 200).await).len(), 2);
    let by_admin = app.api("/users?source=admin").send().await.unwrap();
    assert_eq!(
        ids(&json_with_status(by_admin, 200).await),
        Vec::<String>::new()
    );

    let bad = app.api("/users?source=ldap").send().await.unwrap();
    assert_eq!(
        json_with_status(bad, 400).await["error"]["code"],
        "invalid_parameter"
    );

    app.finish().await;
}

#[tokio::test]
async fn keyset_pages_cover_every_user_once() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(create(&app, &format!("u{n}@example.com")).await);
    }

    let mut seen = Vec::new();
    let mut path = "/users?sort=created_at&order=asc&limit=3".to_owned();
    loop {
        let page = json_with_status(app.api(&path).send().await.unwrap(), 200).await;
        seen.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        path = format!("/users?sort=created_at&order=asc&limit=3&cursor={cursor}");
    }
    assert_eq!(seen, created);

    let bad = app.api("/users?cursor=bm9wZQ").send().await.unwrap();
    assert_eq!(
        json_with_status(bad, 400).await["error"]["code"],
        "invalid_cursor"
    );

    app.finish().await;
}

#[tokio::test]
async fn the_api_needs_a_service_or_auditor_token_of_the_organization() {
    let app = TestApp::spawn().await;
    let id = create(&app, "ada@example.com").await;

    let response = app.http.get(app.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(
        json_with_status(response, 401).await["error"]["code"],
        "missing_token"
    );

    let response = app
        .http
        .get(app.url("/api/v1/users"))
        .bearer_auth(&app.org.scim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(response, 403).await["error"]["code"],
        "forbidden"
    );

    let response = app
        .http
        .get(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&app.org.auditor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "auditors may read diagnostics");

    let other = app.other_org("globex").await;
    let response = app
        .http
        .get(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&other.service_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .http
        .get(app.url("/api/v1/users"))
        .bearer_auth(&other.service_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(&json_with_status(response, 200).await),
        Vec::<String>::new()
    );

    app.finish().await;
}
