//! The load loop, through the create scenario, against the fake server.

use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::runner::run;
use crate::test_server::{self, Responder, plan, response, seen_requests};

/// Answers 201, except every `conflict_every`-th request with 409 (0: never).
fn creates(conflict_every: usize) -> Responder {
    std::sync::Arc::new(move |count, _| {
        if conflict_every > 0 && count % conflict_every == 0 {
            response("409 Conflict", "{\"dup\":true}")
        } else {
            response("201 Created", "{}")
        }
    })
}

fn create() -> Create {
    Create::new(Uuid::nil())
}

#[test]
fn user_body_is_a_scim_user_with_a_unique_user_name() {
    let run_id = Uuid::nil();
    let body = user_body(run_id, 7);
    let user_name = format!("bench-{run_id}-7@example.com");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(body["userName"], user_name.as_str());
    assert_eq!(body["name"]["familyName"], "N7");
    assert_eq!(body["emails"][0]["value"], user_name.as_str());
    assert_eq!(body["emails"][0]["primary"], true);
    assert_eq!(body["active"], true);
    assert_ne!(user_body(run_id, 8)["userName"], body["userName"]);
}

#[tokio::test]
async fn run_stops_at_the_request_budget_before_the_window_ends() {
    let (url, seen) = test_server::start(creates(0)).await;
    let started = Instant::now();

    let report = run(plan(&url, 4, 50), create()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.scenario, "scim-create");
    assert_eq!(report.requests, 50);
    assert_eq!(report.succeeded, 50);
    assert_eq!(report.errors, 0);
    assert!(report.p50_ms.is_some() && report.p99_ms >= report.p50_ms);
    let (connections, requests) = seen_requests(&seen);
    assert_eq!(requests.len(), 50);
    assert!(
        connections <= 4,
        "each worker should keep one connection, saw {connections}"
    );
}

#[tokio::test]
async fn run_stops_when_the_window_ends_and_skips_the_warmup() {
    let (url, _seen) = test_server::start(creates(0)).await;
    let mut plan = plan(&url, 2, u64::MAX);
    plan.warmup = Duration::from_millis(100);
    plan.duration = Duration::from_millis(300);
    let started = Instant::now();

    let report = run(plan, create()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(report.warmup_requests > 0);
    assert!(report.succeeded > 0);
    assert!(
        report.seconds >= 0.29 && report.seconds < 1.5,
        "seconds = {}",
        report.seconds
    );
}

#[tokio::test]
async fn non_201_answers_are_counted_by_status_and_not_as_successes() {
    let (url, _seen) = test_server::start(creates(5)).await;

    let report = run(plan(&url, 1, 20), create()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert_eq!(report.succeeded, 16);
    assert_eq!(report.errors, 4);
    assert_eq!(report.errors_by_status.get("409"), Some(&4));
    let sample = report.error_sample.unwrap_or_default();
    assert!(sample.starts_with("HTTP 409"), "{sample}");
}

#[tokio::test]
async fn requests_carry_scim_content_type_bearer_token_and_distinct_users() {
    let (url, seen) = test_server::start(creates(0)).await;

    let report = run(plan(&url, 2, 10), create()).await;

    assert!(report.is_ok());
    let (_, requests) = seen_requests(&seen);
    let mut user_names = Vec::new();
    for request in &requests {
        let head = request.head.to_ascii_lowercase();
        assert!(head.starts_with("post /scim/v2/users http/1.1"), "{head}");
        assert!(
            head.contains("content-type: application/scim+json"),
            "{head}"
        );
        assert!(head.contains("authorization: bearer test-token"), "{head}");
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
        user_names.push(body["userName"].to_string());
    }
    user_names.sort();
    user_names.dedup();
    assert_eq!(user_names.len(), 10);
}

#[tokio::test]
async fn a_server_that_is_not_there_gives_transport_errors_and_stops() {
    let port = test_server::closed_port().await;

    let report = run(plan(&format!("http://127.0.0.1:{port}"), 2, 30), create()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert_eq!(report.succeeded, 0);
    assert_eq!(report.errors_by_status.get("transport"), Some(&30));
    assert!(report.p50_ms.is_none());
}
