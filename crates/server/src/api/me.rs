//! Self-service (source `self_service`, actor the user): one's own profile, email and
//! personal access tokens. The caller is a service token with `X-Actor-User`, or the
//! user's personal token (then the source is `api`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{Source, UserCommand};
use usertrail_store::{NewToken, TokenKind};
use uuid::Uuid;

use super::body::{connection, read_body, user_json};
use super::caller::Caller;
use super::invites::parse_email;
use super::openapi::{ActingUser, ErrorBody, TokenCreated, TokenList, UserEnvelope};
use super::profile_edit::{guard, idp_owns_fields, merged};
use super::{ApiError, ErrorCode};
use crate::app;
use crate::auth::{generate_secret, hash_secret};
use crate::startup::AppState;

type Response = Result<HttpResponse, ApiError>;

/// What a user may change about themselves: their name and their preferences.
const SELF_SERVICE_ATTRIBUTES: &[&str] = &[
    "displayName",
    "name",
    "nickName",
    "preferredLanguage",
    "locale",
    "timezone",
];

/// `GET /api/v1/me`
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "self-service",
    summary = "The acting user",
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user", body = UserEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let body = user_json(&state, caller.org(), caller.user()?, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfEditRequest {
    #[schema(value_type = Object)]
    attributes: Map<String, Value>,
}

/// `PATCH /api/v1/me`: name and preferences.
#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "self-service",
    summary = "Edit one's own name and preferences",
    request_body = SelfEditRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn edit(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let id = caller.user()?.id;
    let body: SelfEditRequest = read_body(&state, &request, payload).await?;
    if let Some(name) = body
        .attributes
        .keys()
        .find(|name| !self_service_attribute(name))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            format!(
                "{name} cannot be changed through self-service; allowed: {}",
                SELF_SERVICE_ATTRIBUTES.join(", ")
            ),
        ));
    }
    let owned = idp_owns_fields(&connection(&state).await?, caller.org()).await?;
    let origin = caller.origin(&state, &request, Source::SelfService);
    let outcome = app::execute::<ApiError>(&state.pool, &origin, id, None, None, |user| {
        let user = user.ok_or_else(|| super::users::not_found(id))?;
        let profile = merged(&user.profile, &body.attributes)?;
        guard(owned, user, &profile)?;
        Ok(UserCommand::Patch { profile })
    })
    .await?;
    let body = user_json(&state, origin.org, &outcome.user, origin.now).await?;
    Ok(HttpResponse::Ok().json(body))
}

fn self_service_attribute(name: &str) -> bool {
    SELF_SERVICE_ATTRIBUTES
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(name))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    email: String,
}

/// `PUT /api/v1/me/email`: a new primary email; the event records old and new.
#[utoipa::path(
    put,
    path = "/api/v1/me/email",
    tag = "self-service",
    summary = "Change one's own primary email",
    request_body = EmailRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn change_email(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let id = caller.user()?.id;
    let body: EmailRequest = read_body(&state, &request, payload).await?;
    let email = parse_email(&body.email)?;
    let owned = idp_owns_fields(&connection(&state).await?, caller.org()).await?;
    let origin = caller.origin(&state, &request, Source::SelfService);
    let outcome = app::execute::<ApiError>(&state.pool, &origin, id, None, None, |user| {
        let user = user.ok_or_else(|| super::users::not_found(id))?;
        guard(owned, user, &user.profile.with_primary_email(&email))?;
        Ok(UserCommand::ChangeEmail {
            email: email.clone(),
        })
    })
    .await?;
    let body = user_json(&state, origin.org, &outcome.user, origin.now).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A name the user recognises the token by.
    label: String,
}

/// `POST /api/v1/me/tokens`: a personal access token, shown once.
#[utoipa::path(
    post,
    path = "/api/v1/me/tokens",
    tag = "self-service",
    summary = "Create a personal access token",
    request_body = TokenRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 201, description = "The token, shown once", body = TokenCreated),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn create_token(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let user = caller.user()?;
    let body: TokenRequest = read_body(&state, &request, payload).await?;
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            "label must be 1 to 200 characters",
        ));
    }
    let secret = generate_secret(TokenKind::Personal).map_err(|error| {
        super::door_error::store_error(usertrail_store::StoreError::Corrupt(error.to_string()))
    })?;
    let hash = hash_secret(&secret);
    let token = NewToken {
        id: Uuid::now_v7(),
        org_id: caller.org(),
        kind: TokenKind::Personal,
        label,
        secret_hash: &hash,
    };
    let now = state.clock.now();
    let client = connection(&state).await?;
    usertrail_store::create_personal_token(&client, &token, user.id, now).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": token.id,
        "label": label,
        "user_id": user.id,
        "created_at": now.format(&Rfc3339).unwrap_or_default(),
        "token": secret,
    })))
}

/// `GET /api/v1/me/tokens`: the user's personal tokens, without their secrets.
#[utoipa::path(
    get,
    path = "/api/v1/me/tokens",
    tag = "self-service",
    summary = "One's own personal tokens",
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The tokens, without secrets", body = TokenList),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list_tokens(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let user = caller.user()?;
    let client = connection(&state).await?;
    let tokens = usertrail_store::list_personal_tokens(&client, caller.org(), user.id).await?;
    let format = |at: time::OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
    let views: Vec<Value> = tokens
        .iter()
        .map(|token| {
            json!({
                "id": token.id,
                "label": token.label,
                "created_at": format(token.created_at),
                "revoked_at": token.revoked_at.map(format),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "tokens": views })))
}

/// `DELETE /api/v1/me/tokens/{id}`: revokes one of the user's own tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/me/tokens/{id}",
    tag = "self-service",
    summary = "Revoke one's own personal token",
    params(
        ("id" = String, Path, description = "the token's id"),
        ActingUser,
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    )
)]
pub async fn revoke_token(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    let user = caller.user()?;
    let missing = || ApiError::new(ErrorCode::NotFound, format!("you have no live token {id}"));
    let token_id = Uuid::parse_str(&id).map_err(|_| missing())?;
    let client = connection(&state).await?;
    let now = state.clock.now();
    if !usertrail_store::revoke_personal_token(&client, caller.org(), user.id, token_id, now)
        .await?
    {
        return Err(missing());
    }
    Ok(HttpResponse::NoContent().finish())
}
