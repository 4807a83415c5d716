//! Group membership over HTTP: PATCH requests replayed as Entra ID and Okta send them, the
//! deltas they leave in the log, listing and filtering groups, and the membership as users
//! see it (their `groups` attribute and their history).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_with_status};
use crate::scim_groups::{group, id_of, member_ids, user};

fn patch_op(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

async fn patch(app: &TestApp, id: &str, operations: Value) -> Value {
    let response = app
        .scim(Method::PATCH, &format!("/Groups/{id}"))
        .json(&patch_op(operations))
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await
}

fn last_event(events: &[Value]) -> &Value {
    events.last().unwrap()
}

#[tokio::test]
async fn entra_remove_naming_members_in_the_value_records_one_removal() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let id = id_of(&app.create_group(group("Ops", &[&ada, &grace])).await);

    let ops = json!([{"op": "Remove", "path": "members", "value": [{"value": ada}]}]);
    let patched = patch(&app, &id, ops).await;

    assert_eq!(member_ids(&patched), [grace.as_str()]);
    let events = app.group_event_rows(&id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(last_event(&events)["event_type"], "group_members_removed");
    assert_eq!(last_event(&events)["payload"], json!({"members": [ada]}));
    assert_eq!(app.member_rows(&id).await, [grace]);

    app.finish().await;
}

#[tokio::test]
async fn remove_with_a_members_value_filter_removes_that_member() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let id = id_of(&app.create_group(group("Ops", &[&ada, &grace])).await);

    let path = format!("members[value eq \"{grace}\"]");
    let patched = patch(&app, &id, json!([{"op": "remove", "path": path}])).await;

    assert_eq!(member_ids(&patched), [ada]);
    let events = app.group_event_rows(&id).await;
    assert_eq!(last_event(&events)["payload"], json!({"members": [grace]}));

    app.finish().await;
}

#[tokio::test]
async fn adding_members_ignores_duplicates_and_an_add_of_only_members_writes_nothing() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let id = id_of(&app.create_group(group("Ops", &[&ada])).await);

    let value = json!([{"value": ada}, {"value": grace}, {"value": grace}]);
    let patched = patch(
        &app,
        &id,
        json!([{"op": "ADD", "path": "members", "value": value}]),
    )
    .await;
    let mut expected = vec![ada.clone(), grace.clone()];
    expected.sort();
    assert_eq!(member_ids(&patched), expected);
    let events = app.group_event_rows(&id).await;
    assert_eq!(last_event(&events)["event_type"], "group_members_added");
    assert_eq!(last_event(&events)["payload"], json!({"members": [grace]}));

    let again = json!([{"op": "add", "path": "members", "value": [{"value": ada}]}]);
    patch(&app, &id, again).await;
    assert_eq!(
        app.group_event_rows(&id).await.len(),
        2,
        "a no-op add writes no event"
    );

    app.finish().await;
}

#[tokio::test]
async fn okta_replace_of_members_sets_the_list_and_an_empty_list_clears_it() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let id = id_of(&app.create_group(group("Ops", &[&ada])).await);

    let ops =
        json!([{"op": "replace", "path": "members", "value": [{"value": grace, "display": "g"}]}]);
    assert_eq!(member_ids(&patch(&app, &id, ops).await), [grace.as_str()]);
    let events = app.group_event_rows(&id).await;
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "group_created",
            "group_members_added",
            "group_members_removed"
        ]
    );

    let cleared = patch(
        &app,
        &id,
        json!([{"op": "replace", "path": "members", "value": []}]),
    )
    .await;
    assert_eq!(cleared.get("members"), None);
    assert!(app.member_rows(&id).await.is_empty());

    app.finish().await;
}

#[tokio::test]
async fn okta_no_path_replace_restating_the_id_renames_the_group() {
    let app = TestApp::spawn().await;
    let ada = user(&app, "ada").await;
    let id = id_of(&app.create_group(group("Ops", &[&ada])).await);

    let ops = json!([{"op": "replace", "value": {"id": id, "displayName": "Operations"}}]);
    let patched = patch(&app, &id, ops).await;

    assert_eq!(patched["displayName"], "Operations");
    assert_eq!(member_ids(&patched), [ada]);
    let events = app.group_event_rows(&id).await;
    assert_eq!(last_event(&events)["event_type"], "group_patched");
    assert_eq!(
        last_event(&events)["diff"],
        json!([{"op": "replace", "path": "/profile/displayName", "value": "Operations"}])
    );

    app.finish().await;
}

