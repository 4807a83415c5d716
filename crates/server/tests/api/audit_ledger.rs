//! Sealing: a contiguous per-organization sequence in commit-safe order, its
//! lag where it matters, and the history views that show it.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::audit_support::{assert_api_error, auditor_hash};
use crate::door_support::service_token_id;
use crate::helpers::{TestApp, json_with_status};

/// Waits until some backend of this database waits on a lock.
async fn wait_for_a_blocked_writer(app: &TestApp) {
    for _ in 0..500 {
        let blocked: i64 = app
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if blocked > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the PATCH never blocked on the held row lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_late_is_sealed_before_a_later_one_and_a_tail_misses_neither() {
    let app = TestApp::spawn().await;
    let group = app
        .create_group(json!({"displayName": "Engineering"}))
        .await;
    let group = group["id"].as_str().unwrap().to_owned();
    app.wait_sealed(1).await;

    // Hold the group's projection row: its PATCH inserts its event (taking
    // a transaction id) and then waits for the row, uncommitted.
    let mut holder = app.client().await;
    let hold = holder.transaction().await.unwrap();
    hold.execute(
        "SELECT 1 FROM groups WHERE id = $1::text::uuid FOR UPDATE",
        &[&group],
    )
    .await
    .unwrap();
    let patch = app
        .scim(Method::PATCH, &format!("/Groups/{group}"))
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Research"}]
        }))
        .send();
    let patch = tokio::spawn(patch);
    wait_for_a_blocked_writer(&app).await;

    // A later transaction starts and commits first.
    let grace = app
        .create_user(json!({"userName": "grace@example.com"}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let page = json_with_status(
        app.audit_get("/events?order=asc").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
    assert!(
        page["sealing"]["unsealed_events"].as_i64().unwrap() >= 1,
        "{page}"
    );

    // A reader tails from what it has seen.
    let cursor = page["next_cursor"].as_str().map(str::to_owned);
    let tail_from = page["events"][0]["sequence"].as_i64().unwrap();
    assert_eq!(cursor, None, "a short page has no cursor");
    hold.commit().await.unwrap();
    assert_eq!(patch.await.unwrap().unwrap().status(), 200);
    app.wait_sealed(3).await;

    let tail = app
        .audit_get(&format!(
            "/events?order=asc&from_sequence={}",
            tail_from + 1
        ))
        .send()
        .await
        .unwrap();
    let tail = json_with_status(tail, 200).await;
    let events = tail["events"].as_array().unwrap();
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["sequence"].as_i64().unwrap(),
                e["subject_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let grace_id = grace["id"].as_str().unwrap().to_owned();
    assert_eq!(
        seen,
        vec![(2, group), (3, grace_id)],
        "the older transaction comes first"
    );
    assert_eq!(events[0]["log"], "group_events");

    app.finish().await;
}

#[tokio::test]
async fn readyz_reports_the_sealing_lag() {
    let app = TestApp::spawn().await;
    app.create_users(2).await;
    app.wait_sealed(2).await;

    let ready = json_with_status(app.http.get(app.url("/readyz")).send().await.unwrap(), 200).await;
    assert_eq!(ready["sealing"]["unsealed_events"], 0, "{ready}");
    assert_eq!(
        ready["sealing"]["lag_seconds"],
        serde_json::Value::Null,
        "{ready}"
    );

    app.finish().await;
}

#[tokio::test]
async fn a_users_history_shows_each_events_sequence_once_sealed() {
    let app = TestApp::spawn().await;
    let ids = app.create_users(2).await;
    app.wait_sealed(2).await;

    let response = app
        .api(&format!("/users/{}/events", ids[1]))
        .send()
        .await
        .unwrap();
    let body = json_with_status(response, 200).await;
    assert_eq!(body["events"][0]["sequence"], 2, "{body}");
    assert_eq!(body["sealing"]["unsealed_events"], 0, "{body}");
    let stored: i64 = app
        .client()
        .await
        .query_one(
            "SELECT sequence FROM ledger WHERE event_id = $1::text::uuid",
            &[&body["events"][0]["event_id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 2);

    app.finish().await;
}

#[tokio::test]
async fn a_user_as_of_a_past_moment_is_the_fold_of_the_events_until_then() {
    let app = TestApp::spawn().await;
    let user = app
        .create_user(json!({"userName": "ada@example.com", "displayName": "Ada"}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = app
        .client()
        .await
        .query_one("SELECT now()::text", &[])
        .await
        .unwrap();
    let between: String = between.get(0);
    let between = between.replace(' ', "T").replacen("+00", "+00:00", 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let response = app
        .scim(Method::PUT, &format!("/Users/{id}"))
        .json(&json!({"userName": "ada@example.com", "displayName": "Countess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let then = app
        .api(&format!("/users/{id}"))
        .query(&[("as_of", between.as_str())])
        .send()
        .await
        .unwrap();
    let then = json_with_status(then, 200).await;
    assert_eq!(then["display_name"], "Ada", "{then}");
    assert_eq!(then["version"], 1);
    let now = json_with_status(app.api(&format!("/users/{id}")).send().await.unwrap(), 200).await;
    assert_eq!(now["display_name"], "Countess");

    let before = app
        .api(&format!("/users/{id}"))
        .query(&[("as_of", "2000-01-01T00:00:00Z")])
        .send()
        .await
        .unwrap();
    assert_api_error(before, 404, "not_found").await;
    let bad = app
        .api(&format!("/users/{id}?as_of=yesterday"))
        .send()
        .await
        .unwrap();
    assert_api_error(bad, 400, "invalid_parameter").await;

    app.finish().await;
}

#[tokio::test]
async fn sealing_resumes_after_the_highest_transaction_id_in_number_not_text_order() {
    let app = TestApp::spawn().await;
    // Two entries whose transaction ids sort the other way round as text.
    app.tamper(&format!(
        "INSERT INTO ledger (org_id, sequence, log, log_row_id, event_id, tx_id, hash, \
           event_type, source, actor_kind, actor_id, occurred_at, sealed_at) \
         SELECT '{org}', s, 'user_events', s, gen_random_uuid(), t::xid8, '\\x{zeros}', \
           'user_created', 'scim', 'scim_client', 't', now(), now() \
         FROM (VALUES (1, '9'), (2, '10')) AS v(s, t)",
        org = app.org.id.0,
        zeros = "00".repeat(32),
    ))
    .await;

    let client = app.client().await;
    let plain: &tokio_postgres::Client = &client;
    let position = usertrail_store::audit::seal::last_sealed(plain)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((position.tx_id, position.log_row_id), (10, 2));

    app.discard().await;
}

#[tokio::test]
async fn org_events_and_the_acting_token_are_sealed_into_the_chain_an_auditor_checks() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "scim@acme.test"})).await;
    let admin = app.admin_user().await;
    let response = app
        .acting(&admin, Method::POST, "/org/domains")
        .json(&json!({"domain": "acme.test"}))
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await;
    let total = app.log_count().await;
    app.wait_sealed(total).await;

    let response = app
        .audit_get("/events?order=asc&limit=1000")
        .send()
        .await
        .unwrap();
    let listed = json_with_status(response, 200).await;
    let entries = listed["events"].as_array().unwrap();
    assert_eq!(entries.len() as i64, total);
    let domain = entries
        .iter()
        .find(|entry| entry["event_type"] == "org_domain_allowed")
        .unwrap();
    assert_eq!(domain["log"], "org_events");
    assert_eq!(domain["subject_id"], app.org.id.0.to_string());
    assert_eq!(domain["actor"]["kind"], "user");
    assert_eq!(domain["actor"]["id"], admin.as_str());
    assert_eq!(domain["actor_token_id"], service_token_id(&app).await);
    // A SCIM client acts as itself: its token is both the actor and the acting token.
    assert_eq!(entries[0]["source"], "scim");
    assert_eq!(
        entries[0]["actor_token_id"],
        app.org.scim_token_id.to_string()
    );
    assert_eq!(entries[0]["actor"]["id"], app.org.scim_token_id.to_string());

    let mut previous = "0".repeat(64);
    for entry in entries {
        assert_eq!(entry["prev_hash"], previous.as_str());
        previous = auditor_hash(&previous, entry);
        assert_eq!(entry["hash"], previous.as_str(), "{entry}");
    }
    assert_eq!(app.verify_report().await["ok"], true);
    app.finish().await;
}
