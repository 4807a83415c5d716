//! How the errors of the write path become `/api/v1` errors: the domain's refusals and
//! the store's constraint violations each get their own code, never a bare 500.

use usertrail_domain::DomainError;
use usertrail_domain::org::OrgError;
use usertrail_store::StoreError;

use super::{ApiError, ErrorCode};
use crate::app::AppError;
use crate::password::PasswordError;
use crate::request::BodyError;

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Domain(domain) => domain.into(),
            AppError::Store(store) => store_error(store),
            AppError::VersionMismatch { .. } => {
                ApiError::new(ErrorCode::ConcurrentModification, error.to_string())
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        let code = match &error {
            DomainError::NotFound => ErrorCode::NotFound,
            DomainError::AlreadyExists => ErrorCode::EmailTaken,
            DomainError::InvalidProfile(_) => ErrorCode::InvalidBody,
            DomainError::NotPending => ErrorCode::NotPending,
            DomainError::StillPending => ErrorCode::StillPending,
            DomainError::InviteExpired => ErrorCode::InviteExpired,
            DomainError::OwnedByIdp { .. } => ErrorCode::IdpOwned,
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<OrgError> for ApiError {
    fn from(error: OrgError) -> Self {
        let code = match &error {
            OrgError::InvalidDomain(_) => ErrorCode::InvalidBody,
            OrgError::UnknownDomain(_) => ErrorCode::NotFound,
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        ApiError::new(ErrorCode::InvalidBody, error.to_string())
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Length => ApiError::new(ErrorCode::InvalidBody, error.to_string()),
            PasswordError::Hashing(_) => store_error(StoreError::Corrupt(error.to_string())),
        }
    }
}

/// The store's conflicts by name; anything else is a 500 logged with its cause.
pub(super) fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::UserNameTaken => ApiError::new(
            ErrorCode::EmailTaken,
            "a user with this email (as userName, compared without case) exists already",
        ),
        StoreError::IdentityTaken => ApiError::new(ErrorCode::IdentityTaken, error.to_string()),
        StoreError::ConcurrentModification => ApiError::new(
            ErrorCode::ConcurrentModification,
            "the user was changed by another request at the same time; retry",
        ),
        other => super::error::internal(&other),
    }
}