#[tokio::test]
async fn patching_an_unknown_member_in_is_400_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.create_group(group("Ops", &[])).await);
    let unknown = uuid::Uuid::new_v4().to_string();

    let ops = json!([{"op": "add", "path": "members", "value": [{"value": unknown}]}]);
    let response = app
        .scim(Method::PATCH, &format!("/Groups/{id}"))
        .json(&patch_op(ops))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_scim_error(response, 400, Some("invalidValue")).await;
    assert_eq!(app.group_event_rows(&id).await.len(), 1);

    app.finish().await;
}

#[tokio::test]
async fn one_member_added_to_a_large_group_stores_one_id() {
    let app = TestApp::spawn().await;
    let mut members = Vec::new();
    for n in 0..60 {
        members.push(user(&app, &format!("member-{n}")).await);
    }
    let names: Vec<&str> = members.iter().map(String::as_str).collect();
    let id = id_of(&app.create_group(group("Everyone", &names)).await);
    let newcomer = user(&app, "newcomer").await;

    let ops = json!([{"op": "add", "path": "members", "value": [{"value": newcomer}]}]);
    patch(&app, &id, ops).await;

    let events = app.group_event_rows(&id).await;
    assert_eq!(
        last_event(&events)["payload"],
        json!({"members": [newcomer]})
    );
    assert_eq!(
        last_event(&events)["diff"],
        json!([{"op": "add", "path": format!("/members/{newcomer}"), "value": true}])
    );
    assert_eq!(app.member_rows(&id).await.len(), 61);

    app.finish().await;
}

