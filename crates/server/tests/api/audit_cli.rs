//! `usertrail verify` and `usertrail export`, run as the CLI runs them.

use clap::Parser;
use usertrail_server::cli::{Cli, run};

use serde_json::Value;

use crate::helpers::{SERVICE_LOGIN, TestApp, json_with_status, service_url};

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("usertrail").chain(args.iter().copied())).unwrap()
}

#[tokio::test]
async fn verify_succeeds_on_an_intact_chain_and_fails_on_a_changed_one() {
    let app = TestApp::spawn().await;
    app.create_users(3).await;
    app.wait_sealed(3).await;
    let url = service_url(app.database_name()).await;
    let args = ["verify", "--org", "acme", "--database-url", url.as_str()];

    run(cli(&args)).await.unwrap();
    let stored: (Option<uuid::Uuid>, String, i64) = {
        let row = app
            .client()
            .await
            .query_one(
                "SELECT token_id, operator, row_count FROM audit_access_log \
                 WHERE action = 'verify'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(stored.0, None);
    assert!(stored.1.ends_with("(usertrail CLI)"), "{}", stored.1);
    assert_eq!(stored.2, 3, "the entries it checked");
    app.tamper("UPDATE user_events SET actor_display = 'someone else' WHERE version = 1")
        .await;
    let error = run(cli(&args)).await.unwrap_err();
    assert!(error.to_string().contains("does not verify"), "{error}");

    app.discard().await;
}

#[tokio::test]
async fn export_writes_every_sealed_event_as_ndjson_or_csv() {
    let app = TestApp::spawn().await;
    app.create_users(3).await;
    app.wait_sealed(3).await;
    let url = service_url(app.database_name()).await;
    let dir = std::env::temp_dir().join(format!("ut-export-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();

    for (format, lines) in [("ndjson", 3), ("csv", 4)] {
        let file = dir.join(format!("export.{format}"));
        let file = file.to_str().unwrap();
        let args = [
            "export",
            "--org",
            "acme",
            "--format",
            format,
            "--output",
            file,
            "--database-url",
            url.as_str(),
        ];
        run(cli(&args)).await.unwrap();
        let written = std::fs::read_to_string(file).unwrap();
        assert_eq!(written.lines().count(), lines, "{format}: {written}");
    }
    std::fs::remove_dir_all(dir).unwrap();

    // Each export is in the access log, by the operator rather than a token.
    let log = json_with_status(
        app.audit_get("/audit/access-log").send().await.unwrap(),
        200,
    )
    .await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "events_export_finished",
            "events_export",
            "events_export_finished",
            "events_export"
        ],
        "{log}"
    );
    let finished = &entries[0];
    assert_eq!(finished["row_count"], 3);
    assert_eq!(finished["token_id"], Value::Null);
    let operator = finished["operator"].as_str().unwrap();
    assert!(
        operator.ends_with(&format!(
            " as database role {SERVICE_LOGIN} (usertrail CLI)"
        )),
        "{operator}"
    );
    assert_eq!(
        entries[1]["row_count"],
        Value::Null,
        "the start has no count yet"
    );

    app.finish().await;
}
