//! Exports as NDJSON lines: each line is an entry's record in the canonical
//! form its hash covers, with `hash` and `prev_hash` appended. An entry
//! that keeps its sealed record (migration V14, docs/adr/0017) is written
//! from those bytes without its log row; the others are rebuilt from theirs.

use uuid::Uuid;

use super::chain::{GENESIS, Hash, ledger_hash, write_hex};
use super::entries::{EntryFilter, Read, RunReader, open_portal, stream_sql};
use super::portal::drain_portal;
use super::record::{EventRecord, RecordLayout};
use crate::StoreError;

/// Ends an NDJSON line whose record's canonical object was just written:
/// reopens the object (it ends in `}`) for `hash` and `prev_hash`.
pub(super) fn close_line(out: &mut Vec<u8>, hash: &Hash, prev_hash: &Hash) {
    out.pop();
    out.extend_from_slice(br#","hash":""#);
    write_hex(out, hash);
    out.extend_from_slice(br#"","prev_hash":""#);
    write_hex(out, prev_hash);
    out.extend_from_slice(b"\"}\n");
}

impl RunReader {
    /// As `entry`, for a row of `Read::Lines`: writes its line to `out`
    /// and says whether it was an entry.
    fn line(
        &mut self,
        row: &tokio_postgres::Row,
        columns: &LineColumns,
        out: &mut Vec<u8>,
    ) -> Result<bool, StoreError> {
        let sequence: i64 = row.get(columns.sequence);
        let hash = ledger_hash(row.get(columns.hash))?;
        let prev_hash = std::mem::replace(&mut self.previous, hash);
        if self.lowest.is_some_and(|lowest| sequence < lowest) {
            return Ok(false);
        }
        columns.write(row, sequence, &hash, &prev_hash, out)
    }
}

/// Where a row of `Read::Lines` has what its line is written from.
struct LineColumns {
    sequence: usize,
    hash: usize,
    prev_hash: Option<usize>,
    sealed: usize,
    log: usize,
    record: RecordLayout,
}

impl LineColumns {
    fn of(columns: &[tokio_postgres::Column]) -> Self {
        let at = |name: &str| columns.iter().position(|column| column.name() == name);
        Self {
            sequence: at("sequence").unwrap_or(usize::MAX),
            hash: at("hash").unwrap_or(usize::MAX),
            prev_hash: at("prev_hash"),
            sealed: at("sealed_record").unwrap_or(usize::MAX),
            log: at("log").unwrap_or(usize::MAX),
            record: RecordLayout::of(columns),
        }
    }

    /// Writes the line of the entry at `sequence`: its sealed record when it
    /// keeps one, else its log row's record in canonical form. False when it
    /// has neither (its log row is gone): no line.
    fn write(
        &self,
        row: &tokio_postgres::Row,
        sequence: i64,
        hash: &Hash,
        prev_hash: &Hash,
        out: &mut Vec<u8>,
    ) -> Result<bool, StoreError> {
        if let Some(sealed) = row.get::<_, Option<&[u8]>>(self.sealed) {
            // The sealer wrote a canonical object, so it ends in `}`.
            if sealed.last() != Some(&b'}') {
                return Err(StoreError::Corrupt(format!(
                    "the sealed record at sequence {sequence} is not a JSON object"
                )));
            }
            out.extend_from_slice(sealed);
        } else if row.get::<_, Option<&str>>(self.log).is_some() {
            EventRecord::<&str>::from_row_at(row, &self.record)
                .write_canonical(sequence, out)
                .map_err(|error| {
                    StoreError::Corrupt(format!(
                        "the record at sequence {sequence} cannot be exported: {error}"
                    ))
                })?;
        } else {
            return Ok(false);
        }
        close_line(out, hash, prev_hash);
        Ok(true)
    }

    /// The line of a row that carries its own `prev_hash`.
    fn write_with_prev(
        &self,
        row: &tokio_postgres::Row,
        out: &mut Vec<u8>,
    ) -> Result<bool, StoreError> {
        let prev: Option<&[u8]> = self.prev_hash.and_then(|at| row.get(at));
        let prev_hash = prev.map_or(Ok(GENESIS), ledger_hash)?;
        let hash = ledger_hash(row.get(self.hash))?;
        self.write(row, row.get(self.sequence), &hash, &prev_hash, out)
    }
}

/// Streams every matching entry as NDJSON lines (`LedgerEntry::write_ndjson`)
/// from one consistent snapshot, one batch of rows at a time: `sink` gets
/// the lines of a batch and how many there are, and returns false to stop
/// early. An entry that keeps its sealed record (migration V14) is written
/// from those bytes, the ones its hash covers, without reading its log row.
/// Returns how many lines were handed over.
pub async fn stream_ndjson(
    client: &mut tokio_postgres::Client,
    org: Uuid,
    filter: &EntryFilter,
    batch: i32,
    mut sink: impl AsyncFnMut(Vec<u8>, u64) -> bool,
) -> Result<u64, StoreError> {
    let (sql, params, mut run) = stream_sql(filter, org, Read::Lines);
    let (tx, statement, portal) = open_portal(client, &sql, &params).await?;
    let columns = LineColumns::of(statement.columns());
    let mut total = 0_u64;
    drain_portal(&tx, &portal, batch, async |rows| {
        let mut out = Vec::with_capacity(rows.len() * 1280);
        let mut lines = 0_u64;
        for row in &rows {
            let written = match &mut run {
                Some(run) => run.line(row, &columns, &mut out)?,
                None => columns.write_with_prev(row, &mut out)?,
            };
            lines += u64::from(written);
        }
        total += lines;
        Ok(sink(out, lines).await)
    })
    .await?;
    tx.commit().await?;
    Ok(total)
}
