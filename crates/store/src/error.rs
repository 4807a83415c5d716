//! The store's error type. Conflicts come from database constraints and are
//! recognised here by SQLSTATE and constraint name, never by reading first.

use tokio_postgres::error::SqlState;

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another live user of the organization has this userName, in any case
    /// (409 `uniqueness`).
    #[error("userName is already taken in this organization")]
    UserNameTaken,
    /// Another live group of the organization has this displayName, in any case (409
    /// `uniqueness`).
    #[error("displayName is already taken by a group in this organization")]
    GroupDisplayNameTaken,
    /// Another writer appended to the same user or group first (409 or 412 upstream;
    /// the caller may retry with fresh state).
    #[error("the user was changed concurrently")]
    ConcurrentModification,
    /// The single sign-on identity is linked to another user already (409).
    #[error("this single sign-on identity is linked to another user")]
    IdentityTaken,
    /// An organization with this slug exists already.
    #[error("organization {0:?} already exists")]
    OrganizationExists(String),
    /// The log holds something the domain cannot fold (500; never input).
    #[error("the event log is inconsistent: {0}")]
    Corrupt(String),
    /// The request names something the query language cannot express (400).
    #[error("{0}")]
    UnsupportedQuery(String),
    #[error("database error")]
    Database(#[source] tokio_postgres::Error),
    #[error("could not get a database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("migration failed")]
    Migration(#[from] refinery::Error),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        let Some(db) = error.as_db_error() else {
            return StoreError::Database(error);
        };
        if *db.code() != SqlState::UNIQUE_VIOLATION {
            return StoreError::Database(error);
        }
        match db.constraint() {
            Some("users_user_name_key") => StoreError::UserNameTaken,
            Some("groups_display_name_key") => StoreError::GroupDisplayNameTaken,
            Some("user_identities_pkey") => StoreError::IdentityTaken,
            Some(
                "user_events_version_key" | "group_events_version_key" | "org_events_version_key",
            ) => StoreError::ConcurrentModification,
            _ => StoreError::Database(error),
        }
    }
}

impl From<usertrail_domain::FoldError> for StoreError {
    fn from(error: usertrail_domain::FoldError) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl From<usertrail_domain::DecodeError> for StoreError {
    fn from(error: usertrail_domain::DecodeError) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl From<crate::audit::canonical::CanonicalError> for StoreError {
    fn from(error: crate::audit::canonical::CanonicalError) -> Self {
        StoreError::Corrupt(format!("a log record without a canonical form: {error}"))
    }
}
