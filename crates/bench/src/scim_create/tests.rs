//! The load loop against a tiny in-process HTTP/1.1 server on loopback.

use std::sync::Mutex;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// What the fake server saw.
#[derive(Debug, Default)]
struct Seen {
    connections: usize,
    requests: Vec<Request>,
}

#[derive(Debug, Clone)]
struct Request {
    head: String,
    body: String,
}

/// Answers every request with 201, except every `conflict_every`-th with 409
/// (0: never). Returns the base URL and what it saw.
async fn fake_server(conflict_every: usize) -> (String, Arc<Mutex<Seen>>) {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
        unreachable!("cannot bind a loopback port for the fake server");
    };
    let Ok(address) = listener.local_addr() else {
        unreachable!("the fake server's listener has no address");
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_seen = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(mut seen) = server_seen.lock() {
                seen.connections += 1;
            }
            tokio::spawn(serve_connection(
                stream,
                Arc::clone(&server_seen),
                conflict_every,
            ));
        }
    });
    (format!("http://{address}"), seen)
}

async fn serve_connection(stream: TcpStream, seen: Arc<Mutex<Seen>>, conflict_every: usize) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
        }
        let mut body = vec![0u8; content_length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let count = match seen.lock() {
            Ok(mut seen) => {
                let body = String::from_utf8_lossy(&body).into_owned();
                seen.requests.push(Request { head, body });
                seen.requests.len()
            }
            Err(_) => return,
        };
        let response: &[u8] = if conflict_every > 0 && count % conflict_every == 0 {
            b"HTTP/1.1 409 Conflict\r\ncontent-length: 11\r\n\r\n{\"dup\":true}"
        } else {
            b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"
        };
        if stream.get_mut().write_all(response).await.is_err() {
            return;
        }
    }
}

fn plan(url: &str, connections: u16, max_requests: u64) -> Plan {
    Plan {
        endpoint: format!("{url}/scim/v2/Users"),
        bearer: HeaderValue::from_static("Bearer test-token"),
        connections,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(20),
        max_requests,
        timeout: Duration::from_secs(5),
    }
}

fn seen_requests(seen: &Mutex<Seen>) -> (usize, Vec<Request>) {
    match seen.lock() {
        Ok(seen) => (seen.connections, seen.requests.clone()),
        Err(_) => (0, Vec::new()),
    }
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
    let (url, seen) = fake_server(0).await;
    let started = Instant::now();

    let report = run(plan(&url, 4, 50)).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert!(started.elapsed() < Duration::from_secs(10));
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
    let (url, _seen) = fake_server(0).await;
    let mut plan = plan(&url, 2, u64::MAX);
    plan.warmup = Duration::from_millis(100);
    plan.duration = Duration::from_millis(300);
    let started = Instant::now();

    let report = run(plan).await;

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
    let (url, _seen) = fake_server(5).await;

    let report = run(plan(&url, 1, 20)).await;

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
    let (url, seen) = fake_server(0).await;

    let report = run(plan(&url, 2, 10)).await;

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
    // Bind and drop a listener to get a port that nothing listens on.
    let port = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener.local_addr().map(|a| a.port()).unwrap_or(1),
        Err(_) => 1,
    };

    let report = run(plan(&format!("http://127.0.0.1:{port}"), 2, 30)).await;

    let Ok(report) = report else {
        unreachable!("run failed: {report:?}");
    };
    assert_eq!(report.succeeded, 0);
    assert_eq!(report.errors_by_status.get("transport"), Some(&30));
    assert!(report.p50_ms.is_none());
}
