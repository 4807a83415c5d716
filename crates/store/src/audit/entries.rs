//! Reading the sealed log: ledger entries joined with their events, filtered
//! and in sequence order, as pages (keyset on the sequence) or as a stream
//! of batches through a portal, so that an export of millions of rows holds
//! one batch in memory at a time.

use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Portal, Statement, Transaction};
use uuid::Uuid;

use super::canonical::CanonicalError;
use super::chain::{GENESIS, Hash, ledger_hash, to_hex};
use super::lines::close_line;
use super::log_tables::{all_records_sql, record_of_entry_sql, record_of_unsealed_entry_sql};
use super::portal::{drain_portal, snapshot_read};
use super::record::{EventRecord, RecordLayout};
use crate::history::{EVENTS_NAMING_MEMBERS, members_named_by};
use crate::sql::Params;
use crate::{Client, StoreError};

/// What to select from the sealed log of one organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EntryFilter {
    /// The user's own events and the group events that name them as a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// `occurred_at >= from`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub from: Option<OffsetDateTime>,
    /// `occurred_at < to`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub to: Option<OffsetDateTime>,
    /// `sequence >= from_sequence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_sequence: Option<i64>,
    /// `sequence <= to_sequence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_sequence: Option<i64>,
    /// Newest first.
    pub descending: bool,
}

/// One sealed event: its record, its chain hash and the one before it.
/// Its text is `S`, as in `EventRecord`: streams borrow it from the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry<S = String> {
    pub sequence: i64,
    pub hash: Hash,
    pub prev_hash: Hash,
    pub record: EventRecord<S>,
}

impl<S: AsRef<str>> LedgerEntry<S> {
    /// The record as hashed, plus `hash` and `prev_hash` in hex: one
    /// element of every list of events.
    pub fn to_json(&self) -> Result<Value, CanonicalError> {
        let mut value = self.record.to_json(self.sequence)?;
        if let Value::Object(members) = &mut value {
            members.insert("hash".into(), json!(to_hex(&self.hash)));
            members.insert("prev_hash".into(), json!(to_hex(&self.prev_hash)));
        }
        Ok(value)
    }

    /// One line of an NDJSON export: the same members as `to_json`, written
    /// as the record's canonical bytes with `hash` and `prev_hash` appended
    /// last. Removing those two members gives back the exact bytes hashed.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        self.record.write_canonical(self.sequence, out)?;
        close_line(out, &self.hash, &self.prev_hash);
        Ok(())
    }
}

impl EntryFilter {
    /// Whether the filter selects a run of the chain in ascending order:
    /// no condition but the sequence range. Each entry's predecessor is
    /// then the row read just before it, and a stream carries `prev_hash`
    /// along instead of asking PostgreSQL for a window over the ledger.
    fn is_ascending_run(&self) -> bool {
        let Self {
            user,
            actor_kind,
            actor_id,
            source,
            event_type,
            from,
            to,
            from_sequence: _,
            to_sequence: _,
            descending,
        } = self;
        user.is_none()
            && actor_kind.is_none()
            && actor_id.is_none()
            && source.is_none()
            && event_type.is_none()
            && from.is_none()
            && to.is_none()
            && !descending
    }
}

/// The lowest and highest sequence the filter and the cursor allow.
fn sequence_bounds(filter: &EntryFilter, after: Option<i64>) -> (Option<i64>, Option<i64>) {
    let mut lowest = filter.from_sequence;
    let mut highest = filter.to_sequence;
    if let Some(after) = after {
        if filter.descending {
            highest = Some(highest.map_or(after - 1, |h| h.min(after - 1)));
        } else {
            lowest = Some(lowest.map_or(after + 1, |l| l.max(after + 1)));
        }
    }
    (lowest, highest)
}

/// The hash of the entry just below `l` in its organization's chain, as a
/// subquery: one probe of the primary key.
const ENTRY_BELOW: &str = "(SELECT p.hash FROM ledger p \
    WHERE p.org_id = l.org_id AND p.sequence < l.sequence \
    ORDER BY p.sequence DESC LIMIT 1)";

/// What a selection of entries is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    /// One page, under a `LIMIT`.
    Page,
    /// Every entry, through a portal.
    Stream,
    /// Every entry through a portal, as NDJSON lines: an entry that keeps
    /// its sealed record (migration V14) is written from it and reads no
    /// log row; the others read theirs as `Stream` does.
    Lines,
}

