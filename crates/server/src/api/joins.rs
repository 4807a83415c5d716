//! The doors through which people join on their own: self-registration (source
//! `self_registration`), a first single sign-on login (source `sso`) and a verified email
//! in an allowed domain (source `email_domain`). The actor of each is the person joining.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use usertrail_domain::{Identity, PasswordHash, Profile, Role, Source, UserCommand, UserId};
use uuid::Uuid;

use super::body::{connection, read_body, user_json};
use super::caller::{Caller, user_actor};
use super::invites::parse_email;
use super::openapi::{ErrorBody, SsoOutcome, UserEnvelope};
use super::profile_edit::{idp_owns_fields, validated};
use super::{ApiError, ErrorCode};
use crate::app::{self, Origin};
use crate::password::hash_password;
use crate::startup::AppState;

type Response = Result<HttpResponse, ApiError>;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    email: String,
    /// Required for self-registration, optional for a domain join.
    password: Option<String>,
    display_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    name: Option<Map<String, Value>>,
    /// For a domain join: whether the product verified that the person owns the email.
    #[serde(default)]
    email_verified: bool,
}

/// `POST /api/v1/registrations`, when the organization allows self-registration.
#[utoipa::path(
    post,
    path = "/api/v1/registrations",
    tag = "joins",
    summary = "Self-registration, when the organization allows it",
    request_body = JoinRequest,
    responses(
        (status = 201, description = "The new user", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::service(&state, &request).await?;
    let body: JoinRequest = read_body(&state, &request, payload).await?;
    let settings = settings(&state, &caller).await?;
    if !settings.allow_self_registration {
        return Err(ApiError::new(
            ErrorCode::SelfRegistrationDisabled,
            "this organization does not allow self-registration; ask an admin for an invitation",
        ));
    }
    let Some(password) = body.password.clone() else {
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            "password is required",
        ));
    };
    let password = hash_password(password).await?;
    let origin = caller.origin(&state, &request, Source::SelfRegistration);
    join(
        &state,
        origin,
        &body,
        settings.default_role,
        Some(&password),
        None,
    )
    .await
}

/// `POST /api/v1/domain-joins`: a verified email in one of the organization's domains.
#[utoipa::path(
    post,
    path = "/api/v1/domain-joins",
    tag = "joins",
    summary = "Join with a verified email in an allowed domain",
    request_body = JoinRequest,
    responses(
        (status = 201, description = "The new user", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn domain_join(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::service(&state, &request).await?;
    let body: JoinRequest = read_body(&state, &request, payload).await?;
    let email = parse_email(&body.email)?;
    if !body.email_verified {
        return Err(not_verified(&email));
    }
    let settings = settings(&state, &caller).await?;
    if !settings.allows_email(&email) {
        return Err(ApiError::new(
            ErrorCode::DomainNotAllowed,
            format!("the domain of {email} is not one this organization lets join"),
        ));
    }
    let password = match body.password.clone() {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let origin = caller.origin(&state, &request, Source::EmailDomain);
    join(
        &state,
        origin,
        &body,
        settings.default_role,
        password.as_ref(),
        None,
    )
    .await
}

/// Creates the joining user, as its own actor.
async fn join(
    state: &AppState,
    mut origin: Origin,
    body: &JoinRequest,
    role: Role,
    password: Option<&PasswordHash>,
    identity: Option<Identity>,
) -> Response {
    let email = parse_email(&body.email)?;
    let client = connection(state).await?;
    if usertrail_store::find_live_user_by_email(&client, origin.org, &email)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            ErrorCode::EmailTaken,
            format!("{email} is already a user of this organization"),
        ));
    }
    let profile = joining_profile(&email, body.display_name.clone(), body.name.clone())?;
    let user = create_as_self(state, &mut origin, profile, role, password, identity).await?;
    Ok(HttpResponse::Created().json(user_json(state, origin.org, &user, origin.now).await?))
}

/// Runs `Join` for a fresh user whose own actor is recorded.
async fn create_as_self(
    state: &AppState,
    origin: &mut Origin,
    profile: Profile,
    role: Role,
    password: Option<&PasswordHash>,
    identity: Option<Identity>,
) -> Result<usertrail_domain::User, ApiError> {
    let id = UserId(Uuid::new_v4());
    origin.actor = self_actor(id, &profile);
    let outcome = app::execute::<ApiError>(&state.pool, origin, id, None, password, |_| {
        Ok(UserCommand::Join {
            profile: profile.clone(),
            role,
            identity: identity.clone(),
        })
    })
    .await?;
    Ok(outcome.user)
}

