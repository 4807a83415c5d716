//! The auditor's queries on a long log: 100 000 sealed events in one
//! organization, written straight into the log and the ledger inside a
//! transaction that is rolled back. One user's entries are found through
//! the indexes, not by walking the ledger.

use usertrail_store::audit::entries::{EntriesPageSql, EntryFilter};
use usertrail_store::audit::log_tables::LOG_TABLES;
use usertrail_store::audit::seal::next_events_sql;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::scim_query_plans::plan_nodes;

const EVENTS: i64 = 100_000;

/// The three events of `$2` sit at rows 10, 50 000 and 99 990.
const INSERT_EVENTS: &str = "\
    INSERT INTO user_events (event_id, org_id, user_id, version, event_type, schema_version, \
        source, actor_kind, actor_id, actor_display, occurred_at, payload, diff) \
    SELECT gen_random_uuid(), $1, CASE WHEN n IN (10, 50000, 99990) THEN $2 \
        ELSE gen_random_uuid() END, \
        CASE n WHEN 50000 THEN 2 WHEN 99990 THEN 3 ELSE 1 END, 'user_created', 1, 'scim', \
        'scim_client', 'bulk', 'bulk', timestamptz '2026-01-01' + n * interval '1 second', \
        '{\"profile\":{}}', '[]' \
    FROM generate_series(1, $3::bigint) AS n";

const SEAL_EVENTS: &str = "\
    INSERT INTO ledger (org_id, sequence, log, log_row_id, event_id, tx_id, hash, sealed_at) \
    SELECT org_id, row_number() OVER (ORDER BY id), 'user_events', id, event_id, tx_id, \
        sha256(id::text::bytea), now() \
    FROM user_events WHERE org_id = $1";

#[tokio::test]
async fn one_users_entries_are_found_through_indexes_at_100_000_events() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let mut client = app.client().await;
    let tx = client.transaction().await.unwrap();
    tx.execute(INSERT_EVENTS, &[&app.org.id.0, &user, &EVENTS])
        .await
        .unwrap();
    tx.execute(SEAL_EVENTS, &[&app.org.id.0]).await.unwrap();
    // ANALYZE inside the transaction counts its own rows, and its statistics roll back too.
    tx.batch_execute("ANALYZE user_events; ANALYZE group_events; ANALYZE ledger")
        .await
        .unwrap();

    for descending in [true, false] {
        let filter = EntryFilter {
            user: Some(user),
            descending,
            ..EntryFilter::default()
        };
        let page = EntriesPageSql::new(app.org.id.0, &filter, None, 50);
        let found = plan_nodes(&tx, &page.sql, &page.params()).await;
        eprintln!("user filter, descending {descending}: {found:?}");
        assert!(
            !found.iter().any(|(node, relation, _)| node == "Seq Scan"
                && (relation == "ledger" || relation == "user_events")),
            "a scan of the whole log: {found:?}"
        );
        for index in [
            "user_events_version_key",
            "ledger_log_row_key",
            "ledger_pkey",
        ] {
            assert!(
                found.iter().any(|(_, _, used)| used == index),
                "{index} is not used: {found:?}"
            );
        }

        // What it finds: the user's three entries, each with the hash of
        // the entry below it in the ledger.
        let rows = tx.query(&page.sql, &page.params()).await.unwrap();
        let mut sequences: Vec<i64> = rows.iter().map(|row| row.get("sequence")).collect();
        if descending {
            sequences.reverse();
        }
        assert_eq!(sequences, [10, 50_000, 99_990]);
        for row in &rows {
            let sequence: i64 = row.get("sequence");
            let below: Vec<u8> = tx
                .query_one(
                    "SELECT hash FROM ledger WHERE org_id = $1 AND sequence = $2",
                    &[&app.org.id.0, &(sequence - 1)],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(row.get::<_, Vec<u8>>("prev_hash"), below, "at {sequence}");
        }
    }

    tx.rollback().await.unwrap();
    drop(client);
    app.finish().await;
}

/// Exports and verification read in a snapshot with JIT off: at a few
/// thousand entries their plans pass `jit_above_cost`, and compiling costs
/// more than the read (docs/performance.md).
#[tokio::test]
async fn whole_chain_reads_run_without_jit() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    // PostgreSQL's default, whatever this cluster's configuration says.
    client.batch_execute("SET jit = on").await.unwrap();
    let tx = usertrail_store::audit::portal::snapshot_read(&mut client)
        .await
        .unwrap();
    let inside: String = tx.query_one("SHOW jit", &[]).await.unwrap().get(0);
    let isolation: String = tx
        .query_one("SHOW transaction_isolation", &[])
        .await
        .unwrap()
        .get(0);
    let read_only: String = tx
        .query_one("SHOW transaction_read_only", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        (inside.as_str(), isolation.as_str(), read_only.as_str()),
        ("off", "repeatable read", "on")
    );
    tx.commit().await.unwrap();
    let after: String = client.query_one("SHOW jit", &[]).await.unwrap().get(0);
    assert_eq!(after, "on", "SET LOCAL ends with the transaction");
    drop(client);
    app.finish().await;
}

/// Each sealing batch reads the next events in `(tx_id, id)` order through
/// the index on it: with a long unsealed backlog, it does not scan the log.
#[tokio::test]
async fn a_sealing_batch_reads_its_events_through_the_index_at_100_000_events() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    let tx = client.transaction().await.unwrap();
    tx.execute(INSERT_EVENTS, &[&app.org.id.0, &Uuid::new_v4(), &EVENTS])
        .await
        .unwrap();
    tx.batch_execute("ANALYZE user_events").await.unwrap();
    let table = LOG_TABLES
        .iter()
        .find(|table| table.name == "user_events")
        .unwrap();
    let sql = next_events_sql(table);
    let (horizon, after, row, limit) = (i64::MAX.to_string(), "0".to_owned(), 0_i64, 5_000_i64);
    let found = plan_nodes(&tx, &sql, &[&horizon, &after, &row, &limit]).await;
    eprintln!("sealing batch: {found:?}");
    assert!(
        !found.iter().any(|(node, _, _)| node == "Seq Scan"),
        "a scan of the whole log: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, _, index)| index == "user_events_tx_idx"),
        "{found:?}"
    );
    let rows = tx
        .query(&sql, &[&horizon, &after, &row, &limit])
        .await
        .unwrap();
    assert_eq!(rows.len(), 5_000);

    tx.rollback().await.unwrap();
    drop(client);
    app.finish().await;
}
