//! SCIM `/Groups` over HTTP: create, read, list, replace, delete, the errors of each, and
//! organization isolation. Every write is read back from the `group_events` log and the
//! `groups` / `group_members` projections.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, event_types, json_with_status};

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

pub fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

pub async fn user(app: &TestApp, user_name: &str) -> String {
    let body = json!({"userName": user_name, "displayName": format!("{user_name} (display)")});
    id_of(&app.create_user(body).await)
}

pub fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})
}

pub fn member_ids(resource: &Value) -> Vec<String> {
    let mut ids: Vec<String> = resource["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .map(|member| member["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn create_returns_201_with_location_etag_members_and_records_a_group_event() {
    let app = TestApp::spawn().await;
    let ada = user(&app, "ada").await;

    let body = json!({"schemas": [GROUP_SCHEMA], "displayName": "Ops", "externalId": "okta-1",
        "members": [{"value": ada, "display": "stale name from the client"}]});
    let response = app
        .scim(Method::POST, "/Groups")
        .header("user-agent", "Okta SCIM Client")
        .json(&body)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let group = json_with_status(response, 201).await;
    let id = id_of(&group);

    assert_eq!(location, app.url(&format!("/scim/v2/Groups/{id}")));
    assert_eq!(etag, "W/\"1\"");
    assert_eq!(group["schemas"], json!([GROUP_SCHEMA]));
    assert_eq!(group["displayName"], "Ops");
    assert_eq!(group["externalId"], "okta-1");
    assert_eq!(group["meta"]["resourceType"], "Group");
    assert_eq!(group["meta"]["location"], location);
    let member_ref = app.url(&format!("/scim/v2/Users/{ada}"));
    assert_eq!(
        group["members"],
        json!([{"value": ada, "$ref": member_ref, "display": "ada (display)", "type": "User"}])
    );

    let row = app.group_row(&id).await.unwrap();
    assert_eq!(row["display_name"], "Ops");
    assert_eq!(row["status"], "active");
    assert_eq!(row["created_source"], "scim");
    assert_eq!(
        row["resource"],
        json!({"displayName": "Ops", "externalId": "okta-1"})
    );
    assert_eq!(app.member_rows(&id).await, [ada.as_str()]);

    let events = app.group_event_rows(&id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_type"], "group_created");
    assert_eq!(events[0]["schema_version"], 1);
    assert_eq!(events[0]["actor_id"], app.org.scim_token_id.to_string());
    assert_eq!(events[0]["user_agent"], "Okta SCIM Client");
    assert_eq!(events[0]["payload"]["members"], json!([ada]));
    assert!(events[0]["request_id"].is_string());

    app.finish().await;
}

#[tokio::test]
async fn get_returns_the_group_and_304_when_if_none_match_names_its_version() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_group(group("Ops", &[])).await);

    let response = app
        .scim(Method::GET, &format!("/Groups/{id}"))
        .send()
        .await
        .unwrap();
    let read = json_with_status(response, 200).await;
    assert_eq!(read["displayName"], "Ops");
    assert_eq!(
        read.get("members"),
        None,
        "a group without members omits them"
    );

    let response = app
        .scim(Method::GET, &format!("/Groups/{id}"))
        .header("if-none-match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    let unknown = uuid::Uuid::new_v4();
    let response = app
        .scim(Method::GET, &format!("/Groups/{unknown}"))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;

    app.finish().await;
}

#[tokio::test]
async fn display_name_is_unique_per_organization_in_any_case_and_free_again_after_delete() {
    let app = TestApp::spawn().await;
    let first = id_of(&app.create_group(group("Ops", &[])).await);

    let response = app
        .scim(Method::POST, "/Groups")
        .json(&group("OPS", &[]))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 409, Some("uniqueness")).await;
    let other = id_of(&app.create_group(group("Dev", &[])).await);
    let rename = group("ops", &[]);
    let response = app
        .scim(Method::PUT, &format!("/Groups/{other}"))
        .json(&rename)
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 409, Some("uniqueness")).await;

    let response = app
        .scim(Method::DELETE, &format!("/Groups/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    app.create_group(group("ops", &[])).await;

    let elsewhere = app.other_org("globex").await;
    let response = app
        .scim_as(&elsewhere, Method::POST, "/Groups")
        .json(&group("Dev", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        201,
        "another organization may use the same name"
    );

    app.finish().await;
}

#[tokio::test]
async fn unknown_deleted_and_other_organization_members_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let deleted = user(&app, "gone").await;
    app.scim(Method::DELETE, &format!("/Users/{deleted}"))
        .send()
        .await
        .unwrap();
    let elsewhere = app.other_org("globex").await;
    let stranger = app
        .scim_as(&elsewhere, Method::POST, "/Users")
        .json(&json!({"userName": "stranger"}))
        .send()
        .await
        .unwrap();
    let stranger = id_of(&json_with_status(stranger, 201).await);
    let unknown = uuid::Uuid::new_v4().to_string();

    for member in [
        unknown.as_str(),
        deleted.as_str(),
        stranger.as_str(),
        "not-a-uuid",
    ] {
        let response = app
            .scim(Method::POST, "/Groups")
            .json(&group("Ops", &[member]))
            .send()
            .await
            .unwrap();
        let body = assert_scim_error(response, 400, Some("invalidValue")).await;
        assert!(body["detail"].as_str().unwrap().contains(member), "{body}");
    }
    let count: i64 = app
        .client()
        .await
        .query_one("SELECT count(*) AS n FROM group_events", &[])
        .await
        .unwrap()
        .get("n");
    assert_eq!(count, 0, "a refused group leaves no event");

    app.finish().await;
}

#[tokio::test]
async fn another_organizations_group_is_404_for_every_method() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_group(group("Ops", &[])).await);
    let elsewhere = app.other_org("globex").await;
    let path = format!("/Groups/{id}");
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Mine"}]});

    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(group("Mine", &[]))),
        (Method::PATCH, Some(patch)),
        (Method::DELETE, None),
    ] {
        let mut request = app.scim_as(&elsewhere, method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        assert_scim_error(request.send().await.unwrap(), 404, None).await;
    }
    let response = app
        .scim_as(&elsewhere, Method::GET, "/Groups")
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);
    assert_eq!(app.group_row(&id).await.unwrap()["display_name"], "Ops");

    app.finish().await;
}

