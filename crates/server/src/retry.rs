//! Optimistic concurrency, the caller's side: a write that lost a race to
//! another writer is decided again on fresh state, a few times, unless the
//! caller pinned a version with `If-Match` (then the race is its answer).

use std::future::Future;

use usertrail_store::StoreError;

/// How one attempt at a command ended, when it did not succeed.
pub(crate) enum Attempt<E> {
    /// A failure to report as it is.
    Failed(E),
    /// Another writer appended the same version first.
    Raced,
}

/// A lost race surfaces as a unique violation of the version; every other
/// store error is a failure.
impl<E: From<StoreError>> From<StoreError> for Attempt<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConcurrentModification => Attempt::Raced,
            other => Attempt::Failed(other.into()),
        }
    }
}

/// How often a command is decided before a lost race is reported.
pub(crate) const ATTEMPTS: usize = 5;

/// Runs `once` until it succeeds, fails, or loses `ATTEMPTS` races; with
/// `retry` false a single lost race is reported. `raced` makes the error for
/// a race that is reported.
pub(crate) async fn with_retries<T, E, Fut>(
    retry: bool,
    mut once: impl FnMut() -> Fut,
    raced: impl FnOnce() -> E,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, Attempt<E>>>,
{
    let mut attempt = 1;
    loop {
        match once().await {
            Ok(value) => return Ok(value),
            Err(Attempt::Failed(error)) => return Err(error),
            Err(Attempt::Raced) if retry && attempt < ATTEMPTS => {
                tracing::debug!(attempt, "concurrent write; deciding again");
                attempt += 1;
            }
            Err(Attempt::Raced) => return Err(raced()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[actix_web::test]
    async fn a_lost_race_is_retried_until_it_succeeds() {
        let calls = Cell::new(0);
        let result: Result<u8, &str> = with_retries(
            true,
            || {
                calls.set(calls.get() + 1);
                let outcome = if calls.get() < 3 {
                    Err(Attempt::Raced)
                } else {
                    Ok(7)
                };
                async move { outcome }
            },
            || "raced",
        )
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.get(), 3);
    }

    #[actix_web::test]
    async fn races_are_reported_after_the_last_attempt_or_at_once_without_retry() {
        let always_raced = || async { Err::<u8, _>(Attempt::Raced) };
        assert_eq!(
            with_retries(true, always_raced, || "raced").await,
            Err("raced")
        );

        let calls = Cell::new(0);
        let once = || {
            calls.set(calls.get() + 1);
            async { Err::<u8, _>(Attempt::Raced) }
        };
        assert_eq!(with_retries(false, once, || "raced").await, Err("raced"));
        assert_eq!(calls.get(), 1);
    }
}
