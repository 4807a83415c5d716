//! Verification: recompute an organization's chain from the stored events,
//! check every checkpoint against it and its signature, and name the first
//! entry that is broken and how (docs/audit.md, "What verification reports").
//! The screen (`screen.rs`) checks the chain inside PostgreSQL; where it
//! cannot confirm an entry, the walk (`walk.rs`) takes over from there.

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::chain::{GENESIS, Hash, to_hex};
use super::checkpoint::{Checkpoint, all_checkpoints, key_id};
use super::log_tables::LOG_TABLES;
use super::portal::snapshot_read;
use super::screen::{Screen, Screened, Sizes, chain_head, screen_chain, unkept_prefix};
use super::seal::{last_sealed, start_after};
use super::walk::walk_org;
use crate::StoreError;

/// How an entry is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachKind {
    /// The stored event no longer hashes to its entry: a field was changed.
    EventChanged,
    /// A sequence number is missing, or its event is gone from the log.
    EventRemoved,
    /// A log row sits among sealed events but has no ledger entry.
    EventInserted,
    /// Two entries each hash correctly at the other's place.
    EventsSwapped,
}

/// The first thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    pub kind: BreachKind,
    /// The broken place in the chain (None for an inserted event).
    pub sequence: Option<i64>,
    /// For a swap, the other place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapped_with: Option<i64>,
    pub event_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_row_id: Option<i64>,
}

/// A checkpoint that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointFailure {
    pub id: i64,
    pub sequence: i64,
    /// `bad_signature`, `unknown_key`, `hash_mismatch` or `beyond_head`.
    pub reason: &'static str,
}

/// How the chain was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// PostgreSQL confirmed every entry (`screen.rs`).
    Screen,
    /// The server rebuilt records from their log rows where PostgreSQL did
    /// not confirm them: entries sealed before V14, which keep no record,
    /// and every entry from the first one that is broken or holds JSON
    /// text the screen does not write. `screened` counts the others.
    Walk,
}

/// The outcome of verifying one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub method: Method,
    pub entries: i64,
    /// How many of the entries the screen confirmed.
    pub screened: i64,
    pub head_sequence: i64,
    pub head_hash: String,
    pub first_breach: Option<Breach>,
    pub checkpoints_checked: usize,
    pub checkpoint_failures: Vec<CheckpointFailure>,
}

/// What a check of the chain found, by either method.
pub(super) struct Found {
    pub(super) method: Method,
    pub(super) entries: i64,
    pub(super) screened: i64,
    pub(super) head: i64,
    pub(super) head_hash: Hash,
    /// The recomputed chain's hash at each checkpoint's sequence.
    pub(super) running_at: Vec<(i64, Hash)>,
    /// Entries per log table whose row was found.
    pub(super) present: Vec<(String, i64)>,
    pub(super) breach: Option<Breach>,
}

impl Found {
    /// What the walk of the entries up to `self.head` found, intact, and
    /// the screen of the rest confirmed, together. Every link held, so the
    /// recomputed chain is the stored one beyond the walk's part too.
    fn then_screened(mut self, screened: Screened) -> Self {
        for (log, count) in screened.present {
            match self.present.iter_mut().find(|(seen, _)| *seen == log) {
                Some((_, total)) => *total += count,
                None => self.present.push((log, count)),
            }
        }
        let beyond = self.head;
        self.running_at.extend(
            screened
                .hashes_at
                .into_iter()
                .filter(|(sequence, _)| *sequence > beyond),
        );
        Self {
            method: if self.entries == 0 {
                Method::Screen
            } else {
                Method::Walk
            },
            entries: self.entries + screened.entries,
            screened: self.screened + screened.entries,
            head: screened.head.max(self.head),
            head_hash: screened.head_hash.unwrap_or(self.head_hash),
            ..self
        }
    }

    /// Nothing checked yet.
    fn none() -> Self {
        Self {
            method: Method::Screen,
            entries: 0,
            screened: 0,
            head: 0,
            head_hash: GENESIS,
            running_at: Vec::new(),
            present: Vec::new(),
            breach: None,
        }
    }
}