impl Read {
    /// The ledger columns a window over entries carries: the kept record
    /// (1 KB or so) only where the line is written from it.
    fn entry_columns(self) -> &'static str {
        match self {
            Read::Lines => "l.sequence, l.hash, l.log, l.log_row_id, l.record",
            Read::Page | Read::Stream => "l.sequence, l.hash, l.log, l.log_row_id",
        }
    }

    /// The log row of entry `l` (a `LATERAL` subquery), and the extra
    /// column the entry is read with: lines read the kept record, and a log
    /// row only for entries without one.
    fn record_of_entry(self) -> (String, &'static str) {
        match self {
            Read::Lines => (
                record_of_unsealed_entry_sql("l"),
                ", l.record AS sealed_record",
            ),
            Read::Page | Read::Stream => (record_of_entry_sql("l"), ""),
        }
    }

    /// The join of entries `l` to their log rows `r`, the condition that an
    /// entry has what its line needs, and the extra column it is read with.
    fn records(self) -> (String, &'static str, &'static str) {
        let (record, sealed) = self.record_of_entry();
        match self {
            Read::Lines => (
                format!("LEFT JOIN {record} r ON TRUE"),
                "(l.record IS NOT NULL OR r.log IS NOT NULL)",
                sealed,
            ),
            Read::Page | Read::Stream => (format!("JOIN {record} r ON TRUE"), "TRUE", sealed),
        }
    }
}

/// The SQL of a filtered, ordered selection of entries; `$1` is the org.
///
/// Three shapes, by what the filter names:
/// - a `user`: the log tables' indexes find the user's rows and each row's
///   ledger entry; its `prev_hash` is a probe of the ledger below it;
/// - event type, source, actor or time: the ledger's own copies of those
///   fields (migration V13) and their indexes find the entries; each one's
///   `prev_hash` is a probe below it in a page, and in a stream the hash of
///   the match before it when that is its neighbour in the chain;
/// - only a sequence range: a page probes below each entry too; a stream
///   walks the ledger in order, each entry's `prev_hash` coming from a
///   window over it in the same order (`lag` ascending, `lead`
///   descending), which streams along the primary key; the window starts
///   one entry below the lowest one asked for, so that its predecessor is
///   there too. (Under a window the planner no longer sees a page's
///   `LIMIT`, and since the ledger keeps each sealed record, migration V14,
///   it sorted the whole ledger for the newest page: 573 ms at 1 000 000.)
fn entries_sql(
    filter: &EntryFilter,
    org: Uuid,
    after: Option<i64>,
    read: Read,
) -> (String, Params) {
    let mut params = Params::new();
    let org = params.push(org);
    let mut ledger = vec![format!("l.org_id = {org}")];
    let (lowest, highest) = sequence_bounds(filter, after);
    if let Some(highest) = highest {
        ledger.push(format!("l.sequence <= {}", params.push(highest)));
    }
    let mut fields = Vec::new();
    let equal = [
        ("l.actor_kind", &filter.actor_kind),
        ("l.actor_id", &filter.actor_id),
        ("l.source", &filter.source),
        ("l.event_type", &filter.event_type),
    ];
    for (column, value) in equal {
        if let Some(value) = value {
            fields.push(format!("{column} = {}", params.push(value.clone())));
        }
    }
    if let Some(from) = filter.from {
        fields.push(format!("l.occurred_at >= {}", params.push(from)));
    }
    if let Some(to) = filter.to {
        fields.push(format!("l.occurred_at < {}", params.push(to)));
    }
    // The predecessor in the chain is the row read before in ascending
    // order and the row read after in descending order.
    let (order, previous) = if filter.descending {
        ("DESC", "lead")
    } else {
        ("ASC", "lag")
    };

    let (records, present, sealed) = read.records();
    let columns = read.entry_columns();
    if filter.user.is_none() && fields.is_empty() && read != Read::Page {
        let mut above = "TRUE".to_owned();
        if let Some(lowest) = lowest {
            let lowest = params.push(lowest);
            ledger.push(format!("l.sequence >= {lowest}::bigint - 1"));
            above = format!("l.sequence >= {lowest}");
        }
        let sql = format!(
            "SELECT r.*, l.sequence, l.hash, l.prev_hash{sealed} \
             FROM (SELECT {columns}, \
                     {previous}(l.hash) OVER (ORDER BY l.sequence {order}) AS prev_hash \
                   FROM ledger l WHERE {ledger}) l \
             {records} \
             WHERE {above} AND {present} ORDER BY l.sequence {order}",
            ledger = ledger.join(" AND "),
        );
        return (sql, params);
    }

    if let Some(lowest) = lowest {
        ledger.push(format!("l.sequence >= {}", params.push(lowest)));
    }
    ledger.extend(fields);
    let sql = match filter.user {
        // One user's entries are few in a long log: found through the log
        // tables' indexes, each joined to its ledger entry by its row.
        Some(user) => {
            let id = params.push(user);
            let text = params.push(user.to_string());
            format!(
                "SELECT r.*, l.sequence, l.hash, p.hash AS prev_hash{sealed} \
                 FROM {records} r \
                 JOIN ledger l ON l.log = r.log AND l.log_row_id = r.log_row_id \
                 LEFT JOIN LATERAL {ENTRY_BELOW} p ON TRUE \
                 WHERE r.org_id = {org} AND ((r.log = 'user_events' AND r.subject_id = {id}) \
                   OR (r.log = 'group_events' AND r.event_type IN ({types}) \
                   AND {members} ? {text})) AND {ledger} \
                 ORDER BY l.sequence {order}",
                records = all_records_sql(),
                types = EVENTS_NAMING_MEMBERS,
                members = members_named_by("r"),
                ledger = ledger.join(" AND "),
            )
        }
        // A page probes below each of its few entries. The planner sees its
        // LIMIT, so a wide time range walks the primary key in order
        // rather than sorting every entry in the range.
        None if read == Read::Page => format!(
            "SELECT r.*, l.sequence, l.hash, p.hash AS prev_hash \
             FROM ledger l JOIN {records} r ON TRUE LEFT JOIN LATERAL {ENTRY_BELOW} p ON TRUE \
             WHERE {ledger} ORDER BY l.sequence {order}",
            records = record_of_entry_sql("l"),
            ledger = ledger.join(" AND "),
        ),
        // A stream: where two matching entries are neighbours in the
        // chain, the one read before is the predecessor (a window over the
        // matches); elsewhere one probe below finds it. A filter that
        // matches most of a long export so costs few probes, a rare one no
        // walk.
        None => format!(
            "SELECT r.*, l.sequence, l.hash, l.prev_hash{sealed} \
             FROM (SELECT {columns}, \
                     CASE WHEN {previous}(l.sequence) OVER w = l.sequence - 1 \
                     THEN {previous}(l.hash) OVER w \
                     ELSE {ENTRY_BELOW} END AS prev_hash \
                   FROM ledger l WHERE {ledger} \
                   WINDOW w AS (ORDER BY l.sequence {order})) l \
             {records} \
             WHERE {present} ORDER BY l.sequence {order}",
            ledger = ledger.join(" AND "),
        ),
    };
    (sql, params)
}

