//! `/api/v1/invitations` (source `invite`): invite an email with a role, list pending
//! invitations, resend, revoke, and accept with the code.
//!
//! The code is returned once and only its SHA-256 is stored. Each write runs the user's
//! command and the change to the code's row in one transaction, so a code is never used
//! without its `user_invite_accepted`, nor left open beside a revoked user.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use usertrail_domain::{Profile, Role, Source, User, UserCommand, UserId};
use usertrail_store::{Invitation, InvitationState};
use uuid::Uuid;

use super::body::{connection, read_body, user_json};
use super::caller::{Caller, user_actor};
use super::openapi::{
    ActingUser, ErrorBody, InvitationEnvelope, InvitationList, RoleName, UserEnvelope,
};
use super::users::{UserView, parse_user_id};
use super::{ApiCaller, ApiError, ErrorCode};
use crate::auth::hash_secret;
use crate::door_app::{execute_in, in_transaction};
use crate::password::hash_password;
use crate::startup::AppState;

type Response = Result<HttpResponse, ApiError>;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    email: String,
    /// Defaults to the organization's default role.
    #[schema(value_type = Option<RoleName>)]
    role: Option<Role>,
    display_name: Option<String>,
}

/// `POST /api/v1/invitations`: a pending user and a single-use code.
#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "invitations",
    summary = "Invite an email with a role",
    request_body = InviteRequest,
    params(
        ActingUser,
    ),
    responses(
        (status = 201, description = "The pending user and its code", body = InvitationEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    caller.token_or_admin()?;
    let body: InviteRequest = read_body(&state, &request, payload).await?;
    let email = parse_email(&body.email)?;
    let origin = caller.origin(&state, &request, Source::Invite);

    let mut client = connection(&state).await?;
    if usertrail_store::find_live_user_by_email(&client, origin.org, &email)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            ErrorCode::EmailTaken,
            format!("{email} is already a user of this organization"),
        ));
    }
    let settings = usertrail_store::load_org_state(&client, origin.org)
        .await?
        .settings;
    let profile = invited_profile(&email, body.display_name.as_deref())?;
    let role = body.role.unwrap_or(settings.default_role);
    let expires_at = origin.now + state.invite_ttl;
    let id = UserId(Uuid::new_v4());

    let (outcome, code) = in_transaction(&mut client, async |tx| {
        let outcome = execute_in::<ApiError>(tx, &origin, id, None, |_| {
            Ok(UserCommand::Invite {
                profile: profile.clone(),
                role,
                expires_at,
            })
        })
        .await?;
        let code = open_code(tx, &outcome.user, origin.org, expires_at, origin.now).await?;
        Ok((outcome, code))
    })
    .await?;
    Ok(HttpResponse::Created()
        .json(with_code(&state, &origin, &outcome.user, &code, expires_at).await?))
}

/// `GET /api/v1/invitations`: the pending users, expired ones marked `invite_expired`.
#[utoipa::path(
    get,
    path = "/api/v1/invitations",
    tag = "invitations",
    summary = "The pending invitations",
    responses(
        (status = 200, description = "Pending users", body = InvitationList),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ApiCaller::reader(&state, &request).await?;
    let client = connection(&state).await?;
    let org = caller.token.org_id;
    let users = usertrail_store::list_pending_users(&client, org).await?;
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    let counts = usertrail_store::panel::group_counts(&client, org, &ids).await?;
    let now = state.clock.now();
    let views: Vec<_> = users
        .iter()
        .map(|user| UserView::of(user, now, counts.get(&user.id).copied().unwrap_or(0)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "invitations": views })))
}