/// Verifies the chain of `org` and its checkpoints against `key`. On a
/// long chain the screen shares its work with the connections
/// `open_helpers` opens (none is fine); the walk reads rows `batch` at a
/// time.
pub async fn verify_org(
    client: &mut tokio_postgres::Client,
    open_helpers: impl AsyncFnOnce() -> Vec<tokio_postgres::Client>,
    org: Uuid,
    key: Option<&VerifyingKey>,
    batch: i32,
) -> Result<VerifyReport, StoreError> {
    let checkpoints = all_checkpoints(client, org).await?;
    // The checks and the search for inserted rows see one snapshot.
    let tx = snapshot_read(client).await?;
    let sequences: Vec<i64> = checkpoints.iter().map(|c| c.sequence).collect();
    let head = chain_head(&tx, org).await?;
    // Entries sealed before V14 keep no record to screen: the walk takes
    // them, and the screen the rest.
    let unkept = unkept_prefix(&tx, org, head).await?;
    let walked = if unkept > 0 {
        walk_org(&tx, org, batch, &checkpoints, (1, unkept)).await?
    } else {
        Found::none()
    };
    let mut found = if walked.breach.is_some() || walked.head >= head {
        walked
    } else {
        let rest = (walked.head + 1, head);
        match screen_chain(&tx, open_helpers, org, rest, &sequences, Sizes::VERIFY).await? {
            Screen::Confirmed(screened) => walked.then_screened(screened),
            Screen::WalkFrom(first) => Found {
                screened: first - rest.0,
                ..walk_org(&tx, org, batch, &checkpoints, (first, i64::MAX)).await?
            },
        }
    };
    if found.breach.is_none() {
        found.breach = inserted_event(&tx, org, &found.present).await?;
    }
    tx.commit().await?;
    let failures = check_checkpoints(&checkpoints, &found.running_at, found.head, key);
    Ok(VerifyReport {
        ok: found.breach.is_none() && failures.is_empty(),
        method: found.method,
        entries: found.entries,
        screened: found.screened,
        head_sequence: found.head,
        head_hash: to_hex(&found.head_hash),
        first_breach: found.breach,
        checkpoints_checked: checkpoints.len(),
        checkpoint_failures: failures,
    })
}

fn check_checkpoints(
    checkpoints: &[Checkpoint],
    running_at: &[(i64, Hash)],
    head: i64,
    key: Option<&VerifyingKey>,
) -> Vec<CheckpointFailure> {
    let mut failures = Vec::new();
    for checkpoint in checkpoints {
        let fail = |reason| CheckpointFailure {
            id: checkpoint.id,
            sequence: checkpoint.sequence,
            reason,
        };
        let running = if checkpoint.sequence == 0 {
            Some(GENESIS)
        } else {
            running_at
                .iter()
                .find(|(sequence, _)| *sequence == checkpoint.sequence)
                .map(|(_, hash)| *hash)
        };
        match key {
            Some(key) if key_id(key) != checkpoint.key_id => failures.push(fail("unknown_key")),
            Some(key) if !checkpoint.signature_is_valid(key) => {
                failures.push(fail("bad_signature"))
            }
            _ => {}
        }
        if checkpoint.sequence > head {
            failures.push(fail("beyond_head"));
        } else if running != Some(checkpoint.hash) {
            failures.push(fail("hash_mismatch"));
        }
    }
    failures
}

/// The first log row of `org` that sealing has passed but the ledger lacks,
/// when the walk found every entry's row in place. Such a row exists
/// exactly when a table has more sealed-over rows of `org` than the walk
/// found entries of it (`present`): the rows are counted, and searched one
/// by one only when the counts differ.
async fn inserted_event(
    tx: &Transaction<'_>,
    org: Uuid,
    present: &[(String, i64)],
) -> Result<Option<Breach>, StoreError> {
    let Some(position) = last_sealed(tx).await? else {
        return Ok(None);
    };
    for table in LOG_TABLES {
        // Sealed: not after the last entry in sealing order.
        let (tx_id, row_id) = start_after(table, Some(&position));
        let sealed_before = "e.org_id = $1 AND (e.tx_id, e.id) <= ($2::text::xid8, $3)";
        let count_sql = format!(
            "SELECT count(*) FROM {name} e WHERE {sealed_before}",
            name = table.name
        );
        let rows: i64 = tx
            .query_one(&count_sql, &[&org, &tx_id, &row_id])
            .await?
            .get(0);
        let entries = present
            .iter()
            .find(|(log, _)| log == table.name)
            .map_or(0, |(_, count)| *count);
        if rows == entries {
            continue;
        }
        let sql = format!(
            "SELECT e.id, e.event_id FROM {name} e WHERE {sealed_before} \
               AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.log = '{name}' \
                   AND l.log_row_id = e.id) \
             ORDER BY e.tx_id, e.id LIMIT 1",
            name = table.name,
        );
        if let Some(row) = tx.query_opt(&sql, &[&org, &tx_id, &row_id]).await? {
            return Ok(Some(Breach {
                kind: BreachKind::EventInserted,
                sequence: None,
                swapped_with: None,
                event_id: Some(row.get("event_id")),
                log: Some(table.name.to_owned()),
                log_row_id: Some(row.get("id")),
            }));
        }
    }
    Ok(None)
}
