//! The walk: verification in the server, entry by entry. Each ledger
//! entry comes with its log row through a portal; the server rebuilds the
//! record, recomputes the link and classifies the first break (changed,
//! removed, swapped). It runs when the screen (`screen.rs`) could not
//! confirm every entry, from the first one it could not.

use tokio_postgres::Transaction;
use uuid::Uuid;

use super::chain::{GENESIS, Hash, hash_bytes, hash_from_slice, record_hash};
use super::checkpoint::Checkpoint;
use super::log_tables::record_of_entry_sql;
use super::portal::drain_portal;
use super::record::{EventRecord, RecordLayout};
use super::screen::stored_hashes;
use super::verify::{Breach, BreachKind, Found, Method};
use crate::StoreError;

/// A failed link kept to recognise its partner in a swap.
struct FailedLink {
    sequence: i64,
    prev: Hash,
    stored: Hash,
    event_id: Uuid,
}

/// What an entry keeps of its event besides its hash, and whether the
/// event's log row agrees with it.
#[derive(Debug, Clone, Copy)]
struct Agreement<'r> {
    /// The row was written by the transaction sealed, and its fields are
    /// the entry's copies of them (migration V13).
    fields: bool,
    /// The sealed record the entry keeps (migration V14), which must be
    /// the row's canonical record, byte for byte.
    sealed_record: Option<&'r [u8]>,
}

/// How many failed links are kept to look for swaps.
const KEPT_FAILURES: usize = 64;

/// The chain walk, fed one ledger row at a time in sequence order.
struct Walk {
    expected: i64,
    prev_stored: Hash,
    running: Hash,
    running_at: Vec<(i64, Hash)>,
    checkpoint_sequences: Vec<i64>,
    failures: Vec<FailedLink>,
    breach: Option<Breach>,
    /// The canonical bytes of the record being checked.
    scratch: Vec<u8>,
    /// How many entries found their row, per log table.
    present: Vec<(String, i64)>,
}

impl Walk {
    fn new(checkpoints: &[Checkpoint]) -> Self {
        Self {
            expected: 1,
            prev_stored: GENESIS,
            running: GENESIS,
            running_at: Vec::new(),
            checkpoint_sequences: checkpoints.iter().map(|c| c.sequence).collect(),
            failures: Vec::new(),
            breach: None,
            scratch: Vec::with_capacity(2048),
            present: Vec::new(),
        }
    }

    fn breach(&mut self, breach: Breach) {
        if self.breach.is_none() {
            self.breach = Some(breach);
        }
    }

