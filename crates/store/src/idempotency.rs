//! Stored first responses of writes sent with an `Idempotency-Key`. The
//! row is written in the transaction of the write it answers, so a retry
//! either finds the whole first outcome or nothing at all.
//!
//! A key is kept for a limited time (the caller's `expired_before`): after
//! it, the key reads as never used, and [`purge_expired`] deletes it.

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
/// stored, if it committed and was stored at or after `expired_before`.
pub async fn claim_key(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    expired_before: OffsetDateTime,
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
             WHERE org_id = $1 AND token_id = $2 AND key = $3 AND created_at >= $4",
            &[&scope.org_id, &scope.token_id, &scope.key, &expired_before],
        )
        .await?;
    Ok(row.map(|row| StoredResponse {
        fingerprint: row.get("fingerprint"),
        status: row.get("status"),
        body: row.get("body"),
    }))
}

/// Stores the first response to `scope`'s key, in place of an expired one
/// (the caller holds the key through [`claim_key`]).
pub async fn store_response(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    response: &StoredResponse,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, status, body, \
               created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (org_id, token_id, key) DO UPDATE \
               SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, \
                 body = EXCLUDED.body, created_at = EXCLUDED.created_at",
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

/// How long a key lasts, as [`claim_outside`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct KeyTimes {
    pub now: OffsetDateTime,
    /// A claim without an answer older than this was left by a process
    /// that died: it is taken over, and the retry runs the write again.
    pub stale: time::Duration,
    /// Keys stored before this have expired: they read as never used.
    pub expired_before: OffsetDateTime,
}

/// Claims a key for a write that runs its own transactions (the product's doors): the
/// claim is committed before the write starts, so a concurrent retry sees it. A stale
/// claim or an expired key is taken over (see [`KeyTimes`]), so a key is never stuck.
pub async fn claim_outside(
    client: &impl GenericClient,
    scope: &KeyScope<'_>,
    fingerprint: &[u8],
    times: KeyTimes,
) -> Result<Claim, StoreError> {
    let claimed = client
        .query_opt(
            "INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, status, body, \
               created_at) VALUES ($1, $2, $3, $4, $5, 'null'::jsonb, $6) \
             ON CONFLICT (org_id, token_id, key) DO UPDATE \
               SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, \
                 body = EXCLUDED.body, created_at = EXCLUDED.created_at \
               WHERE (idempotency_keys.status = $5 AND idempotency_keys.created_at < $7) \
                 OR idempotency_keys.created_at < $8 \
             RETURNING 1",
            &[
                &scope.org_id,
                &scope.token_id,
                &scope.key,
                &fingerprint,
                &IN_PROGRESS,
                &times.now,
                &(times.now - times.stale),
                &times.expired_before,
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

/// Deletes up to `limit` keys stored before `expired_before`; returns how
/// many. Several instances may purge at once.
pub async fn purge_expired(
    client: &impl GenericClient,
    expired_before: OffsetDateTime,
    limit: i64,
) -> Result<u64, StoreError> {
    let deleted = client
        .execute(
            "DELETE FROM idempotency_keys WHERE ctid IN ( \
               SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
            &[&expired_before, &limit],
        )
        .await?;
    Ok(deleted)
}
