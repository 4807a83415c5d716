//! What the write endpoints of `/api/v1` share: reading a JSON body into a typed request
//! (naming the wrong field in the error), a connection, and the `{"user": ...}` response.

use actix_web::{HttpRequest, web};
use serde::de::DeserializeOwned;

use super::{ApiError, ErrorCode};
use crate::request::read_json;
use crate::startup::AppState;

/// The body as `T`; a missing, mistyped or unknown field is 400 `invalid_body`.
pub async fn read_body<T: DeserializeOwned>(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    let value = read_json(request, payload, state.max_body_bytes).await?;
    serde_json::from_value(value)
        .map_err(|error| ApiError::new(ErrorCode::InvalidBody, format!("invalid body: {error}")))
}

/// A pooled connection, for handlers that run their own transaction.
pub async fn connection(state: &AppState) -> Result<usertrail_store::Client, ApiError> {
    Ok(state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?)
}

/// A response body `{"user": ...}` with the user as the diagnostics show it at `now` (the
/// request's one clock reading), with the number of groups it belongs to.
pub async fn user_json(
    state: &AppState,
    org: usertrail_domain::OrgId,
    user: &usertrail_domain::User,
    now: time::OffsetDateTime,
) -> Result<serde_json::Value, ApiError> {
    let client = connection(state).await?;
    let counts = usertrail_store::panel::group_counts(&client, org, &[user.id]).await?;
    let count = counts.get(&user.id).copied().unwrap_or(0);
    Ok(serde_json::json!({ "user": super::users::UserView::of(user, now, count) }))
}
