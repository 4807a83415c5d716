//! The one record shape every log table is read as: the fields an auditor
//! gets for every sealed event, which are exactly the fields the chain
//! hashes (docs/audit.md), and the canonical bytes they are hashed as.
//!
//! Columns that are NULL are left out of the canonical form, so a new
//! nullable column keeps every hash sealed before it valid.

use std::net::IpAddr;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;
use uuid::Uuid;

use super::canonical::{CanonicalError, JsonText, write_number, write_string};

/// One log event read through `all_records_sql`. Its text is `S`: owned
/// (`String`, the default) where the record outlives its row, or `&str`
/// borrowed from the row where a long read formats it and moves on, which
/// saves a dozen allocations per event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord<S = String> {
    pub log: S,
    pub log_row_id: i64,
    pub subject_id: Option<Uuid>,
    pub event_id: Uuid,
    pub org_id: Uuid,
    pub version: Option<i64>,
    pub event_type: S,
    pub schema_version: i16,
    pub source: S,
    pub actor_kind: S,
    pub actor_id: S,
    pub actor_display: S,
    /// The token that made the request when the actor is a user acting through it.
    pub actor_token_id: Option<Uuid>,
    pub request_id: Option<S>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<S>,
    pub occurred_at: OffsetDateTime,
    pub payload: JsonText<S>,
    pub diff: Option<JsonText<S>>,
}

impl<'r, S: FromSql<'r> + From<&'r str>> EventRecord<S> {
    /// Reads the record columns of a row (any extra columns are ignored).
    pub fn from_row(row: &'r Row) -> Self {
        Self::from_row_at(row, &RecordLayout::of(row.columns()))
    }

    /// Reads the record columns of a row where `layout` says they are.
    pub fn from_row_at(row: &'r Row, layout: &RecordLayout) -> Self {
        let [
            log,
            log_row_id,
            subject_id,
            event_id,
            org_id,
            version,
            event_type,
            schema_version,
            source,
            actor_kind,
            actor_id,
            actor_display,
            actor_token_id,
            request_id,
            client_addr,
            user_agent,
            occurred_at,
            payload,
            diff,
        ] = layout.0;
        Self {
            log: row.get(log),
            log_row_id: row.get(log_row_id),
            subject_id: row.get(subject_id),
            event_id: row.get(event_id),
            org_id: row.get(org_id),
            version: row.get(version),
            event_type: row.get(event_type),
            schema_version: row.get(schema_version),
            source: row.get(source),
            actor_kind: row.get(actor_kind),
            actor_id: row.get(actor_id),
            actor_display: row.get(actor_display),
            actor_token_id: row.get(actor_token_id),
            request_id: row.get(request_id),
            client_addr: row.get(client_addr),
            user_agent: row.get(user_agent),
            occurred_at: row.get(occurred_at),
            payload: row.get(payload),
            diff: row.get(diff),
        }
    }
}

impl<S: AsRef<str>> EventRecord<S> {
    /// Appends the record at its place `sequence` in the chain as the chain
    /// hashes it: RFC 8785 bytes, NULL fields left out. This is the one
    /// definition of the record's shape; `to_json` parses these bytes.
    pub fn write_canonical(&self, sequence: i64, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        let mut object = Members::open(out);
        // Members in RFC 8785 order: the names are ASCII, so byte order.
        object.name("actor");
        let mut actor = Members::open(object.out);
        actor.string("display", self.actor_display.as_ref());
        actor.string("id", self.actor_id.as_ref());
        actor.string("kind", self.actor_kind.as_ref());
        actor.close();
        if let Some(token) = self.actor_token_id {
            object.uuid("actor_token_id", token);
        }
        if let Some(address) = self.client_addr {
            object.string("client_addr", &address.to_string());
        }
        if let Some(diff) = &self.diff {
            object.name("diff");
            diff.write_canonical(object.out)?;
        }
        object.uuid("event_id", self.event_id);
        object.string("event_type", self.event_type.as_ref());
        object.string("log", self.log.as_ref());
        object.string("occurred_at", &rfc3339(self.occurred_at));
        object.uuid("org_id", self.org_id);
        object.name("payload");
        self.payload.write_canonical(object.out)?;
        if let Some(request) = &self.request_id {
            object.string("request_id", request.as_ref());
        }
        object.integer("schema_version", i64::from(self.schema_version))?;
        object.integer("sequence", sequence)?;
        object.string("source", self.source.as_ref());
        if let Some(subject) = self.subject_id {
            object.uuid("subject_id", subject);
        }
        if let Some(agent) = &self.user_agent {
            object.string("user_agent", agent.as_ref());
        }
        if let Some(version) = self.version {
            object.integer("version", version)?;
        }
        object.close();
        Ok(())
    }

    /// The canonical bytes of the record at `sequence`.
    pub fn canonical(&self, sequence: i64) -> Result<Vec<u8>, CanonicalError> {
        let mut out = Vec::with_capacity(1024);
        self.write_canonical(sequence, &mut out)?;
        Ok(out)
    }

