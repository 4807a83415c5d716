//! The auditor's queries on a long log: 100 000 sealed events in one
//! organization, written straight into the log and the ledger inside a
//! transaction that is rolled back. One user's entries, and the entries of
//! a rare event type, source, actor or time range, are found through
//! indexes, not by walking the ledger.

use usertrail_store::audit::entries::{EntriesPageSql, EntryFilter};
use usertrail_store::audit::log_tables::LOG_TABLES;
use usertrail_store::audit::seal::next_events_sql;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::scim_query_plans::plan_nodes;

const EVENTS: i64 = 100_000;

/// The rows of the log that stand out.
const RARE: [i64; 3] = [10, 50_000, 99_990];

/// The three events of `$2` sit at rows 10, 50 000 and 99 990; they alone
/// are replacements by an admin. Row `n` occurred `n` seconds into 2026.
const INSERT_EVENTS: &str = "\
    INSERT INTO user_events (event_id, org_id, user_id, version, event_type, schema_version, \
        source, actor_kind, actor_id, actor_display, occurred_at, payload, diff) \
    SELECT gen_random_uuid(), $1, CASE WHEN rare THEN $2 ELSE gen_random_uuid() END, \
        CASE n WHEN 50000 THEN 2 WHEN 99990 THEN 3 ELSE 1 END, \
        CASE WHEN rare THEN 'user_replaced' ELSE 'user_created' END, 1, \
        CASE WHEN rare THEN 'admin' ELSE 'scim' END, \
        CASE WHEN rare THEN 'user' ELSE 'scim_client' END, \
        CASE WHEN rare THEN 'rare-admin' ELSE 'bulk' END, 'bulk', \
        timestamptz '2026-01-01' + n * interval '1 second', '{\"profile\":{}}', '[]' \
    FROM generate_series(1, $3::bigint) AS n, LATERAL (SELECT n IN (10, 50000, 99990)) AS r(rare)";

const SEAL_EVENTS: &str = "\
    INSERT INTO ledger (org_id, sequence, log, log_row_id, event_id, tx_id, hash, event_type, \
        source, actor_kind, actor_id, occurred_at, sealed_at) \
    SELECT org_id, row_number() OVER (ORDER BY id), 'user_events', id, event_id, tx_id, \
        sha256(id::text::bytea), event_type, source, actor_kind, actor_id, occurred_at, now() \
    FROM user_events WHERE org_id = $1";

/// A transaction holding the long log of `org`, with fresh statistics.
async fn long_log<'c>(
    client: &'c mut usertrail_store::Client,
    org: Uuid,
    user: Uuid,
) -> usertrail_store::Transaction<'c> {
    let tx = client.transaction().await.unwrap();
    tx.execute(INSERT_EVENTS, &[&org, &user, &EVENTS])
        .await
        .unwrap();
    tx.execute(SEAL_EVENTS, &[&org]).await.unwrap();
    // ANALYZE inside the transaction counts its own rows, and its statistics roll back too.
    tx.batch_execute("ANALYZE user_events; ANALYZE group_events; ANALYZE ledger")
        .await
        .unwrap();
    tx
}

