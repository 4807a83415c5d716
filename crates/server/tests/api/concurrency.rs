//! Writers racing each other: optimistic concurrency must neither lose an
//! update nor let two users share a userName.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_of_one_user_all_land_with_contiguous_versions() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com"}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();

    let writers = (0..12).map(|n| {
        let request = app
            .scim(Method::PATCH, &format!("/Users/{id}"))
            .json(&json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{
                    "op": "add",
                    "path": "emails",
                    "value": [{"value": format!("a{n}@example.com")}]
                }]
            }));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = join_all(writers).await;
    let succeeded = statuses.iter().filter(|status| **status == 200).count();
    // A writer that lost three races in a row answers 409; none may vanish.
    assert!(
        statuses.iter().all(|status| matches!(status, 200 | 409)),
        "{statuses:?}"
    );

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 1 + succeeded);
    let versions: Vec<_> = events
        .iter()
        .map(|event| event["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, (1..=events.len() as i64).collect::<Vec<_>>());
    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["version"], events.len());
    let emails = row["resource"]["emails"].as_array().unwrap();
    assert_eq!(
        emails.len(),
        succeeded,
        "every successful add is in the final state"
    );

    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_user_name_make_exactly_one_user() {
    let app = TestApp::spawn().await;

    let creators = (0..10).map(|n| {
        let user_name = if n % 2 == 0 {
            "grace@example.com"
        } else {
            "GRACE@example.com"
        };
        let request = app
            .scim(Method::POST, "/Users")
            .json(&json!({"userName": user_name}));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = join_all(creators).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 409).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(app.event_count().await, 1);

    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_concurrent_reads_than_database_connections_all_answer() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com"}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();

    // Three times the harness's pool of 8: a read that held one connection
    // while waiting for a second would deadlock the pool here.
    let readers = (0..24).map(|n| {
        let path = if n % 2 == 0 {
            format!("/Users/{id}")
        } else {
            "/Users".to_owned()
        };
        let request = app.scim(Method::GET, &path);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = tokio::time::timeout(std::time::Duration::from_secs(30), join_all(readers))
        .await
        .expect("reads finished instead of waiting on the pool");
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");

    app.finish().await;
}
