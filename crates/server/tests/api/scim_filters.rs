//! SCIM filters over HTTP (RFC 7644 §3.4.2.2): every operator, value paths, case rules,
//! the enterprise extension and dateTimes, each checked by which users come back.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Three users that differ in every attribute the filters below look at.
async fn directory(app: &TestApp) {
    app.create_user(json!({
        "userName": "Ada@Example.com",
        "externalId": "Entra-0001",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "title": "Countess",
        "emails": [
            {"value": "Ada.Lovelace@Example.com", "type": "work", "primary": true},
            {"value": "ada@home.test", "type": "home"}
        ],
        ENTERPRISE: {"department": "Engineering", "manager": {"value": "m-1"}},
    }))
    .await;
    app.create_user(json!({
        "userName": "grace@example.com",
        "externalId": "entra-0002",
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "title": "Rear Admiral",
        "active": false,
        "emails": [{"value": "Grace@Navy.Example.com", "type": "work"}],
        ENTERPRISE: {"department": "Navy"},
    }))
    .await;
    app.create_user(json!({
        "userName": "linus_t@kernel.test",
        "nickName": "torvalds",
        "title": "50%_maintainer",
        "emails": [{"value": "linus@home.test", "type": "home"}],
    }))
    .await;
}

/// The userNames matching `filter`, sorted, after asserting a well-formed 200 list.
async fn matching(app: &TestApp, filter: &str) -> Vec<String> {
    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", filter)])
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    let resources = page["Resources"].as_array().unwrap();
    assert_eq!(page["totalResults"], resources.len(), "{filter}");
    let mut names: Vec<String> = resources
        .iter()
        .map(|user| user["userName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn assert_matches(app: &TestApp, cases: &[(&str, &[&str])]) {
    for (filter, expected) in cases {
        let mut expected: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
        expected.sort();
        assert_eq!(matching(app, filter).await, expected, "filter {filter}");
    }
}

const ADA: &str = "Ada@Example.com";
const GRACE: &str = "grace@example.com";
const LINUS: &str = "linus_t@kernel.test";

#[tokio::test]
async fn each_comparison_operator_selects_the_right_users() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            ("userName eq \"ada@EXAMPLE.com\"", &[ADA]),
            ("userName ne \"ada@example.com\"", &[GRACE, LINUS]),
            ("name.familyName co \"OV\"", &[ADA]),
            ("userName sw \"GRACE\"", &[GRACE]),
            ("userName ew \"KERNEL.test\"", &[LINUS]),
            ("nickName pr", &[LINUS]),
            ("name pr", &[ADA, GRACE]),
            ("userName gt \"b\"", &[GRACE, LINUS]),
            ("userName ge \"grace@example.com\"", &[GRACE, LINUS]),
            ("userName lt \"GRACE@example.com\"", &[ADA]),
            ("userName le \"grace@example.com\"", &[ADA, GRACE]),
        ],
    )
    .await;

    app.finish().await;
}

#[tokio::test]
async fn like_metacharacters_in_a_value_match_only_themselves() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            ("title co \"50%\"", &[LINUS]),
            ("title co \"%\"", &[LINUS]),
            ("userName co \"_\"", &[LINUS]),
            ("title sw \"5_%\"", &[]),
            ("title ew \"\\\\\"", &[]),
        ],
    )
    .await;

    app.finish().await;
}

#[tokio::test]
async fn user_name_ignores_case_but_external_id_is_case_exact() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            ("userName eq \"ADA@EXAMPLE.COM\"", &[ADA]),
            ("externalId eq \"Entra-0001\"", &[ADA]),
            ("externalId eq \"entra-0001\"", &[]),
            ("externalId sw \"entra\"", &[GRACE]),
            ("externalId co \"ENTRA\"", &[]),
        ],
    )
    .await;

    app.finish().await;
}

