//! The admin door (source `admin`, actor the acting admin): change a user's role,
//! deactivate, reactivate, edit profile attributes, delete. The acting user must have
//! role `admin`; with a personal token the source is `api`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value};
use usertrail_domain::{Role, Source, User, UserCommand, UserId};

use super::body::{connection, read_body, user_json};
use super::caller::Caller;
use super::openapi::{ActingUser, ErrorBody, RoleName, UserEnvelope};
use super::profile_edit::{guard, idp_owns_fields, merged};
use super::users::{not_found, parse_user_id};
use super::{ApiError, ErrorCode};
use crate::app::{self, Origin};
use crate::startup::AppState;

type Response = Result<HttpResponse, ApiError>;

/// The admin, the origin of their change, and whether the IdP owns the identity fields.
async fn admin_origin(state: &AppState, request: &HttpRequest) -> Result<(Origin, bool), ApiError> {
    let caller = Caller::writer(state, request).await?;
    caller.admin()?;
    let client = connection(state).await?;
    let owned = idp_owns_fields(&client, caller.org()).await?;
    Ok((caller.origin(state, request, Source::Admin), owned))
}

/// Runs `build` on the live user `id` as the admin; 404 for unknown or deleted users.
async fn run(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    build: impl Fn(&User) -> Result<UserCommand, ApiError>,
) -> Response {
    let outcome = app::execute::<ApiError>(&state.pool, origin, id, None, None, |user| {
        let user = user
            .filter(|user| !user.is_deleted())
            .ok_or_else(|| not_found(id))?;
        build(user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user_json(state, origin.org, &outcome.user, origin.now).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    #[schema(value_type = RoleName)]
    role: Role,
}

/// `PUT /api/v1/users/{id}/role`
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/role",
    tag = "admin",
    summary = "Admin: change a user's role",
    request_body = RoleRequest,
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn change_role(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let id = parse_user_id(&id)?;
    let (origin, _) = admin_origin(&state, &request).await?;
    let body: RoleRequest = read_body(&state, &request, payload).await?;
    run(&state, &origin, id, |_| {
        Ok(UserCommand::ChangeRole { role: body.role })
    })
    .await
}

/// `POST /api/v1/users/{id}/deactivate`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/deactivate",
    tag = "admin",
    summary = "Admin: deactivate a user",
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    set_active(&state, &request, &id, false).await
}

/// `POST /api/v1/users/{id}/reactivate`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/reactivate",
    tag = "admin",
    summary = "Admin: reactivate a user",
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn reactivate(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    set_active(&state, &request, &id, true).await
}

async fn set_active(state: &AppState, request: &HttpRequest, id: &str, active: bool) -> Response {
    let id = parse_user_id(id)?;
    let (origin, owned) = admin_origin(state, request).await?;
    run(state, &origin, id, |user| {
        guard(owned, user, &user.profile.with_active(active))?;
        Ok(if active {
            UserCommand::Reactivate
        } else {
            UserCommand::Deactivate
        })
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminEditRequest {
    /// SCIM attributes to set; `null` removes one.
    #[schema(value_type = Object)]
    attributes: Map<String, Value>,
}

/// `PATCH /api/v1/users/{id}`: set or remove profile attributes.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "admin",
    summary = "Admin: set or remove profile attributes",
    request_body = AdminEditRequest,
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user after the change", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn edit(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let id = parse_user_id(&id)?;
    let (origin, owned) = admin_origin(&state, &request).await?;
    let body: AdminEditRequest = read_body(&state, &request, payload).await?;
    if body.attributes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            "attributes must name at least one",
        ));
    }
    run(&state, &origin, id, |user| {
        let profile = merged(&user.profile, &body.attributes)?;
        guard(owned, user, &profile)?;
        Ok(UserCommand::Patch { profile })
    })
    .await
}

/// `DELETE /api/v1/users/{id}`: the user goes; history and diagnostics stay.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    tag = "admin",
    summary = "Admin: delete a user",
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The deleted user", body = UserEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let id = parse_user_id(&id)?;
    let (origin, _) = admin_origin(&state, &request).await?;
    run(&state, &origin, id, |_| Ok(UserCommand::Delete)).await
}
