//! Stored first responses of writes sent with an `Idempotency-Key`. The
//! row is written in the transaction of the write it answers, so a retry
//! either finds the whole first outcome or nothing at all.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{GenericClient, StoreError};

/// Who sent a key: keys are scoped to the organization and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope<'a> {
    pub org_id: Uuid,
    pub token_id: Uuid,
    pub key: &'a str,
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub fingerprint: Vec<u8>,
    pub status: i16,
    pub body: Value,
}

/// Holds the key for the rest of the transaction, so that two requests
/// with one key run one after the other; then returns what the first one
/// stored, if it committed.
pub async fn claim_key(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
) -> Result<Option<StoredResponse>, StoreError> {
    client
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::text || $2::text || $3, 0))",
            &[
                &scope.org_id.to_string(),
                &scope.token_id.to_string(),
                &scope.key,
            ],
        )
        .await?;
    let row = client
        .query_opt(
            "SELECT fingerprint, status, body FROM idempotency_keys \
             WHERE org_id = $1 AND token_id = $2 AND key = $3",
            &[&scope.org_id, &scope.token_id, &scope.key],
        )
        .await?;
    Ok(row.map(|row| StoredResponse {
        fingerprint: row.get("fingerprint"),
        status: row.get("status"),
        body: row.get("body"),
    }))
}

/// Stores the first response to `scope`'s key.
pub async fn store_response(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    response: &StoredResponse,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, status, body, \
               created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &scope.org_id,
                &scope.token_id,
                &scope.key,
                &response.fingerprint,
                &response.status,
                &response.body,
                &now,
            ],
        )
        .await?;
    Ok(())
}
