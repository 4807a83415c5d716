//! The log tables the ledger seals and the one record shape all of them are
//! read as: the fields an auditor gets for every sealed event, which are
//! exactly the fields the chain hashes (docs/audit.md).
//!
//! Adding a log table or a column is one change here: a `LogTable` entry
//! (its subject column and the columns it lacks), or a `RecordColumn` entry
//! plus the field in `EventRecord::to_json`. Columns that are NULL are left
//! out of the canonical form, so a new nullable column keeps every hash
//! sealed before it valid.

use std::net::IpAddr;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_postgres::Row;
use uuid::Uuid;

/// One append-only log table that the sealer reads.
#[derive(Debug, Clone, Copy)]
pub struct LogTable {
    /// The table name; also the record's `log` field and part of the sealing order.
    pub name: &'static str,
    /// The column naming what the event is about (a user, a group).
    pub subject: &'static str,
    /// `RecordColumn`s this table does not have; they read as NULL.
    pub lacks: &'static [&'static str],
}

/// Every log table, in any order (sealing orders by name within a transaction).
pub const LOG_TABLES: &[LogTable] = &[
    LogTable {
        name: "user_events",
        subject: "user_id",
        lacks: &[],
    },
    LogTable {
        name: "group_events",
        subject: "group_id",
        lacks: &[],
    },
    // An organization's own events (its settings and allowed domains): the subject is the
    // organization, and there is one stream per organization.
    LogTable {
        name: "org_events",
        subject: "org_id",
        lacks: &[],
    },
];

/// The tables that the service may only read and append to: the logs and
/// the audit tables. The startup grant check covers these and every table
/// guarded by the `reject_log_change` trigger.
pub fn append_only_tables() -> Vec<&'static str> {
    let audit = ["ledger", "ledger_checkpoints", "audit_access_log"];
    LOG_TABLES
        .iter()
        .map(|table| table.name)
        .chain(audit)
        .collect()
}

/// A column of the record, with the SQL type a missing one is cast to.
struct RecordColumn {
    name: &'static str,
    sql_type: &'static str,
}

/// The columns every log table is read with, besides `log`, `log_row_id`
/// (its `id`) and `subject_id`.
const RECORD_COLUMNS: &[RecordColumn] = &[
    RecordColumn {
        name: "event_id",
        sql_type: "uuid",
    },
    RecordColumn {
        name: "org_id",
        sql_type: "uuid",
    },
    RecordColumn {
        name: "version",
        sql_type: "bigint",
    },
    RecordColumn {
        name: "event_type",
        sql_type: "text",
    },
    RecordColumn {
        name: "schema_version",
        sql_type: "smallint",
    },
    RecordColumn {
        name: "source",
        sql_type: "text",
    },
    RecordColumn {
        name: "actor_kind",
        sql_type: "text",
    },
    RecordColumn {
        name: "actor_id",
        sql_type: "text",
    },
    RecordColumn {
        name: "actor_display",
        sql_type: "text",
    },
    RecordColumn {
        name: "actor_token_id",
        sql_type: "uuid",
    },
    RecordColumn {
        name: "request_id",
        sql_type: "text",
    },
    RecordColumn {
        name: "client_addr",
        sql_type: "inet",
    },
    RecordColumn {
        name: "user_agent",
        sql_type: "text",
    },
    RecordColumn {
        name: "occurred_at",
        sql_type: "timestamptz",
    },
    RecordColumn {
        name: "tx_id",
        sql_type: "xid8",
    },
    RecordColumn {
        name: "payload",
        sql_type: "jsonb",
    },
    RecordColumn {
        name: "diff",
        sql_type: "jsonb",
    },
];

