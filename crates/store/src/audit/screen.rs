//! The screen: verification of an intact chain inside PostgreSQL, where the
//! data is, so that no event travels to the server (docs/adr/0018).
//!
//! For every entry the screen recomputes the link, SHA-256 of the previous
//! entry's hash and the record the entry keeps (migration V14), and writes
//! the canonical record of the entry's log row in SQL to compare it with
//! the kept one byte for byte. It answers with counts only. An entry it
//! cannot confirm is not necessarily broken: one sealed before V14 keeps no
//! record, and JSON text that the server did not write (before V12, or by
//! hand) is not canonical as the log keeps it. The walk (`walk.rs`) takes
//! the entries sealed before V14, which come first, and every entry from
//! the first one the screen does not confirm: it rebuilds their records in
//! the server and names the first breach exactly.
//!
//! Confirmed means what the walk would find. The SQL writes each member as
//! `EventRecord::write_canonical` does, except where it cannot match it
//! (JSON text that is not canonical, a control character in a string, a
//! year outside 1..=9999, a number beyond 2^53): there its bytes differ
//! from the canonical ones, or a guard fails, and the entry is not
//! confirmed. A test holds the two writers to the same bytes.

use std::sync::atomic::{AtomicI64, Ordering};

use tokio_postgres::Transaction;
use uuid::Uuid;

use super::chain::{Hash, hash_from_slice};
use super::log_tables::{LOG_TABLES, LogTable, column_of};
use super::portal::shared_snapshot_read;
use crate::StoreError;

/// What the screen found of an organization's chain when it confirmed
/// every entry it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    /// The last entry: the entries screened run to it without a gap.
    pub head: i64,
    /// How many entries were screened.
    pub entries: i64,
    /// The stored hash of the last entry (`None` for an empty chain).
    pub head_hash: Option<Hash>,
    /// How many of them each log table has, every one with its row.
    pub present: Vec<(String, i64)>,
    /// The stored hashes at the sequences asked for, up to the head.
    pub hashes_at: Vec<(i64, Hash)>,
}

/// What the screen found of an organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Every entry screened was confirmed.
    Confirmed(Screened),
    /// Every entry screened below this sequence was confirmed, and the
    /// entry here (or the one after a gap here) was not: the walk takes up
    /// from it.
    WalkFrom(i64),
}

/// How the screen divides its work.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Below this many entries the chain is screened on one connection:
    /// the others would cost more to start than they save.
    pub shared_from: i64,
    /// Entries one statement screens. Each connection screens its range a
    /// chunk at a time, so that it can stop once an entry before its next
    /// chunk is known not to be confirmed: the walk reads every entry
    /// after that one anyway.
    pub chunk: i64,
}

impl Sizes {
    /// What verification uses.
    pub const VERIFY: Sizes = Sizes {
        shared_from: 50_000,
        chunk: 50_000,
    };
}

/// The head of the chain of `org`: its last sequence, 0 when it is empty.
pub async fn chain_head(tx: &Transaction<'_>, org: Uuid) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "SELECT coalesce(max(sequence), 0) FROM ledger WHERE org_id = $1",
            &[&org],
        )
        .await?;
    Ok(row.get(0))
}

/// The last of the entries that keep no record, up to `head`, which the
/// screen cannot confirm: those sealed before migration V14, which come
/// first, as the sealer has kept every record since. 0 when entry 1 keeps
/// its record. Found by halving, a probe of one entry at a time; where
/// the entries are not such a prefix (rows changed by hand), the screen
/// meets the others and hands them to the walk.
pub async fn unkept_prefix(tx: &Transaction<'_>, org: Uuid, head: i64) -> Result<i64, StoreError> {
    let probe = tx
        .prepare("SELECT record IS NOT NULL FROM ledger WHERE org_id = $1 AND sequence = $2")
        .await?;
    // A missing entry counts as kept: the checks report it wherever it is.
    let kept = async |sequence: i64| -> Result<bool, StoreError> {
        let row = tx.query_opt(&probe, &[&org, &sequence]).await?;
        Ok(row.is_none_or(|row| row.get(0)))
    };
    if head == 0 || kept(1).await? {
        return Ok(0);
    }
    // Entry `unkept` keeps no record, entry `kept_from` does (or is past the head).
    let (mut unkept, mut kept_from) = (1, head + 1);
    while kept_from - unkept > 1 {
        let middle = unkept + (kept_from - unkept) / 2;
        if kept(middle).await? {
            kept_from = middle;
        } else {
            unkept = middle;
        }
    }
    Ok(unkept)
}

