//! Latency percentiles and the result line a run prints.
//!
//! Latencies are kept as a plain `Vec<Duration>` and sorted once at the end,
//! rather than in a histogram crate: a run is capped at a few hundred
//! thousand requests (16 bytes each, a few MB), so exact percentiles cost
//! nothing worth saving, and there is no bucket precision to reason about.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// The value at percentile `p` (0..=100) of `sorted`, by the nearest-rank
/// method: the smallest sample with at least p% of samples at or below it.
/// `None` for no samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    // Sample counts are far below 2^52, so the f64 round trip is exact.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied()
}

/// One run's outcome, printed as a single JSON line.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub connections: u16,
    /// Requests started inside the measured window (all outcomes).
    pub requests: u64,
    /// Of those, the ones the scenario counts as successes (scim-create:
    /// 201; scim-filter: 200 with totalResults 1).
    pub succeeded: u64,
    /// `requests - succeeded`.
    pub errors: u64,
    /// Error counts keyed by HTTP status, "transport" for requests that got
    /// no response (refused, reset, timed out), or a scenario's own kind of
    /// wrong answer (e.g. "200 totalResults 0").
    pub errors_by_status: BTreeMap<String, u64>,
    /// Requests sent during the warm-up, not counted above.
    pub warmup_requests: u64,
    /// Length of the measured window, to the last response.
    pub seconds: f64,
    /// `succeeded / seconds`.
    pub rate: f64,
    /// Latency percentiles of the successful requests, in milliseconds.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// The first error seen, if any (see [`Tally::error_sample`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_sample: Option<String>,
}

/// Everything the workers counted, merged.
#[derive(Debug, Default)]
pub struct Tally {
    pub success_latencies: Vec<Duration>,
    pub errors_by_status: BTreeMap<String, u64>,
    pub warmup_requests: u64,
    /// The status and start of the body of the first error response, to
    /// tell a misconfigured run (401, 404) from a loaded server.
    pub error_sample: Option<String>,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.success_latencies.extend(other.success_latencies);
        for (status, count) in other.errors_by_status {
            *self.errors_by_status.entry(status).or_default() += count;
        }
        self.warmup_requests += other.warmup_requests;
        if self.error_sample.is_none() {
            self.error_sample = other.error_sample;
        }
    }

    pub fn into_report(
        mut self,
        scenario: &'static str,
        connections: u16,
        measured: Duration,
    ) -> Report {
        self.success_latencies.sort_unstable();
        let latencies = &self.success_latencies;
        let succeeded = latencies.len() as u64;
        let errors: u64 = self.errors_by_status.values().sum();
        let seconds = measured.as_secs_f64();
        let rate = if seconds > 0.0 {
            succeeded as f64 / seconds
        } else {
            0.0
        };
        Report {
            scenario,
            connections,
            requests: succeeded + errors,
            succeeded,
            errors,
            errors_by_status: self.errors_by_status,
            warmup_requests: self.warmup_requests,
            seconds: round3(seconds),
            rate: round3(rate),
            p50_ms: percentile(latencies, 50.0).map(millis),
            p99_ms: percentile(latencies, 99.0).map(millis),
            max_ms: latencies.last().copied().map(millis),
            error_sample: self.error_sample,
        }
    }
}

fn millis(duration: Duration) -> f64 {
    round3(duration.as_secs_f64() * 1000.0)
}

/// Three decimals are plenty for the report and keep the line readable.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        values.into_iter().map(Duration::from_millis).collect()
    }

    #[test]
    fn percentile_of_nothing_is_none() {
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn percentile_of_one_sample_is_that_sample() {
        let one = ms([7]);
        for p in [0.0, 50.0, 99.0, 100.0] {
            assert_eq!(percentile(&one, p), Some(Duration::from_millis(7)));
        }
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_use_nearest_rank() {
        let samples = ms(1..=100);
        assert_eq!(percentile(&samples, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&samples, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(
            percentile(&samples, 100.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(percentile(&samples, 0.0), Some(Duration::from_millis(1)));
    }

    #[test]
    fn p99_of_a_small_sample_is_its_maximum() {
        // Ten samples: rank ceil(9.9) = 10, the largest.
        let samples = ms(1..=10);
        assert_eq!(percentile(&samples, 99.0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&samples, 50.0), Some(Duration::from_millis(5)));
    }

    #[test]
    fn report_sorts_latencies_and_counts_errors_apart_from_successes() {
        let mut tally = Tally {
            success_latencies: ms([30, 10, 20, 40]),
            ..Tally::default()
        };
        tally.merge(Tally {
            success_latencies: ms([50]),
            errors_by_status: BTreeMap::from([("409".to_owned(), 2), ("transport".to_owned(), 1)]),
            warmup_requests: 3,
            error_sample: None,
        });
        tally.merge(Tally {
            errors_by_status: BTreeMap::from([("409".to_owned(), 1)]),
            ..Tally::default()
        });

        let report = tally.into_report("scim-create", 2, Duration::from_secs(2));

        assert_eq!(report.succeeded, 5);
        assert_eq!(report.errors, 4);
        assert_eq!(report.requests, 9);
        assert_eq!(report.errors_by_status.get("409"), Some(&3));
        assert_eq!(report.warmup_requests, 3);
        assert_eq!(report.rate, 2.5);
        assert_eq!(report.p50_ms, Some(30.0));
        assert_eq!(report.p99_ms, Some(50.0));
        assert_eq!(report.max_ms, Some(50.0));
    }

    #[test]
    fn report_serialises_to_one_json_line_with_the_agreed_fields() {
        let report = Tally::default().into_report("scim-create", 1, Duration::ZERO);
        let line = serde_json::to_string(&report).unwrap_or_default();
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        for field in ["requests", "errors", "seconds", "rate", "p50_ms", "p99_ms"] {
            assert!(value.get(field).is_some(), "missing {field} in {line}");
        }
        assert_eq!(value["rate"], 0.0);
        assert!(value["p50_ms"].is_null());
    }
}
