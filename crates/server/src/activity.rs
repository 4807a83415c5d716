//! The activity of SCIM tokens: every SCIM request an authenticated token makes is counted
//! here, in memory, per token and hour, and a background task adds the counts to
//! `token_activity` every few seconds. Counting in memory keeps the SCIM request path free
//! of an extra write; a crash loses at most one interval of counts, which is acceptable
//! for operational figures (the audit trail is the event log, not this).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use time::OffsetDateTime;
use usertrail_store::panel::{ActivityCount, add_token_activity, hour_of};
use usertrail_store::{Pool, StoreError};
use uuid::Uuid;

use crate::startup::AppState;

/// Set on a request by SCIM authentication: the token whose request this is.
#[derive(Debug, Clone, Copy)]
pub struct ScimTokenId(pub Uuid);

/// Counts not yet written, per token and hour.
#[derive(Debug, Default)]
pub struct ActivityCounter {
    pending: Mutex<HashMap<(Uuid, OffsetDateTime), Pending>>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    requests: i64,
    errors: i64,
    last_request_at: OffsetDateTime,
}

impl ActivityCounter {
    /// Counts one request of `token` answered at `at`; `failed` for a status of 400 or more.
    pub fn record(&self, token: Uuid, at: OffsetDateTime, failed: bool) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let entry = pending.entry((token, hour_of(at))).or_insert(Pending {
            requests: 0,
            errors: 0,
            last_request_at: at,
        });
        entry.requests += 1;
        entry.errors += i64::from(failed);
        entry.last_request_at = entry.last_request_at.max(at);
    }

    /// Writes what was counted since the last flush. Counts that could not be written
    /// are kept for the next one.
    pub async fn flush(&self, pool: &Pool) -> Result<(), StoreError> {
        let taken = self.take();
        if taken.is_empty() {
            return Ok(());
        }
        let written = async {
            let client = pool.get().await?;
            add_token_activity(&client, &taken).await
        }
        .await;
        if written.is_err() {
            self.put_back(&taken);
        }
        written
    }

    fn take(&self) -> Vec<ActivityCount> {
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        pending
            .drain()
            .map(|((token_id, hour), counts)| ActivityCount {
                token_id,
                hour,
                requests: counts.requests,
                errors: counts.errors,
                last_request_at: counts.last_request_at,
            })
            .collect()
    }

    fn put_back(&self, counts: &[ActivityCount]) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        for count in counts {
            let entry = pending
                .entry((count.token_id, count.hour))
                .or_insert(Pending {
                    requests: 0,
                    errors: 0,
                    last_request_at: count.last_request_at,
                });
            entry.requests += count.requests;
            entry.errors += count.errors;
            entry.last_request_at = entry.last_request_at.max(count.last_request_at);
        }
    }
}

/// Middleware of the SCIM scope: counts each response to an authenticated SCIM token.
pub async fn count_scim_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let token = response
        .request()
        .extensions()
        .get::<ScimTokenId>()
        .copied();
    if let (Some(ScimTokenId(token)), Some(state)) =
        (token, response.request().app_data::<web::Data<AppState>>())
    {
        let failed = response.status().as_u16() >= 400;
        state.activity.record(token, state.clock.now(), failed);
    }
    Ok(response)
}

/// Flushes the counter every `every` until the process ends.
pub fn spawn_flusher(state: web::Data<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = state.activity.flush(&state.pool).await {
                tracing::warn!(
                    error = %error,
                    "could not write SCIM token activity; kept for the next try"
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn requests_are_counted_per_token_and_hour_with_errors_and_the_last_time() {
        let counter = ActivityCounter::default();
        let token = Uuid::from_u128(1);
        counter.record(token, datetime!(2026-12-03 10:05 UTC), false);
        counter.record(token, datetime!(2026-12-03 10:59 UTC), true);
        counter.record(token, datetime!(2026-12-03 11:00 UTC), false);

        let mut taken = counter.take();
        taken.sort_by_key(|count| count.hour);
        assert_eq!(taken.len(), 2);
        assert_eq!(
            (taken[0].hour, taken[0].requests, taken[0].errors),
            (datetime!(2026-12-03 10:00 UTC), 2, 1)
        );
        assert_eq!(taken[0].last_request_at, datetime!(2026-12-03 10:59 UTC));
        assert_eq!((taken[1].requests, taken[1].errors), (1, 0));
        assert!(counter.take().is_empty());
    }

    #[test]
    fn counts_put_back_after_a_failed_write_add_to_new_ones() {
        let counter = ActivityCounter::default();
        let token = Uuid::from_u128(1);
        counter.record(token, datetime!(2026-12-03 10:05 UTC), true);
        let taken = counter.take();
        counter.record(token, datetime!(2026-12-03 10:06 UTC), false);
        counter.put_back(&taken);

        let taken = counter.take();
        assert_eq!(taken.len(), 1);
        assert_eq!((taken[0].requests, taken[0].errors), (2, 1));
        assert_eq!(taken[0].last_request_at, datetime!(2026-12-03 10:06 UTC));
    }
}