/// Screens the entries of `org` from `first` to `head` (`chain_head`) in
/// the snapshot of `tx`; from `sizes.shared_from` entries on, it shares the
/// work with the connections `open_helpers` opens, which import the
/// snapshot. Fewer entries open none. `at` are the sequences whose stored
/// hashes the caller needs (its checkpoints).
pub async fn screen_chain(
    tx: &Transaction<'_>,
    open_helpers: impl AsyncFnOnce() -> Vec<tokio_postgres::Client>,
    org: Uuid,
    (first, head): (i64, i64),
    at: &[i64],
    sizes: Sizes,
) -> Result<Screen, StoreError> {
    let sql = screen_sql();
    let first_doubtful = AtomicI64::new(i64::MAX);
    let job = Job {
        sql: &sql,
        org,
        chunk: sizes.chunk.max(1),
        first_doubtful: &first_doubtful,
    };
    let mut helpers = if head - first + 1 < sizes.shared_from {
        Vec::new()
    } else {
        open_helpers().await
    };
    let parts: Vec<_> = helpers.iter_mut().collect();
    let mut ranges = split((first, head), parts.len() + 1).into_iter();
    // The lead takes the first range, each helper one of the others.
    let own = ranges.next().unwrap_or((first, head));
    let snapshot: String = if parts.is_empty() {
        String::new()
    } else {
        tx.query_one("SELECT pg_export_snapshot()", &[])
            .await?
            .get(0)
    };
    let lead = screen_range(tx, &job, own);
    let others = parts
        .into_iter()
        .zip(ranges)
        .map(|(helper, range)| screen_with(helper, &snapshot, &job, range));
    let (lead, others) =
        futures_util::future::join(lead, futures_util::future::try_join_all(others)).await;
    let mut counts = lead?;
    for other in others? {
        counts.add(&other);
    }
    if let Some(doubtful) = counts.first_doubtful {
        return Ok(Screen::WalkFrom(doubtful));
    }
    let entries = (head - first + 1).max(0);
    if counts.entries != entries {
        // Not reached: a missing entry leaves the next one unconfirmed.
        return Ok(Screen::WalkFrom(first));
    }
    let mut wanted = at.to_vec();
    wanted.push(head);
    let hashes = stored_hashes(tx, org, &wanted).await?;
    let head_hash = hashes
        .iter()
        .find(|(sequence, _)| *sequence == head)
        .map(|(_, hash)| *hash);
    Ok(Screen::Confirmed(Screened {
        head,
        entries,
        head_hash,
        present: LOG_TABLES
            .iter()
            .zip(counts.per_table)
            .filter(|(_, count)| *count > 0)
            .map(|(table, count)| (table.name.to_owned(), count))
            .collect(),
        hashes_at: hashes.into_iter().filter(|(s, _)| at.contains(s)).collect(),
    }))
}

/// `first..=last` in `parts` contiguous ranges (the last ones may be empty).
fn split((first, last): (i64, i64), parts: usize) -> Vec<(i64, i64)> {
    let parts = i64::try_from(parts.max(1)).unwrap_or(1);
    let size = ((last - first + 1).max(0) + parts - 1) / parts;
    (0..parts)
        .map(|part| {
            let start = first + part * size;
            (start, (start + size - 1).min(last))
        })
        .collect()
}

/// The counts of one range.
#[derive(Debug, Default)]
struct Counts {
    entries: i64,
    first_doubtful: Option<i64>,
    per_table: Vec<i64>,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.entries += other.entries;
        self.first_doubtful = match (self.first_doubtful, other.first_doubtful) {
            (Some(mine), Some(theirs)) => Some(mine.min(theirs)),
            (mine, theirs) => mine.or(theirs),
        };
        for (mine, theirs) in self.per_table.iter_mut().zip(&other.per_table) {
            *mine += theirs;
        }
    }
}

