//! The closed load loop every scenario shares: workers send one request after
//! another until the measured window ends or the request budget is spent,
//! and a scenario only says what to send and what counts as success.
//!
//! Each worker owns one HTTP client limited to one idle connection, so N
//! workers hold N keep-alive connections: a closed loop, as an identity
//! provider's sync job behaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Client, RequestBuilder, StatusCode};
use tokio::time::Instant;

use crate::cli::LoadArgs;
use crate::stats::{Report, Tally};

/// What one run needs, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `/scim/v2/Users` on the target server.
    pub endpoint: String,
    pub bearer: HeaderValue,
    pub connections: u16,
    pub warmup: Duration,
    pub duration: Duration,
    pub max_requests: u64,
    pub timeout: Duration,
}

impl Plan {
    pub fn from_args(args: &LoadArgs) -> anyhow::Result<Plan> {
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

/// One kind of request a run repeats.
pub trait Scenario: Send + Sync + 'static {
    /// The scenario's name in the report.
    const NAME: &'static str;

    /// Request number `n` of the run (counted across all workers, from 0),
    /// without the bearer token, which the runner adds.
    fn request(&self, client: &Client, endpoint: &str, n: u64) -> RequestBuilder;

    /// Whether a complete response is a success; if not, how to count it.
    fn judge(&self, status: StatusCode, body: &[u8]) -> Result<(), Failure>;
}

/// An unsuccessful request: the key it is counted under in the report, and
/// a description kept if it is the run's first error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: String,
    pub sample: String,
}

impl Failure {
    /// An answer with an unexpected status, counted under that status.
    pub fn status(status: StatusCode, body: &[u8]) -> Failure {
        Failure {
            kind: status.as_str().to_owned(),
            sample: format!("HTTP {status}: {}", body_sample(body)),
        }
    }
}

/// How much of an error body to keep as a sample.
const ERROR_SAMPLE_BYTES: usize = 300;

/// The start of `body` as text, enough to recognise an error document.
pub fn body_sample(body: &[u8]) -> String {
    let end = body.len().min(ERROR_SAMPLE_BYTES);
    String::from_utf8_lossy(body.get(..end).unwrap_or_default()).into_owned()
}

pub async fn run<S: Scenario>(plan: Plan, scenario: S) -> anyhow::Result<Report> {
    let scenario = Arc::new(scenario);
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
            scenario: Arc::clone(&scenario),
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
    Ok(tally.into_report(S::NAME, plan.connections, measured))
}

#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    stop_at: Instant,
}

#[derive(Debug)]
struct Worker<S> {
    client: Client,
    plan: Plan,
    scenario: Arc<S>,
    next_request: Arc<AtomicU64>,
    window: Window,
}

impl<S: Scenario> Worker<S> {
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
                Ok(()) => tally.success_latencies.push(done - sent),
                Err(failure) => count_error(&mut tally, failure),
            }
        }
        (tally, last_response)
    }

    async fn send(&self, n: u64) -> Result<(), Failure> {
        let response = self
            .scenario
            .request(&self.client, &self.plan.endpoint, n)
            .header(AUTHORIZATION, self.plan.bearer.clone())
            .send()
            .await
            .map_err(|error| transport(&error))?;
        let status = response.status();
        // Read the body to the end, or the connection cannot be reused.
        let body = response.bytes().await.map_err(|error| transport(&error))?;
        self.scenario.judge(status, &body)
    }
}

fn transport(error: &reqwest::Error) -> Failure {
    Failure {
        kind: "transport".to_owned(),
        sample: error_chain(error),
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

fn count_error(tally: &mut Tally, failure: Failure) {
    *tally.errors_by_status.entry(failure.kind).or_default() += 1;
    if tally.error_sample.is_none() {
        tally.error_sample = Some(failure.sample);
    }
}