/// `SELECT` of one table as records, its columns prefixed `e.`.
fn table_select(table: &LogTable) -> String {
    let columns: Vec<String> = RECORD_COLUMNS
        .iter()
        .map(|column| {
            if table.lacks.contains(&column.name) {
                format!("NULL::{} AS {}", column.sql_type, column.name)
            } else {
                format!("e.{0} AS {0}", column.name)
            }
        })
        .collect();
    format!(
        "SELECT '{name}'::text AS log, e.id AS log_row_id, e.{subject} AS subject_id, {columns} \
         FROM {name} e",
        name = table.name,
        subject = table.subject,
        columns = columns.join(", "),
    )
}

/// Every log table as one relation of records: `(SELECT .. UNION ALL ..)`.
/// Callers filter it as `records r`; Postgres pushes conditions into each arm.
pub fn all_records_sql() -> String {
    let arms: Vec<String> = LOG_TABLES.iter().map(table_select).collect();
    format!("({})", arms.join(" UNION ALL "))
}

/// One log event read through `all_records_sql`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub log: String,
    pub log_row_id: i64,
    pub subject_id: Option<Uuid>,
    pub event_id: Uuid,
    pub org_id: Uuid,
    pub version: Option<i64>,
    pub event_type: String,
    pub schema_version: i16,
    pub source: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_display: String,
    /// The token that made the request when the actor is a user acting through it.
    pub actor_token_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub client_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub occurred_at: OffsetDateTime,
    pub payload: Value,
    pub diff: Option<Value>,
}

impl EventRecord {
    /// Reads the record columns of a row (any extra columns are ignored).
    pub fn from_row(row: &Row) -> Self {
        Self {
            log: row.get("log"),
            log_row_id: row.get("log_row_id"),
            subject_id: row.get("subject_id"),
            event_id: row.get("event_id"),
            org_id: row.get("org_id"),
            version: row.get("version"),
            event_type: row.get("event_type"),
            schema_version: row.get("schema_version"),
            source: row.get("source"),
            actor_kind: row.get("actor_kind"),
            actor_id: row.get("actor_id"),
            actor_display: row.get("actor_display"),
            actor_token_id: row.get("actor_token_id"),
            request_id: row.get("request_id"),
            client_addr: row.get("client_addr"),
            user_agent: row.get("user_agent"),
            occurred_at: row.get("occurred_at"),
            payload: row.get("payload"),
            diff: row.get("diff"),
        }
    }

    /// The record as the API returns it and the chain hashes it, at its
    /// place `sequence` in the chain. NULL fields are left out.
    pub fn to_json(&self, sequence: i64) -> Value {
        let mut record = Map::new();
        let mut put = |name: &str, value: Value| {
            if !value.is_null() {
                record.insert(name.to_owned(), value);
            }
        };
        put("sequence", json!(sequence));
        put("log", json!(self.log));
        put("event_id", json!(self.event_id));
        put("org_id", json!(self.org_id));
        put("subject_id", json!(self.subject_id));
        put("version", json!(self.version));
        put("event_type", json!(self.event_type));
        put("schema_version", json!(self.schema_version));
        put("source", json!(self.source));
        put(
            "actor",
            json!({"kind": self.actor_kind, "id": self.actor_id, "display": self.actor_display}),
        );
        put("actor_token_id", json!(self.actor_token_id));
        put("request_id", json!(self.request_id));
        put(
            "client_addr",
            json!(self.client_addr.map(|a| a.to_string())),
        );
        put("user_agent", json!(self.user_agent));
        put("occurred_at", json!(rfc3339(self.occurred_at)));
        put("payload", self.payload.clone());
        put("diff", self.diff.clone().unwrap_or(Value::Null));
        Value::Object(record)
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

    #[test]
    fn a_table_lacking_a_column_reads_it_as_null() {
        let table = LogTable {
            name: "org_events",
            subject: "org_id",
            lacks: &["version", "diff"],
        };
        let sql = table_select(&table);
        assert!(sql.contains("NULL::bigint AS version"), "{sql}");
        assert!(sql.contains("NULL::jsonb AS diff"), "{sql}");
        assert!(sql.contains("e.payload AS payload"), "{sql}");
    }
}
