//! `/api/v1/audit`: the public key, signed checkpoints (listed, or signed
//! on demand), verification of the whole chain, the proof of one event
//! against a checkpoint, and the access log.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use usertrail_store::audit::access::{Access, Reader, list_access, record_access};
use usertrail_store::audit::checkpoint::{
    create_checkpoint, find_checkpoint, key_id, list_checkpoints,
};
use usertrail_store::audit::entries::{EntryFilter, LedgerEntry, entry_of_event, list_entries};
use usertrail_store::audit::seal::sealing_lag;
use usertrail_store::audit::verify::verify_org;
use usertrail_store::{Client, StoreError, TokenKind};
use uuid::Uuid;

use super::openapi::ErrorBody;
use super::{ApiCaller, ApiError, ErrorCode};
use crate::auth::{self, AuthError};
use crate::idempotency::run_idempotent;
use crate::signing::public_key_base64;
use crate::startup::AppState;

/// The longest chain segment a proof returns.
const MAX_PROOF_ENTRIES: i64 = 10_000;

/// Authenticates an auditor token: the audit trail is theirs to read.
pub async fn auditor(state: &AppState, request: &HttpRequest) -> Result<ApiCaller, ApiError> {
    let token = auth::authenticate(&state.pool, &state.tokens, request).await?;
    if token.kind != TokenKind::Auditor {
        return Err(AuthError::WrongKind {
            actual: token.kind,
            expected: "auditor",
        }
        .into());
    }
    Ok(ApiCaller { token })
}

impl ApiCaller {
    /// An access-log row for this caller.
    pub fn access(
        &self,
        action: &'static str,
        filter: &impl serde::Serialize,
        row_count: Option<i64>,
        request: &HttpRequest,
        now: OffsetDateTime,
    ) -> Access {
        let request_id = crate::request::request_meta(request).request_id;
        Access {
            org_id: self.token.org_id.0,
            reader: Reader::Token {
                id: self.token.id,
                label: self.token.label.clone(),
            },
            action,
            filter: serde_json::to_value(filter).unwrap_or(Value::Null),
            row_count,
            request_id,
            accessed_at: now,
        }
    }
}

/// How far sealing is behind for the organization, for responses that
/// show only sealed events.
pub async fn lag_json(
    client: &Client,
    org: Uuid,
    now: OffsetDateTime,
) -> Result<Value, StoreError> {
    let lag = sealing_lag(client, Some(org)).await?;
    let seconds = lag
        .oldest_unsealed_at
        .map(|at| ((now - at).as_seconds_f64()).max(0.0));
    Ok(json!({ "unsealed_events": lag.unsealed, "lag_seconds": seconds }))
}

fn signing_key(state: &AppState) -> Result<&ed25519_dalek::SigningKey, ApiError> {
    state.signing_key.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::SigningKeyMissing,
            "no signing key is configured (SIGNING_KEY_PATH)",
        )
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/public-key",
    tag = "audit",
    summary = "The Ed25519 public key checkpoints are signed with",
    responses(
        (status = 200, description = "The key", body = Object),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 503, description = "signing_key_missing", body = ErrorBody),
    )
)]
pub async fn public_key(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    ApiCaller::reader(&state, &request).await?;
    let key = signing_key(&state)?.verifying_key();
    Ok(HttpResponse::Ok().json(json!({
        "algorithm": "Ed25519",
        "key_id": key_id(&key),
        "public_key": public_key_base64(&key),
    })))
}

#[derive(Debug, Deserialize)]
struct PageParams {
    cursor: Option<i64>,
    limit: Option<i64>,
}

fn page(request: &HttpRequest) -> Result<(Option<i64>, i64), ApiError> {
    let params = web::Query::<PageParams>::from_query(request.query_string())
        .map_err(|error| ApiError::new(ErrorCode::InvalidParameter, error.to_string()))?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "limit must be between 1 and 1000",
        ));
    }
    Ok((params.cursor, limit))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/checkpoints",
    tag = "audit",
    summary = "The signed checkpoints of the organization's chain",
    responses(
        (status = 200, description = "The checkpoints", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn checkpoints(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let (before, limit) = page(&request)?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let found = list_checkpoints(&client, caller.token.org_id.0, before, limit).await?;
    let next = found
        .last()
        .filter(|_| found.len() as i64 == limit)
        .map(|c| c.id);
    let list: Vec<Value> = found
        .iter()
        .map(|checkpoint| checkpoint.to_json())
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "checkpoints": list, "next_cursor": next })))
}

