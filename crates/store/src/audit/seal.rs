//! Sealing: giving committed log events their place in their organization's
//! chain. One sealer at a time (a transaction-level advisory lock, so any
//! number of server instances may try), and only events of transactions
//! older than the oldest one still running: those can no longer change, so
//! the order `(tx_id, log, log_row_id)` below that horizon is final and a
//! reader tailing by sequence never misses an event that committed late.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use super::chain::{GENESIS, Hash, ledger_hash, record_hash};
use super::log_tables::{LOG_TABLES, LogTable, table_select};
use super::record::EventRecord;
use crate::{Client, StoreError};

/// An arbitrary constant: the advisory lock that elects the sealer.
pub const SEALER_LOCK: i64 = 0x7573_6572_7472_6c02;

/// The last sealed position in sealing order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx_id: u64,
    pub log: String,
    pub log_row_id: i64,
}

/// Seals up to `limit` events in one transaction. `None` when another
/// sealer holds the lock; otherwise how many events were sealed.
pub async fn seal_batch(
    client: &mut Client,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Option<usize>, StoreError> {
    let tx = client.transaction().await?;
    let locked: bool = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&SEALER_LOCK])
        .await?
        .get(0);
    if !locked {
        return Ok(None);
    }
    let horizon: String = tx
        .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])
        .await?
        .get(0);
    let after = last_sealed(&*tx).await?;
    let events = next_events(&tx, after.as_ref(), &horizon, limit).await?;
    if events.is_empty() {
        return Ok(Some(0));
    }
    let sealed = events.len();
    insert_entries(&tx, events, now).await?;
    tx.commit().await?;
    Ok(Some(sealed))
}

/// Where sealing resumes. The order is that of the `xid8` column: the text
/// form gets another name, or `ORDER BY` would sort the text ("9" > "10").
pub async fn last_sealed(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Option<Position>, StoreError> {
    let row = client
        .query_opt(
            "SELECT l.tx_id::text AS tx_text, l.log, l.log_row_id FROM ledger l \
             ORDER BY l.tx_id DESC, l.log DESC, l.log_row_id DESC LIMIT 1",
            &[],
        )
        .await?;
    row.map(|row| {
        Ok(Position {
            tx_id: parse_xid(row.get("tx_text"))?,
            log: row.get("log"),
            log_row_id: row.get("log_row_id"),
        })
    })
    .transpose()
}

fn parse_xid(text: &str) -> Result<u64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unreadable transaction id {text:?}")))
}

/// The `(tx_id, id)` after which `table`'s unsealed rows start: a table
/// sorting after the last sealed one starts at that transaction, one sorting
/// before it after that transaction. Row ids are positive.
pub(crate) fn start_after(table: &LogTable, after: Option<&Position>) -> (String, i64) {
    let Some(position) = after else {
        return ("0".to_owned(), 0);
    };
    let row_id = match table.name.cmp(position.log.as_str()) {
        std::cmp::Ordering::Greater => 0,
        std::cmp::Ordering::Equal => position.log_row_id,
        std::cmp::Ordering::Less => i64::MAX,
    };
    (position.tx_id.to_string(), row_id)
}

/// The first events of `table` in sealing order: after the position
/// `($2, $3)` and below the horizon `$1` (both `xid8` as text), at most
/// `$4`. One range scan of the table's `(tx_id, id)` index, whose rows are
/// the records, so the cost of a batch does not grow with the log.
pub fn next_events_sql(table: &LogTable) -> String {
    format!(
        "SELECT r.*, r.tx_id::text AS tx_text FROM ({select} \
           WHERE e.tx_id < $1::text::xid8 AND (e.tx_id, e.id) > ($2::text::xid8, $3) \
           ORDER BY e.tx_id, e.id LIMIT $4) r",
        select = table_select(table),
    )
}

/// The next events in sealing order below the horizon: the first `limit`
/// of each table, merged.
async fn next_events(
    client: &impl GenericClient,
    after: Option<&Position>,
    horizon: &str,
    limit: i64,
) -> Result<Vec<(u64, EventRecord)>, StoreError> {
    let mut events = Vec::new();
    for table in LOG_TABLES {
        let statement = client.prepare_cached(&next_events_sql(table)).await?;
        let (tx_id, row_id) = start_after(table, after);
        let rows = client
            .query(&statement, &[&horizon, &tx_id, &row_id, &limit])
            .await?;
        for row in rows {
            events.push((parse_xid(row.get("tx_text"))?, EventRecord::from_row(&row)));
        }
    }
    events.sort_by(|(a_tx, a), (b_tx, b)| {
        (a_tx, &a.log, a.log_row_id).cmp(&(b_tx, &b.log, b.log_row_id))
    });
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(events)
}

