//! Auditor queries of the sealed log: filters, keyset pages in both orders,
//! streamed NDJSON and CSV exports that verify offline, and the access log
//! that records each of them.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use sha2::{Digest, Sha256};

use crate::audit_support::{assert_api_error, auditor_hash, hex_decode, hex_encode};
use crate::helpers::{TestApp, event_types, json_with_status};

/// Two users, one changed, and a group with one of them: 4 sealed events.
async fn app_with_history() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let users = app.create_users(2).await;
    let response = app
        .scim(Method::PUT, &format!("/Users/{}", users[0]))
        .json(&json!({"userName": "user0@example.com", "displayName": "Zero"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.create_group(json!({"displayName": "Ops", "members": [{"value": users[0]}]}))
        .await;
    app.wait_sealed(4).await;
    (app, users[0].clone(), users[1].clone())
}

async fn events(app: &TestApp, query: &str) -> Value {
    let response = app
        .audit_get(&format!("/events?{query}"))
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await
}

fn sequences(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["sequence"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn events_filter_by_user_type_source_actor_time_and_sequence() {
    let (app, zero, one) = app_with_history().await;

    assert_eq!(
        sequences(&events(&app, "").await),
        vec![4, 3, 2, 1],
        "newest first by default"
    );
    assert_eq!(
        sequences(&events(&app, &format!("user={zero}&order=asc")).await),
        vec![1, 3, 4]
    );
    assert_eq!(
        sequences(&events(&app, &format!("user={one}")).await),
        vec![2]
    );
    assert_eq!(
        sequences(&events(&app, "event_type=user_replaced").await),
        vec![3]
    );
    assert_eq!(
        sequences(&events(&app, "source=scim&order=asc").await),
        vec![1, 2, 3, 4]
    );
    let actor = format!("actor_kind=scim_client&actor_id={}", app.org.scim_token_id);
    assert_eq!(sequences(&events(&app, &actor).await).len(), 4);
    assert_eq!(
        sequences(&events(&app, "actor_kind=user").await),
        Vec::<i64>::new()
    );
    assert_eq!(
        sequences(&events(&app, "from_sequence=2&to_sequence=3").await),
        vec![3, 2]
    );
    assert_eq!(
        sequences(&events(&app, "to=2000-01-01T00:00:00Z").await),
        Vec::<i64>::new()
    );
    assert_eq!(
        sequences(&events(&app, "from=2000-01-01T00:00:00Z").await).len(),
        4
    );

    let first = &events(&app, "order=asc").await["events"][0];
    assert_eq!(first["log"], "user_events");
    assert_eq!(first["event_type"], "user_created");
    assert_eq!(first["actor"]["display"], "Entra ID");
    assert_eq!(first["prev_hash"], "0".repeat(64));

    app.finish().await;
}

#[tokio::test]
async fn a_members_filter_shows_the_deletion_of_their_group_as_their_history_does() {
    let (app, zero, one) = app_with_history().await;
    let group = app
        .create_group(json!({"displayName": "Temp", "members": [{"value": one}]}))
        .await;
    let group = group["id"].as_str().unwrap();
    let response = app
        .scim(Method::DELETE, &format!("/Groups/{group}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    app.wait_sealed(6).await;

    let page = events(&app, &format!("user={one}&order=asc")).await;
    assert_eq!(sequences(&page), vec![2, 5, 6]);
    assert_eq!(page["events"][2]["event_type"], "group_deleted");
    assert_eq!(page["events"][2]["payload"]["members"], json!([one]));
    assert_eq!(
        sequences(&events(&app, &format!("user={zero}&order=asc")).await),
        vec![1, 3, 4],
        "another group's deletion is not in a non-member's filter"
    );

    let history = app.user_history(&one).await;
    assert_eq!(
        event_types(&history),
        ["user_created", "group_created", "group_deleted"]
    );

    app.finish().await;
}

#[tokio::test]
async fn events_page_with_a_keyset_cursor_in_both_orders() {
    let (app, _, _) = app_with_history().await;
    for (order, expected) in [("asc", vec![1, 2, 3, 4]), ("desc", vec![4, 3, 2, 1])] {
        let mut seen = Vec::new();
        let mut hashes = std::collections::BTreeMap::new();
        let mut query = format!("order={order}&limit=3");
        loop {
            let page = events(&app, &query).await;
            seen.extend(sequences(&page));
            for event in page["events"].as_array().unwrap() {
                let prev = event["prev_hash"].as_str().unwrap().to_owned();
                hashes.insert(
                    event["sequence"].as_i64().unwrap(),
                    (event["hash"].clone(), prev),
                );
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => query = format!("order={order}&limit=3&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{order}");
        // Each entry names its predecessor's hash, across page boundaries too.
        for sequence in 2..=4 {
            assert_eq!(
                hashes[&sequence].1,
                hashes[&(sequence - 1)].0,
                "{order} {sequence}"
            );
        }
        let range = events(&app, "order=desc&from_sequence=3&to_sequence=3").await;
        assert_eq!(range["events"][0]["prev_hash"], hashes[&2].0, "{range}");
    }
    app.finish().await;
}

#[tokio::test]
async fn bad_event_queries_are_400_with_a_code() {
    let (app, _, _) = app_with_history().await;
    for (query, code) in [
        ("limit=0", "invalid_parameter"),
        ("limit=1001", "invalid_parameter"),
        ("order=sideways", "invalid_parameter"),
        ("user=nobody", "invalid_parameter"),
        ("from=yesterday", "invalid_parameter"),
        ("source=fax", "invalid_parameter"),
        ("cursor=xyz", "invalid_cursor"),
    ] {
        let response = app
            .audit_get(&format!("/events?{query}"))
            .send()
            .await
            .unwrap();
        assert_api_error(response, 400, code).await;
    }
    let service = app.api("/events").send().await.unwrap();
    assert_eq!(service.status(), 403, "the service token is not an auditor");
    app.finish().await;
}

#[tokio::test]
async fn an_ndjson_export_streams_every_entry_and_its_chain_verifies_offline() {
    let (app, _, _) = app_with_history().await;
    let response = app
        .audit_get("/events/export?format=ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);

    let mut previous = "0".repeat(64);
    for (index, line) in lines.iter().enumerate() {
        assert_eq!(line["sequence"], index as i64 + 1);
        assert_eq!(line["prev_hash"], previous.as_str());
        previous = auditor_hash(&previous, line);
        assert_eq!(line["hash"], previous.as_str(), "line {index}");
    }
    // The shortcut docs/audit.md gives: each line is the hashed bytes with
    // `hash` and `prev_hash` appended as its last members.
    for (line, entry) in body.lines().zip(&lines) {
        let cut = line
            .rfind(r#","hash":""#)
            .expect("hash is the second last member");
        let hashed = format!("{}}}", &line[..cut]);
        let mut hasher = Sha256::new();
        hasher.update(hex_decode(entry["prev_hash"].as_str().unwrap()));
        hasher.update(hashed.as_bytes());
        assert_eq!(entry["hash"], hex_encode(&hasher.finalize()).as_str());
        assert_eq!(
            &line[cut..],
            format!(
                r#","hash":"{}","prev_hash":"{}"}}"#,
                entry["hash"].as_str().unwrap(),
                entry["prev_hash"].as_str().unwrap()
            )
        );
    }
    let listed = events(&app, "order=asc").await;
    assert_eq!(
        Value::Array(lines),
        listed["events"],
        "the export is what the list shows"
    );

    app.finish().await;
}

/// The export's NDJSON lines, parsed.
async fn exported(app: &TestApp, query: &str) -> Value {
    app.export_lines(query)
        .await
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .collect()
}

/// An ascending run of the chain is streamed without PostgreSQL's window
/// for `prev_hash`; a filter by type, source, actor or time reads the
/// ledger's copies, and takes `prev_hash` from the match before where that
/// is the neighbour and from a probe elsewhere. Every export gives what the
/// list does. When an entry's log row is deleted behind the service's back,
/// the list leaves the entry out, and the export still carries it: its line
/// is written from the record the entry keeps, the bytes its hash covers.
#[tokio::test]
async fn every_kind_of_export_carries_the_prev_hash_the_list_shows() {
    let (app, zero, _) = app_with_history().await;
    let queries = [
        "order=asc".to_owned(),
        "order=asc&from_sequence=3".to_owned(),
        "order=asc&from_sequence=2&to_sequence=3".to_owned(),
        "order=asc&from_sequence=1&to_sequence=1".to_owned(),
        "order=asc&to_sequence=2".to_owned(),
        "order=desc&from_sequence=2".to_owned(),
        format!("order=asc&user={zero}"),
        // Neighbours (1 and 2), in both orders.
        "order=asc&event_type=user_created".to_owned(),
        "order=desc&event_type=user_created".to_owned(),
        // One match whose predecessor does not match.
        "event_type=user_replaced".to_owned(),
        "order=asc&event_type=group_created".to_owned(),
        "order=desc&source=scim&from_sequence=2".to_owned(),
        "order=asc&actor_kind=scim_client".to_owned(),
        "order=asc&from=2000-01-01T00:00:00Z".to_owned(),
    ];
    let check = async |queries: &[String], gone: Option<(&Value, &HashMap<String, Value>)>| {
        let all = events(&app, "order=asc").await;
        for query in queries {
            let listed = events(&app, query).await;
            let mut exported = exported(&app, query).await.as_array().unwrap().clone();
            if let Some((gone, before)) = gone {
                // The ledger's entries export as they did before the row
                // went; a user's are found through the log, without it.
                if !query.contains("user=") {
                    assert_eq!(&exported, before[query].as_array().unwrap(), "{query}");
                }
                exported.retain(|line| line != gone);
            }
            assert_eq!(Value::from(exported), listed["events"], "{query}");
            // A user's entries are found through the log, the others
            // through the ledger: the same entries either way.
            for entry in listed["events"].as_array().unwrap() {
                let same = all["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|other| other["sequence"] == entry["sequence"]);
                assert_eq!(Some(entry), same, "{query}");
            }
        }
    };
    check(&queries, None).await;
    let second = events(&app, "from_sequence=2&to_sequence=2").await["events"][0].clone();
    let mut before = HashMap::new();
    for query in &queries {
        before.insert(query.clone(), exported(&app, query).await);
    }
    let third = &events(&app, "from_sequence=3&to_sequence=3").await["events"][0];
    assert_eq!(
        exported(&app, "from_sequence=3").await[0]["prev_hash"],
        events(&app, "from_sequence=2&to_sequence=2").await["events"][0]["hash"]
    );
    assert_eq!(third["sequence"], 3);

    app.tamper(&format!(
        "DELETE FROM user_events WHERE event_id = '{}'",
        events(&app, "from_sequence=2&to_sequence=2").await["events"][0]["event_id"]
            .as_str()
            .unwrap()
    ))
    .await;
    let after = exported(&app, "order=asc").await;
    assert_eq!(sequences(&json!({ "events": after })), vec![1, 2, 3, 4]);
    assert_eq!(after[1], second, "the sealed record of the gone row");
    assert_eq!(sequences(&events(&app, "order=asc").await), vec![1, 3, 4]);
    assert_eq!(
        after[2]["prev_hash"], third["prev_hash"],
        "the gone row's hash"
    );
    check(&queries, Some((&second, &before))).await;

    app.discard().await;
}

#[tokio::test]
async fn a_csv_export_has_a_header_and_one_quoted_record_per_entry() {
    let (app, zero, _) = app_with_history().await;
    let response = app
        .audit_get(&format!("/events/export?format=csv&user={zero}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").filter(|line| !line.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{body}");
    assert!(lines[0].starts_with("sequence,log,event_id,org_id,subject_id,"));
    assert!(lines[0].ends_with(",payload,diff,hash,prev_hash"));
    assert!(lines[1].starts_with("1,user_events,"), "{}", lines[1]);
    let payload = r#","{""profile"":{""active"":true,""userName"":""user0@example.com""}}","#;
    assert!(lines[1].contains(payload), "{}", lines[1]);

    let bad = app
        .audit_get("/events/export?format=xml")
        .send()
        .await
        .unwrap();
    assert_api_error(bad, 400, "invalid_parameter").await;
    app.finish().await;
}

#[tokio::test]
async fn every_auditor_query_and_export_is_in_the_access_log() {
    let (app, zero, _) = app_with_history().await;
    let query = app
        .audit_get(&format!("/events?user={zero}"))
        .send()
        .await
        .unwrap();
    let request_id = query.headers()["x-request-id"].to_str().unwrap().to_owned();
    json_with_status(query, 200).await;
    let export = app
        .audit_get("/events/export?order=asc")
        .send()
        .await
        .unwrap();
    assert_eq!(export.text().await.unwrap().lines().count(), 4);
    app.verify_report().await;
    // The export's last row is written after the body ends; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let log = app.audit_get("/audit/access-log").send().await.unwrap();
    let log = json_with_status(log, 200).await;
    let entries: Vec<(String, Value)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_owned(),
                entry["row_count"].clone(),
            )
        })
        .collect();
    let mut actions = entries.clone();
    actions.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        actions,
        vec![
            ("events_export".to_owned(), Value::Null),
            ("events_export_finished".to_owned(), json!(4)),
            ("events_query".to_owned(), json!(3)),
            ("verify".to_owned(), json!(4)),
        ],
        "{log}"
    );
    let query = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["action"] == "events_query")
        .unwrap();
    assert_eq!(query["filter"]["user"], zero.as_str());
    assert_eq!(query["request_id"], request_id.as_str());
    assert_eq!(query["token_label"], "auditor");

    let again = app.audit_get("/audit/access-log").send().await.unwrap();
    let again = json_with_status(again, 200).await;
    assert_eq!(
        again["entries"][0]["action"], "access_log_query",
        "reading the log is logged"
    );
    app.finish().await;
}