    /// `record` is the event the entry points at, if the log still has it,
    /// with what the entry keeps of it to agree with.
    fn feed<S: AsRef<str>>(
        &mut self,
        sequence: i64,
        stored: Hash,
        event_id: Uuid,
        record: Option<(EventRecord<S>, Agreement<'_>)>,
    ) {
        if sequence != self.expected {
            self.breach(at(BreachKind::EventRemoved, self.expected, None));
        }
        self.expected = sequence + 1;
        match record {
            None => self.breach(at(BreachKind::EventRemoved, sequence, Some(event_id))),
            Some((record, agrees)) => {
                let log = record.log.as_ref();
                match self.present.iter_mut().find(|(seen, _)| seen == log) {
                    Some((_, count)) => *count += 1,
                    None => self.present.push((log.to_owned(), 1)),
                }
                self.check_link(sequence, stored, event_id, &record, agrees)
            }
        }
        self.prev_stored = stored;
        if self.checkpoint_sequences.binary_search(&sequence).is_ok() {
            self.running_at.push((sequence, self.running));
        }
    }

    fn check_link<S: AsRef<str>>(
        &mut self,
        sequence: i64,
        stored: Hash,
        event_id: Uuid,
        record: &EventRecord<S>,
        agreement: Agreement<'_>,
    ) {
        self.scratch.clear();
        // A record without a canonical form hashes as no bytes: it breaks the link.
        if record.write_canonical(sequence, &mut self.scratch).is_err() {
            self.scratch.clear();
        }
        let agrees = agreement.fields
            && agreement
                .sealed_record
                .is_none_or(|sealed| sealed == self.scratch.as_slice());
        let linked = hash_bytes(&self.prev_stored, &self.scratch);
        // While the recomputed chain agrees with the stored one, its next
        // hash is the link just computed.
        self.running = if self.running == self.prev_stored {
            linked
        } else {
            hash_bytes(&self.running, &self.scratch)
        };
        if linked == stored && record.event_id == event_id && agrees {
            return;
        }
        // A swap: this record hashes correctly at an earlier failed place.
        let mut there = Vec::new();
        let partner = self.failures.iter().find(|failed| {
            record_hash(&failed.prev, record, failed.sequence, &mut there)
                .is_ok_and(|hash| hash == failed.stored || hash == stored)
        });
        if let Some(partner) = partner {
            let mut swap = at(
                BreachKind::EventsSwapped,
                partner.sequence,
                Some(partner.event_id),
            );
            swap.swapped_with = Some(sequence);
            let provisional = self.breach.as_ref().is_some_and(|breach| {
                breach.kind == BreachKind::EventChanged && breach.sequence == Some(partner.sequence)
            });
            if provisional {
                // The first failure was provisionally a change; it is a swap.
                self.breach = Some(swap);
            } else {
                self.breach(swap);
            }
            return;
        }
        if self.failures.len() < KEPT_FAILURES {
            self.failures.push(FailedLink {
                sequence,
                prev: self.prev_stored,
                stored,
                event_id,
            });
        }
        // A broken link right after another broken one is that one's echo.
        let echo = self
            .failures
            .iter()
            .any(|failed| failed.sequence == sequence - 1);
        if !echo {
            self.breach(at(BreachKind::EventChanged, sequence, Some(event_id)));
        }
    }
}

fn at(kind: BreachKind, sequence: i64, event_id: Option<Uuid>) -> Breach {
    Breach {
        kind,
        sequence: Some(sequence),
        swapped_with: None,
        event_id,
        log: None,
        log_row_id: None,
    }
}

/// The walk over the chain of `org` from the entry `first` on: the entries
/// before it were confirmed by the screen, so the walk takes up the stored
/// chain where they end, as a walk from the start would have found it.
/// Once past `stop_after` with nothing found wrong, the walk stops at the
/// end of a batch, and `head` says where; after a breach it goes on to the
/// end, to name it exactly.
pub(super) async fn walk_org(
    tx: &Transaction<'_>,
    org: Uuid,
    batch: i32,
    checkpoints: &[Checkpoint],
    (first, stop_after): (i64, i64),
) -> Result<Found, StoreError> {
    let mut walk = Walk::new(checkpoints);
    let confirmed = if first > 1 {
        take_up(tx, org, first, &mut walk).await?
    } else {
        0
    };
    let walked = walk_chain(tx, org, (first, stop_after), batch, &mut walk).await?;
    Ok(Found {
        method: Method::Walk,
        entries: confirmed + walked,
        screened: 0,
        head: walk.expected - 1,
        head_hash: walk.prev_stored,
        running_at: walk.running_at,
        present: walk.present,
        breach: walk.breach,
    })
}

/// Sets `walk` where a walk of the entries below `first`, all confirmed,
/// would have left it: after the last of them, with the stored chain as
/// the recomputed one, each entry's row present. Returns their number.
async fn take_up(
    tx: &Transaction<'_>,
    org: Uuid,
    first: i64,
    walk: &mut Walk,
) -> Result<i64, StoreError> {
    let rows = tx
        .query(
            "SELECT log, count(*) FROM ledger WHERE org_id = $1 AND sequence < $2 GROUP BY log",
            &[&org, &first],
        )
        .await?;
    walk.present = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let last = tx
        .query_opt(
            "SELECT sequence, hash FROM ledger WHERE org_id = $1 AND sequence < $2 \
             ORDER BY sequence DESC LIMIT 1",
            &[&org, &first],
        )
        .await?;
    if let Some(row) = last {
        let sequence: i64 = row.get(0);
        let hash = hash_from_slice(row.get(1)).unwrap_or(GENESIS);
        walk.expected = sequence + 1;
        walk.prev_stored = hash;
        walk.running = hash;
    }
    let below: Vec<i64> = walk
        .checkpoint_sequences
        .iter()
        .copied()
        .filter(|sequence| *sequence < first)
        .collect();
    let mut hashes = stored_hashes(tx, org, &below).await?;
    hashes.sort_unstable_by_key(|(sequence, _)| *sequence);
    walk.running_at = hashes;
    Ok(walk.present.iter().map(|(_, count)| count).sum())
}

/// Feeds every ledger entry of `org` from the sequence `first` on, with its
/// event if the log still has it, to `walk` through a portal, until a
/// batch past `stop_after` leaves the walk without a breach. Returns the
/// number of entries fed.
async fn walk_chain(
    tx: &Transaction<'_>,
    org: Uuid,
    (first, stop_after): (i64, i64),
    batch: i32,
    walk: &mut Walk,
) -> Result<i64, StoreError> {
    // An entry agrees with its row when the row was written by the
    // transaction sealed and the entry's copies of its fields are the row's.
    let sql = format!(
        "SELECT l.sequence, l.hash, l.event_id AS entry_event_id, \
           l.tx_id = r.tx_id AND (l.event_type, l.source, l.actor_kind, l.actor_id, \
             l.occurred_at) IS NOT DISTINCT FROM (r.event_type, r.source, r.actor_kind, \
             r.actor_id, r.occurred_at) AS agrees, l.record AS sealed_record, r.* \
         FROM ledger l LEFT JOIN {records} r ON TRUE \
         WHERE l.org_id = $1 AND l.sequence >= $2 ORDER BY l.sequence",
        records = record_of_entry_sql("l"),
    );
    let statement = tx.prepare(&sql).await?;
    let portal = tx.bind(&statement, &[&org, &first]).await?;
    let layout = RecordLayout::of(statement.columns());
    // sequence, hash, entry_event_id, agrees and sealed_record come first.
    let entries = drain_portal(tx, &portal, batch, async |rows| {
        for row in &rows {
            let hash: &[u8] = row.get(1);
            let stored = hash_from_slice(hash).unwrap_or(GENESIS);
            let present = row.get::<_, Option<&str>>("log").is_some();
            let agrees = Agreement {
                fields: row.get::<_, Option<bool>>(3) == Some(true),
                sealed_record: row.get(4),
            };
            let record = present.then(|| (EventRecord::<&str>::from_row_at(row, &layout), agrees));
            walk.feed(row.get(0), stored, row.get(2), record);
        }
        Ok(walk.breach.is_some() || walk.expected <= stop_after)
    })
    .await?;
    Ok(i64::try_from(entries).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::audit::canonical::JsonText;

    fn record(n: u128) -> EventRecord {
        EventRecord {
            log: "user_events".into(),
            log_row_id: n as i64,
            subject_id: Some(Uuid::from_u128(n)),
            event_id: Uuid::from_u128(n),
            org_id: Uuid::from_u128(0),
            version: Some(1),
            event_type: "user_created".into(),
            schema_version: 1,
            source: "scim".into(),
            actor_kind: "scim_client".into(),
            actor_id: "t".into(),
            actor_display: "Entra ID".into(),
            actor_token_id: None,
            request_id: None,
            client_addr: None,
            user_agent: None,
            occurred_at: datetime!(2026-12-03 10:00 UTC),
            payload: JsonText::from_value(&json!({"profile": {"userName": format!("u{n}")}})),
            diff: Some(JsonText::from_value(&json!([]))),
        }
    }

    /// The stored hashes of a correct chain of `count` records.
    fn chain(count: u128) -> Vec<Hash> {
        let mut hashes = Vec::new();
        let mut previous = GENESIS;
        for n in 1..=count {
            previous = record_hash(&previous, &record(n), n as i64, &mut Vec::new()).unwrap();
            hashes.push(previous);
        }
        hashes
    }

    /// Walks entries given as (sequence, stored hash, record number).
    fn walk(entries: &[(i64, Hash, u128)]) -> Option<Breach> {
        walk_keeping(entries, |_| None)
    }

    /// The entries of the chain `hashes` as sealed: (sequence, stored hash,
    /// the `record` they were sealed from).
    fn intact_entries(hashes: &[Hash]) -> Vec<(i64, Hash, u128)> {
        (1..=hashes.len())
            .map(|n| (n as i64, hashes[n - 1], n as u128))
            .collect()
    }

    /// As `walk`, each entry keeping the record `kept` gives for its sequence.
    fn walk_keeping(
        entries: &[(i64, Hash, u128)],
        kept: impl Fn(i64) -> Option<Vec<u8>>,
    ) -> Option<Breach> {
        let mut walk = Walk::new(&[]);
        for (sequence, stored, n) in entries {
            let sealed = kept(*sequence);
            let agreement = Agreement {
                fields: true,
                sealed_record: sealed.as_deref(),
            };
            walk.feed(
                *sequence,
                *stored,
                Uuid::from_u128(*n),
                Some((record(*n), agreement)),
            );
        }
        walk.breach
    }

    #[test]
    fn a_sealed_record_that_is_not_the_logs_is_a_change_at_its_sequence() {
        let hashes = chain(3);
        let entries = intact_entries(&hashes);
        let record_of = |sequence: i64| {
            let n = u128::try_from(sequence).unwrap();
            record(n).canonical(sequence).unwrap()
        };
        assert_eq!(
            walk_keeping(&entries, |sequence| Some(record_of(sequence))),
            None
        );
        // Entry 2 keeps the bytes of another record.
        let breach = walk_keeping(&entries, |sequence| {
            Some(record_of(if sequence == 2 { 3 } else { sequence }))
        })
        .unwrap();
        assert_eq!(
            (breach.kind, breach.sequence),
            (BreachKind::EventChanged, Some(2))
        );
    }

    #[test]
    fn an_intact_chain_has_no_breach_and_a_change_is_reported_only_where_it_is() {
        let hashes = chain(4);
        let intact = intact_entries(&hashes);
        assert_eq!(walk(&intact), None);

        let mut changed = intact.clone();
        changed[1].1 = hashes[0];
        let breach = walk(&changed).unwrap();
        assert_eq!(
            (breach.kind, breach.sequence),
            (BreachKind::EventChanged, Some(2))
        );
    }

    #[test]
    fn entries_moved_with_their_hashes_are_a_swap_not_two_changes() {
        let hashes = chain(5);
        let mut swapped = intact_entries(&hashes);
        swapped[1] = (2, hashes[3], 4);
        swapped[3] = (4, hashes[1], 2);
        let breach = walk(&swapped).unwrap();
        assert_eq!(breach.kind, BreachKind::EventsSwapped);
        assert_eq!((breach.sequence, breach.swapped_with), (Some(2), Some(4)));
    }

    #[test]
    fn a_missing_sequence_is_a_removal_at_that_sequence() {
        let hashes = chain(3);
        let gap = [(1, hashes[0], 1), (3, hashes[2], 3)];
        let breach = walk(&gap).unwrap();
        assert_eq!(
            (breach.kind, breach.sequence),
            (BreachKind::EventRemoved, Some(2))
        );
    }
}
