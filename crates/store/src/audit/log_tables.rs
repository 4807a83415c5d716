//! The log tables the ledger seals, read as one relation of records: the
//! columns every table is selected with, and the SQL that reads them.
//!
//! Adding a log table is a `LogTable` entry (its subject column and the
//! columns it lacks); adding a column is a `RecordColumn` entry plus its
//! member in `EventRecord::write_canonical` (`record.rs`).

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
        sql_type: "json",
    },
    RecordColumn {
        name: "diff",
        sql_type: "json",
    },
];

/// `SELECT` of one table as records, its columns prefixed `e.`; callers
/// add `WHERE` and `ORDER BY` on `e`.
pub fn table_select(table: &LogTable) -> String {
    let columns: Vec<String> = RECORD_COLUMNS
        .iter()
        .map(|column| format!("{} AS {}", column_of(table, column.name), column.name))
        .collect();
    format!(
        "SELECT '{name}'::text AS log, e.id AS log_row_id, e.{subject} AS subject_id, {columns} \
         FROM {name} e",
        name = table.name,
        subject = table.subject,
        columns = columns.join(", "),
    )
}

/// The record column `name` of the row `e` of `table`: `e.name`, or a
/// typed NULL where the table lacks it.
pub(crate) fn column_of(table: &LogTable, name: &str) -> String {
    match RECORD_COLUMNS.iter().find(|column| column.name == name) {
        Some(column) if table.lacks.contains(&column.name) => format!("NULL::{}", column.sql_type),
        _ => format!("e.{name}"),
    }
}

/// Every log table as one relation of records: `(SELECT .. UNION ALL ..)`.
/// Callers filter it as `records r`; Postgres pushes conditions into each arm.
pub fn all_records_sql() -> String {
    let arms: Vec<String> = LOG_TABLES.iter().map(table_select).collect();
    format!("({})", arms.join(" UNION ALL "))
}

/// The log row that the ledger entry aliased `entry` points at, as a
/// `LATERAL` subquery of records. Each arm probes its table only for
/// entries of that table: for the others its key is NULL, which matches
/// nothing without touching the index, so an entry costs one index probe
/// however many log tables there are.
pub fn record_of_entry_sql(entry: &str) -> String {
    record_of_entry_when(entry, "")
}

/// As `record_of_entry_sql`, for entries that do not keep their sealed
/// record (sealed before migration V14). The condition names only the
/// entry, so PostgreSQL checks it once per entry before each arm (a
/// one-time filter): an entry that keeps its record touches no table.
pub fn record_of_unsealed_entry_sql(entry: &str) -> String {
    record_of_entry_when(entry, &format!("{entry}.record IS NULL AND "))
}

fn record_of_entry_when(entry: &str, gate: &str) -> String {
    let arms: Vec<String> = LOG_TABLES
        .iter()
        .map(|table| {
            format!(
                "{select} WHERE {gate}e.id = CASE WHEN {entry}.log = '{name}' \
                 THEN {entry}.log_row_id END",
                select = table_select(table),
                name = table.name,
            )
        })
        .collect();
    format!("LATERAL ({})", arms.join(" UNION ALL "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_probes_only_the_table_it_is_from() {
        let sql = record_of_entry_sql("l");
        assert!(sql.starts_with("LATERAL ("), "{sql}");
        assert!(
            sql.contains("WHERE e.id = CASE WHEN l.log = 'group_events' THEN l.log_row_id END"),
            "{sql}"
        );
        assert_eq!(sql.matches(" UNION ALL ").count(), LOG_TABLES.len() - 1);
    }

    #[test]
    fn an_entry_keeping_its_record_probes_no_table() {
        let sql = record_of_unsealed_entry_sql("l");
        assert_eq!(
            sql.matches("WHERE l.record IS NULL AND e.id = CASE WHEN l.log = ")
                .count(),
            LOG_TABLES.len(),
            "{sql}"
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
        assert!(sql.contains("NULL::json AS diff"), "{sql}");
        assert!(sql.contains("e.payload AS payload"), "{sql}");
    }
}
