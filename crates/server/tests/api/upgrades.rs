//! Upgrading a database as an earlier release left it: what was sealed
//! before a migration still verifies after it.

use usertrail_domain::{OrgId, UserId};
use usertrail_store::audit::seal::seal_batch;
use usertrail_store::audit::verify::verify_org;
use uuid::Uuid;

use crate::helpers::{drop_database, empty_database};

/// Migration V12 turned the log's payloads from `jsonb` into `json`. The
/// rows it converted keep `jsonb`'s text (spacing, member order, `1.0`),
/// which canonicalises to the bytes that were hashed.
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
    // Sealing waits for every older transaction on the cluster (other
    // tests' too) to end: try for at most 10 s.
    let sealed_at = time::macros::datetime!(2026-12-03 12:00 UTC);
    let mut sealed = 0;
    for _ in 0..200 {
        sealed += seal_batch(&mut client, sealed_at, 100)
            .await
            .unwrap()
            .unwrap_or(0);
        if sealed >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sealed, 2, "both events sealed");
    let before = verify_org(&mut client, org, None, 100).await.unwrap();
    assert!(before.ok && before.entries == 2, "{before:?}");

    assert_eq!(usertrail_store::migrate(&url).await.unwrap(), 1);
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
    let after = verify_org(&mut client, org, None, 100).await.unwrap();
    assert!(after.ok && after.entries == 2, "{after:?}");
    assert_eq!(after.head_hash, before.head_hash);
    // The member's history finds the group's event through the rebuilt index.
    let history = usertrail_store::history::user_events(&client, OrgId(org), UserId(user))
        .await
        .unwrap();
    let types: Vec<&str> = history
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(types, ["user_created", "group_created"]);

    drop(client);
    pool.close();
    drop_database(&name).await;
}
