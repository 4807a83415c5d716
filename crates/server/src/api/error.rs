//! The one place where `/api/v1` errors become responses: a small, stable
//! JSON body `{"error": {"code": "...", "message": "..."}}` whose `code` is
//! a snake_case value from `ErrorCode`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::json;
use usertrail_store::StoreError;

use crate::auth::AuthError;

/// Every error code the JSON API returns; each variant's doc is its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: no bearer token.
    MissingToken,
    /// 401: unknown or revoked token.
    InvalidToken,
    /// 403: the token may not use this endpoint.
    Forbidden,
    /// 404
    NotFound,
    /// 400: a query parameter has a bad value.
    InvalidParameter,
    /// 400: a pagination cursor that this server did not issue.
    InvalidCursor,
    /// 422: an Idempotency-Key sent again with a different request.
    IdempotencyKeyReused,
    /// 409: the first request with this Idempotency-Key is still running; retry later.
    IdempotencyKeyInProgress,
    /// 409: no checkpoint covers the event yet; sign one and ask again.
    NotCheckpointed,
    /// 503: no signing key is configured (SIGNING_KEY_PATH).
    SigningKeyMissing,
    /// 500: unexpected; details are in the server's log under the request id.
    Internal,
    // The product's doors (issue 4); `docs/api.md` lists when each one happens.
    /// 400: the JSON body is missing a field, has a wrong type, or a bad value.
    InvalidBody,
    /// 403: only a service token may name an acting user with `X-Actor-User`.
    ActorNotAllowed,
    /// 403: `X-Actor-User` names no live, active user of the token's organization.
    UnknownActor,
    /// 403: this endpoint acts as a user; send `X-Actor-User` or use a personal token.
    ActorRequired,
    /// 403: the acting user is not an admin of the organization.
    AdminRequired,
    /// 403: the organization does not allow self-registration.
    SelfRegistrationDisabled,
    /// 403: the email's domain is not one the organization allows to join.
    DomainNotAllowed,
    /// 403: the email is not verified, and this door needs a verified one.
    EmailNotVerified,
    /// 409: a live user of the organization has this email (as userName) already.
    EmailTaken,
    /// 409: the user has no open invitation.
    NotPending,
    /// 409: the user has not accepted their invitation yet.
    StillPending,
    /// 409: the invitation code was used already.
    InviteUsed,
    /// 409: the field is owned by the organization's identity provider.
    IdpOwned,
    /// 409: the single sign-on identity is linked to another user.
    IdentityTaken,
    /// 409: another request changed the same user at the same time; retry.
    ConcurrentModification,
    /// 410: the invitation has expired.
    InviteExpired,
    /// 410: the invitation was revoked.
    InviteRevoked,
    /// 410: the invitation was replaced by a newer one (resend).
    InviteSuperseded,
}

impl ErrorCode {
    fn status(self) -> StatusCode {
        match self {
            ErrorCode::MissingToken | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidParameter | ErrorCode::InvalidCursor => StatusCode::BAD_REQUEST,
            ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotCheckpointed | ErrorCode::IdempotencyKeyInProgress => {
                StatusCode::CONFLICT
            }
            ErrorCode::SigningKeyMissing => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InvalidBody => StatusCode::BAD_REQUEST,
            ErrorCode::ActorNotAllowed
            | ErrorCode::UnknownActor
            | ErrorCode::ActorRequired
            | ErrorCode::AdminRequired
            | ErrorCode::SelfRegistrationDisabled
            | ErrorCode::DomainNotAllowed
            | ErrorCode::EmailNotVerified => StatusCode::FORBIDDEN,
            ErrorCode::EmailTaken
            | ErrorCode::NotPending
            | ErrorCode::StillPending
            | ErrorCode::InviteUsed
            | ErrorCode::IdpOwned
            | ErrorCode::IdentityTaken
            | ErrorCode::ConcurrentModification => StatusCode::CONFLICT,
            ErrorCode::InviteExpired | ErrorCode::InviteRevoked | ErrorCode::InviteSuperseded => {
                StatusCode::GONE
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .json(json!({ "error": { "code": self.code, "message": self.message } }))
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let code = match &error {
            AuthError::Missing => ErrorCode::MissingToken,
            AuthError::Invalid => ErrorCode::InvalidToken,
            AuthError::WrongKind { .. } => ErrorCode::Forbidden,
            AuthError::Store(_) => return internal(&error),
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        super::door_error::store_error(error)
    }
}

pub(super) fn internal(error: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %crate::telemetry::error_chain(error), "request failed");
    ApiError::new(
        ErrorCode::Internal,
        "internal error; quote the x-request-id header to find it",
    )
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn an_error_renders_its_snake_case_code_and_message() {
        let error = ApiError::new(ErrorCode::InvalidCursor, "cursor is not one of ours");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value =
            serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "invalid_cursor", "message": "cursor is not one of ours"}})
        );
    }
}
