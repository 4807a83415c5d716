//! The JSON API under `/api/v1` for the product's backend and for auditors:
//! today the diagnostics of users and their history.

mod audit;
mod error;
mod events;
mod export_format;
mod users;

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use usertrail_store::{Token, TokenKind};

pub use error::{ApiError, ErrorCode};
pub use export_format::{csv_header, write_entry};

use crate::auth::{self, AuthError};
use crate::startup::AppState;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .route("/users", web::get().to(users::list))
            .route("/users/{id}", web::get().to(users::get))
            .route("/users/{id}/events", web::get().to(users::events))
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
            TokenKind::Scim => Err(AuthError::WrongKind {
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
