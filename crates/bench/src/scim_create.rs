//! The `scim-create` scenario: workers POST new users to `/scim/v2/Users`
//! until the measured window ends or the request budget is spent.
//!
//! Each worker owns one HTTP client limited to one idle connection and sends
//! its requests one after another, so N workers hold N keep-alive
//! connections: a closed loop, as an identity provider's sync job behaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Client, StatusCode};
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;

use crate::cli::ScimCreateArgs;
use crate::stats::{Report, Tally};

const SCENARIO: &str = "scim-create";
const SCIM_JSON: &str = "application/scim+json";

/// What one run needs, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub endpoint: String,
    pub bearer: HeaderValue,
    pub connections: u16,
    pub warmup: Duration,
    pub duration: Duration,
    pub max_requests: u64,
    pub timeout: Duration,
}

impl Plan {
    pub fn from_args(args: &ScimCreateArgs) -> anyhow::Result<Plan> {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", args.token))
            .context("the token contains characters not allowed in an HTTP header")?;
        bearer.set_sensitive(true);
        Ok(Plan {
            endpoint: format!("{}/scim/v2/Users", args.url.as_str().trim_end_matches('/')),
            bearer,
            connections: args.connections,
            warmup: args.warmup,
            duration: args.duration,
            max_requests: args.max_requests,
            timeout: args.timeout,
        })
    }
}

/// The SCIM User for request `n` of run `run_id`: userName and email are
/// unique across runs, so runs against the same database do not collide.
pub fn user_body(run_id: Uuid, n: u64) -> serde_json::Value {
    let user_name = format!("bench-{run_id}-{n}@example.com");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": { "givenName": "B", "familyName": format!("N{n}") },
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true
    })
}

pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    let run_id = Uuid::new_v4();
    let next_request = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let window = Window {
        measure_from: started + plan.warmup,
        stop_at: started + plan.warmup + plan.duration,
    };

    let mut workers = Vec::with_capacity(usize::from(plan.connections));
    for _ in 0..plan.connections {
        let client = Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(plan.timeout)
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .context("building the HTTP client")?;
        let worker = Worker {
            client,
            plan: plan.clone(),
            run_id,
            next_request: Arc::clone(&next_request),
            window,
        };
        workers.push(tokio::spawn(worker.run()));
    }

    let mut tally = Tally::default();
    let mut last_response = window.measure_from;
    for worker in workers {
        let (worker_tally, worker_last) = worker.await.context("a worker task failed")?;
        tally.merge(worker_tally);
        last_response = last_response.max(worker_last);
    }

    let measured = last_response.saturating_duration_since(window.measure_from);
    Ok(tally.into_report(SCENARIO, plan.connections, measured))
}

#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    stop_at: Instant,
}

#[derive(Debug)]
struct Worker {
    client: Client,
    plan: Plan,
    run_id: Uuid,
    next_request: Arc<AtomicU64>,
    window: Window,
}

/// How one request ended.
enum Outcome {
    /// A full response; the body is kept only for errors.
    Status(StatusCode, Option<String>),
    Transport(String),
}

/// How much of an error body to keep as a sample.
const ERROR_SAMPLE_BYTES: usize = 300;

impl Worker {
    /// Sends requests until the window closes or the shared budget is spent;
    /// returns what it counted and when its last measured response came.
    async fn run(self) -> (Tally, Instant) {
        let mut tally = Tally::default();
        let mut last_response = self.window.measure_from;
        loop {
            if Instant::now() >= self.window.stop_at {
                break;
            }
            let n = self.next_request.fetch_add(1, Ordering::Relaxed);
            if n >= self.plan.max_requests {
                break;
            }

            let sent = Instant::now();
            let outcome = self.send(n).await;
            let done = Instant::now();

            if sent < self.window.measure_from {
                tally.warmup_requests += 1;
                continue;
            }
            last_response = last_response.max(done);
            match outcome {
                Outcome::Status(StatusCode::CREATED, _) => {
                    tally.success_latencies.push(done - sent);
                }
                Outcome::Status(status, body) => count_error(&mut tally, status.as_str(), || {
                    format!("HTTP {status}: {}", body.unwrap_or_default())
                }),
                Outcome::Transport(error) => count_error(&mut tally, "transport", || error),
            }
        }
        (tally, last_response)
    }

    async fn send(&self, n: u64) -> Outcome {
        let body = user_body(self.run_id, n).to_string();
        let response = self
            .client
            .post(&self.plan.endpoint)
            .header(CONTENT_TYPE, SCIM_JSON)
            .header(AUTHORIZATION, self.plan.bearer.clone())
            .body(body)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => return Outcome::Transport(error_chain(&error)),
        };
        let status = response.status();
        // Read the body to the end, or the connection cannot be reused.
        match response.bytes().await {
            Ok(_) if status == StatusCode::CREATED => Outcome::Status(status, None),
            Ok(body) => {
                let end = body.len().min(ERROR_SAMPLE_BYTES);
                let text = String::from_utf8_lossy(body.get(..end).unwrap_or_default());
                Outcome::Status(status, Some(text.into_owned()))
            }
            Err(error) => Outcome::Transport(error_chain(&error)),
        }
    }
}

/// reqwest's own message is often just "error sending request"; the cause
/// (connection refused, timed out) is further down the chain.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn count_error(tally: &mut Tally, key: &str, sample: impl FnOnce() -> String) {
    *tally.errors_by_status.entry(key.to_owned()).or_default() += 1;
    if tally.error_sample.is_none() {
        tally.error_sample = Some(sample());
    }
}

#[cfg(test)]
mod tests;