/// What every range of one screen shares.
struct Job<'a> {
    sql: &'a str,
    org: Uuid,
    chunk: i64,
    /// The first entry any range found not confirmed (`i64::MAX`: none yet).
    first_doubtful: &'a AtomicI64,
}

/// Screens `range` on a connection of its own, in the snapshot `snapshot`.
async fn screen_with(
    client: &mut tokio_postgres::Client,
    snapshot: &str,
    job: &Job<'_>,
    range: (i64, i64),
) -> Result<Counts, StoreError> {
    let tx = shared_snapshot_read(client, snapshot).await?;
    let counts = screen_range(&tx, job, range).await?;
    tx.commit().await?;
    Ok(counts)
}

/// Screens `first..=last` a chunk at a time, in order, until an entry is
/// not confirmed, here or before the next chunk in another range. Every
/// entry before the first one not confirmed is screened, whichever range
/// finds it first.
async fn screen_range(
    tx: &Transaction<'_>,
    job: &Job<'_>,
    (first, last): (i64, i64),
) -> Result<Counts, StoreError> {
    let mut counts = Counts {
        per_table: vec![0; LOG_TABLES.len()],
        ..Counts::default()
    };
    let mut start = first;
    while start <= last
        && counts.first_doubtful.is_none()
        && start < job.first_doubtful.load(Ordering::Relaxed)
    {
        let end = start.saturating_add(job.chunk - 1).min(last);
        let row = tx.query_one(job.sql, &[&job.org, &start, &end]).await?;
        let chunk = Counts {
            entries: row.get(0),
            first_doubtful: row.get(1),
            per_table: (0..LOG_TABLES.len()).map(|n| row.get(2 + n)).collect(),
        };
        if let Some(doubtful) = chunk.first_doubtful {
            job.first_doubtful.fetch_min(doubtful, Ordering::Relaxed);
        }
        counts.add(&chunk);
        start = end + 1;
    }
    Ok(counts)
}

/// The stored hashes of the entries at `wanted` that exist.
pub(crate) async fn stored_hashes(
    tx: &Transaction<'_>,
    org: Uuid,
    wanted: &[i64],
) -> Result<Vec<(i64, Hash)>, StoreError> {
    let rows = tx
        .query(
            "SELECT sequence, hash FROM ledger WHERE org_id = $1 AND sequence = ANY($2)",
            &[&org, &wanted],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| Some((row.get(0), hash_from_slice(row.get(1))?)))
        .collect())
}

/// One row of counts for the entries `$2..=$3` of organization `$1`: how
/// many there are, the first that was not confirmed, and how many each
/// log table has. The window reaches one entry below the range for the first
/// link.
pub fn screen_sql() -> String {
    let per_table: Vec<String> = LOG_TABLES
        .iter()
        .map(|table| format!("count(*) FILTER (WHERE l.log = '{}')", table.name))
        .collect();
    let arms: Vec<String> = LOG_TABLES
        .iter()
        .map(|table| {
            format!(
                "SELECT {agrees} AS agrees FROM {name} e \
                 WHERE e.id = CASE WHEN l.log = '{name}' THEN l.log_row_id END",
                agrees = agreement_sql(table),
                name = table.name,
            )
        })
        .collect();
    format!(
        "SELECT count(*), \
           min(l.sequence) \
             FILTER (WHERE NOT coalesce(l.linked AND l.follows AND r.agrees, false)), \
           {per_table} \
         FROM (SELECT l.sequence, l.log, l.log_row_id, l.event_id, l.tx_id, l.event_type, \
                 l.source, l.actor_kind, l.actor_id, l.occurred_at, l.record, \
                 l.hash = sha256(lag(l.hash, 1, decode('{genesis}', 'hex')) OVER w || l.record) \
                   AS linked, \
                 l.sequence = lag(l.sequence, 1, 0::bigint) OVER w + 1 AS follows \
               FROM ledger l \
               WHERE l.org_id = $1 AND l.sequence BETWEEN $2::bigint - 1 AND $3::bigint \
               WINDOW w AS (ORDER BY l.sequence)) l \
         LEFT JOIN LATERAL ({arms}) r ON TRUE \
         WHERE l.sequence >= $2::bigint",
        per_table = per_table.join(", "),
        arms = arms.join(" UNION ALL "),
        genesis = "00".repeat(32),
    )
}

