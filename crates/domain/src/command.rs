//! Commands: what a caller asks to happen to a user, in the imperative.

use time::OffsetDateTime;

use crate::{Identity, Profile, Role};

/// A request to change one user. Protocol details are resolved before a
/// command is built: a SCIM PATCH arrives here as the patched profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create a user with these attributes.
    Create {
        profile: Profile,
    },
    /// Replace every attribute (SCIM PUT).
    Replace {
        profile: Profile,
    },
    /// Change some attributes; `profile` is the result after the change.
    Patch {
        profile: Profile,
    },
    /// Record that the user's password changed. The hash travels beside the
    /// command to the credential store and never enters the log.
    ChangePassword,
    /// Delete the user. Its history and diagnostics are kept.
    Delete,
    /// Invite a person: a pending user whose invitation runs until `expires_at`.
    Invite {
        profile: Profile,
        role: Role,
        expires_at: OffsetDateTime,
    },
    /// Send a new invitation code to a pending user; the old one is dead.
    RenewInvite {
        expires_at: OffsetDateTime,
    },
    /// Withdraw an invitation: the pending user goes.
    RevokeInvite,
    /// The invited person accepts at `now`, with these attributes (their name set).
    AcceptInvite {
        profile: Profile,
        now: OffsetDateTime,
    },
    /// The identity provider provisions a user who entered through a product door (an
    /// invitation, pending or accepted, or a join): it takes the user over.
    Adopt {
        profile: Profile,
    },
    /// Someone joins through a product door (self-registration, SSO, email domain).
    Join {
        profile: Profile,
        role: Role,
        identity: Option<Identity>,
    },
    /// Link a single sign-on identity to an existing user.
    LinkIdentity {
        identity: Identity,
    },
    ChangeRole {
        role: Role,
    },
    Deactivate,
    Reactivate,
    /// Change the user's primary email to `email`, recording the old and new values.
    ChangeEmail {
        email: String,
    },
}
