//! The JSON API under `/api/v1`: the product's doors, the diagnostics of users and their
//! history, the admin panel's overview, and the auditors' ledger, queries and exports.

mod admin;
mod audit;
mod body;
mod caller;
mod door_error;
mod error;
mod events;
mod export_format;
mod invites;
mod joins;
mod me;
mod openapi;
mod org;
mod overview;
mod profile_edit;
mod users;

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use usertrail_store::{Token, TokenKind};

pub use body::connection;
pub use error::{ApiError, ErrorCode};
pub use export_format::{csv_header, csv_row};

use crate::auth::{self, AuthError};
use crate::startup::AppState;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(
                crate::idempotency::door_writes,
            ))
            .route("/users", web::get().to(users::list))
            .service(
                web::resource("/users/{id}")
                    .route(web::get().to(users::get))
                    .route(web::patch().to(admin::edit))
                    .route(web::delete().to(admin::delete)),
            )
            .route("/users/{id}/events", web::get().to(users::events))
            .route("/overview/changes", web::get().to(overview::changes))
            .route(
                "/overview/scim-tokens",
                web::get().to(overview::scim_tokens),
            )
            .configure(door_routes)
            .route("/events", web::get().to(events::list))
            .route("/events/export", web::get().to(events::export))
            .route("/audit/public-key", web::get().to(audit::public_key))
            .route("/audit/checkpoints", web::get().to(audit::checkpoints))
            .route("/audit/checkpoints", web::post().to(audit::sign_checkpoint))
            .route("/audit/verify", web::get().to(audit::verify))
            .route(
                "/audit/events/{event_id}/proof",
                web::get().to(audit::proof),
            )
            .route("/audit/access-log", web::get().to(audit::access_log))
            .default_service(web::to(not_found)),
    );
}

/// The product's doors (issue 4): invitations, joins, admin and self-service edits.
fn door_routes(config: &mut web::ServiceConfig) {
    config
        .route("/users/{id}/role", web::put().to(admin::change_role))
        .route("/users/{id}/deactivate", web::post().to(admin::deactivate))
        .route("/users/{id}/reactivate", web::post().to(admin::reactivate))
        .service(
            web::resource("/invitations")
                .route(web::get().to(invites::list))
                .route(web::post().to(invites::create)),
        )
        // Before `/invitations/{id}`, which would otherwise take "accept" for an id.
        .route("/invitations/accept", web::post().to(invites::accept))
        .route("/invitations/{id}", web::delete().to(invites::revoke))
        .route("/invitations/{id}/resend", web::post().to(invites::resend))
        .route("/registrations", web::post().to(joins::register))
        .route("/domain-joins", web::post().to(joins::domain_join))
        .route("/sso/logins", web::post().to(joins::sso_login))
        .service(
            web::resource("/me")
                .route(web::get().to(me::get))
                .route(web::patch().to(me::edit)),
        )
        .route("/me/email", web::put().to(me::change_email))
        .service(
            web::resource("/me/tokens")
                .route(web::get().to(me::list_tokens))
                .route(web::post().to(me::create_token)),
        )
        .route("/me/tokens/{id}", web::delete().to(me::revoke_token))
        .service(
            web::resource("/org/settings")
                .route(web::get().to(org::get_settings))
                .route(web::patch().to(org::change_settings)),
        )
        .route("/org/domains", web::post().to(org::allow_domain))
        .route(
            "/org/domains/{domain}",
            web::delete().to(org::disallow_domain),
        )
        .route("/org/events", web::get().to(org::events))
        .route("/openapi.json", web::get().to(openapi::openapi_json));
}

/// A caller of the JSON API: a `service` or `auditor` token.
pub struct ApiCaller {
    pub token: Token,
}

impl ApiCaller {
    /// Authenticates a token allowed to read diagnostics.
    pub async fn reader(state: &AppState, request: &HttpRequest) -> Result<Self, ApiError> {
        let token = auth::authenticate(&state.pool, &state.tokens, request).await?;
        match token.kind {
            TokenKind::Service | TokenKind::Auditor => Ok(Self { token }),
            TokenKind::Scim | TokenKind::Personal => Err(AuthError::WrongKind {
                actual: token.kind,
                expected: "service or auditor",
            }
            .into()),
        }
    }
}

async fn not_found(request: HttpRequest) -> HttpResponse {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no endpoint at {}", request.path()),
    )
    .error_response()
}
