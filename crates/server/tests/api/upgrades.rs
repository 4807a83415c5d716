//! Upgrading a database as an earlier release left it: what was sealed
//! before a migration still verifies after it.

use usertrail_domain::{OrgId, UserId};
use usertrail_store::audit::chain::{GENESIS, record_hash, to_hex};
use usertrail_store::audit::entries::{EntryFilter, list_entries};
use usertrail_store::audit::lines::stream_ndjson;
use usertrail_store::audit::log_tables::{LOG_TABLES, table_select};
use usertrail_store::audit::record::EventRecord;
use usertrail_store::audit::seal::seal_batch;
use usertrail_store::audit::verify::{BreachKind, Method, verify_org};
use uuid::Uuid;

use crate::helpers::{drop_database, empty_database};

/// Seals every event of `org` as the sealer did before migration V13 (the
/// ledger had no copies of the filter fields then): the same order, the
/// same chain, the columns of that time. Returns the head hash in hex.
async fn seal_as_before_v13(client: &usertrail_store::Client, org: Uuid) -> String {
    let mut events = Vec::new();
    for table in LOG_TABLES {
        let sql = format!(
            "SELECT r.*, r.tx_id::text AS tx_text FROM ({} WHERE e.org_id = $1) r",
            table_select(table)
        );
        events.extend(client.query(&sql, &[&org]).await.unwrap());
    }
    let key = |row: &tokio_postgres::Row| {
        let tx: u64 = row.get::<_, &str>("tx_text").parse().unwrap();
        (
            tx,
            row.get::<_, String>("log"),
            row.get::<_, i64>("log_row_id"),
        )
    };
    events.sort_by_key(key);
    let mut previous = GENESIS;
    for (index, row) in events.iter().enumerate() {
        let sequence = i64::try_from(index).unwrap() + 1;
        let record = EventRecord::<&str>::from_row(row);
        previous = record_hash(&previous, &record, sequence, &mut Vec::new()).unwrap();
        client
            .execute(
                "INSERT INTO ledger (org_id, sequence, log, log_row_id, event_id, tx_id, hash, \
                   sealed_at) VALUES ($1, $2, $3, $4, $5, $6::text::xid8, $7, now())",
                &[
                    &org,
                    &sequence,
                    &record.log,
                    &record.log_row_id,
                    &record.event_id,
                    &row.get::<_, &str>("tx_text"),
                    &previous.as_slice(),
                ],
            )
            .await
            .unwrap();
    }
    to_hex(&previous)
}

/// The hash of the first ledger entry, in hex.
async fn first_hash(client: &usertrail_store::Client) -> String {
    let hash: Vec<u8> = client
        .query_one("SELECT hash FROM ledger WHERE sequence = 1", &[])
        .await
        .unwrap()
        .get(0);
    to_hex(&hash)
}