fn self_actor(id: UserId, profile: &Profile) -> usertrail_domain::Actor {
    usertrail_domain::Actor {
        kind: usertrail_domain::ActorKind::User,
        id: id.to_string(),
        display: profile
            .display_name()
            .unwrap_or_else(|| profile.user_name())
            .to_owned(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoLogin {
    issuer: String,
    subject: String,
    email: String,
    email_verified: bool,
    /// Profile claims: `name` (-> displayName), `given_name`, `family_name`.
    #[serde(default)]
    #[schema(value_type = Object)]
    claims: Map<String, Value>,
}

/// `POST /api/v1/sso/logins`: created just in time, linked, or nothing to record.
#[utoipa::path(
    post,
    path = "/api/v1/sso/logins",
    tag = "joins",
    summary = "A single sign-on login: create, link or nothing",
    request_body = SsoLogin,
    responses(
        (status = 201, description = "Created just in time", body = SsoOutcome),
        (status = 200, description = "Linked or unchanged", body = SsoOutcome),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn sso_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::service(&state, &request).await?;
    let body: SsoLogin = read_body(&state, &request, payload).await?;
    let email = parse_email(&body.email)?;
    let (issuer, subject) = (body.issuer.trim(), body.subject.trim());
    if issuer.is_empty() || subject.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            "issuer and subject are required",
        ));
    }
    let identity = Identity {
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
    };
    let mut origin = caller.origin(&state, &request, Source::Sso);
    let client = connection(&state).await?;
    let org = origin.org;

    if let Some(id) = usertrail_store::find_user_by_identity(&client, org, issuer, subject).await? {
        let user = load(&client, org, id).await?;
        drop(client);
        return returning_login(&state, origin, user, &body.claims).await;
    }
    if let Some(user) = usertrail_store::find_live_user_by_email(&client, org, &email).await? {
        if !body.email_verified {
            return Err(not_verified(&email));
        }
        origin.actor = user_actor(&user);
        let linked = app::execute::<ApiError>(&state.pool, &origin, user.id, None, None, |_| {
            Ok(UserCommand::LinkIdentity {
                identity: identity.clone(),
            })
        })
        .await?;
        return outcome(&state, &origin, "linked", 200, &linked.user).await;
    }
    let (display_name, name) = claims_profile(&body.claims);
    let profile = joining_profile(&email, display_name, name)?;
    let role = settings(&state, &caller).await?.default_role;
    let user = create_as_self(&state, &mut origin, profile, role, None, Some(identity)).await?;
    outcome(&state, &origin, "created", 201, &user).await
}

/// A login of a linked identity: profile claims that differ from the user's attributes are
/// recorded (`user_patched`, source `sso`, outcome `updated`), unless the IdP's SCIM client
/// owns those fields for this user; otherwise nothing is written (`unchanged`).
async fn returning_login(
    state: &AppState,
    mut origin: Origin,
    user: usertrail_domain::User,
    claims: &Map<String, Value>,
) -> Response {
    let (display_name, name) = claims_profile(claims);
    let claimed = with_claims(&user.profile, display_name.clone(), name.clone())?;
    let owned = claimed != user.profile
        && user.idp_managed
        && idp_owns_fields(&connection(state).await?, origin.org).await?;
    if claimed == user.profile || owned {
        return outcome(state, &origin, "unchanged", 200, &user).await;
    }
    origin.actor = user_actor(&user);
    let id = user.id;
    let written = app::execute::<ApiError>(&state.pool, &origin, id, None, None, |user| {
        let user = user
            .filter(|user| !user.is_deleted())
            .ok_or_else(|| super::users::not_found(id))?;
        let profile = with_claims(&user.profile, display_name.clone(), name.clone())?;
        Ok(UserCommand::Patch { profile })
    })
    .await?;
    let result = if written.changed {
        "updated"
    } else {
        "unchanged"
    };
    outcome(state, &origin, result, 200, &written.user).await
}

/// `profile` with the claimed displayName and name parts set; other name parts stay.
fn with_claims(
    profile: &Profile,
    display_name: Option<String>,
    name: Option<Map<String, Value>>,
) -> Result<Profile, ApiError> {
    let mut attributes = profile.attributes().clone();
    if let Some(display_name) = display_name.filter(|name| !name.trim().is_empty()) {
        attributes.insert("displayName".into(), Value::String(display_name));
    }
    if let Some(parts) = name {
        let mut merged = attributes
            .get("name")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        merged.extend(parts);
        attributes.insert("name".into(), Value::Object(merged));
    }
    validated(attributes)
}

async fn load(
    client: &usertrail_store::Client,
    org: usertrail_domain::OrgId,
    id: UserId,
) -> Result<usertrail_domain::User, ApiError> {
    usertrail_store::load_user(client, org, id)
        .await?
        .ok_or_else(|| super::users::not_found(id))
}

async fn outcome(
    state: &AppState,
    origin: &Origin,
    outcome: &str,
    status: u16,
    user: &usertrail_domain::User,
) -> Response {
    let mut body = user_json(state, origin.org, user, origin.now).await?;
    body["outcome"] = json!(outcome);
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    Ok(HttpResponse::build(status).json(body))
}

/// OpenID Connect's standard claims as SCIM attributes.
fn claims_profile(claims: &Map<String, Value>) -> (Option<String>, Option<Map<String, Value>>) {
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut name = Map::new();
    if let Some(given) = text("given_name") {
        name.insert("givenName".into(), Value::String(given));
    }
    if let Some(family) = text("family_name") {
        name.insert("familyName".into(), Value::String(family));
    }
    (text("name"), (!name.is_empty()).then_some(name))
}

fn joining_profile(
    email: &str,
    display_name: Option<String>,
    name: Option<Map<String, Value>>,
) -> Result<Profile, ApiError> {
    let mut attributes = Map::new();
    attributes.insert("userName".into(), json!(email));
    attributes.insert("emails".into(), json!([{"value": email, "primary": true}]));
    attributes.insert("active".into(), json!(true));
    if let Some(display_name) = display_name.filter(|name| !name.trim().is_empty()) {
        attributes.insert("displayName".into(), Value::String(display_name));
    }
    if let Some(name) = name {
        attributes.insert("name".into(), Value::Object(name));
    }
    validated(attributes)
}

async fn settings(
    state: &AppState,
    caller: &Caller,
) -> Result<usertrail_domain::org::OrgSettings, ApiError> {
    let client = connection(state).await?;
    Ok(usertrail_store::load_org_state(&client, caller.org())
        .await?
        .settings)
}

fn not_verified(email: &str) -> ApiError {
    ApiError::new(
        ErrorCode::EmailNotVerified,
        format!("{email} is not verified; this door needs a verified email"),
    )
}
