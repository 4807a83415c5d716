//! The group aggregate: a SCIM Group's attributes and its members (ids of users of the same
//! organization), the commands that change it, the events that record the change, and the
//! fold that derives the state from them.
//!
//! Membership is a set of user ids that events change by deltas. Whether an id names a live
//! user of the organization is checked by the application layer, which can ask the store;
//! this module stays free of I/O.

mod command;
mod decide;
mod event;
mod profile;

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::{Change, FoldError, UserId};

pub use crate::ids::GroupId;
pub use command::GroupCommand;
pub use decide::decide_group;
pub use event::{GroupEvent, RecordedGroupEvent};
pub use profile::GroupProfile;

/// A group command that the current state does not allow. Variant docs name the status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The group does not exist or was deleted (404).
    #[error("group not found")]
    NotFound,
    /// A create named an id that is already taken (409).
    #[error("a group with this id already exists")]
    AlreadyExists,
    /// The requested attributes break an invariant of the aggregate (400).
    #[error("invalid group: {0}")]
    InvalidProfile(String),
}

/// Where a group stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupStatus {
    Active,
    /// Gone from SCIM; kept so that its history still answers.
    Deleted,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Active => "active",
            GroupStatus::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(GroupStatus::Active),
            "deleted" => Some(GroupStatus::Deleted),
            _ => None,
        }
    }
}

/// The current state of one group, with the diagnostics of its first and last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub version: i64,
    pub status: GroupStatus,
    pub profile: GroupProfile,
    pub members: BTreeSet<UserId>,
    pub created: Change,
    pub updated: Change,
    pub last_event_type: &'static str,
}

impl Group {
    /// The document the log's diffs are computed over. Members are an object keyed by user
    /// id, so that a membership change diffs to one `add`/`remove` per member instead of
    /// shifting array positions.
    pub fn document(&self) -> Value {
        let members: Map<String, Value> = self
            .members
            .iter()
            .map(|id| (id.to_string(), Value::Bool(true)))
            .collect();
        json!({ "status": self.status.as_str(), "profile": self.profile, "members": members })
    }

    pub fn is_deleted(&self) -> bool {
        self.status == GroupStatus::Deleted
    }

    fn attributes_document(&self) -> Value {
        json!({ "status": self.status.as_str(), "profile": self.profile })
    }
}

/// Folds one recorded event onto the state before it.
pub fn apply_group(
    state: Option<Group>,
    recorded: &RecordedGroupEvent,
) -> Result<Group, FoldError> {
    let change = Change {
        at: recorded.occurred_at,
        source: recorded.source,
        actor: recorded.actor.clone(),
    };
    let event_type = recorded.event.event_type();
    let version = recorded.version;

    let Some(mut group) = state else {
        return created(recorded, change);
    };
    if version != group.version + 1 {
        return Err(FoldError::VersionGap {
            previous: group.version,
            found: version,
        });
    }
    if group.is_deleted() {
        return Err(FoldError::AfterDeletion {
            event_type,
            version,
        });
    }
    match &recorded.event {
        GroupEvent::Created { .. } => return Err(FoldError::CreatedTwice { version }),
        GroupEvent::Replaced { profile } | GroupEvent::Patched { profile } => {
            group.profile = profile.clone();
        }
        GroupEvent::MembersAdded { members } => group.members.extend(members),
        GroupEvent::MembersRemoved { members } => {
            group.members.retain(|member| !members.contains(member));
        }
        GroupEvent::Deleted { .. } => group.status = GroupStatus::Deleted,
    }
    group.version = version;
    group.updated = change;
    group.last_event_type = event_type;
    Ok(group)
}

fn created(recorded: &RecordedGroupEvent, change: Change) -> Result<Group, FoldError> {
    let event_type = recorded.event.event_type();
    let GroupEvent::Created { profile, members } = &recorded.event else {
        return Err(FoldError::NoUser {
            event_type,
            version: recorded.version,
        });
    };
    if recorded.version != 1 {
        return Err(FoldError::VersionGap {
            previous: 0,
            found: recorded.version,
        });
    }
    Ok(Group {
        id: recorded.group_id,
        version: 1,
        status: GroupStatus::Active,
        profile: profile.clone(),
        members: members.clone(),
        created: change.clone(),
        updated: change,
        last_event_type: event_type,
    })
}

/// Folds a group's events, oldest first, into its state; `None` for no events.
pub fn fold_group<'a>(
    events: impl IntoIterator<Item = &'a RecordedGroupEvent>,
) -> Result<Option<Group>, FoldError> {
    let mut state = None;
    for recorded in events {
        state = Some(apply_group(state, recorded)?);
    }
    Ok(state)
}

/// The RFC 6902 JSON Patch from `before` to `after` over [`Group::document`]. The members
/// part is computed from the two sets directly, so a one-member change in a large group
/// costs one operation and no walk over JSON arrays.
pub fn diff_group(before: Option<&Group>, after: &Group) -> json_patch::Patch {
    use json_patch::jsonptr::PointerBuf;
    use json_patch::{AddOperation, PatchOperation, RemoveOperation};

    let empty = json!({});
    let before_attributes = before.map_or(empty, Group::attributes_document);
    let mut operations = json_patch::diff(&before_attributes, &after.attributes_document()).0;
    let Some(before) = before else {
        operations.push(PatchOperation::Add(AddOperation {
            path: PointerBuf::from_tokens(["members"]),
            value: after.document()["members"].take(),
        }));
        return json_patch::Patch(operations);
    };
    let member_path = |id: &UserId| PointerBuf::from_tokens(["members".to_owned(), id.to_string()]);
    for added in after.members.difference(&before.members) {
        operations.push(PatchOperation::Add(AddOperation {
            path: member_path(added),
            value: Value::Bool(true),
        }));
    }
    for removed in before.members.difference(&after.members) {
        operations.push(PatchOperation::Remove(RemoveOperation {
            path: member_path(removed),
        }));
    }
    json_patch::Patch(operations)
}

#[cfg(test)]
mod tests;