/// Migration V12 turned the log's payloads from `jsonb` into `json`. The
/// rows it converted keep `jsonb`'s text (spacing, member order, `1.0`),
/// which canonicalises to the bytes that were hashed. Migration V13 then
/// gives the entries sealed before it their copies of the filter fields,
/// and V14 leaves them without the sealed records later entries keep. The
/// chain sealed at V11 verifies after all three and exports as it lists.
#[tokio::test]
async fn a_chain_sealed_over_jsonb_payloads_verifies_after_the_log_turns_to_json() {
    let (name, url) = empty_database().await;
    usertrail_store::migrate_to(&url, 11).await.unwrap();
    let pool = usertrail_store::connect(&url, 1).unwrap();
    let mut client = pool.get().await.unwrap();
    let (org, user, group) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    client
        .batch_execute(&format!(
            "INSERT INTO organizations (id, slug, display_name, created_at) \
               VALUES ('{org}', 'upgraded', 'Upgraded', now()); \
             INSERT INTO user_events (event_id, org_id, user_id, version, event_type, \
               schema_version, source, actor_kind, actor_id, actor_display, occurred_at, \
               payload, diff) \
             VALUES (gen_random_uuid(), '{org}', '{user}', 1, 'user_created', 1, 'scim', \
               'scim_client', 't', 'Entra ID', now(), \
               '{{\"profile\": {{\"userName\": \"a@example.com\", \"active\": true}}, \
                 \"score\": 2.50, \"big\": 1e21}}', \
               '[{{\"op\": \"add\", \"path\": \"/profile\", \"value\": {{}}}}]'); \
             INSERT INTO group_events (event_id, org_id, group_id, version, event_type, \
               schema_version, source, actor_kind, actor_id, actor_display, occurred_at, \
               payload, diff) \
             VALUES (gen_random_uuid(), '{org}', '{group}', 1, 'group_created', 1, 'scim', \
               'scim_client', 't', 'Entra ID', now(), \
               '{{\"displayName\": \"Ops\", \"members\": [\"{user}\"]}}', '[]');"
        ))
        .await
        .unwrap();
    let stored: String = client
        .query_one("SELECT payload::text FROM user_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored,
        concat!(
            r#"{"big": 1000000000000000000000, "score": 2.50, "#,
            r#""profile": {"active": true, "userName": "a@example.com"}}"#
        ),
        "jsonb's own text, which is not canonical"
    );
    let head_hash = seal_as_before_v13(&client, org).await;

    assert_eq!(usertrail_store::migrate_to(&url, 12).await.unwrap(), 1);
    let column: String = client
        .query_one(
            "SELECT atttypid::regtype::text FROM pg_attribute \
             WHERE attrelid = 'user_events'::regclass AND attname = 'payload'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(column, "json");
    // The member's history finds the group's event through the rebuilt index.
    let history = usertrail_store::history::user_events(&client, OrgId(org), UserId(user))
        .await
        .unwrap();
    let types: Vec<&str> = history
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(types, ["user_created", "group_created"]);

    // V13 copies each entry's filter fields from its log row.
    assert_eq!(usertrail_store::migrate_to(&url, 13).await.unwrap(), 1);
    let copies: Vec<(String, String, String, String, bool)> = client
        .query(
            "SELECT l.event_type, l.source, l.actor_kind, l.actor_id, \
               l.occurred_at = coalesce(u.occurred_at, g.occurred_at) \
             FROM ledger l \
             LEFT JOIN user_events u ON l.log = 'user_events' AND u.id = l.log_row_id \
             LEFT JOIN group_events g ON l.log = 'group_events' AND g.id = l.log_row_id \
             ORDER BY l.sequence",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
        .collect();
    let copy = |event_type: &str| {
        let text = |value: &str| value.to_owned();
        (
            text(event_type),
            text("scim"),
            text("scim_client"),
            text("t"),
            true,
        )
    };
    // One transaction wrote both: its rows are sealed in the logs' name order.
    assert_eq!(copies, [copy("group_created"), copy("user_created")]);
    let filter = EntryFilter {
        event_type: Some("user_created".into()),
        ..EntryFilter::default()
    };
    let found = list_entries(&client, org, &filter, None, 10).await.unwrap();
    let sequences: Vec<i64> = found.iter().map(|entry| entry.sequence).collect();
    assert_eq!(sequences, [2]);
    assert_eq!(to_hex(&found[0].prev_hash), first_hash(&client).await);
    // V14 keeps the entries sealed before it without their records.
    assert_eq!(usertrail_store::migrate(&url).await.unwrap(), 1);
    // The chain hashed over `jsonb`'s text verifies over the `json` log.
    let upgraded = verify_org(&mut client, async || Vec::new(), org, None, 100)
        .await
        .unwrap();
    assert!(upgraded.ok && upgraded.entries == 2, "{upgraded:?}");
    assert_eq!(upgraded.head_hash, head_hash);

    // Their lines are written from the log, the next entry's from its own
    // bytes. Its JSON text is the server's (canonical), which the screen
    // can confirm.
    client
        .batch_execute(&format!(
            "INSERT INTO user_events (event_id, org_id, user_id, version, event_type, \
               schema_version, source, actor_kind, actor_id, actor_display, occurred_at, \
               payload, diff) \
             VALUES (gen_random_uuid(), '{org}', '{user}', 2, 'user_updated', 1, 'admin', \
               'user', 'u', 'Ann', now(), '{{\"profile\":{{\"active\":false}}}}', \
               '[{{\"op\":\"replace\",\"path\":\"/profile/active\",\"value\":false}}]')"
        ))
        .await
        .unwrap();
    let now = time::OffsetDateTime::UNIX_EPOCH;
    // Sealing waits for the oldest transaction of the cluster, which tests
    // running alongside may hold open for a moment.
    let mut sealed = Some(0);
    for _ in 0..500 {
        sealed = seal_batch(&mut client, now, 100).await.unwrap();
        if sealed != Some(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sealed, Some(1));
    let kept: Vec<bool> = client
        .query(
            "SELECT record IS NOT NULL FROM ledger ORDER BY sequence",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(kept, [false, false, true]);
    let all = list_entries(&client, org, &EntryFilter::default(), None, 10)
        .await
        .unwrap();
    let mut listed = Vec::new();
    for entry in &all {
        entry.write_ndjson(&mut listed).unwrap();
    }
    let mut exported = Vec::new();
    let lines = stream_ndjson(
        &mut client,
        org,
        &EntryFilter::default(),
        2,
        async |bytes, _| {
            exported.extend_from_slice(&bytes);
            true
        },
    )
    .await
    .unwrap();
    assert_eq!(lines, 3);
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(listed).unwrap()
    );
    // Read two entries at a time, the walk stops after the second.
    let upgraded = verify_org(&mut client, async || Vec::new(), org, None, 2)
        .await
        .unwrap();
    assert!(upgraded.ok && upgraded.entries == 3, "{upgraded:?}");
    // Two entries keep no record to screen: the server walks them, and
    // PostgreSQL screens the one after them.
    assert_eq!(upgraded.method, Method::Walk);
    assert_eq!(upgraded.screened, 1, "{upgraded:?}");

    // A change past the walked entries is found by the screen and named by
    // the walk; then one among them, which the walk names first.
    let change_at = |sequence: i64| {
        let change = |log: &str| {
            format!(
                "UPDATE {log} SET actor_display = 'nobody' WHERE id IN (SELECT log_row_id \
                 FROM ledger WHERE log = '{log}' AND sequence = {sequence})"
            )
        };
        format!(
            "SET session_replication_role = replica; {}; {}; \
             SET session_replication_role = origin",
            change("user_events"),
            change("group_events")
        )
    };
    for (changed, reported) in [(3, 3), (1, 1)] {
        client.batch_execute(&change_at(changed)).await.unwrap();
        let report = verify_org(&mut client, async || Vec::new(), org, None, 2)
            .await
            .unwrap();
        let breach = report.first_breach.clone().unwrap();
        assert_eq!(
            (breach.kind, breach.sequence),
            (BreachKind::EventChanged, Some(reported)),
            "{report:?}"
        );
        assert_eq!(
            (report.method, report.entries, report.screened),
            (Method::Walk, 3, 0)
        );
    }

    drop(client);
    pool.close();
    drop_database(&name).await;
}
