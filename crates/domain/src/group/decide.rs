//! The decision: given a group's state and a command, which events happen.

use std::collections::BTreeSet;

use super::{Group, GroupCommand, GroupError, GroupEvent, GroupProfile};
use crate::UserId;

/// Validates `command` against `state` and returns the events it causes; none when nothing
/// would change. Membership events carry only the users whose membership actually changes.
pub fn decide_group(
    state: Option<&Group>,
    command: GroupCommand,
) -> Result<Vec<GroupEvent>, GroupError> {
    let live = state.filter(|group| !group.is_deleted());
    match (live, command) {
        (None, GroupCommand::Create { profile, members }) if state.is_none() => {
            Ok(vec![GroupEvent::Created { profile, members }])
        }
        (_, GroupCommand::Create { .. }) => Err(GroupError::AlreadyExists),
        (None, _) => Err(GroupError::NotFound),
        (Some(group), GroupCommand::Replace { profile, members }) => {
            let add = members.difference(&group.members).copied().collect();
            let remove = group.members.difference(&members).copied().collect();
            Ok(changes(group, profile, add, remove, |profile| {
                GroupEvent::Replaced { profile }
            }))
        }
        (
            Some(group),
            GroupCommand::Patch {
                profile,
                add,
                remove,
            },
        ) => Ok(changes(group, profile, add, remove, |profile| {
            GroupEvent::Patched { profile }
        })),
        (Some(group), GroupCommand::AddMembers { members }) => {
            Ok(membership(group, members, BTreeSet::new()))
        }
        (Some(group), GroupCommand::RemoveMembers { members }) => {
            Ok(membership(group, BTreeSet::new(), members))
        }
        (Some(group), GroupCommand::Delete) => Ok(vec![GroupEvent::Deleted {
            members: group.members.clone(),
        }]),
    }
}

fn changes(
    group: &Group,
    profile: GroupProfile,
    add: BTreeSet<UserId>,
    remove: BTreeSet<UserId>,
    event: fn(GroupProfile) -> GroupEvent,
) -> Vec<GroupEvent> {
    let mut events = Vec::new();
    if group.profile != profile {
        events.push(event(profile));
    }
    events.extend(membership(group, add, remove));
    events
}

/// The membership events of a delta, restricted to real changes. A user named in both sets
/// ends up a member: removal is applied first, as a PATCH that removes then re-adds means.
fn membership(group: &Group, add: BTreeSet<UserId>, remove: BTreeSet<UserId>) -> Vec<GroupEvent> {
    let removed: BTreeSet<UserId> = remove
        .into_iter()
        .filter(|id| group.members.contains(id) && !add.contains(id))
        .collect();
    let added: BTreeSet<UserId> = add
        .into_iter()
        .filter(|id| !group.members.contains(id))
        .collect();
    let mut events = Vec::new();
    if !added.is_empty() {
        events.push(GroupEvent::MembersAdded { members: added });
    }
    if !removed.is_empty() {
        events.push(GroupEvent::MembersRemoved { members: removed });
    }
    events
}
