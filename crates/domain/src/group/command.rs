//! Commands: what a caller asks to happen to a group, in the imperative.

use std::collections::BTreeSet;

use super::GroupProfile;
use crate::UserId;

/// A request to change one group. A SCIM PATCH arrives here already applied: the resulting
/// attributes, and the members it adds and removes (never the whole membership).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCommand {
    /// Create a group with these attributes and members.
    Create {
        profile: GroupProfile,
        members: BTreeSet<UserId>,
    },
    /// Replace every attribute and the whole membership (SCIM PUT).
    Replace {
        profile: GroupProfile,
        members: BTreeSet<UserId>,
    },
    /// The result of a PATCH: the attributes after it, and the membership delta it asks for.
    /// Adding a member who is already one, or removing one who is not, changes nothing.
    Patch {
        profile: GroupProfile,
        add: BTreeSet<UserId>,
        remove: BTreeSet<UserId>,
    },
    AddMembers {
        members: BTreeSet<UserId>,
    },
    RemoveMembers {
        members: BTreeSet<UserId>,
    },
    /// Delete the group. Its history is kept.
    Delete,
}
