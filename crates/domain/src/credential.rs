//! A password hash, as the credential store keeps it.
//!
//! The domain never looks inside: hashing happens at the edge, the log only
//! records that a password changed, and the hash goes to a table of its own.

use std::fmt;

/// A PHC-format password hash (`$argon2id$v=19$...`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash computed by a password hasher.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

/// Even a hash stays out of logs: it is what an offline guesser needs.
impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(****)")
    }
}