/// Checks the plan of the first page of `filter`, in both orders: no scan
/// of the whole ledger or log, each of `indexes` used. Then what it finds:
/// `expected` in ascending order, each entry with the hash of the entry
/// below it in the ledger.
async fn check_page(
    tx: &tokio_postgres::Transaction<'_>,
    org: Uuid,
    filter: EntryFilter,
    indexes: &[&str],
    expected: &[i64],
) {
    for descending in [true, false] {
        let filter = EntryFilter {
            descending,
            ..filter.clone()
        };
        let page = EntriesPageSql::new(org, &filter, None, 50);
        let found = plan_nodes(tx, &page.sql, &page.params()).await;
        eprintln!("{filter:?}: {found:?}");
        assert!(
            !found.iter().any(|(node, relation, _)| node == "Seq Scan"
                && (relation == "ledger" || relation == "user_events")),
            "a scan of the whole log: {found:?}"
        );
        for index in indexes {
            assert!(
                found.iter().any(|(_, _, used)| used == index),
                "{index} is not used for {filter:?}: {found:?}"
            );
        }

        let rows = tx.query(&page.sql, &page.params()).await.unwrap();
        let mut sequences: Vec<i64> = rows.iter().map(|row| row.get("sequence")).collect();
        if descending {
            sequences.reverse();
        }
        assert_eq!(sequences, expected, "{filter:?}");
        for row in &rows {
            let sequence: i64 = row.get("sequence");
            let below: Vec<u8> = tx
                .query_one(
                    "SELECT hash FROM ledger WHERE org_id = $1 AND sequence = $2",
                    &[&org, &(sequence - 1)],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(row.get::<_, Vec<u8>>("prev_hash"), below, "at {sequence}");
        }
    }
}

#[tokio::test]
async fn one_users_entries_are_found_through_indexes_at_100_000_events() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let mut client = app.client().await;
    let tx = long_log(&mut client, app.org.id.0, user).await;

    let filter = EntryFilter {
        user: Some(user),
        ..EntryFilter::default()
    };
    let indexes = [
        "user_events_version_key",
        "ledger_log_row_key",
        "ledger_pkey",
    ];
    check_page(&tx, app.org.id.0, filter, &indexes, &RARE).await;

    tx.rollback().await.unwrap();
    drop(client);
    app.finish().await;
}

/// Event type, source, actor and time are read from the ledger's copies
/// of them, through the index of each (migration V13).
#[tokio::test]
async fn rare_types_sources_actors_and_times_are_found_through_the_ledgers_indexes() {
    let app = TestApp::spawn().await;
    let org = app.org.id.0;
    let mut client = app.client().await;
    let tx = long_log(&mut client, org, Uuid::new_v4()).await;

    let rare = |field: fn(&mut EntryFilter)| {
        let mut filter = EntryFilter::default();
        field(&mut filter);
        filter
    };
    let cases = [
        (
            rare(|f| f.event_type = Some("user_replaced".into())),
            "ledger_event_type_idx",
        ),
        (
            rare(|f| f.source = Some("admin".into())),
            "ledger_source_idx",
        ),
        (
            rare(|f| f.actor_kind = Some("user".into())),
            "ledger_actor_kind_idx",
        ),
        (
            rare(|f| {
                f.actor_kind = Some("user".into());
                f.actor_id = Some("rare-admin".into());
            }),
            "ledger_actor_id_idx",
        ),
    ];
    for (filter, index) in cases {
        check_page(&tx, org, filter, &[index, "ledger_pkey"], &RARE).await;
    }

    // Twenty seconds around the middle of the log: rows 49 991 to 50 010.
    let at = |second: i64| {
        time::macros::datetime!(2026-01-01 00:00 UTC) + time::Duration::seconds(second)
    };
    let window = EntryFilter {
        from: Some(at(49_991)),
        to: Some(at(50_011)),
        ..EntryFilter::default()
    };
    let expected: Vec<i64> = (49_991..=50_010).collect();
    check_page(&tx, org, window, &["ledger_occurred_idx"], &expected).await;

    // A range holding the whole log: a page walks the primary key and stops
    // after 50 entries, instead of sorting all 100 000 of the range.
    for descending in [true, false] {
        let wide = EntryFilter {
            from: Some(at(0)),
            descending,
            ..EntryFilter::default()
        };
        let page = EntriesPageSql::new(org, &wide, None, 50);
        let found = plan_nodes(&tx, &page.sql, &page.params()).await;
        assert!(
            !found.iter().any(|(node, _, _)| node.contains("Sort")),
            "a sort of the range: {found:?}"
        );
        let rows = tx.query(&page.sql, &page.params()).await.unwrap();
        let first: i64 = rows[0].get("sequence");
        assert_eq!(
            (rows.len(), first),
            (50, if descending { EVENTS } else { 1 })
        );
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