/// Signs the current head now. Takes an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/audit/checkpoints",
    tag = "audit",
    summary = "Signs a checkpoint of the chain's head now; takes Idempotency-Key",
    responses(
        (status = 201, description = "The new checkpoint", body = Object),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 422, description = "idempotency_key_reused", body = ErrorBody),
        (status = 503, description = "signing_key_missing", body = ErrorBody),
    )
)]
pub async fn sign_checkpoint(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let key = signing_key(&state)?;
    let now = state.clock.now();
    let org = caller.token.org_id.0;
    run_idempotent(&state, &request, &caller.token, &body, async |tx| {
        let checkpoint = create_checkpoint(tx, org, key, now).await?;
        Ok((StatusCode::CREATED, checkpoint.to_json()))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "audit",
    summary = "Recomputes the chain and checks every checkpoint (auditor)",
    responses(
        (status = 200, description = "The report, naming the first broken entry", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn verify(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auditor(&state, &request).await?;
    let mut client = state.pool.get().await.map_err(StoreError::from)?;
    let org = caller.token.org_id.0;
    let key = state.signing_key.as_ref().map(|key| key.verifying_key());
    // A pooled connection, driven on another thread: when the chain has to
    // be walked, that thread reads the rows while this one hashes them. On
    // a long chain the screen shares its work with one more connection
    // (docs/adr/0018); without one, the pooled connection screens it all.
    let open_helpers = async || match state.direct_connection().await {
        Ok(helper) => vec![helper],
        Err(error) => {
            tracing::warn!(error = %error, "verifying on one connection");
            Vec::new()
        }
    };
    let report = verify_org(&mut client, open_helpers, org, key.as_ref(), 5_000).await?;
    let now = state.clock.now();
    let access = caller.access("verify", &json!({}), Some(report.entries), &request, now);
    record_access(&client, &access).await?;
    let sealing = lag_json(&client, org, now).await?;
    let mut body = serde_json::to_value(&report).unwrap_or(Value::Null);
    body["sealing"] = sealing;
    body["public_key_checked"] = json!(key.is_some());
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct ProofParams {
    checkpoint: Option<i64>,
}

/// The event's entry, the chain from it to a checkpoint, and the checkpoint.
#[utoipa::path(
    get,
    path = "/api/v1/audit/events/{event_id}/proof",
    tag = "audit",
    summary = "What an auditor needs to check one event against a checkpoint",
    params(("event_id" = String, Path, description = "the event's id")),
    responses(
        (status = 200, description = "The event, its chain to the checkpoint, the checkpoint",
            body = Object),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_checkpointed", body = ErrorBody),
    )
)]
pub async fn proof(
    state: web::Data<AppState>,
    request: HttpRequest,
    event_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = auditor(&state, &request).await?;
    let params = web::Query::<ProofParams>::from_query(request.query_string())
        .map_err(|error| ApiError::new(ErrorCode::InvalidParameter, error.to_string()))?;
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("no sealed event {event_id}"));
    let event_id = Uuid::parse_str(&event_id).map_err(|_| not_found())?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let org = caller.token.org_id.0;
    let entry = entry_of_event(&client, org, event_id)
        .await?
        .ok_or_else(not_found)?;
    let checkpoint = find_checkpoint(&client, org, params.checkpoint, entry.sequence)
        .await?
        .filter(|checkpoint| checkpoint.sequence >= entry.sequence)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotCheckpointed,
                "no checkpoint at or after this event; POST /api/v1/audit/checkpoints first",
            )
        })?;
    if checkpoint.sequence - entry.sequence > MAX_PROOF_ENTRIES {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "the chain to that checkpoint is longer than {MAX_PROOF_ENTRIES} entries; name a nearer one"
            ),
        ));
    }
    let filter = EntryFilter {
        from_sequence: Some(entry.sequence + 1),
        to_sequence: Some(checkpoint.sequence),
        ..EntryFilter::default()
    };
    let chain = list_entries(&client, org, &filter, None, MAX_PROOF_ENTRIES).await?;
    let now = state.clock.now();
    let access = caller.access(
        "proof",
        &json!({"event_id": event_id}),
        Some(1),
        &request,
        now,
    );
    record_access(&client, &access).await?;
    let chain = chain
        .iter()
        .map(LedgerEntry::to_json)
        .collect::<Result<Vec<Value>, _>>()
        .map_err(StoreError::from)?;
    Ok(HttpResponse::Ok().json(json!({
        "event": entry.to_json().map_err(StoreError::from)?,
        "chain": chain,
        "checkpoint": checkpoint.to_json(),
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/access-log",
    tag = "audit",
    summary = "Every auditor query and export, newest first",
    responses(
        (status = 200, description = "A page of the access log", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn access_log(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auditor(&state, &request).await?;
    let (before, limit) = page(&request)?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let org = caller.token.org_id.0;
    let rows = list_access(&client, org, before, limit).await?;
    let next = rows
        .last()
        .filter(|_| rows.len() as i64 == limit)
        .map(|(id, _)| *id);
    let now = state.clock.now();
    let filter = json!({ "cursor": before, "limit": limit });
    let access = caller.access(
        "access_log_query",
        &filter,
        Some(rows.len() as i64),
        &request,
        now,
    );
    record_access(&client, &access).await?;
    let entries: Vec<Value> = rows.into_iter().map(|(_, value)| value).collect();
    Ok(HttpResponse::Ok().json(json!({ "entries": entries, "next_cursor": next })))
}