/// The head (last sequence and hash) of each organization's chain.
async fn heads(
    client: &impl GenericClient,
    orgs: Vec<Uuid>,
) -> Result<HashMap<Uuid, (i64, Hash)>, StoreError> {
    let rows = client
        .query(
            "SELECT h.org_id, h.sequence, h.hash FROM unnest($1::uuid[]) AS o(id) \
             CROSS JOIN LATERAL (SELECT org_id, sequence, hash FROM ledger \
               WHERE org_id = o.id ORDER BY sequence DESC LIMIT 1) h",
            &[&orgs],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.get("org_id"),
                (row.get("sequence"), ledger_hash(row.get("hash"))?),
            ))
        })
        .collect()
}

/// Chains `events` onto their organizations' heads and inserts the entries.
async fn insert_entries(
    client: &impl GenericClient,
    events: Vec<(u64, EventRecord)>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut orgs: Vec<Uuid> = events.iter().map(|(_, event)| event.org_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let mut heads = heads(client, orgs).await?;
    let mut columns = EntryColumns::default();
    let mut scratch = Vec::new();
    for (tx_id, event) in events {
        let head = heads.entry(event.org_id).or_insert((0, GENESIS));
        let sequence = head.0 + 1;
        let hash = record_hash(&head.1, &event, sequence, &mut scratch)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        *head = (sequence, hash);
        columns.push(tx_id, sequence, hash, scratch.clone(), event);
    }
    let statement = client
        .prepare_cached(
            "INSERT INTO ledger (org_id, sequence, log, log_row_id, event_id, tx_id, hash, \
               record, event_type, source, actor_kind, actor_id, occurred_at, sealed_at) \
             SELECT o, s, l, r, e, t::xid8, h, re, et, so, ak, ai, oa, $14 \
             FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::uuid[], \
               $6::text[], $7::bytea[], $8::bytea[], $9::text[], $10::text[], $11::text[], \
               $12::text[], $13::timestamptz[]) AS u(o, s, l, r, e, t, h, re, et, so, ak, ai, oa)",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &columns.org_ids,
                &columns.sequences,
                &columns.logs,
                &columns.row_ids,
                &columns.event_ids,
                &columns.tx_ids,
                &columns.hashes,
                &columns.records,
                &columns.event_types,
                &columns.sources,
                &columns.actor_kinds,
                &columns.actor_ids,
                &columns.occurred_ats,
                &now,
            ],
        )
        .await?;
    Ok(())
}

/// The ledger rows of one batch, column by column, for one `unnest` insert:
/// the entry, the canonical bytes its hash covers (migration V14), and the
/// copies of its record's fields that queries filter by (migration V13).
#[derive(Default)]
struct EntryColumns {
    org_ids: Vec<Uuid>,
    sequences: Vec<i64>,
    logs: Vec<String>,
    row_ids: Vec<i64>,
    event_ids: Vec<Uuid>,
    tx_ids: Vec<String>,
    hashes: Vec<Vec<u8>>,
    records: Vec<Vec<u8>>,
    event_types: Vec<String>,
    sources: Vec<String>,
    actor_kinds: Vec<String>,
    actor_ids: Vec<String>,
    occurred_ats: Vec<OffsetDateTime>,
}

impl EntryColumns {
    fn push(&mut self, tx_id: u64, sequence: i64, hash: Hash, record: Vec<u8>, event: EventRecord) {
        self.org_ids.push(event.org_id);
        self.sequences.push(sequence);
        self.logs.push(event.log);
        self.row_ids.push(event.log_row_id);
        self.event_ids.push(event.event_id);
        self.tx_ids.push(tx_id.to_string());
        self.hashes.push(hash.to_vec());
        self.records.push(record);
        self.event_types.push(event.event_type);
        self.sources.push(event.source);
        self.actor_kinds.push(event.actor_kind);
        self.actor_ids.push(event.actor_id);
        self.occurred_ats.push(event.occurred_at);
    }
}

/// How far sealing is behind: committed events not sealed yet, and when the
/// oldest of them occurred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealingLag {
    pub unsealed: i64,
    pub oldest_unsealed_at: Option<OffsetDateTime>,
}

/// The lag of one organization, or of all of them (`org` None).
pub async fn sealing_lag(client: &Client, org: Option<Uuid>) -> Result<SealingLag, StoreError> {
    let plain: &tokio_postgres::Client = client;
    let after = last_sealed(plain).await?;
    let mut lag = SealingLag {
        unsealed: 0,
        oldest_unsealed_at: None,
    };
    for table in LOG_TABLES {
        let sql = format!(
            "SELECT count(*) AS n, min(e.occurred_at) AS oldest FROM {name} e \
             WHERE (e.tx_id, e.id) > ($1::text::xid8, $2) AND ($3::uuid IS NULL OR e.org_id = $3)",
            name = table.name,
        );
        let statement = client.prepare_cached(&sql).await?;
        let (tx_id, row_id) = start_after(table, after.as_ref());
        let row = client
            .query_one(&statement, &[&tx_id, &row_id, &org])
            .await?;
        lag.unsealed += row.get::<_, i64>("n");
        let oldest: Option<OffsetDateTime> = row.get("oldest");
        lag.oldest_unsealed_at = match (lag.oldest_unsealed_at, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(lag)
}