/// `POST /api/v1/invitations/{user_id}/resend`: a new code; the old one is dead.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{id}/resend",
    tag = "invitations",
    summary = "A new code for a pending user; the old one is dead",
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user and the new code", body = InvitationEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn resend(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    caller.token_or_admin()?;
    let id = parse_user_id(&id)?;
    let origin = caller.origin(&state, &request, Source::Invite);
    let expires_at = origin.now + state.invite_ttl;

    let mut client = connection(&state).await?;
    let (org, now) = (origin.org, origin.now);
    let (outcome, code) = in_transaction(&mut client, async |tx| {
        let outcome = execute_in::<ApiError>(tx, &origin, id, None, |_| {
            Ok(UserCommand::RenewInvite { expires_at })
        })
        .await
        .map_err(|error| name_user(error, id))?;
        usertrail_store::close_open_invitation(tx, org, id, InvitationState::Superseded, now)
            .await?;
        let code = open_code(tx, &outcome.user, org, expires_at, now).await?;
        Ok((outcome, code))
    })
    .await?;
    Ok(
        HttpResponse::Ok()
            .json(with_code(&state, &origin, &outcome.user, &code, expires_at).await?),
    )
}

/// `DELETE /api/v1/invitations/{user_id}`: the code is dead and the pending user gone.
#[utoipa::path(
    delete,
    path = "/api/v1/invitations/{id}",
    tag = "invitations",
    summary = "Withdraw an invitation",
    params(
        ("id" = String, Path, description = "the user's id"),
        ActingUser,
    ),
    responses(
        (status = 200, description = "The user, now deleted", body = UserEnvelope),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = Caller::writer(&state, &request).await?;
    caller.token_or_admin()?;
    let id = parse_user_id(&id)?;
    let origin = caller.origin(&state, &request, Source::Invite);

    let mut client = connection(&state).await?;
    let (org, now) = (origin.org, origin.now);
    let outcome = in_transaction(&mut client, async |tx| {
        let outcome =
            execute_in::<ApiError>(tx, &origin, id, None, |_| Ok(UserCommand::RevokeInvite))
                .await
                .map_err(|error| name_user(error, id))?;
        usertrail_store::close_open_invitation(tx, org, id, InvitationState::Revoked, now).await?;
        Ok(outcome)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user_json(&state, origin.org, &outcome.user, origin.now).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    code: String,
    password: String,
    display_name: Option<String>,
    /// SCIM `name`: `givenName`, `familyName`, `formatted`, ...
    #[schema(value_type = Option<Object>)]
    name: Option<Map<String, Value>>,
}

/// `POST /api/v1/invitations/accept`: the invited person sets name and password.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "invitations",
    summary = "Accept with the code, setting name and password",
    request_body = AcceptRequest,
    responses(
        (status = 200, description = "The active user", body = UserEnvelope),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "Conflict", body = ErrorBody),
        (status = 410, description = "Invitation gone", body = ErrorBody),
    )
)]
pub async fn accept(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = Caller::service(&state, &request).await?;
    let body: AcceptRequest = read_body(&state, &request, payload).await?;
    let password = hash_password(body.password).await?;
    let origin = caller.origin(&state, &request, Source::Invite);

    let mut client = connection(&state).await?;
    let now = origin.now;
    let outcome = in_transaction(&mut client, async |tx| {
        let user = invitee(tx, origin.org, body.code.trim(), now).await?;
        let profile = accepted_profile(&user, body.display_name.clone(), body.name.clone())?;
        let mut named = user.clone();
        named.profile = profile.clone();
        let mut origin = origin.clone();
        origin.actor = user_actor(&named);
        let outcome = execute_in::<ApiError>(tx, &origin, user.id, Some(&password), |_| {
            Ok(UserCommand::AcceptInvite { profile, now })
        })
        .await?;
        usertrail_store::close_open_invitation(tx, origin.org, user.id, InvitationState::Used, now)
            .await?;
        Ok((outcome, origin))
    })
    .await?;
    let (outcome, origin) = outcome;
    Ok(HttpResponse::Ok().json(user_json(&state, origin.org, &outcome.user, origin.now).await?))
}

/// The user an open, unexpired code of the organization invites; its row stays locked
/// until `tx` ends, so that a second acceptance of the code waits and then sees it used.
async fn invitee(
    tx: &usertrail_store::Transaction<'_>,
    org: usertrail_domain::OrgId,
    code: &str,
    now: OffsetDateTime,
) -> Result<User, ApiError> {
    let unknown = || ApiError::new(ErrorCode::NotFound, "no invitation has this code");
    let invitation = usertrail_store::lock_invitation_by_code(tx, &hash_secret(code))
        .await?
        .filter(|invitation| invitation.org_id == org)
        .ok_or_else(unknown)?;
    check_open(&invitation, now)?;
    let user = usertrail_store::load_user(tx, org, invitation.user_id)
        .await?
        .ok_or_else(unknown)?;
    if user.is_deleted() {
        return Err(ApiError::new(
            ErrorCode::InviteRevoked,
            "this invitation was revoked: the invited user was deleted",
        ));
    }
    Ok(user)
}

