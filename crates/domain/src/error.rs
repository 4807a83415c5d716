//! The errors of the domain, one enum per concern.

/// A command that the current state does not allow. The HTTP layer maps each
/// variant to a status; the variant docs say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The user does not exist or was deleted (404).
    #[error("user not found")]
    NotFound,
    /// A create named an id that is already taken (409).
    #[error("a user with this id already exists")]
    AlreadyExists,
    /// The requested profile breaks an invariant of the aggregate (400).
    #[error("invalid profile: {0}")]
    InvalidProfile(String),
    /// The command needs an open invitation and the user has none (409).
    #[error("the user has no open invitation")]
    NotPending,
    /// The command needs a user who accepted their invitation (409).
    #[error("the user has not accepted their invitation yet; revoke the invitation instead")]
    StillPending,
    /// The invitation ran out before it was accepted (410).
    #[error("the invitation has expired; ask for a new one")]
    InviteExpired,
    /// The change touches an attribute that the organization's identity provider owns
    /// (409); the attempt writes no event.
    #[error("{field} is owned by the organization's identity provider (SCIM); change it there")]
    OwnedByIdp { field: &'static str },
}

/// The log holds a sequence of events that cannot have been produced by
/// `decide`. This means corruption or a bug, never bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("event {event_type} at version {version} needs an existing user or group")]
    NoUser {
        event_type: &'static str,
        version: i64,
    },
    #[error("a creation at version {version} for a user or group that already exists")]
    CreatedTwice { version: i64 },
    #[error("event at version {found} follows version {previous}")]
    VersionGap { previous: i64, found: i64 },
    #[error("event {event_type} at version {version} follows the deletion")]
    AfterDeletion {
        event_type: &'static str,
        version: i64,
    },
}

/// A stored event whose type, schema version or payload is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event type {event_type} has no schema version {schema_version}")]
    UnknownVersion {
        event_type: String,
        schema_version: i16,
    },
    #[error("payload of {event_type} does not decode: {reason}")]
    Payload { event_type: String, reason: String },
}
