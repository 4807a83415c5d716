//! Verification finds each kind of tampering that the database superuser
//! can do with the append-only triggers off, and names the first broken
//! entry exactly.

use serde_json::{Value, json};
use usertrail_store::audit::portal::snapshot_read;
use usertrail_store::audit::screen::{Screen, Sizes, screen_chain, unkept_prefix};
use usertrail_store::audit::verify::{Method, verify_org};

use crate::audit_support::exported_line_holds;
use crate::helpers::TestApp;

/// Five sealed user creations and a checkpoint of them.
async fn sealed_app() -> (TestApp, Vec<String>) {
    let app = TestApp::spawn().await;
    let users = app.create_users(5).await;
    app.wait_sealed(5).await;
    app.sign_checkpoint().await;
    (app, users)
}

async fn event_id_at(app: &TestApp, sequence: i64) -> String {
    app.client()
        .await
        .query_one(
            "SELECT event_id::text FROM ledger WHERE sequence = $1",
            &[&sequence],
        )
        .await
        .unwrap()
        .get(0)
}

fn breach(report: &Value) -> &Value {
    assert_eq!(report["ok"], false, "{report}");
    &report["first_breach"]
}

/// The first breach is a change of `event` at `sequence`.
fn assert_changed_at(report: &Value, sequence: i64, event: &str) {
    let breach = breach(report);
    assert_eq!(breach["kind"], "event_changed", "{report}");
    assert_eq!(breach["sequence"], sequence);
    assert_eq!(breach["event_id"], event);
}

#[tokio::test]
async fn an_untouched_chain_verifies_with_its_checkpoints() {
    let (app, _) = sealed_app().await;

    let report = app.verify_report().await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["method"], "screen",
        "PostgreSQL confirmed every entry"
    );
    assert_eq!(report["entries"], 5);
    assert_eq!(report["screened"], 5);
    assert_eq!(report["head_sequence"], 5);
    assert_eq!(report["first_breach"], Value::Null);
    assert_eq!(report["checkpoints_checked"], 1);
    assert_eq!(report["public_key_checked"], true);

    app.finish().await;
}

#[tokio::test]
async fn a_changed_payload_is_reported_at_its_sequence() {
    let (app, _) = sealed_app().await;
    let event = event_id_at(&app, 3).await;
    app.tamper(&format!(
        "UPDATE user_events \
         SET payload = jsonb_set(payload::jsonb, '{{userName}}', '\"mallory\"')::json \
         WHERE event_id = '{event}'"
    ))
    .await;

    let report = app.verify_report().await;
    assert_changed_at(&report, 3, &event);
    assert_eq!(
        report["method"], "walk",
        "the screen left the entry to the walk"
    );
    // The walk took up the chain at entry 3 and counts the two before it,
    // which the screen confirmed.
    assert_eq!(report["entries"], 5, "{report}");
    assert_eq!(report["screened"], 2, "{report}");
    let failures = report["checkpoint_failures"].as_array().unwrap();
    assert_eq!(failures[0]["reason"], "hash_mismatch", "{report}");
    // The export carries the record as it was sealed, which still holds.
    let lines = app.export_lines("").await;
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|line| exported_line_holds(line)));
    assert!(!lines[2].contains("mallory"), "{}", lines[2]);

    app.discard().await;
}

/// An entry keeps the bytes its hash covers (migration V14), and an export
/// writes its line from them. Changing them as the superuser, to show an
/// auditor another user name, breaks that line for anyone who checks the
/// export offline, and verification reports the entry. The checkpoint
/// still holds: the chain's hashes and the log are untouched.
#[tokio::test]
async fn a_changed_sealed_record_is_reported_at_its_sequence_and_fails_offline() {
    let (app, _) = sealed_app().await;
    let event = event_id_at(&app, 3).await;
    let before = app.export_lines("").await;
    app.tamper(
        r#"UPDATE ledger SET record = convert_to(replace(convert_from(record, 'UTF8'),
             '"userName":"', '"userName":"mallory-'), 'UTF8') WHERE sequence = 3"#,
    )
    .await;

    let report = app.verify_report().await;
    assert_changed_at(&report, 3, &event);
    assert_eq!(report["checkpoint_failures"], json!([]), "{report}");
    let after = app.export_lines("").await;
    assert!(after[2].contains("mallory-"), "{}", after[2]);
    let holding: Vec<bool> = after.iter().map(|line| exported_line_holds(line)).collect();
    assert_eq!(holding, [true, true, false, true, true]);
    assert!(before.iter().all(|line| exported_line_holds(line)));

    app.discard().await;
}