#[tokio::test]
async fn value_paths_and_multi_valued_attributes_match_when_any_element_does() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            (
                "emails[type eq \"work\" and value co \"@example.com\"]",
                &[ADA],
            ),
            ("emails[value eq \"grace@navy.example.com\"]", &[GRACE]),
            ("emails.value eq \"ADA@HOME.TEST\"", &[ADA]),
            ("emails co \"home.test\"", &[ADA, LINUS]),
            // Ada has this address, but not as her work address.
            (
                "emails[type eq \"work\" and value eq \"ada@home.test\"]",
                &[],
            ),
            (
                "emails[type eq \"home\"] and not (emails[type eq \"work\"])",
                &[LINUS],
            ),
            ("emails.value ne \"linus@home.test\"", &[ADA, GRACE]),
            ("emails[primary eq true]", &[ADA]),
            (
                "name[givenName sw \"g\" or familyName eq \"lovelace\"]",
                &[ADA, GRACE],
            ),
        ],
    )
    .await;

    app.finish().await;
}

#[tokio::test]
async fn enterprise_attributes_are_filtered_through_their_schema_urn() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            (
                &format!("{ENTERPRISE}:department eq \"engineering\""),
                &[ADA],
            ),
            (&format!("{ENTERPRISE}:manager.value eq \"m-1\""), &[ADA]),
            (&format!("{ENTERPRISE}:department pr"), &[ADA, GRACE]),
            (&format!("not ({ENTERPRISE}:department pr)"), &[LINUS]),
        ],
    )
    .await;
    let response = app
        .scim(Method::GET, "/Users")
        .query(&[("filter", "department eq \"Navy\"")])
        .send()
        .await
        .unwrap();
    assert_scim_error(response, 400, Some("invalidFilter")).await;

    app.finish().await;
}

#[tokio::test]
async fn booleans_null_and_logical_operators_combine_as_the_rfc_says() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    assert_matches(
        &app,
        &[
            ("active eq false", &[GRACE]),
            ("active eq \"True\"", &[ADA, LINUS]),
            ("externalId eq null", &[LINUS]),
            ("nickName ne null", &[LINUS]),
            (
                "not (userName sw \"ada\") and (title co \"admiral\" or nickName pr)",
                &[GRACE, LINUS],
            ),
            ("userName eq \"nobody\" or not (active eq true)", &[GRACE]),
        ],
    )
    .await;

    app.finish().await;
}

#[tokio::test]
async fn filters_the_store_cannot_express_are_400_invalid_filter() {
    let app = TestApp::spawn().await;
    directory(&app).await;

    for filter in [
        "active gt true",
        "emails gt \"a\"",
        "name eq \"Ada\"",
        "meta.lastModified gt \"last tuesday\"",
        "userName eq 7",
        "favouriteColour pr",
    ] {
        let response = app
            .scim(Method::GET, "/Users")
            .query(&[("filter", filter)])
            .send()
            .await
            .unwrap();
        let body = assert_scim_error(response, 400, Some("invalidFilter")).await;
        assert!(
            !body["detail"].as_str().unwrap().contains("SELECT"),
            "{body}"
        );
    }

    app.finish().await;
}

#[tokio::test]
async fn meta_last_modified_compares_as_an_instant() {
    let app = TestApp::spawn().await;
    let first = app.create_user(json!({"userName": "first"})).await;
    let middle = app.create_user(json!({"userName": "middle"})).await;
    app.create_user(json!({"userName": "last"})).await;
    let at = middle["meta"]["lastModified"].as_str().unwrap().to_owned();

    let filter = |op: &str| format!("meta.lastModified {op} \"{at}\"");
    assert_matches(
        &app,
        &[
            (&filter("eq"), &["middle"]),
            (&filter("gt"), &["last"]),
            (&filter("ge"), &["middle", "last"]),
            (&filter("lt"), &["first"]),
            (&filter("le"), &["first", "middle"]),
        ],
    )
    .await;

    // Touching the first user moves its lastModified past the middle one, not its created.
    let id = first["id"].as_str().unwrap();
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "touched"}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await;
    assert_matches(
        &app,
        &[
            (&filter("gt"), &["first", "last"]),
            (&format!("meta.created gt \"{at}\""), &["last"]),
        ],
    )
    .await;

    app.finish().await;
}
