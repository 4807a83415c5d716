//! User names and verdicts of the filter scenario, and whole runs against
//! the fake server.

use std::sync::Arc;

use reqwest::Url;

use super::*;
use crate::cli::LoadArgs;
use crate::runner::run;
use crate::test_server::{self, Request, Responder, plan, response, seen_requests};

const USERS: u64 = 1000;

fn args(pattern: &str) -> ScimFilterArgs {
    let Ok(url) = Url::parse("http://127.0.0.1:1") else {
        unreachable!("a fixed URL parses");
    };
    ScimFilterArgs {
        load: LoadArgs {
            url,
            token: "t".to_owned(),
            connections: 1,
            duration: std::time::Duration::from_secs(1),
            warmup: std::time::Duration::ZERO,
            max_requests: 1,
            timeout: std::time::Duration::from_secs(1),
        },
        users: USERS,
        user_name_pattern: pattern.to_owned(),
    }
}

fn lookup() -> Lookup {
    let lookup = Lookup::from_args(&args("bench-{n}@example.com"), 42);
    let Ok(lookup) = lookup else {
        unreachable!("the default pattern is valid: {lookup:?}");
    };
    lookup
}

/// The number in a userName of the default pattern, if it has that shape.
fn user_number(user_name: &str) -> Option<u64> {
    let lower = user_name.to_ascii_lowercase();
    lower
        .strip_prefix("bench-")?
        .strip_suffix("@example.com")?
        .parse()
        .ok()
}

/// The `filter` query parameter of a recorded request, decoded.
fn filter_of(request: &Request) -> Option<String> {
    let target = request.head.lines().next()?.split(' ').nth(1)?;
    let url = Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "filter")
        .map(|(_, value)| value.into_owned())
}

/// Answers 200 with the `totalResults` that `total` picks for the count.
fn lists(total: fn(usize) -> u64) -> Responder {
    Arc::new(move |count, _| {
        let body = format!(
            "{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\
             \"totalResults\":{},\"Resources\":[]}}",
            total(count)
        );
        response("200 OK", &body)
    })
}

#[test]
fn user_names_are_existing_users_in_mixed_case() {
    let lookup = lookup();
    let names: Vec<String> = (0..200).map(|n| lookup.user_name(n)).collect();

    for name in &names {
        let number = user_number(name);
        assert!(number.is_some_and(|k| k < USERS), "{name}");
    }
    assert!(
        names
            .iter()
            .any(|name| name.chars().any(|c| c.is_ascii_uppercase()))
    );
    assert!(
        names
            .iter()
            .any(|name| name.chars().any(|c| c.is_ascii_lowercase()))
    );
    let mut distinct: Vec<u64> = names.iter().filter_map(|name| user_number(name)).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() > 150,
        "only {} distinct users",
        distinct.len()
    );
}

#[test]
fn the_same_request_number_and_seed_give_the_same_user_name() {
    assert_eq!(lookup().user_name(7), lookup().user_name(7));
    let other_seed = Lookup::from_args(&args("bench-{n}@example.com"), 43);
    assert!(other_seed.is_ok_and(|other| other.user_name(7) != lookup().user_name(7)));
}

#[test]
fn the_filter_is_a_user_name_equality_with_the_string_escaped() {
    let lookup = Lookup::from_args(&args("a\"b\\{n}"), 1);
    let Ok(lookup) = lookup else {
        unreachable!("the pattern has one placeholder: {lookup:?}");
    };
    let filter = lookup.filter(3).to_ascii_lowercase();
    assert!(filter.starts_with("username eq \"a\\\"b\\\\"), "{filter}");
    assert!(filter.ends_with('"'), "{filter}");
}

#[test]
fn a_pattern_needs_exactly_one_placeholder() {
    assert!(Lookup::from_args(&args("bench@example.com"), 0).is_err());
    assert!(Lookup::from_args(&args("{n}-{n}@example.com"), 0).is_err());
    assert!(Lookup::from_args(&args("{n}"), 0).is_ok());
}

#[test]
fn only_200_with_one_result_is_a_success() {
    let lookup = lookup();
    let one = br#"{"totalResults":1,"Resources":[{"id":"x"}]}"#;
    assert_eq!(lookup.judge(StatusCode::OK, one), Ok(()));

    let kind = |status, body: &[u8]| lookup.judge(status, body).err().map(|f| f.kind);
    assert_eq!(
        kind(StatusCode::OK, br#"{"totalResults":0}"#).as_deref(),
        Some("200 totalResults 0")
    );
    assert_eq!(
        kind(StatusCode::OK, br#"{"totalResults":2}"#).as_deref(),
        Some("200 totalResults > 1")
    );
    assert_eq!(
        kind(StatusCode::OK, b"<html>").as_deref(),
        Some("200 not a ListResponse")
    );
    assert_eq!(kind(StatusCode::BAD_REQUEST, one).as_deref(), Some("400"));
}

#[tokio::test]
async fn a_run_sends_get_requests_with_a_user_name_filter_and_the_token() {
    let (url, seen) = test_server::start(lists(|_| 1)).await;

    let report = run(plan(&url, 2, 20), lookup()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert_eq!(report.scenario, "scim-filter");
    assert_eq!(report.succeeded, 20);
    let (_, requests) = seen_requests(&seen);
    assert_eq!(requests.len(), 20);
    for request in &requests {
        let head = request.head.to_ascii_lowercase();
        assert!(head.starts_with("get /scim/v2/users?filter="), "{head}");
        assert!(head.contains("authorization: bearer test-token"), "{head}");
        let filter = filter_of(request).unwrap_or_default();
        let name = filter
            .strip_prefix("userName eq \"")
            .and_then(|rest| rest.strip_suffix('"'));
        assert!(name.and_then(user_number).is_some(), "{filter}");
    }
}

#[tokio::test]
async fn lookups_that_find_no_one_or_several_are_errors_by_kind() {
    let (url, _seen) = test_server::start(lists(|count| match count % 5 {
        0 => 0,
        4 => 3,
        _ => 1,
    }))
    .await;

    let report = run(plan(&url, 1, 20), lookup()).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert_eq!(report.succeeded, 12);
    assert_eq!(report.errors, 8);
    assert_eq!(report.errors_by_status.get("200 totalResults 0"), Some(&4));
    assert_eq!(
        report.errors_by_status.get("200 totalResults > 1"),
        Some(&4)
    );
    let sample = report.error_sample.unwrap_or_default();
    assert!(sample.starts_with("HTTP 200 (200 totalResults"), "{sample}");
}
