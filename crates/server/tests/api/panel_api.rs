//! The endpoints the admin panel reads besides the diagnostics: text search and group
//! counts in `/api/v1/users`, changes per day by source, and SCIM token activity; and the
//! panel's own files under `/ui`.

use reqwest::Method;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use usertrail_domain::{Actor, ActorKind, Profile, Source, UserId};
use usertrail_server::app::{Origin, create};
use usertrail_store::RequestMeta;
use uuid::Uuid;

use crate::helpers::{TestApp, json_with_status};

/// Creates a user through the application layer with the given door and time, as the
/// product's other doors do.
pub async fn create_via(
    app: &TestApp,
    source: Source,
    user_name: &str,
    now: OffsetDateTime,
) -> String {
    let origin = Origin {
        org: app.org.id,
        source,
        actor: Actor {
            kind: ActorKind::System,
            id: "seed".into(),
            display: "seed".into(),
        },
        request: RequestMeta::default(),
        now,
    };
    let attributes = json!({"userName": user_name, "displayName": user_name});
    let Value::Object(attributes) = attributes else {
        unreachable!()
    };
    let profile = Profile::new(attributes).unwrap();
    let user = create(&app.pool, &origin, UserId(Uuid::now_v7()), profile, None)
        .await
        .unwrap();
    user.id.0.to_string()
}

fn user_names(page: &Value) -> Vec<&str> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["user_name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn q_finds_users_by_part_of_name_or_email_in_any_case_and_counts_their_groups() {
    let app = TestApp::spawn().await;
    let ada = app
        .create_user(json!({"userName": "ada@example.com", "displayName": "Ada Lovelace"}))
        .await;
    app.create_user(json!({"userName": "grace@example.com", "displayName": "Grace Hopper"}))
        .await;
    app.create_user(json!({"userName": "percent%@example.com"}))
        .await;
    app.create_user(
        json!({"userName": "u-4711", "name": {"givenName": "Linus", "familyName": "Torvalds"}}),
    )
    .await;
    let ada_id = ada["id"].as_str().unwrap();
    app.create_group(json!({"displayName": "Ops", "members": [{"value": ada_id}]}))
        .await;
    app.create_group(json!({"displayName": "Dev", "members": [{"value": ada_id}]}))
        .await;

    let page = |q: &'static str| {
        let app = &app;
        async move {
            let response = app
                .api("/users")
                .query(&[("q", q), ("sort", "created_at"), ("order", "asc")])
                .send()
                .await
                .unwrap();
            json_with_status(response, 200).await
        }
    };
    assert_eq!(user_names(&page("LOVE").await), ["ada@example.com"]);
    // By the parts of a name, too, which SCIM clients send without a displayName.
    assert_eq!(user_names(&page("linus torvalds").await), ["u-4711"]);
    assert_eq!(
        user_names(&page("example.COM").await),
        [
            "ada@example.com",
            "grace@example.com",
            "percent%@example.com"
        ]
    );
    // LIKE's wildcards are literal characters in q.
    assert_eq!(user_names(&page("%").await), ["percent%@example.com"]);
    assert_eq!(user_names(&page("nobody").await), Vec::<&str>::new());

    let found = page("ada").await;
    assert_eq!(found["users"][0]["groups_count"], 2);
    let response = app.api(&format!("/users/{ada_id}")).send().await.unwrap();
    assert_eq!(json_with_status(response, 200).await["groups_count"], 2);
    let grace = page("grace").await;
    assert_eq!(grace["users"][0]["groups_count"], 0);

    app.finish().await;
}

#[tokio::test]
async fn changes_per_day_cover_every_day_stacked_by_source_in_the_asked_time_zone() {
    let app = TestApp::spawn().await;
    let now = app.now();
    create_via(
        &app,
        Source::Invite,
        "old@example.com",
        now - Duration::days(40),
    )
    .await;
    create_via(
        &app,
        Source::Invite,
        "a@example.com",
        now - Duration::days(2),
    )
    .await;
    create_via(&app, Source::Sso, "b@example.com", now - Duration::days(2)).await;
    app.create_user(json!({"userName": "c@example.com"})).await;

    let response = app
        .api("/overview/changes")
        .query(&[("days", "30"), ("tz", "UTC")])
        .send()
        .await
        .unwrap();
    let overview = json_with_status(response, 200).await;
    let days = overview["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = now.date().to_string();
    let two_days_ago = (now - Duration::days(2)).date().to_string();
    assert_eq!(days[29]["day"], today);
    assert_eq!(days[29]["by_source"], json!({"scim": 1}));
    assert_eq!(days[27]["day"], two_days_ago);
    assert_eq!(days[27]["by_source"], json!({"invite": 1, "sso": 1}));
    assert_eq!(days[27]["total"], 2);
    let total: i64 = days.iter().map(|day| day["total"].as_i64().unwrap()).sum();
    assert_eq!(total, 3, "the change of 40 days ago is outside the window");

    let response = app
        .api("/overview/changes")
        .query(&[("tz", "Mars/Olympus_Mons")])
        .send()
        .await
        .unwrap();
    let error = json_with_status(response, 400).await;
    assert_eq!(error["error"]["code"], "invalid_parameter");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("IANA time zone"), "{message}");
    let response = app
        .api("/overview/changes")
        .query(&[("days", "0")])
        .send()
        .await
        .unwrap();
    json_with_status(response, 400).await;

    app.finish().await;
}

#[tokio::test]
async fn scim_token_activity_counts_requests_and_errors_of_each_token() {
    let app = TestApp::spawn().await;
    let response = app.api("/overview/scim-tokens").send().await.unwrap();
    let before = json_with_status(response, 200).await;
    assert_eq!(before["tokens"][0]["requests_24h"], 0);
    assert_eq!(before["tokens"][0]["last_request_at"], Value::Null);

    app.create_user(json!({"userName": "ada"})).await;
    let missing = app
        .scim(Method::GET, &format!("/Users/{}", Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    app.scim(Method::GET, "/Users").send().await.unwrap();

    let response = app.api("/overview/scim-tokens").send().await.unwrap();
    let after = json_with_status(response, 200).await;
    let tokens = after["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    let token = &tokens[0];
    assert_eq!(token["id"], app.org.scim_token_id.to_string());
    assert_eq!(token["requests_24h"], 3);
    assert_eq!(token["errors_24h"], 1);
    let last = OffsetDateTime::parse(
        token["last_request_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(app.now() - last < Duration::minutes(1));
    let stored: i64 = app
        .client()
        .await
        .query_one("SELECT sum(requests)::bigint FROM token_activity", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 3);

    app.finish().await;
}

#[tokio::test]
async fn the_panel_is_served_with_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(app.url("/ui")).send().await.unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "/ui/");

    let response = client.get(app.url("/ui/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(response.text().await.unwrap().contains("/ui/app.js"));
    let script = client.get(app.url("/ui/app.js")).send().await.unwrap();
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().await.unwrap().contains("/api/v1"));

    app.finish().await;
}
