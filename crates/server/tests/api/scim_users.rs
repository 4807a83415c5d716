//! SCIM `/Users` over HTTP: every write is read back from both the `users`
//! projection and the `user_events` log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

pub(crate) fn ada() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com",
        "externalId": "entra-0001",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "displayName": "Ada Lovelace",
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        "active": true
    })
}

pub(crate) fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_returns_201_with_location_meta_and_records_a_scim_event() {
    let app = TestApp::spawn().await;

    let response = app
        .scim(Method::POST, "/Users")
        .header("user-agent", "Azure AD SCIM client")
        .json(&ada())
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let user = json_with_status(response, 201).await;
    let id = id_of(&user);

    assert_eq!(location, app.url(&format!("/scim/v2/Users/{id}")));
    assert_eq!(etag, "W/\"1\"");
    assert_eq!(user["userName"], "ada@example.com");
    assert_eq!(user["name"]["givenName"], "Ada");
    assert_eq!(
        user["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(user["meta"]["location"], location);
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["meta"]["created"], user["meta"]["lastModified"]);

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["user_name"], "ada@example.com");
    assert_eq!(row["external_id"], "entra-0001");
    assert_eq!(row["status"], "active");
    assert_eq!(row["version"], 1);
    assert_eq!(row["created_source"], "scim");
    assert_eq!(row["created_actor_kind"], "scim_client");
    assert_eq!(row["created_actor_id"], app.org.scim_token_id.to_string());
    assert_eq!(row["created_actor_display"], "Entra ID");
    assert_eq!(row["updated_source"], "scim");
    assert_eq!(row["last_event_type"], "user_created");

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["event_type"], "user_created");
    assert_eq!(event["version"], 1);
    assert_eq!(event["source"], "scim");
    assert_eq!(event["actor_kind"], "scim_client");
    assert_eq!(event["actor_id"], app.org.scim_token_id.to_string());
    assert_eq!(event["actor_display"], "Entra ID");
    assert_eq!(event["user_agent"], "Azure AD SCIM client");
    assert_eq!(event["client_addr"], "127.0.0.1");
    assert!(event["request_id"].is_string());
    assert_eq!(event["payload"]["profile"]["userName"], "ada@example.com");
    assert_eq!(
        event["diff"],
        json!([
            {"op": "add", "path": "/idp_managed", "value": true},
            {"op": "add", "path": "/profile", "value": event["payload"]["profile"]},
            {"op": "add", "path": "/role", "value": "member"},
            {"op": "add", "path": "/status", "value": "active"}
        ])
    );

    app.finish().await;
}

#[tokio::test]
async fn a_duplicate_user_name_in_any_case_returns_409_uniqueness_and_writes_nothing() {
    let app = TestApp::spawn().await;
    app.create_user(ada()).await;

    for user_name in ["ada@example.com", "ADA@Example.COM"] {
        let mut body = ada();
        body["userName"] = json!(user_name);
        let response = app
            .scim(Method::POST, "/Users")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_scim_error(response, 409, Some("uniqueness")).await;
    }
    assert_eq!(app.event_count().await, 1);

    let other = app.other_org("globex").await;
    let response = app
        .scim_as(&other, Method::POST, "/Users")
        .json(&ada())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        201,
        "another organization may use the same userName"
    );

    app.finish().await;
}

#[tokio::test]
async fn get_returns_the_stored_resource_and_unknown_ids_return_404() {
    let app = TestApp::spawn().await;
    let created = app.create_user(ada()).await;
    let id = id_of(&created);

    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    assert_eq!(json_with_status(response, 200).await, created);

    for missing in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let response = app
            .scim(Method::GET, &format!("/Users/{missing}"))
            .send()
            .await
            .unwrap();
        assert_scim_error(response, 404, None).await;
    }

    app.finish().await;
}

#[tokio::test]
async fn list_filters_by_user_name_without_case_and_counts_correctly() {
    let app = TestApp::spawn().await;
    let created = app.create_user(ada()).await;
    app.create_user(json!({"userName": "grace@example.com"}))
        .await;

    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", "userName eq \"ADA@example.com\"")])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(
        page["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["startIndex"], 1);
    assert_eq!(page["Resources"], json!([created]));

    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", "userName eq \"nobody@example.com\"")])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(page["totalResults"], 0);
    assert_eq!(page["Resources"], json!([]));

    app.finish().await;
}

