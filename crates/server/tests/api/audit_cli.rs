//! `usertrail verify` and `usertrail export`, run as the CLI runs them.

use clap::Parser;
use usertrail_server::cli::{Cli, run};

use crate::helpers::{TestApp, service_url};

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

    app.finish().await;
}
