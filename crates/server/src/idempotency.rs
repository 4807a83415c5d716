//! `Idempotency-Key` for the JSON API's writes: the first response to a key
//! is stored in the transaction of the write it answers, and a retry with
//! the same key and the same request gets that response back, marked
//! `Idempotent-Replayed: true`, without writing again. The same key with a
//! different request is 422 `idempotency_key_reused`.
//!
//! A write handler hands its work to `run_idempotent` as an async closure
//! over the transaction; see docs/api.md ("Idempotency") for the recipe.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};
use usertrail_store::idempotency::{KeyScope, StoredResponse, claim_key, store_response};
use usertrail_store::{StoreError, Token, Transaction};

use crate::api::{ApiError, ErrorCode};
use crate::startup::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

/// What a write returns: its status and JSON body.
pub type Written = (StatusCode, Value);

/// Runs `write` in a transaction, at most once per `Idempotency-Key`.
pub async fn run_idempotent(
    state: &AppState,
    request: &HttpRequest,
    token: &Token,
    body: &[u8],
    write: impl AsyncFnOnce(&Transaction<'_>) -> Result<Written, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(request)?;
    let mut client = state.pool.get().await.map_err(StoreError::from)?;
    let tx = client.transaction().await.map_err(StoreError::from)?;
    let Some(key) = key else {
        let (status, value) = write(&tx).await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(HttpResponse::build(status).json(value));
    };
    let scope = KeyScope {
        org_id: token.org_id.0,
        token_id: token.id,
        key: &key,
    };
    let fingerprint = fingerprint(request, body);
    if let Some(stored) = claim_key(&tx, &scope).await? {
        if stored.fingerprint != fingerprint {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            ));
        }
        let status = u16::try_from(stored.status)
            .ok()
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::OK);
        return Ok(HttpResponse::build(status)
            .insert_header((REPLAYED, "true"))
            .json(stored.body));
    }
    let (status, value) = write(&tx).await?;
    let stored = StoredResponse {
        fingerprint,
        status: i16::try_from(status.as_u16()).unwrap_or(200),
        body: value.clone(),
    };
    store_response(&tx, &scope, &stored, state.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(HttpResponse::build(status).json(value))
}

/// The header's value: 1 to 255 visible ASCII characters.
fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let valid = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// SHA-256 over the method, the path with its query, and the body.
fn fingerprint(request: &HttpRequest, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(request.uri().to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().to_vec()
}
