//! Replaying a log into a projection: the shared loop of every rebuild.
//!
//! The log is read through a portal in batches, so memory holds one batch
//! and one aggregate at a time, and the connection is free between batches
//! for the writes (a row stream left open while writing on the same
//! connection stalls once the log outgrows the driver's buffer).

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{StoreError, Transaction};

/// Events read per round trip while rebuilding.
const BATCH: i32 = 1_000;

/// How to fold one log: decode a row, name its stream, fold it onto the
/// stream's state, and say which stream a state belongs to.
pub(crate) struct Replay<D, K, A, I> {
    pub decode: D,
    pub stream: K,
    pub apply: A,
    pub id: I,
}

impl<D, K, A, I> Replay<D, K, A, I> {
    /// Folds the rows of `sql` (ordered by stream, then version) and hands
    /// each stream's final state to `write`. Returns how many were written.
    pub(crate) async fn run<R, S, Id>(
        &self,
        tx: &Transaction<'_>,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        mut write: impl AsyncFnMut(S) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>
    where
        Id: PartialEq,
        D: Fn(&Row) -> Result<R, StoreError>,
        K: Fn(&R) -> Id,
        A: Fn(Option<S>, &R) -> Result<S, StoreError>,
        I: Fn(&S) -> Id,
    {
        let statement = tx.prepare(sql).await?;
        let portal = tx.bind(&statement, params).await?;
        let mut written = 0;
        let mut state: Option<S> = None;
        loop {
            let rows = tx.query_portal(&portal, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let recorded = (self.decode)(row)?;
                let stream = (self.stream)(&recorded);
                if let Some(done) = state.take_if(|current| (self.id)(current) != stream) {
                    write(done).await?;
                    written += 1;
                }
                state = Some((self.apply)(state, &recorded)?);
            }
        }
        if let Some(done) = state {
            write(done).await?;
            written += 1;
        }
        Ok(written)
    }
}
