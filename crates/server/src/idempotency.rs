//! `Idempotency-Key` for the JSON API's writes: the first response to a key
//! is stored in the transaction of the write it answers, and a retry with
//! the same key and the same request gets that response back, marked
//! `Idempotent-Replayed: true`, without writing again. The same key with a
//! different request is 422 `idempotency_key_reused`.
//!
//! A write handler hands its work to `run_idempotent` as an async closure
//! over the transaction; see docs/api.md ("Idempotency") for the recipe.

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::Value;
use sha2::{Digest, Sha256};
use usertrail_store::idempotency::{
    Claim, KeyScope, KeyTimes, StoredResponse, claim_key, claim_outside, complete, purge_expired,
    release, store_response,
};
use usertrail_store::{StoreError, Token, Transaction};

use crate::api::{ApiError, ErrorCode, connection};
use crate::auth;
use crate::request::read_bytes;
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
    let expired_before = state.clock.now() - state.idempotency_ttl;
    if let Some(stored) = claim_key(&tx, &scope, expired_before).await? {
        if stored.fingerprint != fingerprint {
            return Err(reused());
        }
        return Ok(replay(&stored));
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

/// How long a claimed key may go unanswered before a retry takes it over (the first
/// request's process is then presumed dead). Longer than any write takes.
const STALE_CLAIM: time::Duration = time::Duration::minutes(5);

/// Paths whose handlers call [`run_idempotent`] themselves, inside their write.
const IN_HANDLER: &[&str] = &["/api/v1/audit/checkpoints"];

/// Middleware of `/api/v1`: `Idempotency-Key` for the product's door writes, which run
/// their own transactions through the application layer. The key is claimed (committed)
/// before the write, and its 2xx response stored right after it; a failed write releases
/// the key. Unlike [`run_idempotent`], the response is not stored in the write's own
/// transaction: if the process dies between the two, a retry after [`STALE_CLAIM`] runs
/// the write again (docs/api.md, "Idempotency").
pub async fn door_writes(
    mut request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let read_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let handled = IN_HANDLER.contains(&request.path());
    if read_only || handled || !request.headers().contains_key(HEADER) {
        return next.call(request).await;
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(request).await;
    };
    let key = match idempotency_key(request.request()) {
        Ok(Some(key)) => key,
        Ok(None) => return next.call(request).await,
        Err(error) => return Ok(request.error_response(error)),
    };
    // An unauthenticated request goes on to its handler, which answers 401 or 403.
    let Ok(token) = auth::authenticate(&state.pool, &state.tokens, request.request()).await else {
        return next.call(request).await;
    };
    // Read with the handlers' own limit, and put back for the handler to read again.
    let mut payload = request.take_payload();
    let body = match read_bytes(&mut payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return Ok(request.error_response(ApiError::from(error))),
    };
    request.set_payload(Payload::from(body.clone()));
    let scope = KeyScope {
        org_id: token.org_id.0,
        token_id: token.id,
        key: &key,
    };
    let fingerprint = fingerprint(request.request(), &body);
    let client = connection(&state).await?;
    let now = state.clock.now();
    let times = KeyTimes {
        now,
        stale: STALE_CLAIM,
        expired_before: now - state.idempotency_ttl,
    };
    let claim = claim_outside(&client, &scope, &fingerprint, times)
        .await
        .map_err(ApiError::from)?;
    match claim {
        Claim::Claimed => {}
        Claim::Answered(stored) => return Ok(request.into_response(replay(&stored))),
        Claim::Mismatch => return Ok(request.error_response(reused())),
        Claim::InProgress => {
            let error = ApiError::new(
                ErrorCode::IdempotencyKeyInProgress,
                "the first request with this Idempotency-Key has not answered yet; retry later",
            );
            return Ok(request.error_response(error));
        }
    }
    // The write takes its own connections; this one waits for the outcome only.
    drop(client);
    let response = next.call(request).await;
    let client = connection(&state).await?;
    match response {
        Ok(response) if response.status().is_success() => {
            keep_answer(&client, &scope, response).await
        }
        other => {
            release(&client, &scope).await.map_err(ApiError::from)?;
            other
        }
    }
}

/// Stores a door write's 2xx response for its key and sends it on.
async fn keep_answer(
    client: &usertrail_store::Client,
    scope: &KeyScope<'_>,
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (request, response) = response.into_parts();
    let status = response.status();
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    let value: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let stored_status = i16::try_from(status.as_u16()).unwrap_or(200);
    complete(client, scope, stored_status, &value)
        .await
        .map_err(ApiError::from)?;
    let response = HttpResponse::build(status)
        .content_type("application/json")
        .body(bytes);
    Ok(ServiceResponse::new(request, response))
}

/// The stored first response, marked as a replay; `null` stands for an empty body (204).
fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED, "true"));
    if stored.body.is_null() {
        response.finish()
    } else {
        response.json(&stored.body)
    }
}

fn reused() -> ApiError {
    ApiError::new(
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was used for a different request",
    )
}

/// Keys deleted per statement by the purger.
const PURGE_BATCH: i64 = 10_000;

/// Deletes the expired idempotency keys every `interval`, a batch at a
/// time; runs for the life of the server.
pub fn spawn_purger(state: web::Data<AppState>, interval: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = purge(&state).await {
                let error = crate::telemetry::error_chain(&error);
                tracing::warn!(%error, "purging idempotency keys failed");
            }
        }
    });
}

/// Deletes every key expired by now; returns how many.
pub async fn purge(state: &AppState) -> Result<u64, StoreError> {
    let client = state.pool.get().await?;
    let expired_before = state.clock.now() - state.idempotency_ttl;
    let mut total = 0;
    loop {
        let deleted = purge_expired(&client, expired_before, PURGE_BATCH).await?;
        total += deleted;
        if deleted < PURGE_BATCH as u64 {
            break;
        }
    }
    if total > 0 {
        tracing::info!(deleted = total, "expired idempotency keys deleted");
    }
    Ok(total)
}