/// Whether the log row `e` of `table` is the event the entry `l` sealed:
/// the entry's copies of its fields are the row's, and the record it keeps
/// is the row's canonical record.
fn agreement_sql(table: &LogTable) -> String {
    let column = |name: &str| column_of(table, name);
    format!(
        "l.event_id = {event_id} AND l.tx_id = {tx_id} \
         AND (l.event_type, l.source, l.actor_kind, l.actor_id, l.occurred_at) \
           IS NOT DISTINCT FROM ({event_type}, {source}, {actor_kind}, {actor_id}, {occurred_at}) \
         AND {guard} AND l.record = textsend({record})",
        event_id = column("event_id"),
        tx_id = column("tx_id"),
        event_type = column("event_type"),
        source = column("source"),
        actor_kind = column("actor_kind"),
        actor_id = column("actor_id"),
        occurred_at = column("occurred_at"),
        guard = guard_sql(table),
        record = canonical_record_sql(table, "l.sequence"),
    )
}

/// How a member's value is written.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A string, escaped as RFC 8785 escapes it.
    Text,
    Uuid,
    /// An `inet` as the address alone, as the server reads it.
    Address,
    /// JSON text as the log keeps it: canonical when the server wrote it.
    Json,
    Integer,
    /// A time in UTC with six fraction digits (`record::rfc3339`).
    Time,
}

