//! Helpers of the audit tests: auditor requests, waiting for the sealer,
//! and an auditor's own check of hashes and signatures written apart from
//! the server's code (serde_json prints object members sorted, and every
//! number in these tests is an integer, so its compact output is RFC 8785).

use std::time::Duration;

use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use reqwest::RequestBuilder;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, json_with_status};

impl TestApp {
    /// A GET under `/api/v1` with the organization's auditor token.
    pub fn audit_get(&self, path: &str) -> RequestBuilder {
        self.http
            .get(self.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.org.auditor_token)
    }

    /// A POST under `/api/v1` with the auditor token.
    pub fn audit_post(&self, path: &str) -> RequestBuilder {
        self.http
            .post(self.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.org.auditor_token)
    }

    /// Waits until the organization's ledger holds `count` entries.
    pub async fn wait_sealed(&self, count: i64) {
        // Generous: the sealing horizon is the oldest write transaction of
        // the whole cluster, which tests running in parallel share.
        for _ in 0..1_500 {
            if self.ledger_count().await >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the sealer did not seal {count} events within 30 s");
    }

    pub async fn ledger_count(&self) -> i64 {
        self.client()
            .await
            .query_one("SELECT count(*) FROM ledger", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// Every event of every log, counted.
    pub async fn log_count(&self) -> i64 {
        self.client()
            .await
            .query_one(
                "SELECT (SELECT count(*) FROM user_events) + (SELECT count(*) FROM group_events) \
                 + (SELECT count(*) FROM org_events)",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// `GET /api/v1/audit/verify`'s report.
    pub async fn verify_report(&self) -> Value {
        let response = self.audit_get("/audit/verify").send().await.unwrap();
        json_with_status(response, 200).await
    }

    /// The lines of the NDJSON export selected by `query` (`""` for the
    /// whole chain).
    pub async fn export_lines(&self, query: &str) -> Vec<String> {
        let response = self
            .audit_get(&format!("/events/export?format=ndjson&{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        body.lines().map(str::to_owned).collect()
    }

    /// Signs a checkpoint now; returns it.
    pub async fn sign_checkpoint(&self) -> Value {
        let response = self.audit_post("/audit/checkpoints").send().await.unwrap();
        json_with_status(response, 201).await
    }

    /// SQL as the database superuser with the append-only triggers off, as
    /// someone with full access to the database could.
    pub async fn tamper(&self, sql: &str) {
        let client = self.client().await;
        client
            .batch_execute(&format!(
                "SET session_replication_role = replica; {sql}; \
                 SET session_replication_role = origin"
            ))
            .await
            .unwrap();
    }

    /// A connection of its own to this test's database, as the superuser.
    pub async fn own_connection(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.database_url(), tokio_postgres::NoTls)
                .await
                .unwrap();
        tokio::spawn(connection);
        client
    }

    /// Creates `count` users over SCIM; returns their ids.
    pub async fn create_users(&self, count: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for n in 0..count {
            let user = self
                .create_user(serde_json::json!({"userName": format!("user{n}@example.com")}))
                .await;
            ids.push(user["id"].as_str().unwrap().to_owned());
        }
        ids
    }
}

/// An entry as the API returns it, hashed the way docs/audit.md tells an
/// auditor to: SHA-256 over the previous hash and the entry's canonical JSON
/// without `hash` and `prev_hash`.
pub fn auditor_hash(previous_hex: &str, entry: &Value) -> String {
    let mut record = entry.clone();
    let members = record.as_object_mut().unwrap();
    members.remove("hash");
    members.remove("prev_hash");
    let mut hasher = Sha256::new();
    hasher.update(hex_decode(previous_hex));
    hasher.update(serde_json::to_vec(&record).unwrap());
    hex_encode(&hasher.finalize())
}

/// Whether an NDJSON export line hashes to its `hash` as an auditor checks
/// it offline: the line's bytes without `hash` and `prev_hash` (the last two
/// members), after the previous hash.
pub fn exported_line_holds(line: &str) -> bool {
    let entry: Value = serde_json::from_str(line).unwrap();
    let at = line.rfind(r#","hash":""#).unwrap();
    let mut hasher = Sha256::new();
    hasher.update(hex_decode(entry["prev_hash"].as_str().unwrap()));
    hasher.update(&line.as_bytes()[..at]);
    hasher.update(b"}");
    hex_encode(&hasher.finalize()) == entry["hash"].as_str().unwrap()
}

/// Whether the checkpoint's signature holds under the base64 public key.
pub fn auditor_checks_signature(public_key: &str, checkpoint: &Value) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(public_key)
        .unwrap();
    let key = VerifyingKey::from_bytes(&key.try_into().unwrap()).unwrap();
    let mut signed = checkpoint.clone();
    let members = signed.as_object_mut().unwrap();
    members.remove("id");
    let signature = hex_decode(members.remove("signature").unwrap().as_str().unwrap());
    let signature = Signature::from_bytes(&signature.try_into().unwrap());
    key.verify(&serde_json::to_vec(&signed).unwrap(), &signature)
        .is_ok()
}

pub fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
        .collect()
}

pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Asserts a JSON API error with this status and code.
pub async fn assert_api_error(response: reqwest::Response, status: u16, code: &str) {
    let body = json_with_status(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
}