#[tokio::test]
async fn a_removed_event_is_reported_at_its_sequence() {
    let (app, _) = sealed_app().await;
    let second = event_id_at(&app, 2).await;
    app.tamper(&format!(
        "DELETE FROM user_events WHERE event_id = '{second}'"
    ))
    .await;
    let breach_found = app.verify_report().await["first_breach"].clone();
    assert_eq!(breach_found["kind"], "event_removed", "{breach_found}");
    assert_eq!(breach_found["sequence"], 2);
    assert_eq!(breach_found["event_id"], second.as_str());

    app.discard().await;
}

#[tokio::test]
async fn a_removed_event_and_its_entry_leave_a_gap_that_is_reported() {
    let (app, _) = sealed_app().await;
    let third = event_id_at(&app, 3).await;
    app.tamper(&format!(
        "DELETE FROM ledger WHERE sequence = 3; DELETE FROM user_events WHERE event_id = '{third}'"
    ))
    .await;

    let report = app.verify_report().await;
    let breach = breach(&report);
    assert_eq!(breach["kind"], "event_removed", "{report}");
    assert_eq!(breach["sequence"], 3);
    assert_eq!(report["entries"], 4);

    app.discard().await;
}

/// The ledger's copies of the fields queries filter by are not hashed;
/// changing one (to hide an event from `actor_id=` queries, say) leaves the
/// chain and its checkpoint intact, and verification reports the entry.
#[tokio::test]
async fn a_changed_copy_in_a_ledger_entry_is_reported_at_its_sequence() {
    let (app, _) = sealed_app().await;
    let event = event_id_at(&app, 3).await;
    app.tamper("UPDATE ledger SET actor_id = 'someone-else' WHERE sequence = 3")
        .await;

    let report = app.verify_report().await;
    assert_changed_at(&report, 3, &event);
    assert_eq!(report["checkpoint_failures"], json!([]), "{report}");

    app.discard().await;
}

#[tokio::test]
async fn an_event_slipped_in_among_sealed_ones_is_reported_as_inserted() {
    let (app, _) = sealed_app().await;
    // A forged row that claims an old transaction, so the sealer has passed it.
    app.tamper(
        "INSERT INTO user_events (event_id, org_id, user_id, version, event_type, \
           schema_version, source, actor_kind, actor_id, actor_display, occurred_at, payload, \
           diff, tx_id) \
         SELECT '00000000-0000-4000-8000-000000000001', org_id, user_id, version + 1, \
           event_type, schema_version, source, actor_kind, actor_id, actor_display, \
           occurred_at, payload, diff, '3' FROM user_events ORDER BY id LIMIT 1",
    )
    .await;

    let report = app.verify_report().await;
    let breach = breach(&report);
    assert_eq!(breach["kind"], "event_inserted", "{report}");
    assert_eq!(breach["event_id"], "00000000-0000-4000-8000-000000000001");
    assert_eq!(breach["log"], "user_events");
    assert_eq!(breach["sequence"], Value::Null);

    app.discard().await;
}

#[tokio::test]
async fn two_swapped_entries_are_reported_as_a_swap_at_the_first_of_them() {
    let (app, _) = sealed_app().await;
    app.tamper(
        "UPDATE ledger SET sequence = sequence + 1000 WHERE sequence IN (2, 4); \
         UPDATE ledger SET sequence = CASE sequence WHEN 1002 THEN 4 ELSE 2 END \
         WHERE sequence > 1000",
    )
    .await;

    let report = app.verify_report().await;
    let breach = breach(&report);
    assert_eq!(breach["kind"], "events_swapped", "{report}");
    assert_eq!(breach["sequence"], 2);
    assert_eq!(breach["swapped_with"], 4);

    app.discard().await;
}

