//! The attribute table of the core Group schema, transcribed from RFC 7643 §4.2 and §8.7.1,
//! with the common attributes `id`, `externalId` and `meta` that every resource carries.

use super::AttrType::{Reference, String as Str};
use super::Mutability::{Immutable, ReadOnly};
use super::user_table::META;
use super::{AttributeDef as A, Returned, Uniqueness};

/// A member names a user by id. `display` is read-only: the server fills it from the user,
/// so a client's stale copy never overrides the user's own name.
const MEMBERS: &[A] = &[
    A::new("value", Str).case_exact().mutability(Immutable),
    A::new("$ref", Reference)
        .case_exact()
        .mutability(Immutable)
        .references(&["User", "Group"]),
    A::new("display", Str).mutability(ReadOnly),
    A::new("type", Str).mutability(Immutable),
];

/// Core Group attributes plus the common ones, as filters and PATCH paths may name them.
pub const GROUP_ATTRIBUTES: &[A] = &[
    A::new("id", Str)
        .case_exact()
        .mutability(ReadOnly)
        .returned(Returned::Always)
        .unique(Uniqueness::Server),
    A::new("externalId", Str).case_exact(),
    A::complex("meta", META).mutability(ReadOnly),
    A::new("displayName", Str)
        .required()
        .unique(Uniqueness::Server),
    A::complex("members", MEMBERS).multi(),
];
