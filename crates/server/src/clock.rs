//! The one place that reads the wall clock.
//!
//! A request reads the time once, at the edge, and passes it down; tests can
//! pin it with `Clock::Fixed`.

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(OffsetDateTime),
}

impl Clock {
    /// The current time, truncated to microseconds: PostgreSQL stores
    /// microseconds, and a response must show exactly what was stored.
    pub fn now(self) -> OffsetDateTime {
        let now = match self {
            #[expect(
                clippy::disallowed_methods,
                reason = "this is the edge that reads the clock"
            )]
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Fixed(at) => at,
        };
        let micros = now.nanosecond() / 1_000 * 1_000;
        now.replace_nanosecond(micros).unwrap_or(now)
    }
}