#[tokio::test]
async fn two_swapped_events_behind_their_entries_are_reported_as_a_swap() {
    let (app, _) = sealed_app().await;
    app.tamper(
        "UPDATE ledger SET log_row_id = log_row_id + 1000000 WHERE sequence IN (1, 2); \
         UPDATE ledger l SET log_row_id = o.log_row_id - 1000000 FROM ledger o \
         WHERE l.sequence IN (1, 2) AND o.sequence = 3 - l.sequence",
    )
    .await;

    let report = app.verify_report().await;
    let breach = breach(&report);
    assert_eq!(breach["kind"], "events_swapped", "{report}");
    assert_eq!(breach["sequence"], 1);
    assert_eq!(breach["swapped_with"], 2);

    app.discard().await;
}

#[tokio::test]
async fn a_chain_rewritten_consistently_still_fails_against_its_signed_checkpoint() {
    let (app, _) = sealed_app().await;
    // The intruder changes an event and recomputes every hash after it, as
    // the published algorithm lets anyone do; only the signature is out of reach.
    let client = app.client().await;
    client
        .batch_execute(
            "SET session_replication_role = replica; \
             UPDATE user_events SET actor_display = 'nobody' \
             WHERE id = (SELECT log_row_id FROM ledger WHERE sequence = 4); \
             DELETE FROM ledger WHERE sequence >= 4; SET session_replication_role = origin",
        )
        .await
        .unwrap();
    // The sealer re-seals 4 and 5 with fresh hashes over the changed row.
    app.wait_sealed(5).await;

    let report = app.verify_report().await;
    assert_eq!(
        report["first_breach"],
        Value::Null,
        "the chain itself is consistent"
    );
    assert_eq!(report["method"], "screen", "{report}");
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["checkpoint_failures"],
        json!([{"id": 1, "sequence": 5, "reason": "hash_mismatch"}]),
        "{report}"
    );

    app.discard().await;
}

#[tokio::test]
async fn verify_needs_an_auditor_token() {
    let (app, _) = sealed_app().await;
    let response = app.api("/audit/verify").send().await.unwrap();
    assert_eq!(response.status(), 403);
    app.finish().await;
}

/// A row of `table` written as the superuser: `columns` and `values` (SQL)
/// besides those every log row has.
fn log_row(table: &str, org: &str, subject: &str, columns: &str, values: &str) -> String {
    format!(
        "INSERT INTO {table} (event_id, org_id, {subject}version, event_type, schema_version, \
           source, actor_kind, actor_id, {columns}) \
         VALUES (gen_random_uuid(), '{org}', {subject_value}1, 'test_event', 1, 'admin', \
           'user', 'u-1', {values})",
        subject = if subject.is_empty() {
            String::new()
        } else {
            format!("{subject}, ")
        },
        subject_value = if subject.is_empty() {
            String::new()
        } else {
            "gen_random_uuid(), ".to_owned()
        },
    )
}

