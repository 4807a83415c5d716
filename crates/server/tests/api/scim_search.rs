//! `POST .search` (RFC 7644 §3.4.3) on `/Users`, `/Groups` and the root, compared with the
//! `GET` lists that take the same parameters in the query string.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.scim(Method::POST, path)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn search(app: &TestApp, path: &str, body: Value) -> Value {
    let response = post(app, path, &body).await;
    json_with_status(response, 200).await
}

async fn get_list(app: &TestApp, path: &str, query: &[(&str, &str)]) -> Value {
    let response = app
        .scim(Method::GET, path)
        .query(query)
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| resource["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Three users whose names start with "a" among five, and two groups, one with a member.
async fn directory(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let mut users = Vec::new();
    for name in ["ann", "bob", "amy", "abe", "cat"] {
        let user = app
            .create_user(json!({"userName": name, "displayName": format!("{name} Smith")}))
            .await;
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    let admins = app
        .create_group(json!({"displayName": "admins", "members": [{"value": users[0]}]}))
        .await;
    let staff = app.create_group(json!({"displayName": "ann staff"})).await;
    let groups = [admins, staff].map(|group| group["id"].as_str().unwrap().to_owned());
    (users, groups.to_vec())
}

#[tokio::test]
async fn users_search_answers_exactly_like_the_get_list_with_the_same_parameters() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    let found = search(
        &app,
        "/Users/.search",
        json!({
            "schemas": [SEARCH_REQUEST],
            "filter": "userName sw \"a\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 2,
            "count": 2,
            "attributes": ["userName", "groups"]
        }),
    )
    .await;
    let listed = get_list(
        &app,
        "/Users",
        &[
            ("filter", "userName sw \"a\""),
            ("sortBy", "userName"),
            ("sortOrder", "descending"),
            ("startIndex", "2"),
            ("count", "2"),
            ("attributes", "userName,groups"),
        ],
    )
    .await;
    assert_eq!(found, listed);
    // The parameters took effect: the second and third of ann, amy, abe, without displayName.
    assert_eq!(found["totalResults"], 3);
    let names: Vec<_> = found["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["userName"])
        .collect();
    assert_eq!(names, ["amy", "abe"]);
    assert!(found["Resources"][0].get("displayName").is_none());

    app.finish().await;
}

#[tokio::test]
async fn groups_search_answers_exactly_like_the_get_list_with_the_same_parameters() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    let found = search(
        &app,
        "/Groups/.search",
        json!({
            "schemas": [SEARCH_REQUEST],
            "filter": "displayName co \"a\"",
            "sortBy": "displayName",
            "excludedAttributes": ["members"]
        }),
    )
    .await;
    let listed = get_list(
        &app,
        "/Groups",
        &[
            ("filter", "displayName co \"a\""),
            ("sortBy", "displayName"),
            ("excludedAttributes", "members"),
        ],
    )
    .await;
    assert_eq!(found, listed);
    assert_eq!(found["totalResults"], 2);
    assert!(found["Resources"][0].get("members").is_none());

    app.finish().await;
}

#[tokio::test]
async fn root_search_pages_over_users_then_groups_with_the_sum_as_total() {
    let app = TestApp::spawn().await;
    let (users, groups) = directory(&app).await;
    let body = |start: i64, count: i64| json!({"schemas": [SEARCH_REQUEST], "startIndex": start, "count": count});

    let everything = search(&app, "/.search", body(1, 100)).await;
    let users_then_groups: Vec<String> = users.iter().chain(&groups).cloned().collect();
    assert_eq!(ids(&everything), users_then_groups);
    assert_eq!(everything["totalResults"], 7);

    // A page that straddles the end of the users and the start of the groups.
    let straddling = search(&app, "/.search", body(4, 3)).await;
    assert_eq!(
        ids(&straddling),
        [users[3].as_str(), users[4].as_str(), groups[0].as_str()]
    );
    assert_eq!(straddling["startIndex"], 4);
    assert_eq!(straddling["itemsPerPage"], 3);
    assert_eq!(straddling["totalResults"], 7);
    // A page past the users holds only groups; count 0 only counts.
    assert_eq!(
        ids(&search(&app, "/.search", body(7, 5)).await),
        [groups[1].as_str()]
    );
    let counted = search(&app, "/.search", body(1, 0)).await;
    assert_eq!(
        (counted["totalResults"].clone(), ids(&counted).len()),
        (json!(7), 0)
    );

    // Each resource is rendered as its own list renders it.
    let user_list = get_list(&app, "/Users", &[]).await;
    let group_list = get_list(&app, "/Groups", &[]).await;
    assert_eq!(everything["Resources"][0], user_list["Resources"][0]);
    assert_eq!(everything["Resources"][5], group_list["Resources"][0]);

    app.finish().await;
}

#[tokio::test]
async fn root_search_leaves_out_the_types_whose_schema_lacks_a_filtered_attribute() {
    let app = TestApp::spawn().await;
    let (users, groups) = directory(&app).await;

    // userName exists only for users: the groups contribute nothing, and no error.
    let by_user_name = search(
        &app,
        "/.search",
        search_body_with_filter("userName sw \"a\"".into()),
    )
    .await;
    let listed = get_list(&app, "/Users", &[("filter", "userName sw \"a\"")]).await;
    assert_eq!(ids(&by_user_name), ids(&listed));
    assert_eq!(by_user_name["totalResults"], 3);

    // members exists only for groups.
    let filter = format!("members.value eq \"{}\"", users[0]);
    let by_member = search(&app, "/.search", search_body_with_filter(filter)).await;
    assert_eq!(ids(&by_member), [groups[0].as_str()]);

    // displayName exists for both, so both contribute their matches.
    let by_display = search(
        &app,
        "/.search",
        search_body_with_filter("displayName sw \"ann\"".into()),
    )
    .await;
    assert_eq!(ids(&by_display), [users[0].as_str(), groups[1].as_str()]);

    app.finish().await;
}

fn search_body_with_filter(filter: String) -> Value {
    json!({"schemas": [SEARCH_REQUEST], "filter": filter})
}

#[tokio::test]
async fn root_search_applies_attributes_to_each_type_with_the_names_it_has() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    let body = json!({"schemas": [SEARCH_REQUEST], "attributes": ["userName", "members"]});
    let found = search(&app, "/.search", body).await;
    let user = &found["Resources"][0];
    assert_eq!(user["userName"], "ann");
    assert!(user.get("displayName").is_none());
    let group = &found["Resources"][5];
    assert!(group.get("members").is_some());
    assert!(group.get("displayName").is_none());

    let unknown = json!({"schemas": [SEARCH_REQUEST], "attributes": ["nickName", "nope"]});
    let response = post(&app, "/.search", &unknown).await;
    assert_scim_error(response, 400, Some("invalidValue")).await;

    app.finish().await;
}

#[tokio::test]
async fn a_root_filter_that_fits_no_type_is_refused_as_an_invalid_filter() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    let body = search_body_with_filter("nope eq \"x\"".into());
    let response = post(&app, "/.search", &body).await;
    assert_scim_error(response, 400, Some("invalidFilter")).await;

    app.finish().await;
}

#[tokio::test]
async fn a_search_body_that_is_not_a_search_request_is_refused() {
    let app = TestApp::spawn().await;

    for path in ["/Users/.search", "/Groups/.search", "/.search"] {
        let not_json = app
            .scim(Method::POST, path)
            .body("{\"schemas\":")
            .send()
            .await
            .unwrap();
        assert_scim_error(not_json, 400, Some("invalidSyntax")).await;
        let wrong_type = json!({"schemas": [SEARCH_REQUEST], "count": "ten"});
        let response = post(&app, path, &wrong_type).await;
        assert_scim_error(response, 400, Some("invalidSyntax")).await;
        let wrong_schema = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]});
        let response = post(&app, path, &wrong_schema).await;
        assert_scim_error(response, 400, Some("invalidValue")).await;
        let bad_filter = search_body_with_filter("userName eq".into());
        let response = post(&app, path, &bad_filter).await;
        assert_scim_error(response, 400, Some("invalidFilter")).await;
        // .search is defined for POST only.
        let response = app.scim(Method::GET, path).send().await.unwrap();
        assert_scim_error(response, 405, None).await;
    }

    app.finish().await;
}