fn entry_from_row_at<'r, S: FromSql<'r> + From<&'r str>>(
    row: &'r tokio_postgres::Row,
    layout: &RecordLayout,
) -> Result<LedgerEntry<S>, StoreError> {
    let prev: Option<&[u8]> = row.get("prev_hash");
    Ok(LedgerEntry {
        sequence: row.get("sequence"),
        hash: ledger_hash(row.get("hash"))?,
        prev_hash: prev.map_or(Ok(GENESIS), ledger_hash)?,
        record: EventRecord::from_row_at(row, layout),
    })
}

/// The statement of one page of entries, and what it binds: what
/// `list_entries` runs, for tests that check its plan.
#[derive(Debug)]
pub struct EntriesPageSql {
    pub sql: String,
    params: Params,
}

impl EntriesPageSql {
    pub fn new(org: Uuid, filter: &EntryFilter, after: Option<i64>, limit: i64) -> Self {
        let (sql, mut params) = entries_sql(filter, org, after, Read::Page);
        let sql = format!("{sql} LIMIT {}", params.push(limit));
        Self { sql, params }
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.as_refs()
    }
}

/// One page of entries after the sequence `after` (in the filter's order).
pub async fn list_entries(
    client: &Client,
    org: Uuid,
    filter: &EntryFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let page = EntriesPageSql::new(org, filter, after, limit);
    let statement = client.prepare_cached(&page.sql).await?;
    let rows = client.query(&statement, &page.params()).await?;
    let layout = RecordLayout::of(statement.columns());
    rows.iter()
        .map(|row| entry_from_row_at(row, &layout))
        .collect()
}

/// The SQL of an ascending run (`EntryFilter::is_ascending_run`): every
/// ledger entry from one below the lowest asked for, each with its log row
/// if the log still has it, and no `prev_hash`: the reader carries it.
fn run_sql(filter: &EntryFilter, org: Uuid, read: Read) -> (String, Params) {
    let mut params = Params::new();
    let mut ledger = vec![format!("l.org_id = {}", params.push(org))];
    if let Some(lowest) = filter.from_sequence {
        ledger.push(format!("l.sequence >= {}::bigint - 1", params.push(lowest)));
    }
    if let Some(highest) = filter.to_sequence {
        ledger.push(format!("l.sequence <= {}", params.push(highest)));
    }
    let (records, sealed) = read.record_of_entry();
    let sql = format!(
        "SELECT r.*, l.sequence, l.hash{sealed} FROM ledger l LEFT JOIN {records} r ON TRUE \
         WHERE {ledger} ORDER BY l.sequence",
        ledger = ledger.join(" AND "),
    );
    (sql, params)
}