/// The screen writes every member of a record in SQL as the sealer wrote it
/// in Rust: events of each log table, with each optional field present and
/// absent, text beyond ASCII, strings that need escapes, an IPv6 address
/// and a fraction in the payload are all confirmed without the walk. A
/// payload whose text is not canonical (as before V12) is not, and sends
/// the chain to the walk, which finds it intact.
#[tokio::test]
async fn the_screen_confirms_what_the_sealer_wrote_and_walks_what_it_cannot_write() {
    let app = TestApp::spawn().await;
    let org = app.org.id.0.to_string();
    let every = "actor_display, actor_token_id, request_id, client_addr, user_agent, \
                 occurred_at, payload, diff";
    let none = "actor_display, occurred_at, payload, diff";
    let rows = [
        log_row(
            "user_events",
            &org,
            "user_id",
            every,
            "'Zoë Ünal ✓ 😀', gen_random_uuid(), 'req-1', '2001:db8::7', 'Okta SCIM 2.0', \
             '2026-12-03 10:00:00.000001+00', \
             '{\"n\":1.5,\"profile\":{\"name\":{\"givenName\":\"Zoë\"},\
               \"userName\":\"z@example.com\"}}', \
             '[{\"op\":\"add\",\"path\":\"/n\",\"value\":1.5}]'",
        ),
        log_row(
            "user_events",
            &org,
            "user_id",
            none,
            "'Ann', '1999-12-31 23:59:59+00', '{}', '[]'",
        ),
        log_row(
            "user_events",
            &org,
            "user_id",
            "actor_display, user_agent, occurred_at, payload, diff",
            r#"'CORP\alice', 'curl "7.88"', now(), '{"note":"a \"b\" \\ c"}', '[]'"#,
        ),
        log_row(
            "group_events",
            &org,
            "group_id",
            every,
            "'Entra ID', gen_random_uuid(), 'req-2', '10.0.0.1', 'agent/1', now(), \
             '{\"displayName\":\"Admins\",\"members\":[]}', '[]'",
        ),
        log_row(
            "org_events",
            &org,
            "",
            none,
            "'Ann', now(), '{\"domains\":[\"example.com\"]}', '[]'",
        ),
    ];
    app.tamper(&rows.join("; ")).await;
    app.wait_sealed(5).await;
    let report = app.verify_report().await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["method"], "screen", "{report}");
    assert_eq!(report["entries"], 5);

    let spaced = log_row(
        "user_events",
        &org,
        "user_id",
        none,
        r#"'Ann', now(), '{"b": 1, "a": [true, null]}', '[]'"#,
    );
    app.tamper(&spaced).await;
    app.wait_sealed(6).await;
    let report = app.verify_report().await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["method"], "walk", "{report}");
    assert_eq!(
        (&report["entries"], &report["screened"]),
        (&json!(6), &json!(5))
    );

    app.discard().await;
}

/// Entries that keep no record (sealed before V14) are walked, and the
/// screen takes the rest; an entry without its record after the others is
/// left to the walk as well, and the chain still verifies.
#[tokio::test]
async fn entries_without_their_record_are_walked_and_the_rest_screened() {
    let (app, _) = sealed_app().await;
    let org = app.org.id.0;
    let mut lead = app.own_connection().await;
    let verify = async |lead: &mut tokio_postgres::Client| {
        // One entry at a time, so that the walk stops where it may.
        let report = verify_org(lead, async || Vec::new(), org, None, 1)
            .await
            .unwrap();
        assert!(report.ok, "{report:?}");
        assert!(report.checkpoint_failures.is_empty(), "{report:?}");
        (report.method, report.entries, report.screened)
    };
    let unkept = async |lead: &mut tokio_postgres::Client| {
        let tx = snapshot_read(lead).await.unwrap();
        let unkept = unkept_prefix(&tx, org, 5).await.unwrap();
        tx.commit().await.unwrap();
        unkept
    };
    assert_eq!(unkept(&mut lead).await, 0);
    assert_eq!(verify(&mut lead).await, (Method::Screen, 5, 5));

    app.tamper("UPDATE ledger SET record = NULL WHERE sequence <= 3")
        .await;
    assert_eq!(unkept(&mut lead).await, 3);
    assert_eq!(verify(&mut lead).await, (Method::Walk, 5, 2));

    app.tamper("UPDATE ledger SET record = NULL WHERE sequence = 5")
        .await;
    assert_eq!(unkept(&mut lead).await, 3);
    assert_eq!(verify(&mut lead).await, (Method::Walk, 5, 1));

    app.tamper("UPDATE ledger SET record = NULL").await;
    assert_eq!(unkept(&mut lead).await, 5);
    assert_eq!(verify(&mut lead).await, (Method::Walk, 5, 0));

    drop(lead);
    app.discard().await;
}

fn sizes(shared_from: i64, chunk: i64) -> Sizes {
    Sizes { shared_from, chunk }
}

