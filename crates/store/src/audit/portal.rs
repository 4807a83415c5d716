//! Reading a long result through a portal in batches, one batch ahead: the
//! next batch is asked for before the current one is handed on, so that
//! PostgreSQL produces rows while the caller formats or hashes the last
//! ones. Memory stays at two batches whatever the result's size, and the
//! caller can stop at any batch without the server producing the rest.

use tokio_postgres::{Portal, Row, Transaction};

use crate::StoreError;

/// A read-only transaction over one snapshot, for reading a whole chain.
///
/// JIT compilation is off in it: PostgreSQL compiles a plan whose estimated
/// cost passes `jit_above_cost`, which a ledger join does at a few thousand
/// entries, and the compilation alone costs more than the read it speeds up
/// (an export of 20 000 entries: 456 ms with JIT, 82 ms without; at 1 000 000
/// the two are within noise).
///
/// `client` may be a pooled connection or one of its own (exports).
pub async fn snapshot_read(
    client: &mut tokio_postgres::Client,
) -> Result<Transaction<'_>, StoreError> {
    read_in(client, "").await
}

/// As `snapshot_read`, in the snapshot that another transaction exported
/// as `name` (`pg_export_snapshot()`), so that both see the same rows.
pub async fn shared_snapshot_read<'c>(
    client: &'c mut tokio_postgres::Client,
    name: &str,
) -> Result<Transaction<'c>, StoreError> {
    // The name is hex digits and dashes; SET TRANSACTION SNAPSHOT takes
    // no parameter.
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(StoreError::Corrupt(format!(
            "an odd snapshot name {name:?}"
        )));
    }
    read_in(client, &format!("SET TRANSACTION SNAPSHOT '{name}'; ")).await
}

async fn read_in<'c>(
    client: &'c mut tokio_postgres::Client,
    snapshot: &str,
) -> Result<Transaction<'c>, StoreError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    tx.batch_execute(&format!("{snapshot}SET LOCAL jit = off"))
        .await?;
    Ok(tx)
}

/// Hands every row of `portal` to `sink`, `batch` rows at a time, in order.
/// `sink` returns false to stop. Returns how many rows were handed over.
pub(crate) async fn drain_portal(
    tx: &Transaction<'_>,
    portal: &Portal,
    batch: i32,
    mut sink: impl AsyncFnMut(Vec<Row>) -> Result<bool, StoreError>,
) -> Result<u64, StoreError> {
    let batch_len = usize::try_from(batch).unwrap_or(usize::MAX);
    let mut rows = tx.query_portal(portal, batch).await?;
    let mut total = 0_u64;
    while !rows.is_empty() {
        total += rows.len() as u64;
        // A short batch is the last one: nothing to fetch alongside it.
        if rows.len() < batch_len {
            sink(rows).await?;
            break;
        }
        let (next, go_on) =
            futures_util::future::join(tx.query_portal(portal, batch), sink(rows)).await;
        if !go_on? {
            break;
        }
        rows = next?;
    }
    Ok(total)
}