    /// The record as the API returns it: the canonical bytes, parsed.
    pub fn to_json(&self, sequence: i64) -> Result<Value, CanonicalError> {
        serde_json::from_slice(&self.canonical(sequence)?)
            .map_err(|error| CanonicalError::NotJson(error.to_string()))
    }
}

/// The record's columns, in the order of `EventRecord`'s fields.
const FIELDS: [&str; 19] = [
    "log",
    "log_row_id",
    "subject_id",
    "event_id",
    "org_id",
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
];

/// Where each record column is in the rows of one statement: looked up
/// once rather than by name for every column of every row.
#[derive(Debug, Clone, Copy)]
pub struct RecordLayout([usize; FIELDS.len()]);

impl RecordLayout {
    /// The positions of the record columns among `columns`. A missing one
    /// points past the end, so that reading it panics as `Row::get` of an
    /// unknown name does: the statements are this crate's own.
    pub fn of(columns: &[tokio_postgres::Column]) -> Self {
        Self(FIELDS.map(|name| {
            columns
                .iter()
                .position(|column| column.name() == name)
                .unwrap_or(usize::MAX)
        }))
    }
}

/// Writes the members of one canonical object, in the order given.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn name(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_string(self.out, name);
        self.out.push(b':');
    }

    fn string(&mut self, name: &str, value: &str) {
        self.name(name);
        write_string(self.out, value);
    }

    fn close(self) {
        self.out.push(b'}');
    }

    fn uuid(&mut self, name: &str, value: Uuid) {
        self.name(name);
        self.out.push(b'"');
        let mut buffer = Uuid::encode_buffer();
        self.out
            .extend_from_slice(value.hyphenated().encode_lower(&mut buffer).as_bytes());
        self.out.push(b'"');
    }

    fn integer(&mut self, name: &str, value: i64) -> Result<(), CanonicalError> {
        self.name(name);
        write_number(self.out, &value.into())
    }
}

/// RFC 3339 in UTC with exactly six fraction digits: Postgres keeps
/// microseconds, and a fixed width makes the string one per instant.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let micros = utc.microsecond();
    let seconds = utc.replace_nanosecond(0).unwrap_or(utc);
    let whole = seconds.format(&Rfc3339).unwrap_or_default();
    // `whole` ends in `Z` and has no fraction, the nanoseconds being zero.
    format!("{}.{micros:06}Z", whole.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_print_in_utc_with_six_fraction_digits() {
        assert_eq!(
            rfc3339(datetime!(2026-12-03 11:00:00.5 +01:00)),
            "2026-12-03T10:00:00.500000Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-12-03 10:00:00 UTC)),
            "2026-12-03T10:00:00.000000Z"
        );
    }

    fn record() -> EventRecord {
        EventRecord {
            log: "user_events".into(),
            log_row_id: 7,
            subject_id: Some(Uuid::from_u128(1)),
            event_id: Uuid::from_u128(2),
            org_id: Uuid::from_u128(3),
            version: Some(4),
            event_type: "user_created".into(),
            schema_version: 1,
            source: "scim".into(),
            actor_kind: "scim_client".into(),
            actor_id: "t\"1".into(),
            actor_display: "Entra ID".into(),
            actor_token_id: Some(Uuid::from_u128(5)),
            request_id: Some("r-1".into()),
            client_addr: Some("::1".parse().unwrap()),
            user_agent: Some("agent/1".into()),
            occurred_at: datetime!(2026-12-03 10:00 UTC),
            payload: JsonText::from_text(r#"{"profile": {"userName": "a", "active": true}}"#),
            diff: Some(JsonText::from_text(
                r#"[{"op": "add", "path": "/a", "value": 1.0}]"#,
            )),
        }
    }

    /// Canonical bytes re-canonicalise to themselves only if the members
    /// were written in RFC 8785 order, nested ones included.
    fn assert_canonical(record: &EventRecord) {
        let bytes = record.canonical(9).unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let again = super::super::canonical::canonical_json(&value).unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(bytes).unwrap()
        );
    }

    #[test]
    fn a_record_is_written_in_canonical_order_with_every_field_or_without_the_optional_ones() {
        let full = record();
        assert_canonical(&full);
        let value = full.to_json(9).unwrap();
        assert_eq!(value["sequence"], 9);
        assert_eq!(value["actor"]["id"], "t\"1");
        assert_eq!(value["diff"][0]["value"], 1);
        assert_eq!(value.as_object().unwrap().len(), 17);

        let bare = EventRecord {
            subject_id: None,
            version: None,
            actor_token_id: None,
            request_id: None,
            client_addr: None,
            user_agent: None,
            diff: None,
            ..record()
        };
        assert_canonical(&bare);
        let value = bare.to_json(9).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 10, "{value}");
        assert!(value.get("diff").is_none() && value.get("client_addr").is_none());
    }

    #[test]
    fn a_payload_that_is_not_json_has_no_canonical_record() {
        let broken = EventRecord {
            payload: JsonText::from_text("{"),
            ..record()
        };
        assert!(matches!(
            broken.canonical(1),
            Err(CanonicalError::NotJson(_))
        ));
    }
}