#[tokio::test]
async fn list_pages_with_start_index_and_count_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(id_of(
            &app.create_user(json!({"userName": format!("u{n}@example.com")}))
                .await,
        ));
    }

    let mut seen = Vec::new();
    for start in [1, 3, 5] {
        let response = app
            .scim(Method::GET, &format!("/Users?startIndex={start}&count=2"))
            .send()
            .await
            .unwrap();
        let page = json_with_status(response, 200).await;
        assert_eq!(page["totalResults"], 5);
        assert_eq!(page["startIndex"], start);
        let resources = page["Resources"].as_array().unwrap();
        assert_eq!(page["itemsPerPage"], resources.len());
        seen.extend(resources.iter().map(id_of));
    }
    assert_eq!(
        seen, created,
        "pages cover every user once, in creation order"
    );

    let response = app
        .scim(Method::GET, "/Users?startIndex=9&count=2")
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(
        page["totalResults"], 5,
        "past the end, the total still counts"
    );
    assert_eq!(page["Resources"], json!([]));

    let response = app
        .scim(Method::GET, "/Users?count=0")
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(page["totalResults"], 5);
    assert_eq!(page["Resources"], json!([]));

    app.finish().await;
}

#[tokio::test]
async fn an_unsupported_or_malformed_filter_returns_400_invalid_filter() {
    let app = TestApp::spawn().await;
    app.create_user(ada()).await;

    for filter in [
        "favouriteColour co \"x\"",
        "userName eq",
        "userName xx \"a\"",
        "(userName eq \"a\"",
    ] {
        let response = app
            .scim(Method::GET, "/Users")
            .query(&[("filter", filter)])
            .send()
            .await
            .unwrap();
        assert_scim_error(response, 400, Some("invalidFilter")).await;
    }

    app.finish().await;
}

#[tokio::test]
async fn put_replaces_the_user_and_records_user_replaced_with_its_diff() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let mut replacement = ada();
    replacement["displayName"] = json!("Countess of Lovelace");
    replacement.as_object_mut().unwrap().remove("externalId");
    let response = app
        .scim(Method::PUT, &format!("/Users/{id}"))
        .json(&replacement)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "W/\"2\"");
    let user = json_with_status(response, 200).await;
    assert_eq!(user["displayName"], "Countess of Lovelace");
    assert!(
        user.get("externalId").is_none(),
        "PUT replaces, so omitted attributes go"
    );
    assert_eq!(user["meta"]["version"], "W/\"2\"");

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["version"], 2);
    assert_eq!(row["external_id"], Value::Null);
    assert_eq!(row["display_name"], "Countess of Lovelace");
    assert_eq!(row["last_event_type"], "user_replaced");
    assert_eq!(row["created_source"], "scim");

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["event_type"], "user_replaced");
    assert_eq!(events[1]["version"], 2);
    assert_eq!(events[1]["actor_id"], app.org.scim_token_id.to_string());
    assert_eq!(
        events[1]["diff"],
        json!([
            {"op": "replace", "path": "/profile/displayName", "value": "Countess of Lovelace"},
            {"op": "remove", "path": "/profile/externalId"}
        ])
    );

    app.finish().await;
}

#[tokio::test]
async fn a_put_that_changes_nothing_writes_no_event() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let response = app
        .scim(Method::PUT, &format!("/Users/{id}"))
        .json(&ada())
        .send()
        .await
        .unwrap();
    let user = json_with_status(response, 200).await;
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(app.event_rows(&id).await.len(), 1);
    assert_eq!(app.projection_row(&id).await.unwrap()["version"], 1);

    app.finish().await;
}

#[tokio::test]
async fn delete_returns_204_then_the_user_is_gone_from_scim_but_kept_as_deleted() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_user(ada()).await);

    let response = app
        .scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let response = app
        .scim(Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;
    let response = app
        .scim(Method::DELETE, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}]
        }))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;
    let response = app.scim(Method::GET, "/Users").send().await.unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);

    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["status"], "deleted");
    assert_eq!(row["last_event_type"], "user_deleted");
    assert_eq!(row["created_source"], "scim");
    let events = app.event_rows(&id).await;
    assert_eq!(events[1]["event_type"], "user_deleted");
    assert_eq!(
        events[1]["diff"],
        json!([{"op": "replace", "path": "/status", "value": "deleted"}])
    );

    let response = app
        .scim(Method::POST, "/Users")
        .json(&ada())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        201,
        "a deleted user's userName is free again"
    );

    app.finish().await;
}

#[tokio::test]
async fn a_token_of_another_organization_sees_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let created = app.create_user(ada()).await;
    let id = id_of(&created);
    let other = app.other_org("globex").await;

    let path = format!("/Users/{id}");
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "x"}]
    });
    let requests = [
        app.scim_as(&other, Method::GET, &path),
        app.scim_as(&other, Method::PUT, &path).json(&ada()),
        app.scim_as(&other, Method::PATCH, &path).json(&patch),
        app.scim_as(&other, Method::DELETE, &path),
    ];
    for request in requests {
        assert_scim_error(request.send().await.unwrap(), 404, None).await;
    }
    let response = app
        .scim_as(&other, Method::GET, "/Users")
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);

    assert_eq!(app.event_count().await, 1);
    let response = app.scim(Method::GET, &path).send().await.unwrap();
    assert_eq!(json_with_status(response, 200).await, created);

    app.finish().await;
}