/// A member of the canonical record: its name, where its value comes from
/// (a column of the log row, or SQL), and whether it may be absent.
#[derive(Debug, Clone, Copy)]
struct Member {
    name: &'static str,
    value: Source,
    optional: bool,
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Column(&'static str, Kind),
    /// The subject column of the table.
    Subject,
    /// The table's name.
    Log,
    /// The entry's sequence.
    Sequence,
    /// An object of these members.
    Object(&'static [Member]),
}

const fn required(name: &'static str, value: Source) -> Member {
    Member {
        name,
        value,
        optional: false,
    }
}

const fn optional(name: &'static str, value: Source) -> Member {
    Member {
        name,
        value,
        optional: true,
    }
}

const ACTOR: &[Member] = &[
    required("display", Source::Column("actor_display", Kind::Text)),
    required("id", Source::Column("actor_id", Kind::Text)),
    required("kind", Source::Column("actor_kind", Kind::Text)),
];

/// The record's members in RFC 8785 order, as `write_canonical` writes them.
const RECORD: &[Member] = &[
    required("actor", Source::Object(ACTOR)),
    optional(
        "actor_token_id",
        Source::Column("actor_token_id", Kind::Uuid),
    ),
    optional("client_addr", Source::Column("client_addr", Kind::Address)),
    optional("diff", Source::Column("diff", Kind::Json)),
    required("event_id", Source::Column("event_id", Kind::Uuid)),
    required("event_type", Source::Column("event_type", Kind::Text)),
    required("log", Source::Log),
    required("occurred_at", Source::Column("occurred_at", Kind::Time)),
    required("org_id", Source::Column("org_id", Kind::Uuid)),
    required("payload", Source::Column("payload", Kind::Json)),
    optional("request_id", Source::Column("request_id", Kind::Text)),
    required(
        "schema_version",
        Source::Column("schema_version", Kind::Integer),
    ),
    required("sequence", Source::Sequence),
    required("source", Source::Column("source", Kind::Text)),
    optional("subject_id", Source::Subject),
    optional("user_agent", Source::Column("user_agent", Kind::Text)),
    optional("version", Source::Column("version", Kind::Integer)),
];

/// The canonical record of the row `e` of `table` at `sequence` (SQL), as
/// `text`: pieces joined as a balanced tree of `||`, so that the payload is
/// copied a few times rather than once per member after it.
pub fn canonical_record_sql(table: &LogTable, sequence: &str) -> String {
    let mut pieces = Vec::new();
    object_pieces(RECORD, table, sequence, &mut pieces);
    balanced(&pieces)
}

fn object_pieces(members: &[Member], table: &LogTable, sequence: &str, out: &mut Vec<String>) {
    for (index, member) in members.iter().enumerate() {
        let open = if index == 0 { "{" } else { "," };
        let name = format!("{open}\"{}\":", member.name);
        if let Source::Object(inner) = member.value {
            // Objects are required members: the name, then the members.
            out.push(literal(&name));
            object_pieces(inner, table, sequence, out);
            continue;
        }
        let value = value_sql(member.value, table, sequence);
        if member.optional {
            // NULL drops the whole member, name included.
            out.push(format!("coalesce({} || {value}, '')", literal(&name)));
        } else {
            out.push(literal(&name));
            out.push(value);
        }
    }
    out.push(literal("}"));
}

fn value_sql(source: Source, table: &LogTable, sequence: &str) -> String {
    let quoted = |sql: String| format!("'\"' || {sql} || '\"'");
    match source {
        Source::Column(name, kind) => {
            let column = column_of(table, name);
            match kind {
                // Most strings need no escape; `to_json` escapes exactly
                // as RFC 8785 does (`\"`, `\\`, the short forms, other
                // controls as lowercase `\u00xx`) but costs more. A raw
                // control character cannot match: canonical bytes never
                // hold one.
                Kind::Text => format!(
                    "CASE WHEN strpos({column}, '\"') + strpos({column}, chr(92)) = 0 \
                     THEN {raw} ELSE to_json({column})::text END",
                    raw = quoted(column.clone()),
                ),
                Kind::Uuid => quoted(format!("{column}::text")),
                Kind::Address => quoted(format!("host({column})")),
                Kind::Json | Kind::Integer => format!("{column}::text"),
                Kind::Time => quoted(format!(
                    "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                )),
            }
        }
        Source::Subject => quoted(format!("e.{}::text", table.subject)),
        Source::Log => literal(&format!("\"{}\"", table.name)),
        Source::Sequence => format!("{sequence}::text"),
        Source::Object(_) => unreachable!("objects are written member by member"),
    }
}

/// The time is in the years RFC 3339 can write: `to_char` writes a year
/// BC as the same year AD.
fn guard_sql(table: &LogTable) -> String {
    format!(
        "{at} BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00'",
        at = column_of(table, "occurred_at"),
    )
}

/// A SQL string literal of `text` (which holds no quote of its own).
fn literal(text: &str) -> String {
    debug_assert!(!text.contains('\''));
    format!("'{text}'")
}

/// `pieces` joined by `||`, parenthesised as a balanced tree.
fn balanced(pieces: &[String]) -> String {
    match pieces {
        [] => "''".to_owned(),
        [one] => one.clone(),
        _ => {
            let (left, right) = pieces.split_at(pieces.len() / 2);
            format!("({} || {})", balanced(left), balanced(right))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_chain_once_in_order() {
        assert_eq!(split((1, 10), 3), vec![(1, 4), (5, 8), (9, 10)]);
        assert_eq!(split((1, 2), 3), vec![(1, 1), (2, 2), (3, 2)]);
        assert_eq!(split((1, 0), 2), vec![(1, 0), (1, 0)]);
        assert_eq!(split((1, 7), 1), vec![(1, 7)]);
        assert_eq!(split((4, 9), 2), vec![(4, 6), (7, 9)]);
        assert_eq!(split((6, 5), 2), vec![(6, 5), (6, 5)]);
    }

    #[test]
    fn the_record_names_its_members_in_byte_order() {
        fn sorted(members: &[Member]) -> bool {
            members.windows(2).all(|pair| pair[0].name < pair[1].name)
                && members.iter().all(|member| match member.value {
                    Source::Object(inner) => sorted(inner),
                    _ => true,
                })
        }
        assert!(sorted(RECORD));
    }

    #[test]
    fn a_missing_column_drops_its_member() {
        let table = LogTable {
            name: "org_events",
            subject: "org_id",
            lacks: &["user_agent"],
        };
        let sql = canonical_record_sql(&table, "l.sequence");
        assert!(
            sql.contains("coalesce(',\"user_agent\":' || CASE WHEN strpos(NULL::text, "),
            "{sql}"
        );
        assert!(sql.contains("'\"' || e.org_id::text || '\"'"), "{sql}");
    }
}