/// A used code is 409; an expired, revoked or replaced one is 410, each saying which.
fn check_open(invitation: &Invitation, now: OffsetDateTime) -> Result<(), ApiError> {
    let (code, message) = match invitation.state {
        InvitationState::Open if invitation.expires_at > now => return Ok(()),
        InvitationState::Open => (
            ErrorCode::InviteExpired,
            "this invitation has expired; ask for a new one",
        ),
        InvitationState::Used => (
            ErrorCode::InviteUsed,
            "this invitation was accepted already; sign in instead",
        ),
        InvitationState::Revoked => (ErrorCode::InviteRevoked, "this invitation was revoked"),
        InvitationState::Superseded => (
            ErrorCode::InviteSuperseded,
            "this invitation was replaced by a newer one; use the latest code",
        ),
    };
    Err(ApiError::new(code, message))
}

/// Stores a fresh code for `user` and returns it; the only time it exists in clear.
async fn open_code(
    tx: &usertrail_store::Transaction<'_>,
    user: &User,
    org: usertrail_domain::OrgId,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    let code = generate_code()?;
    let invitation = Invitation {
        id: Uuid::now_v7(),
        org_id: org,
        user_id: user.id,
        expires_at,
        state: InvitationState::Open,
    };
    usertrail_store::insert_invitation(tx, &invitation, &hash_secret(&code), now).await?;
    Ok(code)
}

/// 256 random bits, prefixed so that a leaked code is recognisable.
fn generate_code() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        super::door_error::store_error(usertrail_store::StoreError::Corrupt(error.to_string()))
    })?;
    Ok(format!("ut_invite_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

async fn with_code(
    state: &AppState,
    origin: &crate::app::Origin,
    user: &User,
    code: &str,
    expires_at: OffsetDateTime,
) -> Result<Value, ApiError> {
    let mut body = user_json(state, origin.org, user, origin.now).await?;
    body["invitation"] = json!({
        "code": code,
        "expires_at": expires_at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    });
    Ok(body)
}

/// A trimmed address with one `@` and something on both sides.
pub(super) fn parse_email(value: &str) -> Result<String, ApiError> {
    let email = value.trim();
    let valid = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(char::is_whitespace)
        && email.matches('@').count() == 1
        && email.len() <= 254;
    if valid {
        Ok(email.to_owned())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidBody,
            format!("{value:?} is not an email address"),
        ))
    }
}

fn invited_profile(email: &str, display_name: Option<&str>) -> Result<Profile, ApiError> {
    let mut attributes = Map::new();
    attributes.insert("userName".into(), json!(email));
    attributes.insert("emails".into(), json!([{"value": email, "primary": true}]));
    attributes.insert("active".into(), json!(false));
    if let Some(name) = display_name.map(str::trim).filter(|name| !name.is_empty()) {
        attributes.insert("displayName".into(), json!(name));
    }
    Ok(Profile::new(attributes)?)
}

/// The invited profile with the name the person chose, validated as SCIM attributes.
fn accepted_profile(
    user: &User,
    display_name: Option<String>,
    name: Option<Map<String, Value>>,
) -> Result<Profile, ApiError> {
    let mut attributes = user.profile.attributes().clone();
    if let Some(display_name) = display_name {
        attributes.insert("displayName".into(), Value::String(display_name));
    }
    if let Some(name) = name {
        attributes.insert("name".into(), Value::Object(name));
    }
    attributes.insert("active".into(), Value::Bool(true));
    super::profile_edit::validated(attributes)
}

/// Names the user in a not-found from the write path.
fn name_user(error: ApiError, id: UserId) -> ApiError {
    if error.code == ErrorCode::NotFound {
        super::users::not_found(id)
    } else {
        error
    }
}
