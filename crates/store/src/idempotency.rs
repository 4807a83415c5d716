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

/// The status of a key claimed by [`claim_outside`] whose write has not answered yet.
const IN_PROGRESS: i16 = 0;

/// What [`claim_outside`] found for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is ours: run the write, then [`complete`] or [`release`] it.
    Claimed,
    /// The key's first request answered; this is its response.
    Answered(StoredResponse),
    /// Another request with the key is still running.
    InProgress,
    /// The key was used for a request with another fingerprint.
    Mismatch,
}

/// Claims a key for a write that runs its own transactions (the product's doors): the
/// claim is committed before the write starts, so a concurrent retry sees it. A claim left
/// by a process that died before answering is taken over once it is older than `stale`,
/// so a key is never stuck; such a retry runs the write again.
pub async fn claim_outside(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    fingerprint: &[u8],
    now: OffsetDateTime,
    stale: time::Duration,
) -> Result<Claim, StoreError> {
    let claimed = client
        .query_opt(
            "INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, status, body, \
               created_at) VALUES ($1, $2, $3, $4, $5, 'null'::jsonb, $6) \
             ON CONFLICT (org_id, token_id, key) DO UPDATE \
               SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at \
               WHERE idempotency_keys.status = $5 AND idempotency_keys.created_at < $7 \
             RETURNING 1",
            &[
                &scope.org_id,
                &scope.token_id,
                &scope.key,
                &fingerprint,
                &IN_PROGRESS,
                &now,
                &(now - stale),
            ],
        )
        .await?;
    if claimed.is_some() {
        return Ok(Claim::Claimed);
    }
    let row = client
        .query_opt(
            "SELECT fingerprint, status, body FROM idempotency_keys \
             WHERE org_id = $1 AND token_id = $2 AND key = $3",
            &[&scope.org_id, &scope.token_id, &scope.key],
        )
        .await?;
    // Released between our insert and this read: the caller may simply try again.
    let Some(row) = row else {
        return Ok(Claim::InProgress);
    };
    let stored = StoredResponse {
        fingerprint: row.get("fingerprint"),
        status: row.get("status"),
        body: row.get("body"),
    };
    Ok(if stored.fingerprint != fingerprint {
        Claim::Mismatch
    } else if stored.status == IN_PROGRESS {
        Claim::InProgress
    } else {
        Claim::Answered(stored)
    })
}

/// Records the response of a write whose key [`claim_outside`] claimed.
pub async fn complete(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    status: i16,
    body: &Value,
) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE idempotency_keys SET status = $4, body = $5 \
             WHERE org_id = $1 AND token_id = $2 AND key = $3",
            &[&scope.org_id, &scope.token_id, &scope.key, &status, body],
        )
        .await?;
    Ok(())
}

/// Gives up a claimed key whose write failed: it may be used again.
pub async fn release(client: &impl GenericClient, scope: &KeyScope<'_>) -> Result<(), StoreError> {
    client
        .execute(
            "DELETE FROM idempotency_keys \
             WHERE org_id = $1 AND token_id = $2 AND key = $3 AND status = $4",
            &[&scope.org_id, &scope.token_id, &scope.key, &IN_PROGRESS],
        )
        .await?;
    Ok(())
}
