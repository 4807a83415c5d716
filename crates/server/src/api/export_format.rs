//! The two export formats. NDJSON: one JSON object per line, with the
//! members of the objects `GET /api/v1/events` lists: the canonical record,
//! then `hash` and `prev_hash`. CSV (RFC 4180): one column per
//! record field, `actor` split into three, `payload` and `diff` as their
//! canonical JSON text, then `hash` and `prev_hash`.

use usertrail_store::audit::canonical::{CanonicalError, JsonText};
use usertrail_store::audit::chain::to_hex;
use usertrail_store::audit::entries::LedgerEntry;
use usertrail_store::audit::record::rfc3339;

use super::{ApiError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

impl ExportFormat {
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        match value {
            None | Some("ndjson") => Ok(Self::Ndjson),
            Some("csv") => Ok(Self::Csv),
            Some(other) => Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("format must be ndjson or csv, not {other:?}"),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

const CSV_COLUMNS: &[&str] = &[
    "sequence",
    "log",
    "event_id",
    "org_id",
    "subject_id",
    "version",
    "event_type",
    "schema_version",
    "source",
    "actor_kind",
    "actor_id",
    "actor_display",
    "actor_token_id",
    "request_id",
    "client_addr",
    "user_agent",
    "occurred_at",
    "payload",
    "diff",
    "hash",
    "prev_hash",
];

pub fn csv_header() -> Vec<u8> {
    let mut line = CSV_COLUMNS.join(",").into_bytes();
    line.extend_from_slice(b"\r\n");
    line
}

/// One RFC 4180 record; an empty field is NULL.
pub fn csv_row<S: AsRef<str>>(
    out: &mut Vec<u8>,
    entry: &LedgerEntry<S>,
) -> Result<(), CanonicalError> {
    let record = &entry.record;
    let text = |value: &S| value.as_ref().to_owned();
    let json = |value: &JsonText<S>| -> Result<String, CanonicalError> {
        let mut bytes = Vec::with_capacity(value.as_str().len());
        value.write_canonical(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let fields = [
        entry.sequence.to_string(),
        text(&record.log),
        record.event_id.to_string(),
        record.org_id.to_string(),
        record
            .subject_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        record.version.map(|v| v.to_string()).unwrap_or_default(),
        text(&record.event_type),
        record.schema_version.to_string(),
        text(&record.source),
        text(&record.actor_kind),
        text(&record.actor_id),
        text(&record.actor_display),
        record
            .actor_token_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        record.request_id.as_ref().map(text).unwrap_or_default(),
        record
            .client_addr
            .map(|a| a.to_string())
            .unwrap_or_default(),
        record.user_agent.as_ref().map(text).unwrap_or_default(),
        rfc3339(record.occurred_at),
        json(&record.payload)?,
        record
            .diff
            .as_ref()
            .map(json)
            .transpose()?
            .unwrap_or_default(),
        to_hex(&entry.hash),
        to_hex(&entry.prev_hash),
    ];
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}
