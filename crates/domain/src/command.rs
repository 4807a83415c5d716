//! Commands: what a caller asks to happen to a user, in the imperative.

use crate::Profile;

/// A request to change one user. Protocol details are resolved before a
/// command is built: a SCIM PATCH arrives here as the patched profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create a user with these attributes.
    Create { profile: Profile },
    /// Replace every attribute (SCIM PUT).
    Replace { profile: Profile },
    /// Change some attributes; `profile` is the result after the change.
    Patch { profile: Profile },
    /// Record that the user's password changed. The hash travels beside the
    /// command to the credential store and never enters the log.
    ChangePassword,
    /// Delete the user. Its history and diagnostics are kept.
    Delete,
}