#[tokio::test]
async fn groups_list_with_filters_sorting_paging_and_attribute_selection() {
    let app = TestApp::spawn().await;
    let ada = user(&app, "ada").await;
    let ops = id_of(&app.create_group(group("Ops", &[&ada])).await);
    let dev = id_of(
        &app.create_group(json!({"displayName": "Dev", "externalId": "x-2"}))
            .await,
    );

    let list = |filter: String| {
        let request = app
            .scim(Method::GET, "/Groups")
            .query(&[("filter", filter)]);
        async move { json_with_status(request.send().await.unwrap(), 200).await }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect()
    };
    assert_eq!(
        ids(&list("displayName eq \"ops\"".into()).await),
        [ops.as_str()]
    );
    assert_eq!(
        ids(&list("externalId eq \"x-2\"".into()).await),
        [dev.as_str()]
    );
    assert_eq!(
        ids(&list(format!("members.value eq \"{ada}\"")).await),
        [ops.as_str()]
    );
    assert_eq!(
        ids(&list(format!("members[value eq \"{ada}\"]")).await),
        [ops.as_str()]
    );
    assert_eq!(ids(&list(format!("id eq \"{dev}\"")).await), [dev.as_str()]);
    assert_eq!(
        ids(&list("meta.resourceType eq \"Group\"".into()).await).len(),
        2
    );
    let refused = app
        .scim(Method::GET, "/Groups")
        .query(&[("filter", "userName eq \"ada\"")])
        .send()
        .await
        .unwrap();
    crate::helpers::assert_scim_error(refused, 400, Some("invalidFilter")).await;

    let query = [
        ("sortBy", "displayName"),
        ("count", "1"),
        ("excludedAttributes", "members"),
    ];
    let response = app
        .scim(Method::GET, "/Groups")
        .query(&query)
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(page["totalResults"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["displayName"], "Dev");
    let query = [
        ("sortBy", "displayName"),
        ("startIndex", "2"),
        ("attributes", "displayName"),
    ];
    let response = app
        .scim(Method::GET, "/Groups")
        .query(&query)
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    assert_eq!(page["Resources"][0]["displayName"], "Ops");
    assert_eq!(page["Resources"][0].get("members"), None);
    assert_eq!(page["Resources"][0]["id"], ops);

    app.finish().await;
}

#[tokio::test]
async fn a_users_groups_attribute_follows_membership_and_can_be_filtered() {
    let app = TestApp::spawn().await;
    let (ada, grace) = (user(&app, "ada").await, user(&app, "grace").await);
    let ops = id_of(&app.create_group(group("Ops", &[&ada])).await);

    let response = app
        .scim(Method::GET, &format!("/Users/{ada}"))
        .send()
        .await
        .unwrap();
    let read = json_with_status(response, 200).await;
    let reference = app.url(&format!("/scim/v2/Groups/{ops}"));
    assert_eq!(
        read["groups"],
        json!([{"value": ops, "$ref": reference, "display": "Ops", "type": "direct"}])
    );
    let filter = format!("groups.value eq \"{ops}\"");
    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", filter.as_str())])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    let found: Vec<String> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(found, [ada.as_str()]);
    assert_eq!(page["Resources"][0]["groups"][0]["value"], ops);

    let ops_patch = json!([{"op": "replace", "path": "members", "value": [{"value": grace}]}]);
    patch(&app, &ops, ops_patch).await;
    let response = app
        .scim(Method::GET, &format!("/Users/{ada}"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(response, 200).await.get("groups"), None);
    let title = json!([{"op": "replace", "path": "title", "value": "Lead"}]);
    let response = app
        .scim(Method::PATCH, &format!("/Users/{grace}"))
        .json(&patch_op(title))
        .send()
        .await
        .unwrap();
    let written = json_with_status(response, 200).await;
    assert_eq!(
        written["groups"][0]["display"], "Ops",
        "write responses carry groups too"
    );
    let profile = &app.projection_row(&grace).await.unwrap()["resource"];
    assert_eq!(
        profile.get("groups"),
        None,
        "groups are never stored in the user"
    );

    app.finish().await;
}

#[tokio::test]
async fn a_users_history_shows_being_added_to_and_removed_from_a_group_in_time_order() {
    let app = TestApp::spawn().await;
    let ada = user(&app, "ada").await;
    let ops = id_of(&app.create_group(group("Ops", &[])).await);
    patch(
        &app,
        &ops,
        json!([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    let remove = json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]);
    patch(&app, &ops, remove).await;
    app.create_group(group("Unrelated", &[])).await;

    let history = app.user_history(&ada).await;
    let events = history["events"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["stream"].as_str().unwrap(),
                e["event_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("user", "user_created"),
            ("group", "group_members_added"),
            ("group", "group_members_removed")
        ]
    );
    let added = &events[1];
    assert_eq!(added["group_id"], ops);
    assert_eq!(added["group_display_name"], "Ops");
    assert_eq!(added["source"], "scim");
    assert_eq!(added["actor"]["kind"], "scim_client");
    assert_eq!(added["actor"]["display"], "Entra ID");
    assert_eq!(events[0].get("group_id"), None);
    assert_eq!(events[0]["version"], 1);

    app.finish().await;
}

#[tokio::test]
async fn a_user_list_shows_each_listed_users_groups_in_name_order() {
    let app = TestApp::spawn().await;
    let (ada, grace, linus) = (
        user(&app, "ada").await,
        user(&app, "grace").await,
        user(&app, "linus").await,
    );
    let ops = id_of(&app.create_group(group("ops", &[&ada, &grace])).await);
    let admins = id_of(&app.create_group(group("Admins", &[&ada])).await);

    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("sortBy", "userName")])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    let groups_of = |index: usize| -> Vec<(String, String)> {
        let resource = &page["Resources"][index];
        let Some(groups) = resource.get("groups") else {
            return Vec::new();
        };
        groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["value"].as_str().unwrap().to_owned(),
                    g["display"].to_string(),
                )
            })
            .collect()
    };
    let ids: Vec<String> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [ada.as_str(), grace.as_str(), linus.as_str()]);
    // By displayName regardless of case: "Admins" before "ops".
    assert_eq!(
        groups_of(0),
        [
            (admins.clone(), "\"Admins\"".to_owned()),
            (ops.clone(), "\"ops\"".to_owned())
        ]
    );
    assert_eq!(groups_of(1), [(ops.clone(), "\"ops\"".to_owned())]);
    assert_eq!(page["Resources"][2].get("groups"), None);
    let reference = app.url(&format!("/scim/v2/Groups/{ops}"));
    assert_eq!(page["Resources"][1]["groups"][0]["$ref"], reference);

    app.finish().await;
}
