//! `/api/v1/overview`: what the admin panel's overview shows — changes per day by source,
//! and each SCIM token's recent activity, so that an admin sees when provisioning stopped.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use usertrail_store::StoreError;
use usertrail_store::panel::{changes_per_day, is_time_zone, scim_token_activity};
use uuid::Uuid;

use super::openapi::ErrorBody;
use super::{ApiCaller, ApiError, ErrorCode};
use crate::startup::AppState;

const DEFAULT_DAYS: i32 = 30;
const MAX_DAYS: i32 = 366;

#[derive(Debug, Deserialize)]
struct ChangesParams {
    days: Option<i32>,
    /// An IANA time zone name; days are counted in it. Default UTC.
    tz: Option<String>,
}

#[derive(Debug, Serialize)]
struct DayView {
    day: String,
    total: i64,
    by_source: BTreeMap<String, i64>,
}

/// `GET /api/v1/overview/changes?days=30&tz=Europe/Paris`
#[utoipa::path(
    get,
    path = "/api/v1/overview/changes",
    tag = "overview",
    summary = "Changes to users and groups per day, by source",
    params(
        ("days" = Option<i32>, Query, description = "1 to 366, default 30"),
        ("tz" = Option<String>, Query, description = "an IANA time zone, default UTC"),
    ),
    responses(
        (status = 200, description = "One entry per day, oldest first", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn changes(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let params = web::Query::<ChangesParams>::from_query(request.query_string())
        .map_err(|error| invalid(error.to_string()))?;
    let days = params.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(invalid(format!("days must be between 1 and {MAX_DAYS}")));
    }
    let time_zone = params.tz.as_deref().unwrap_or("UTC");

    let client = state.pool.get().await.map_err(StoreError::from)?;
    if !is_time_zone(&client, time_zone).await? {
        return Err(invalid(format!(
            "tz must be an IANA time zone name such as Europe/Paris, not {time_zone:?}"
        )));
    }
    let now = state.clock.now();
    let org = caller.token.org_id;
    let days = changes_per_day(&client, org, now, days, time_zone).await?;
    let views: Vec<DayView> = days
        .into_iter()
        .map(|day| DayView {
            day: day.day,
            total: day.by_source.values().sum(),
            by_source: day.by_source,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "time_zone": time_zone, "days": views })))
}

#[derive(Debug, Serialize)]
struct TokenView {
    id: Uuid,
    label: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_request_at: Option<OffsetDateTime>,
    requests_24h: i64,
    errors_24h: i64,
}

/// `GET /api/v1/overview/scim-tokens`: every SCIM token with its last request and its
/// requests and errors in the last 24 hours (counted by the hour, so up to 25 hours).
#[utoipa::path(
    get,
    path = "/api/v1/overview/scim-tokens",
    tag = "overview",
    summary = "Each SCIM token's last request and its requests and errors in 24 hours",
    responses(
        (status = 200, description = "The organization's SCIM tokens", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn scim_tokens(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    // Counts still in memory would be missing from a fresh reading.
    state.activity.flush(&state.pool).await?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let since = state.clock.now() - Duration::hours(24);
    let tokens = scim_token_activity(&client, caller.token.org_id, since).await?;
    let views: Vec<TokenView> = tokens
        .into_iter()
        .map(|token| TokenView {
            id: token.token_id,
            label: token.label,
            created_at: token.created_at,
            revoked_at: token.revoked_at,
            last_request_at: token.last_request_at,
            requests_24h: token.requests,
            errors_24h: token.errors,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tokens": views })))
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message)
}
