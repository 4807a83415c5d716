//! The user and group aggregates, free of I/O: what a user or a group is, which
//! commands change it, which events record the change, and how events fold
//! back into state.
//!
//! The write path is `decide(state, command) -> events`, then
//! `apply(state, event) -> state` for each event. The store persists events
//! and a projection of the folded state; because both come from this crate,
//! a projection can always be rebuilt by folding the log again.

mod command;
mod credential;
mod decide;
mod door_events;
mod error;
mod event;
pub mod group;
mod ids;
pub mod org;
mod ownership;
mod profile;
mod provenance;
mod role;
mod user;

pub use command::UserCommand;
pub use credential::PasswordHash;
pub use decide::decide;
pub use error::{DecodeError, DomainError, FoldError};
pub use event::{RecordedEvent, UserEvent};
pub use group::{
    Group, GroupCommand, GroupError, GroupEvent, GroupId, GroupProfile, GroupStatus,
    RecordedGroupEvent, apply_group, decide_group, diff_group, fold_group,
};
pub use ids::{OrgId, UserId};
pub use ownership::{IDP_OWNED_FIELDS, guard_idp_owned};
pub use profile::Profile;
pub use provenance::{Actor, ActorKind, ParseEnumError, Source};
pub use role::{Identity, Role};
pub use user::{Change, User, UserStatus, apply, diff, fold};

#[cfg(test)]
mod door_tests;
#[cfg(test)]
mod tests;
