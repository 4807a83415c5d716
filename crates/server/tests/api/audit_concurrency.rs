//! Many writers on one organization through two server instances, whose
//! sealers compete for the lock: afterwards every event is sealed exactly
//! once under a contiguous sequence and the chain verifies.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use usertrail_server::Clock;
use usertrail_server::startup::Application;

use crate::helpers::{TestApp, server_settings as settings, service_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_through_two_instances_get_one_contiguous_verified_chain() {
    let app = TestApp::spawn().await;
    let (database, serve) = settings(service_url(app.database_name()).await);
    let second = Application::build(&database, &serve, Clock::System)
        .await
        .unwrap();
    let second_address = second.address();
    tokio::spawn(second.run_until_stopped());

    // Writers for at most 3 seconds or about 20 writes each, whichever ends first.
    let deadline = Instant::now() + Duration::from_secs(3);
    let writers = (0..6).map(|writer| {
        let http = app.http.clone();
        let token = app.org.scim_token.clone();
        let base = if writer % 2 == 0 {
            app.url("")
        } else {
            format!("http://{second_address}")
        };
        async move {
            let mut written = 0;
            while written < 20 && Instant::now() < deadline {
                let user = json!({"userName": format!("w{writer}-{written}@example.com")});
                let response = http
                    .request(Method::POST, format!("{base}/scim/v2/Users"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .json(&user)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                written += 1;
                // Now and then a group with the new user, so that both logs
                // are written at once.
                if written % 5 == 0 {
                    let id = response.json::<serde_json::Value>().await.unwrap()["id"].clone();
                    let group = json!({
                        "displayName": format!("g{writer}-{written}"),
                        "members": [{"value": id}]
                    });
                    let response = http
                        .request(Method::POST, format!("{base}/scim/v2/Groups"))
                        .bearer_auth(&token)
                        .header("content-type", "application/scim+json")
                        .json(&group)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201);
                    written += 1;
                }
            }
            written
        }
    });
    let written: i64 = join_all(writers).await.into_iter().sum();
    assert!(written > 0);

    let total = app.log_count().await;
    assert_eq!(total, written);
    app.wait_sealed(total).await;
    let row = app
        .client()
        .await
        .query_one(
            "SELECT count(*), coalesce(max(sequence), 0), count(DISTINCT (log, log_row_id)), \
               (SELECT count(*) FROM user_events e WHERE NOT EXISTS \
                 (SELECT 1 FROM ledger l WHERE l.log = 'user_events' AND l.log_row_id = e.id)) \
               + (SELECT count(*) FROM group_events e WHERE NOT EXISTS \
                 (SELECT 1 FROM ledger l WHERE l.log = 'group_events' AND l.log_row_id = e.id)) \
             FROM ledger",
            &[],
        )
        .await
        .unwrap();
    let (entries, max, distinct, unsealed): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!((entries, max, distinct, unsealed), (total, total, total, 0));

    let report = app.verify_report().await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["entries"], total);

    app.finish().await;
}
