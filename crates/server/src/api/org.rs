//! `/api/v1/org`: the organization's settings (self-registration, default role, IdP
//! ownership of identity fields) and its allowed email domains, changed by admins and
//! recorded as org events (source `admin`, or `api` with a personal token).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use usertrail_domain::org::{IdpOwnership, OrgCommand, OrgState, RecordedOrgEvent, decide_org};
use usertrail_domain::{Role, Source};
use uuid::Uuid;

use super::body::{connection, read_body};
use super::caller::Caller;
use super::openapi::{
    ActingUser, ErrorBody, IdpOwnershipName, OrgEventList, OrgSettingsView, RoleName,
};
use super::{ApiCaller, ApiError};
use crate::app::Origin;
use crate::startup::AppState;

type Response = Result<HttpResponse, ApiError>;

/// `GET /api/v1/org/settings`
#[utoipa::path(
    get,
    path = "/api/v1/org/settings",
    tag = "organization",
    summary = "The organization's settings",
    responses(
        (status = 200, description = "The settings", body = OrgSettingsView),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn get_settings(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ApiCaller::reader(&state, &request).await?;
    let client = connection(&state).await?;
    let org_state = usertrail_store::load_org_state(&client, caller.token.org_id).await?;
    Ok(HttpResponse::Ok().json(view(&org_state)))
}

/// `GET /api/v1/org/events`: the settings log, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/org/events",
    tag = "organization",
    summary = "The settings log, oldest first",
    responses(
        (status = 200, description = "The org events", body = OrgEventList),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn events(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ApiCaller::reader(&state, &request).await?;
    let client = connection(&state).await?;
    let events = usertrail_store::org_events(&client, caller.token.org_id).await?;
    Ok(HttpResponse::Ok().json(json!({ "events": events })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    allow_self_registration: Option<bool>,
    #[schema(value_type = Option<RoleName>)]
    default_role: Option<Role>,
    #[schema(value_type = Option<IdpOwnershipName>)]
    idp_ownership: Option<IdpOwnership>,
}

/// `PATCH /api/v1/org/settings`
#[utoipa::path(
    patch,
    path = "/api/v1/org/settings",
    tag = "organization",
    summary = "Admin: change settings",
    request_body = SettingsRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The settings after the change", body = OrgSettingsView),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn change_settings(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let origin = admin_origin(&state, &request).await?;
    let body: SettingsRequest = read_body(&state, &request, payload).await?;
    let command = OrgCommand::Configure {
        allow_self_registration: body.allow_self_registration,
        default_role: body.default_role,
        idp_ownership: body.idp_ownership,
    };
    run(&state, &origin, command).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainRequest {
    domain: String,
}

/// `POST /api/v1/org/domains`
#[utoipa::path(
    post,
    path = "/api/v1/org/domains",
    tag = "organization",
    summary = "Admin: allow an email domain to join",
    request_body = DomainRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 200, description = "The settings after the change", body = OrgSettingsView),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn allow_domain(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let origin = admin_origin(&state, &request).await?;
    let body: DomainRequest = read_body(&state, &request, payload).await?;
    run(&state, &origin, OrgCommand::AllowDomain(body.domain)).await
}

/// `DELETE /api/v1/org/domains/{domain}`
#[utoipa::path(
    delete,
    path = "/api/v1/org/domains/{domain}",
    tag = "organization",
    summary = "Admin: stop allowing an email domain",
    params(
        ("domain" = String, Path, description = "the domain"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The settings after the change", body = OrgSettingsView),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn disallow_domain(
    state: web::Data<AppState>,
    request: HttpRequest,
    domain: web::Path<String>,
) -> Response {
    let origin = admin_origin(&state, &request).await?;
    run(
        &state,
        &origin,
        OrgCommand::DisallowDomain(domain.into_inner()),
    )
    .await
}

async fn admin_origin(state: &AppState, request: &HttpRequest) -> Result<Origin, ApiError> {
    let caller = Caller::writer(state, request).await?;
    caller.admin()?;
    Ok(caller.origin(state, request, Source::Admin))
}

/// Decides on the current settings and appends, in one transaction.
async fn run(state: &AppState, origin: &Origin, command: OrgCommand) -> Response {
    let mut client = connection(state).await?;
    let tx = client
        .transaction()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let prior = usertrail_store::load_org_state(&tx, origin.org).await?;
    let events = decide_org(&prior.settings, command)?;
    let recorded: Vec<RecordedOrgEvent> = events
        .into_iter()
        .zip(prior.version + 1..)
        .map(|(event, version)| RecordedOrgEvent {
            event_id: Uuid::now_v7(),
            version,
            occurred_at: origin.now,
            source: origin.source,
            actor: origin.actor.clone(),
            event,
        })
        .collect();
    let after =
        usertrail_store::append_org_events(&tx, origin.org, prior, &recorded, &origin.request)
            .await?;
    tx.commit()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    Ok(HttpResponse::Ok().json(view(&after)))
}

fn view(state: &OrgState) -> serde_json::Value {
    json!({ "version": state.version, "settings": state.settings })
}