#[tokio::test]
async fn put_replaces_attributes_and_records_only_the_membership_delta() {
    let app = TestApp::spawn().await;
    let (ada, grace, edsger) = (
        user(&app, "ada").await,
        user(&app, "grace").await,
        user(&app, "edsger").await,
    );
    let id = id_of(&app.create_group(group("Ops", &[&ada, &grace])).await);

    let response = app
        .scim(Method::PUT, &format!("/Groups/{id}"))
        .json(&group("Operations", &[&grace, &edsger]))
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let replaced = json_with_status(response, 200).await;
    assert_eq!(replaced["displayName"], "Operations");
    assert_eq!(
        member_ids(&replaced),
        sorted(vec![grace.clone(), edsger.clone()])
    );
    assert_eq!(etag, "W/\"4\"");

    let events = app.group_event_rows(&id).await;
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "group_created",
            "group_replaced",
            "group_members_added",
            "group_members_removed"
        ]
    );
    assert_eq!(events[2]["payload"], json!({"members": [edsger]}));
    assert_eq!(events[3]["payload"], json!({"members": [ada]}));
    assert_eq!(
        events[3]["diff"],
        json!([{"op": "remove", "path": format!("/members/{ada}")}])
    );
    assert_eq!(app.member_rows(&id).await, sorted(vec![grace, edsger]));

    let again = app
        .scim(Method::PUT, &format!("/Groups/{id}"))
        .json(&replaced)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        app.group_event_rows(&id).await.len(),
        4,
        "an unchanged PUT writes nothing"
    );

    app.finish().await;
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_group(group("Ops", &[])).await);
    let path = format!("/Groups/{id}");
    app.scim(Method::PUT, &path)
        .json(&group("Ops 2", &[]))
        .send()
        .await
        .unwrap();

    let stale = app
        .scim(Method::PUT, &path)
        .header("if-match", "W/\"1\"")
        .json(&group("Ops 3", &[]))
        .send()
        .await
        .unwrap();
    assert_scim_error(stale, 412, None).await;
    let delete = app
        .scim(Method::DELETE, &path)
        .header("if-match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_scim_error(delete, 412, None).await;
    assert_eq!(app.group_row(&id).await.unwrap()["display_name"], "Ops 2");

    let current = app
        .scim(Method::PUT, &path)
        .header("if-match", "W/\"2\"")
        .json(&group("Ops 3", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 200);

    app.finish().await;
}

#[tokio::test]
async fn delete_answers_204_ends_memberships_in_members_histories_and_keeps_the_log() {
    let app = TestApp::spawn().await;
    let ada = user(&app, "ada").await;
    let id = id_of(&app.create_group(group("Ops", &[&ada])).await);

    let response = app
        .scim(Method::DELETE, &format!("/Groups/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .scim(Method::GET, &format!("/Groups/{id}"))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;
    let response = app
        .scim(Method::DELETE, &format!("/Groups/{id}"))
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 404, None).await;

    assert_eq!(app.group_row(&id).await.unwrap()["status"], "deleted");
    assert!(app.member_rows(&id).await.is_empty());
    let events = app.group_event_rows(&id).await;
    let deleted = events.last().unwrap();
    assert_eq!(deleted["event_type"], "group_deleted");
    assert_eq!(deleted["schema_version"], 2);
    assert_eq!(deleted["payload"], json!({"members": [ada]}));
    let user = app
        .scim(Method::GET, &format!("/Users/{ada}"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(user, 200).await.get("groups"), None);
    // The deletion ended ada's membership, so her history shows it.
    let history = app.user_history(&ada).await;
    assert_eq!(
        event_types(&history),
        ["user_created", "group_created", "group_deleted"]
    );
    assert_eq!(history["events"][2]["group_id"], id);

    app.finish().await;
}

#[tokio::test]
async fn a_deleted_user_disappears_from_members_and_the_rebuild_still_matches() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let id = id_of(&app.create_group(group("Ops", &[&ada, &grace])).await);

    app.scim(Method::DELETE, &format!("/Users/{ada}"))
        .send()
        .await
        .unwrap();
    let response = app
        .scim(Method::GET, &format!("/Groups/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        member_ids(&json_with_status(response, 200).await),
        [grace.as_str()]
    );
    let filter = format!("members.value eq \"{ada}\"");
    let response = app
        .scim(Method::GET, "/Groups")
        .query(&[("filter", filter.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await["totalResults"], 0);

    // The group's log never removed her, so the fold still holds her id; only reads hide it.
    assert_eq!(app.member_rows(&id).await, sorted(vec![ada, grace]));

    app.finish().await;
}