/// Screens the entries `range` of `org` in a new snapshot of `lead`.
async fn screen_in_snapshot(
    lead: &mut tokio_postgres::Client,
    open_helpers: impl AsyncFnOnce() -> Vec<tokio_postgres::Client>,
    org: uuid::Uuid,
    range: (i64, i64),
    at: &[i64],
    sizes: Sizes,
) -> Screen {
    let tx = snapshot_read(lead).await.unwrap();
    let screened = screen_chain(&tx, open_helpers, org, range, at, sizes)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    screened
}

/// A chain shorter than the point where the work is shared opens no
/// helper connection, and is screened on the lead's alone.
#[tokio::test]
async fn a_short_chain_opens_no_helper() {
    let (app, _) = sealed_app().await;
    let mut lead = app.own_connection().await;
    let opened = std::cell::Cell::new(false);
    let open_helpers = async || {
        opened.set(true);
        vec![app.own_connection().await]
    };

    let org = app.org.id.0;
    let screened = screen_in_snapshot(&mut lead, open_helpers, org, (1, 5), &[], sizes(6, 2)).await;
    let Screen::Confirmed(screened) = screened else {
        panic!("an intact chain: {screened:?}");
    };
    // Screened two entries at a time, each chunk's first link over the
    // entry before it.
    assert_eq!((screened.head, screened.entries), (5, 5));
    assert_eq!(screened.present, [("user_events".to_owned(), 5)]);
    assert!(!opened.get(), "5 entries, shared from 6");

    let screened =
        screen_in_snapshot(&mut lead, open_helpers, org, (1, 5), &[], sizes(5, 50_000)).await;
    assert!(matches!(screened, Screen::Confirmed(_)), "{screened:?}");
    assert!(opened.get(), "5 entries, shared from 5");

    app.discard().await;
}

/// With helpers, each connection screens its own range of the chain in the
/// lead's snapshot, here one entry at a time: a change committed after the snapshot was taken, in a
/// helper's range, is not seen; once a new snapshot sees it, the screen
/// does not confirm the chain, and verification walks to it. A change in
/// the lead's range is then the first, however far the helpers got.
#[tokio::test]
async fn helpers_screen_their_range_in_the_snapshot_of_the_lead() {
    let (app, _) = sealed_app().await;
    let org = app.org.id.0;
    let mut lead = app.own_connection().await;
    let two_helpers = async || vec![app.own_connection().await, app.own_connection().await];
    let change = "UPDATE user_events SET actor_display = 'nobody' \
                  WHERE id = (SELECT log_row_id FROM ledger WHERE sequence = 5)";

    let tx = snapshot_read(&mut lead).await.unwrap();
    tx.query_one("SELECT 1", &[]).await.unwrap();
    // Entries 1-2 are the lead's, 3-4 and 5 the helpers'.
    app.tamper(change).await;
    let screened = screen_chain(&tx, two_helpers, org, (1, 5), &[5], sizes(1, 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let Screen::Confirmed(screened) = screened else {
        panic!("the change is after the snapshot: {screened:?}");
    };
    assert_eq!(screened.head, 5);
    assert_eq!(screened.present, [("user_events".to_owned(), 5)]);
    assert_eq!(screened.hashes_at.len(), 1);
    assert_eq!(Some(screened.hashes_at[0].1), screened.head_hash);

    let screened = screen_in_snapshot(&mut lead, two_helpers, org, (1, 5), &[], sizes(1, 1)).await;
    assert_eq!(screened, Screen::WalkFrom(5));
    // An earlier entry, in the lead's range: whatever the helpers screened
    // before they stopped, it is the first.
    app.tamper(&change.replace("sequence = 5", "sequence = 2"))
        .await;
    let screened = screen_in_snapshot(&mut lead, two_helpers, org, (1, 5), &[], sizes(1, 1)).await;
    assert_eq!(screened, Screen::WalkFrom(2));
    drop(lead);
    let report = app.verify_report().await;
    assert_changed_at(&report, 2, &event_id_at(&app, 2).await);

    app.discard().await;
}
