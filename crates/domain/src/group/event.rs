//! Events: what happened to a group, in the past tense, as stored in `group_events`.
//!
//! Membership changes are deltas (`group_members_added` / `group_members_removed` name only
//! the users concerned), so one change in a 10 000-member group stores one id, not 10 000.
//! Each type has a payload schema version; `GroupEvent::decode` is where upcasters go.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{GroupId, GroupProfile};
use crate::{Actor, DecodeError, Source, UserId};

/// One change to one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    Created {
        profile: GroupProfile,
        members: BTreeSet<UserId>,
    },
    Replaced {
        profile: GroupProfile,
    },
    Patched {
        profile: GroupProfile,
    },
    MembersAdded {
        members: BTreeSet<UserId>,
    },
    MembersRemoved {
        members: BTreeSet<UserId>,
    },
    /// The group is gone, and with it the membership of `members`: every user the group
    /// held when it was deleted, so that each of their histories shows the end of it.
    Deleted {
        members: BTreeSet<UserId>,
    },
}

/// A group event together with the facts the log records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedGroupEvent {
    pub event_id: Uuid,
    pub group_id: GroupId,
    /// The group's version after this event; the first event is version 1.
    pub version: i64,
    pub occurred_at: OffsetDateTime,
    pub source: Source,
    pub actor: Actor,
    pub event: GroupEvent,
}

#[derive(Serialize, Deserialize)]
struct CreatedV1 {
    profile: GroupProfile,
    members: BTreeSet<UserId>,
}

#[derive(Serialize, Deserialize)]
struct ProfileV1 {
    profile: GroupProfile,
}

#[derive(Serialize, Deserialize)]
struct MembersV1 {
    members: BTreeSet<UserId>,
}

impl GroupEvent {
    pub const TYPES: &'static [&'static str] = &[
        "group_created",
        "group_replaced",
        "group_patched",
        "group_members_added",
        "group_members_removed",
        "group_deleted",
    ];

    /// The snake_case type stored in `group_events.event_type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            GroupEvent::Created { .. } => "group_created",
            GroupEvent::Replaced { .. } => "group_replaced",
            GroupEvent::Patched { .. } => "group_patched",
            GroupEvent::MembersAdded { .. } => "group_members_added",
            GroupEvent::MembersRemoved { .. } => "group_members_removed",
            GroupEvent::Deleted { .. } => "group_deleted",
        }
    }

    /// The version of the payload's shape; bump it with an upcaster.
    pub fn schema_version(&self) -> i16 {
        match self {
            // Version 1 of `group_deleted` had an empty payload; 2 names the members.
            GroupEvent::Deleted { .. } => 2,
            _ => 1,
        }
    }

    /// The payload as stored.
    pub fn payload(&self) -> Value {
        match self {
            GroupEvent::Created { profile, members } => {
                json!({ "profile": profile, "members": members })
            }
            GroupEvent::Replaced { profile } | GroupEvent::Patched { profile } => {
                json!({ "profile": profile })
            }
            GroupEvent::MembersAdded { members }
            | GroupEvent::MembersRemoved { members }
            | GroupEvent::Deleted { members } => json!({ "members": members }),
        }
    }

    /// The users whose membership this event starts or ends; `None` for the others.
    pub fn member_ids(&self) -> Option<&BTreeSet<UserId>> {
        match self {
            GroupEvent::Created { members, .. }
            | GroupEvent::MembersAdded { members }
            | GroupEvent::MembersRemoved { members }
            | GroupEvent::Deleted { members } => Some(members),
            _ => None,
        }
    }

    /// Decodes a stored event, upcasting old payload versions.
    pub fn decode(
        event_type: &str,
        schema_version: i16,
        payload: Value,
    ) -> Result<Self, DecodeError> {
        let latest = if event_type == "group_deleted" { 2 } else { 1 };
        if !(1..=latest).contains(&schema_version) {
            return Err(DecodeError::UnknownVersion {
                event_type: event_type.to_owned(),
                schema_version,
            });
        }
        match event_type {
            "group_created" => {
                decode::<CreatedV1>(event_type, payload).map(|created| GroupEvent::Created {
                    profile: created.profile,
                    members: created.members,
                })
            }
            "group_replaced" => {
                decode::<ProfileV1>(event_type, payload).map(|decoded| GroupEvent::Replaced {
                    profile: decoded.profile,
                })
            }
            "group_patched" => {
                decode::<ProfileV1>(event_type, payload).map(|decoded| GroupEvent::Patched {
                    profile: decoded.profile,
                })
            }
            "group_members_added" => {
                decode::<MembersV1>(event_type, payload).map(|decoded| GroupEvent::MembersAdded {
                    members: decoded.members,
                })
            }
            "group_members_removed" => {
                decode::<MembersV1>(event_type, payload).map(|decoded| GroupEvent::MembersRemoved {
                    members: decoded.members,
                })
            }
            // Upcaster: a version 1 deletion did not record the members it ended.
            "group_deleted" if schema_version == 1 => Ok(GroupEvent::Deleted {
                members: BTreeSet::new(),
            }),
            "group_deleted" => {
                decode::<MembersV1>(event_type, payload).map(|decoded| GroupEvent::Deleted {
                    members: decoded.members,
                })
            }
            other => Err(DecodeError::UnknownType(other.to_owned())),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    event_type: &str,
    payload: Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(payload).map_err(|error| DecodeError::Payload {
        event_type: event_type.to_owned(),
        reason: error.to_string(),
    })
}
