//! Signed checkpoints, the public key, idempotent signing on demand, and the
//! proof of one event that an auditor checks on their own.

use reqwest::Method;
use serde_json::{Value, json};

use crate::audit_support::{assert_api_error, auditor_checks_signature, auditor_hash};
use crate::helpers::{TestApp, audit_settings, json_with_status};

async fn public_key(app: &TestApp) -> String {
    let body = json_with_status(
        app.audit_get("/audit/public-key").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(body["algorithm"], "Ed25519");
    body["public_key"].as_str().unwrap().to_owned()
}

async fn checkpoint_rows(app: &TestApp) -> i64 {
    app.client()
        .await
        .query_one("SELECT count(*) FROM ledger_checkpoints", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_checkpoint_signs_the_head_and_is_listed_and_checkable_with_the_public_key() {
    let app = TestApp::spawn().await;
    app.create_users(3).await;
    app.wait_sealed(3).await;

    let checkpoint = app.sign_checkpoint().await;
    assert_eq!(checkpoint["sequence"], 3, "{checkpoint}");
    assert_eq!(checkpoint["type"], "usertrail.checkpoint.v1");
    let head: Vec<u8> = app
        .client()
        .await
        .query_one("SELECT hash FROM ledger WHERE sequence = 3", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(checkpoint["hash"], crate::audit_support::hex_encode(&head));
    assert!(auditor_checks_signature(
        &public_key(&app).await,
        &checkpoint
    ));

    let mut forged = checkpoint.clone();
    forged["sequence"] = json!(2);
    assert!(!auditor_checks_signature(&public_key(&app).await, &forged));

    let list = json_with_status(app.api("/audit/checkpoints").send().await.unwrap(), 200).await;
    assert_eq!(list["checkpoints"], json!([checkpoint]));

    app.finish().await;
}

#[tokio::test]
async fn a_retried_checkpoint_with_the_same_idempotency_key_is_answered_from_the_first_and_writes_nothing()
 {
    let app = TestApp::spawn().await;
    app.create_users(1).await;
    app.wait_sealed(1).await;
    let post = |key: &str, body: &'static str| {
        app.audit_post("/audit/checkpoints")
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let first = post("k-1", "{}").await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = json_with_status(first, 201).await;
    let again = post("k-1", "{}").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = json_with_status(again, 201).await;
    assert_eq!(again, first);
    assert_eq!(checkpoint_rows(&app).await, 1, "the retry wrote nothing");

    assert_api_error(
        post("k-1", "{\"x\": 1}").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(checkpoint_rows(&app).await, 1);

    json_with_status(post("k-2", "{}").await.unwrap(), 201).await;
    json_with_status(
        app.audit_post("/audit/checkpoints").send().await.unwrap(),
        201,
    )
    .await;
    assert_eq!(
        checkpoint_rows(&app).await,
        3,
        "a new key and no key each sign"
    );
    let stored: i64 = app
        .client()
        .await
        .query_one("SELECT count(*) FROM idempotency_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 2);

    let bad = app
        .audit_post("/audit/checkpoints")
        .header("idempotency-key", "")
        .send()
        .await
        .unwrap();
    assert_api_error(bad, 400, "invalid_parameter").await;

    app.finish().await;
}

#[tokio::test]
async fn an_expired_checkpoint_key_signs_anew() {
    let app = TestApp::spawn().await;
    app.create_users(1).await;
    app.wait_sealed(1).await;
    let post = || {
        app.audit_post("/audit/checkpoints")
            .header("idempotency-key", "k")
            .send()
    };
    let first = json_with_status(post().await.unwrap(), 201).await;
    app.client()
        .await
        .execute(
            "UPDATE idempotency_keys SET created_at = created_at - interval '25 hours'",
            &[],
        )
        .await
        .unwrap();
    let second = post().await.unwrap();
    assert!(second.headers().get("idempotent-replayed").is_none());
    let second = json_with_status(second, 201).await;
    assert_ne!(second["id"], first["id"]);
    assert_eq!(checkpoint_rows(&app).await, 2);
    let replayed = post().await.unwrap();
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_eq!(json_with_status(replayed, 201).await, second);

    app.finish().await;
}

#[tokio::test]
async fn a_scim_token_may_not_sign_or_list_checkpoints() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .request(Method::POST, app.url("/api/v1/audit/checkpoints"))
        .bearer_auth(&app.org.scim_token)
        .send()
        .await
        .unwrap();
    assert_api_error(response, 403, "forbidden").await;
    app.finish().await;
}

/// What an auditor does with a proof and the checkpoint they kept: hash the
/// event onto its predecessor, hash each following entry in turn, and compare
/// the end with the signed head.
fn auditor_checks_proof(proof: &Value, kept: &Value, public_key: &str) -> bool {
    let event = &proof["event"];
    let mut hash = auditor_hash(event["prev_hash"].as_str().unwrap(), event);
    if hash != event["hash"] {
        return false;
    }
    for entry in proof["chain"].as_array().unwrap() {
        if entry["prev_hash"] != hash.as_str() {
            return false;
        }
        hash = auditor_hash(&hash, entry);
        if hash != entry["hash"] {
            return false;
        }
    }
    hash == kept["hash"] && auditor_checks_signature(public_key, kept)
}

#[tokio::test]
async fn a_proof_links_one_event_to_a_kept_checkpoint_and_an_auditor_checks_it_alone() {
    let app = TestApp::spawn().await;
    let users = app.create_users(4).await;
    app.wait_sealed(4).await;
    let kept = app.sign_checkpoint().await;
    let key = public_key(&app).await;
    let events = app.event_rows(&users[1]).await;
    let event_id = events[0]["event_id"].as_str().unwrap();

    let path = format!("/audit/events/{event_id}/proof?checkpoint={}", kept["id"]);
    let proof = json_with_status(app.audit_get(&path).send().await.unwrap(), 200).await;
    assert_eq!(proof["event"]["sequence"], 2, "{proof}");
    assert_eq!(proof["chain"].as_array().unwrap().len(), 2);
    assert_eq!(proof["checkpoint"], kept);
    assert!(auditor_checks_proof(&proof, &kept, &key));

    let mut altered = proof.clone();
    altered["event"]["payload"]["userName"] = json!("mallory@example.com");
    assert!(
        !auditor_checks_proof(&altered, &kept, &key),
        "a changed event fails"
    );

    app.finish().await;
}

#[tokio::test]
async fn a_proof_without_a_later_checkpoint_is_409_and_of_an_unknown_event_404() {
    let app = TestApp::spawn().await;
    let users = app.create_users(1).await;
    app.wait_sealed(1).await;
    let event_id = app.event_rows(&users[0]).await[0]["event_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/audit/events/{event_id}/proof");
    let early = json_with_status(app.audit_get(&path).send().await.unwrap(), 409).await;
    assert_eq!(early["error"]["code"], "not_checkpointed");
    app.sign_checkpoint().await;
    json_with_status(app.audit_get(&path).send().await.unwrap(), 200).await;
    let unknown = app
        .audit_get("/audit/events/00000000-0000-4000-8000-000000000000/proof")
        .send()
        .await
        .unwrap();
    assert_api_error(unknown, 404, "not_found").await;

    app.finish().await;
}

#[tokio::test]
async fn a_server_with_a_checkpoint_interval_signs_every_chain_that_moved() {
    let app = TestApp::spawn().await;
    app.create_users(2).await;
    app.wait_sealed(2).await;
    let (database, mut serve) =
        crate::helpers::server_settings(crate::helpers::service_url(app.database_name()).await);
    serve.audit.checkpoint_interval_seconds = 1;
    let second = usertrail_server::startup::Application::build(
        &database,
        &serve,
        usertrail_server::Clock::System,
    )
    .await
    .unwrap();
    tokio::spawn(second.run_until_stopped());

    for _ in 0..150 {
        if checkpoint_rows(&app).await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let list = json_with_status(app.api("/audit/checkpoints").send().await.unwrap(), 200).await;
    let checkpoint = &list["checkpoints"][0];
    assert_eq!(checkpoint["sequence"], 2, "{list}");
    assert!(auditor_checks_signature(
        &public_key(&app).await,
        checkpoint
    ));
    // The chain did not move again: no second checkpoint of the same head.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(checkpoint_rows(&app).await, 1);

    app.finish().await;
}

#[tokio::test]
async fn periodic_checkpoints_are_signed_by_one_server_at_a_time() {
    use usertrail_store::audit::checkpoint::{CHECKPOINTER_LOCK, checkpoint_moved_chains};
    let app = TestApp::spawn().await;
    app.create_users(2).await;
    app.wait_sealed(2).await;
    let path = audit_settings().signing_key_path.unwrap();
    let key = usertrail_server::signing::load_signing_key(&path).unwrap();

    // Another server holds the lock: this one signs nothing.
    let mut other = app.client().await;
    let holding = other.transaction().await.unwrap();
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&CHECKPOINTER_LOCK])
        .await
        .unwrap();
    let mut client = app.client().await;
    let skipped = checkpoint_moved_chains(&mut client, &key, app.now())
        .await
        .unwrap();
    assert_eq!(skipped, None);
    assert_eq!(checkpoint_rows(&app).await, 0);
    holding.rollback().await.unwrap();

    let signed = checkpoint_moved_chains(&mut client, &key, app.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].sequence, 2);
    // The next server to take the lock finds the head signed already.
    let again = checkpoint_moved_chains(&mut other, &key, app.now())
        .await
        .unwrap();
    assert_eq!(again, Some(Vec::new()));
    assert_eq!(checkpoint_rows(&app).await, 1);

    app.finish().await;
}
