//! The OpenAPI 3.1 description of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! annotations and the request types, and served at `GET /api/v1/openapi.json`.
//!
//! The response shapes below exist for the document only: handlers build their bodies from
//! the domain's types, and the integration tests check both against each other.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// A role of a user (`docs/adr/0010`); a test keeps it equal to `Role::ALL`.
#[derive(Debug, Serialize, ToSchema)]
#[expect(dead_code, reason = "a shape for the document only, never built")]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    Editor,
    Viewer,
    Member,
}

/// Whether the IdP owns userName, name, emails and active.
#[derive(Debug, Serialize, ToSchema)]
#[expect(dead_code, reason = "a shape for the document only, never built")]
#[serde(rename_all = "snake_case")]
pub enum IdpOwnershipName {
    Auto,
    On,
    Off,
}

/// The header a service token names its acting user with.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "a shape for the document only, never built")]
pub struct ActingUser {
    /// Service tokens only: the id of the user of the organization to act as.
    #[param(rename = "X-Actor-User")]
    x_actor_user: Option<uuid::Uuid>,
}

/// `{"error": {"code", "message"}}`; `code` is stable snake_case (see docs/api.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    code: String,
    message: String,
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorSchema {
    /// `scim_client`, `user`, `api_token` or `system`.
    kind: String,
    id: String,
    display: String,
}

/// A user as the diagnostics show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDiagnostics {
    id: uuid::Uuid,
    user_name: String,
    display_name: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    /// `active`, `pending`, `invite_expired`, `deactivated` or `deleted`.
    status: String,
    role: RoleName,
    invite_expires_at: Option<String>,
    identities: Vec<IdentitySchema>,
    version: i64,
    created_at: String,
    created_source: String,
    created_actor: ActorSchema,
    updated_at: String,
    updated_source: String,
    updated_actor: ActorSchema,
    last_event_type: String,
    /// How many live groups the user belongs to.
    groups_count: i64,
    /// The stored SCIM attributes.
    #[schema(value_type = Object)]
    attributes: serde_json::Value,
}

/// A single sign-on identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentitySchema {
    issuer: String,
    subject: String,
}

/// `{"user": ...}`
#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    user: UserDiagnostics,
}

/// A new invitation: the pending user and the code, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationEnvelope {
    user: UserDiagnostics,
    invitation: InvitationCode,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCode {
    code: String,
    expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    invitations: Vec<UserDiagnostics>,
}

/// The result of an SSO login: `created`, `linked`, `updated` or `unchanged`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoOutcome {
    outcome: String,
    user: UserDiagnostics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    users: Vec<UserDiagnostics>,
    next_cursor: Option<String>,
}

/// A user's history: `{"user_id", "events": [...]}` (see docs/api.md for an event).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserHistory {
    user_id: uuid::Uuid,
    #[schema(value_type = Vec<Object>)]
    events: Vec<serde_json::Value>,
}

/// The organization's settings at a version of its log.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSettingsView {
    version: i64,
    settings: OrgSettingsSchema,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSettingsSchema {
    allow_self_registration: bool,
    default_role: RoleName,
    idp_ownership: IdpOwnershipName,
    allowed_domains: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgEventList {
    #[schema(value_type = Vec<Object>)]
    events: Vec<serde_json::Value>,
}

/// A new personal token; `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    id: uuid::Uuid,
    label: String,
    user_id: uuid::Uuid,
    created_at: String,
    token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    tokens: Vec<TokenSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenSummary {
    id: uuid::Uuid,
    label: String,
    created_at: String,
    revoked_at: Option<String>,
}

/// Adds the bearer scheme that every operation uses.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "usertrail /api/v1",
        description = "Diagnostics, history, the product's doors, the admin panel's overview \
                       and the audit trail of the usertrail user directory. Every change is an \
                       event with a source and an actor."
    ),
    paths(
        super::users::list,
        super::users::get,
        super::users::events,
        super::admin::edit,
        super::admin::delete,
        super::admin::change_role,
        super::admin::deactivate,
        super::admin::reactivate,
        super::invites::create,
        super::invites::list,
        super::invites::resend,
        super::invites::revoke,
        super::invites::accept,
        super::joins::register,
        super::joins::domain_join,
        super::joins::sso_login,
        super::me::get,
        super::me::edit,
        super::me::change_email,
        super::me::create_token,
        super::me::list_tokens,
        super::me::revoke_token,
        super::org::get_settings,
        super::org::change_settings,
        super::org::allow_domain,
        super::org::disallow_domain,
        super::org::events,
        super::overview::changes,
        super::overview::scim_tokens,
        super::events::list,
        super::events::export,
        super::audit::public_key,
        super::audit::checkpoints,
        super::audit::sign_checkpoint,
        super::audit::verify,
        super::audit::proof,
        super::audit::access_log,
        openapi_json,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: this document. Public, like SCIM's discovery endpoints.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use usertrail_domain::Role;

    use super::*;

    #[test]
    fn the_documented_roles_are_the_domain_roles() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let documented = &document["components"]["schemas"]["RoleName"]["enum"];
        let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        assert_eq!(documented, &serde_json::json!(roles));
        assert_eq!(document["openapi"], "3.1.0");
    }

    #[test]
    fn write_operations_document_the_acting_user_header() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let parameters = &document["paths"]["/api/v1/users/{id}/deactivate"]["post"]["parameters"];
        let header = parameters
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["in"] == "header")
            .unwrap();
        assert_eq!(header["name"], "X-Actor-User");
        assert_eq!(header["required"], false);
    }
}
