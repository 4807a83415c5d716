//! `sortBy` / `sortOrder` over HTTP (RFC 7644 §3.4.2.3), together with paging.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_scim_error, json_with_status};

/// The userNames of one page, in the order the server returned them.
async fn page_names(app: &TestApp, query: &str) -> Vec<String> {
    let response = app
        .scim(Method::GET, &format!("/Users?{query}"))
        .send()
        .await
        .unwrap();
    let page = json_with_status(response, 200).await;
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["userName"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of `query` with two users per page, concatenated.
async fn all_pages(app: &TestApp, query: &str, total: usize) -> Vec<String> {
    let mut names = Vec::new();
    for start in (1..=total).step_by(2) {
        names.extend(page_names(app, &format!("{query}&startIndex={start}&count=2")).await);
    }
    names
}

#[tokio::test]
async fn sort_by_user_name_ignores_case_in_both_directions_across_pages() {
    let app = TestApp::spawn().await;
    // Created out of order, and with capitals that code-point order would put first.
    for name in ["carol", "Eve", "alice", "Dave", "bob"] {
        app.create_user(json!({"userName": name})).await;
    }

    let ascending = all_pages(&app, "sortBy=userName", 5).await;
    assert_eq!(ascending, ["alice", "bob", "carol", "Dave", "Eve"]);
    let descending = all_pages(&app, "sortBy=USERNAME&sortOrder=Descending", 5).await;
    assert_eq!(descending, ["Eve", "Dave", "carol", "bob", "alice"]);
    // Without sortBy the order stays creation order, whatever sortOrder says.
    let unsorted = page_names(&app, "sortOrder=descending").await;
    assert_eq!(unsorted, ["carol", "Eve", "alice", "Dave", "bob"]);

    app.finish().await;
}

#[tokio::test]
async fn ties_are_broken_by_id_and_missing_values_sort_last_ascending() {
    let app = TestApp::spawn().await;
    let family = |name: &str, family: Option<&str>| match family {
        Some(family) => json!({"userName": name, "name": {"familyName": family}}),
        None => json!({"userName": name}),
    };
    let mut ids = Vec::new();
    for (name, surname) in [
        ("t1", Some("Turing")),
        ("n1", None),
        ("h1", Some("hopper")),
        ("t2", Some("turing")),
        ("t3", Some("TURING")),
    ] {
        let user = app.create_user(family(name, surname)).await;
        ids.push((user["id"].as_str().unwrap().to_owned(), name));
    }

    let ascending = all_pages(&app, "sortBy=name.familyName", 5).await;
    assert_eq!(ascending[0], "h1");
    assert_eq!(
        ascending[4], "n1",
        "no familyName sorts last when ascending"
    );
    let mut turings: Vec<_> = ids
        .iter()
        .filter(|(_, name)| name.starts_with('t'))
        .collect();
    turings.sort();
    let by_id: Vec<&str> = turings.iter().map(|(_, name)| *name).collect();
    assert_eq!(ascending[1..4], by_id, "equal values are ordered by id");

    let descending = all_pages(&app, "sortBy=name.familyName&sortOrder=descending", 5).await;
    assert_eq!(
        descending[0], "n1",
        "no familyName sorts first when descending"
    );
    assert_eq!(descending[4], "h1");

    app.finish().await;
}

#[tokio::test]
async fn a_multi_valued_attribute_sorts_by_its_primary_value_else_its_first() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "u1", "emails": [
        {"value": "a@late.test"}, {"value": "z@primary.test", "primary": true}
    ]}))
    .await;
    app.create_user(json!({"userName": "u2", "emails": [{"value": "M@first.test"}, {"value": "a@second.test"}]}))
        .await;
    app.create_user(json!({"userName": "u3", "emails": [{"value": "b@only.test"}]}))
        .await;

    assert_eq!(page_names(&app, "sortBy=emails").await, ["u3", "u2", "u1"]);
    assert_eq!(
        page_names(&app, "sortBy=emails.value&sortOrder=descending").await,
        ["u1", "u2", "u3"]
    );

    app.finish().await;
}

#[tokio::test]
async fn sorting_combines_with_a_filter_and_enterprise_attributes() {
    let app = TestApp::spawn().await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    for (name, department) in [
        ("a", "Sales"),
        ("b", "engineering"),
        ("c", "Ops"),
        ("d", "ops"),
    ] {
        app.create_user(json!({"userName": name, enterprise: {"department": department}}))
            .await;
    }

    let query =
        format!("filter=userName ne \"c\"&sortBy={enterprise}:department&sortOrder=descending");
    assert_eq!(page_names(&app, &query).await, ["a", "d", "b"]);

    app.finish().await;
}

#[tokio::test]
async fn an_unsortable_attribute_or_unknown_order_is_400_invalid_value() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "ada"})).await;

    for query in [
        "sortBy=name",
        "sortBy=password",
        "sortBy=favouriteColour",
        "sortBy=userName&sortOrder=sideways",
        "sortOrder=upwards",
    ] {
        let response = app
            .scim(Method::GET, &format!("/Users?{query}"))
            .send()
            .await
            .unwrap();
        assert_scim_error(response, 400, Some("invalidValue")).await;
    }

    app.finish().await;
}
