//! The SQL behind SCIM's most common lookups, and behind the panel's user list, must use an
//! index at a realistic size: 100 000 users in one organization, inserted straight into the
//! projection and analysed inside a transaction that is rolled back, so that the rebuild
//! check at the end sees none of them.

use serde_json::Value;
use time::macros::datetime;
use usertrail_domain::{Source, UserId};
use usertrail_scim::parse_filter;
use usertrail_store::{
    Cursor, DiagnosticsQuery, ScimQuery, SortKey, diagnostics_sql, scim_list_sql,
};

use crate::helpers::TestApp;

const USERS: i64 = 100_000;

/// Valid projection rows: the columns agree with the resource, as the projection writes them.
const INSERT_USERS: &str = "\
    INSERT INTO users (org_id, id, version, status, user_name, external_id, active, \
        display_name, email, resource, created_at, created_source, created_actor_kind, \
        created_actor_id, created_actor_display, updated_at, updated_source, \
        updated_actor_kind, updated_actor_id, updated_actor_display, last_event_type) \
    SELECT $1, gen_random_uuid(), 1, 'active', 'user' || n || '@example.com', 'ext-' || n, \
        true, 'User ' || n, 'user' || n || '@example.com', \
        jsonb_build_object('userName', 'user' || n || '@example.com', 'externalId', 'ext-' || n, \
            'displayName', 'User ' || n, 'emails', jsonb_build_array(jsonb_build_object( \
                'value', 'user' || n || '@example.com', 'type', 'work', 'primary', true))), \
        at, 'scim', 'scim_client', 'bulk', 'bulk', at, 'scim', 'scim_client', 'bulk', 'bulk', \
        'user_created' \
    FROM generate_series(1, $2::bigint) AS n, \
        LATERAL (SELECT timestamptz '2026-01-01' + n * interval '1 second' AS at) AS t";

/// Every plan node as (node type, relation, index), depth first.
pub fn nodes(plan: &Value, found: &mut Vec<(String, String, String)>) {
    let text = |key: &str| plan[key].as_str().unwrap_or_default().to_owned();
    found.push((text("Node Type"), text("Relation Name"), text("Index Name")));
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, found);
    }
}

/// The plan of `statement` as (node type, relation, index) nodes.
pub async fn plan_nodes(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Vec<(String, String, String)> {
    let explain = format!("EXPLAIN (FORMAT JSON) {statement}");
    let plan: Value = tx.query_one(&explain, params).await.unwrap().get(0);
    let mut found = Vec::new();
    nodes(&plan[0]["Plan"], &mut found);
    found
}

/// `found` reads `users` through `index` and never scans it whole.
fn assert_indexed(name: &str, found: &[(String, String, String)], index: &str) {
    eprintln!("{name}: {found:?}");
    assert!(
        !found
            .iter()
            .any(|(node, relation, _)| node == "Seq Scan" && relation == "users"),
        "{name} scans users sequentially: {found:?}"
    );
    assert!(
        found.iter().any(|(_, _, used)| used == index),
        "{name} does not use {index}: {found:?}"
    );
}

#[tokio::test]
async fn common_lookups_use_an_index_at_100_000_users() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    let tx = client.transaction().await.unwrap();
    tx.execute(INSERT_USERS, &[&app.org.id.0, &USERS])
        .await
        .unwrap();
    // ANALYZE inside the transaction counts its own rows, and its statistics roll back too.
    tx.batch_execute("ANALYZE users").await.unwrap();

    for (filter, index) in [
        (
            "userName eq \"USER54321@Example.com\"",
            "users_user_name_key",
        ),
        ("externalId eq \"ext-54321\"", "users_external_id_idx"),
        (
            "emails[value eq \"User54321@EXAMPLE.com\"]",
            "users_email_values_idx",
        ),
        (
            "emails.value eq \"user54321@example.com\"",
            "users_email_values_idx",
        ),
        (
            "emails[type eq \"work\" and value eq \"USER54321@example.com\"]",
            "users_email_values_idx",
        ),
    ] {
        let filter_tree = parse_filter(filter).unwrap();
        let query = ScimQuery {
            filter: Some(&filter_tree),
            sort: None,
            start_index: 1,
            count: 100,
        };
        let sql = scim_list_sql(app.org.id, &query).unwrap();

        let total: i64 = tx
            .query_one(&sql.count_sql, &sql.count_params())
            .await
            .unwrap()
            .get("total");
        assert_eq!(total, 1, "{filter} finds exactly its user");

        for (statement, params) in [
            (&sql.count_sql, sql.count_params()),
            (&sql.page_sql, sql.page_params()),
        ] {
            assert_indexed(filter, &plan_nodes(&tx, statement, &params).await, index);
        }
    }

    tx.rollback().await.unwrap();
    drop(client);
    app.finish().await;
}

#[tokio::test]
async fn the_panels_user_list_pages_and_searches_through_indexes_at_100_000_users() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    let tx = client.transaction().await.unwrap();
    tx.execute(INSERT_USERS, &[&app.org.id.0, &USERS])
        .await
        .unwrap();
    tx.batch_execute("ANALYZE users").await.unwrap();

    let first_page = DiagnosticsQuery {
        created_source: None,
        updated_source: None,
        source: None,
        status: None,
        invite_expired: None,
        role: None,
        text: None,
        sort: SortKey::UpdatedAt,
        descending: true,
        after: None,
        limit: 50,
    };
    // Deep in the list: the keyset cursor of a row 60 000 seconds into the seed.
    let deep_page = DiagnosticsQuery {
        after: Some(Cursor {
            at: datetime!(2026-01-01 16:40 UTC),
            id: UserId(uuid::Uuid::max()),
        }),
        ..first_page.clone()
    };
    let by_creation = DiagnosticsQuery {
        created_source: Some(Source::Scim),
        sort: SortKey::CreatedAt,
        descending: false,
        ..first_page.clone()
    };
    let search = DiagnosticsQuery {
        text: Some("User54321@".into()),
        ..first_page.clone()
    };
    for (name, query, index) in [
        ("first page", &first_page, "users_updated_idx"),
        ("page after a cursor", &deep_page, "users_updated_idx"),
        (
            "created via SCIM, by creation",
            &by_creation,
            "users_created_idx",
        ),
        ("text search", &search, "users_search_idx"),
    ] {
        let sql = diagnostics_sql(app.org.id, query);
        assert_indexed(name, &plan_nodes(&tx, &sql.sql, &sql.params()).await, index);
    }
    let sql = diagnostics_sql(app.org.id, &search);
    let rows = tx.query(&sql.sql, &sql.params()).await.unwrap();
    assert_eq!(rows.len(), 1, "the search finds exactly user54321");

    tx.rollback().await.unwrap();
    drop(client);
    app.finish().await;
}
