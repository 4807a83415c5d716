//! The one place where SCIM routes turn errors into responses: an RFC 7644
//! §3.12 body with `scimType` where the RFC defines one. Unexpected errors
//! are logged with their cause chain and answered without internal details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use usertrail_domain::{DomainError, GroupError};
use usertrail_scim::{ScimError, ScimType};
use usertrail_store::StoreError;

use crate::app::AppError;
use crate::auth::AuthError;
use crate::group_app::GroupAppError;
use crate::request::BodyError;

/// A SCIM route's error, always rendered as a SCIM error body.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScimApiError(pub ScimError);

impl ResponseError for ScimApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = super::scim_response(self.status_code());
        if self.0.status == 401 {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"usertrail\""));
        }
        response.json(self.0.to_body())
    }
}

impl From<ScimError> for ScimApiError {
    fn from(error: ScimError) -> Self {
        Self(error)
    }
}

impl From<AuthError> for ScimApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing | AuthError::Invalid => {
                ScimError::unauthorized(error.to_string()).into()
            }
            AuthError::WrongKind { .. } => ScimError::new(403, None, error.to_string()).into(),
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<StoreError> for ScimApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UserNameTaken => ScimError::conflict_uniqueness(
                "userName is already taken in this organization (compared without case)",
            )
            .into(),
            StoreError::GroupDisplayNameTaken => ScimError::conflict_uniqueness(
                "displayName is already taken by a group in this organization (compared \
                 without case)",
            )
            .into(),
            StoreError::ConcurrentModification => ScimError::new(
                409,
                None,
                "the resource was changed by another request at the same time; retry",
            )
            .into(),
            StoreError::UnsupportedQuery(detail) => {
                ScimError::bad_request(ScimType::InvalidFilter, detail).into()
            }
            other => internal(&other),
        }
    }
}

impl From<AppError> for ScimApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Domain(DomainError::NotFound) => {
                ScimError::not_found("resource not found").into()
            }
            AppError::Domain(DomainError::AlreadyExists) => {
                ScimError::conflict_uniqueness("a resource with this id already exists").into()
            }
            AppError::Domain(DomainError::InvalidProfile(detail)) => {
                ScimError::bad_request(ScimType::InvalidValue, detail).into()
            }
            // Refusals of the product's doors; SCIM routes do not send those commands, but
            // a SCIM error body still says what happened.
            AppError::Domain(
                error @ (DomainError::NotPending
                | DomainError::StillPending
                | DomainError::InviteExpired
                | DomainError::OwnedByIdp { .. }),
            ) => ScimError::new(409, None, error.to_string()).into(),
            AppError::VersionMismatch { current } => ScimError::new(
                412,
                None,
                format!("If-Match does not match the current version W/\"{current}\""),
            )
            .into(),
            AppError::Store(store) => store.into(),
        }
    }
}

impl From<GroupAppError> for ScimApiError {
    fn from(error: GroupAppError) -> Self {
        match error {
            GroupAppError::Domain(GroupError::NotFound) => {
                ScimError::not_found("resource not found").into()
            }
            GroupAppError::Domain(GroupError::AlreadyExists) => {
                ScimError::conflict_uniqueness("a resource with this id already exists").into()
            }
            GroupAppError::Domain(GroupError::InvalidProfile(detail)) => {
                ScimError::bad_request(ScimType::InvalidValue, detail).into()
            }
            GroupAppError::UnknownMembers(_) => {
                ScimError::bad_request(ScimType::InvalidValue, error.to_string()).into()
            }
            GroupAppError::VersionMismatch { current } => ScimError::new(
                412,
                None,
                format!("If-Match does not match the current version W/\"{current}\""),
            )
            .into(),
            GroupAppError::Store(store) => store.into(),
        }
    }
}

impl From<BodyError> for ScimApiError {
    fn from(error: BodyError) -> Self {
        let detail = error.to_string();
        match error {
            BodyError::TooLarge { .. } => ScimError::new(413, None, detail).into(),
            BodyError::Syntax(_) => ScimError::bad_request(ScimType::InvalidSyntax, detail).into(),
            BodyError::ContentType(_) => ScimError::new(415, None, detail).into(),
            BodyError::Read => ScimError::bad_request(ScimType::InvalidSyntax, detail).into(),
        }
    }
}

fn internal(error: &dyn std::error::Error) -> ScimApiError {
    tracing::error!(error = %crate::telemetry::error_chain(error), "request failed");
    ScimError::new(
        500,
        None,
        "internal error; the request id in x-request-id helps find it",
    )
    .into()
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn a_uniqueness_conflict_renders_as_a_scim_error_body() {
        let response = ScimApiError::from(StoreError::UserNameTaken).error_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let content_type = response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(content_type, "application/scim+json");
        let body: serde_json::Value =
            serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
    }
}