/// Turns the rows of an ascending run into entries, carrying each row's
/// hash to the next as its `prev_hash`, as the window of `entries_sql` would:
/// the row below the run and rows whose log row is gone pass on their hash
/// but are not entries.
pub(super) struct RunReader {
    pub(super) lowest: Option<i64>,
    pub(super) previous: Hash,
}

impl RunReader {
    fn entry<'r>(
        &mut self,
        row: &'r tokio_postgres::Row,
        layout: &RecordLayout,
    ) -> Result<Option<LedgerEntry<&'r str>>, StoreError> {
        let sequence: i64 = row.get("sequence");
        let hash = ledger_hash(row.get("hash"))?;
        let prev_hash = std::mem::replace(&mut self.previous, hash);
        let below = self.lowest.is_some_and(|lowest| sequence < lowest);
        if below || row.get::<_, Option<&str>>("log").is_none() {
            return Ok(None);
        }
        Ok(Some(LedgerEntry {
            sequence,
            hash,
            prev_hash,
            record: EventRecord::from_row_at(row, layout),
        }))
    }
}

/// The SQL of a stream of `filter` read for `read`, and for an ascending
/// run the reader that carries `prev_hash` from row to row.
pub(super) fn stream_sql(
    filter: &EntryFilter,
    org: Uuid,
    read: Read,
) -> (String, Params, Option<RunReader>) {
    if filter.is_ascending_run() {
        let (sql, params) = run_sql(filter, org, read);
        let run = RunReader {
            lowest: filter.from_sequence,
            previous: GENESIS,
        };
        return (sql, params, Some(run));
    }
    let (sql, params) = entries_sql(filter, org, None, read);
    (sql, params, None)
}

/// `sql` bound to `params` as a portal, in a snapshot read on `client`.
pub(super) async fn open_portal<'c>(
    client: &'c mut tokio_postgres::Client,
    sql: &str,
    params: &Params,
) -> Result<(Transaction<'c>, Statement, Portal), StoreError> {
    let tx = snapshot_read(client).await?;
    let statement = tx.prepare(sql).await?;
    let refs: Vec<&(dyn ToSql + Sync)> = params.as_refs();
    let portal = tx.bind(&statement, &refs).await?;
    Ok((tx, statement, portal))
}

/// Streams every matching entry, `batch` rows at a time, to `sink`, from
/// one consistent snapshot; the entries borrow their text from the rows of
/// the batch. `sink` returns false to stop early. Returns how many entries
/// were handed over.
pub async fn stream_entries(
    client: &mut tokio_postgres::Client,
    org: Uuid,
    filter: &EntryFilter,
    batch: i32,
    mut sink: impl AsyncFnMut(&[LedgerEntry<&str>]) -> bool,
) -> Result<u64, StoreError> {
    let (sql, params, mut run) = stream_sql(filter, org, Read::Stream);
    let (tx, statement, portal) = open_portal(client, &sql, &params).await?;
    let layout = RecordLayout::of(statement.columns());
    let mut total = 0_u64;
    drain_portal(&tx, &portal, batch, async |rows| {
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let entry = match &mut run {
                Some(run) => run.entry(row, &layout)?,
                None => Some(entry_from_row_at(row, &layout)?),
            };
            entries.extend(entry);
        }
        total += entries.len() as u64;
        Ok(sink(&entries).await)
    })
    .await?;
    tx.commit().await?;
    Ok(total)
}

/// The entry of one event, if it is sealed.
pub async fn entry_of_event(
    client: &Client,
    org: Uuid,
    event_id: Uuid,
) -> Result<Option<LedgerEntry>, StoreError> {
    let sequence: Option<i64> = client
        .query_opt(
            "SELECT sequence FROM ledger WHERE org_id = $1 AND event_id = $2",
            &[&org, &event_id],
        )
        .await?
        .map(|row| row.get(0));
    let Some(sequence) = sequence else {
        return Ok(None);
    };
    let filter = EntryFilter {
        from_sequence: Some(sequence),
        to_sequence: Some(sequence),
        ..EntryFilter::default()
    };
    Ok(list_entries(client, org, &filter, None, 1).await?.pop())
}

/// The sequence of each given event that is sealed, for history views.
pub async fn sequences_of(
    client: &Client,
    org: Uuid,
    event_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, i64>, StoreError> {
    let rows = client
        .query(
            "SELECT event_id, sequence FROM ledger WHERE org_id = $1 AND event_id = ANY($2)",
            &[&org, &event_ids],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}
