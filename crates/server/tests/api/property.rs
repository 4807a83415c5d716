//! Property: for random sequences of SCIM commands, the `users` row the
//! store wrote equals folding the user's events from the log.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};
use usertrail_domain::{OrgId, UserId, fold};

use crate::helpers::TestApp;

#[derive(Debug, Clone)]
enum Step {
    Replace { title: Option<String>, active: bool },
    Patch { title: String },
    Deactivate,
    Delete,
}

fn step() -> impl Strategy<Value = Step> {
    let title = prop::sample::select(vec!["Engineer", "Analyst", "Lead"]).prop_map(String::from);
    prop_oneof![
        (prop::option::of(title.clone()), any::<bool>())
            .prop_map(|(title, active)| Step::Replace { title, active }),
        title.prop_map(|title| Step::Patch { title }),
        Just(Step::Deactivate),
        Just(Step::Delete),
    ]
}

async fn run(app: &TestApp, case: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let user_name = format!("case{case}@example.com");
    let user = app.create_user(json!({"userName": user_name})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    let patch = |operations: Value| {
        let schemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
        json!({"schemas": schemas, "Operations": operations})
    };
    for step in steps {
        let request = match step {
            Step::Replace { title, active } => {
                let mut body = json!({"userName": user_name, "active": active});
                if let Some(title) = title {
                    body["title"] = json!(title);
                }
                app.scim(Method::PUT, &path).json(&body)
            }
            Step::Patch { title } => app.scim(Method::PATCH, &path).json(&patch(
                json!([{"op": "replace", "path": "title", "value": title}]),
            )),
            Step::Deactivate => app.scim(Method::PATCH, &path).json(&patch(
                json!([{"op": "replace", "value": {"active": false}}]),
            )),
            Step::Delete => app.scim(Method::DELETE, &path),
        };
        let status = request.send().await.unwrap().status().as_u16();
        prop_assert!(matches!(status, 200 | 204 | 404), "status {status}");
    }

    let mut client = app.client().await;
    let tx = client.transaction().await.unwrap();
    let user_id = UserId(uuid::Uuid::parse_str(&id).unwrap());
    let org = OrgId(app.org.id.0);
    let stored = usertrail_store::load_user(&tx, org, user_id).await.unwrap();
    let events = recorded_events(&tx, user_id).await;
    prop_assert_eq!(fold(&events).unwrap(), stored);
    Ok(())
}

async fn recorded_events(
    tx: &usertrail_store::Transaction<'_>,
    user: UserId,
) -> Vec<usertrail_domain::RecordedEvent> {
    let rows = tx
        .query(
            "SELECT event_id, user_id, version, occurred_at, source, actor_kind, actor_id, \
             actor_display, event_type, schema_version, payload FROM user_events \
             WHERE user_id = $1 ORDER BY version",
            &[&user.0],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|row| usertrail_domain::RecordedEvent {
            event_id: row.get("event_id"),
            user_id: UserId(row.get("user_id")),
            version: row.get("version"),
            occurred_at: row.get("occurred_at"),
            source: row.get::<_, &str>("source").parse().unwrap(),
            actor: usertrail_domain::Actor {
                kind: row.get::<_, &str>("actor_kind").parse().unwrap(),
                id: row.get("actor_id"),
                display: row.get("actor_display"),
            },
            event: usertrail_domain::UserEvent::decode(
                row.get("event_type"),
                row.get("schema_version"),
                row.get("payload"),
            )
            .unwrap(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_random_command_sequences_the_projection_equals_the_fold_of_the_log() {
    let app = TestApp::spawn().await;
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let strategy = prop::collection::vec(step(), 1..8);
    let case = std::sync::atomic::AtomicUsize::new(0);
    // proptest drives a synchronous closure; each case runs its HTTP calls
    // on this test's runtime.
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |steps| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(run(&app, case, &steps))
        })
    });
    result.unwrap();
    app.finish().await;
}
