//! Given/when/then tests of the group aggregate, and the property that decided events always
//! fold back into the state built step by step. No database involved.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::{Actor, ActorKind, Source};

fn profile(name: &str) -> GroupProfile {
    serde_json::from_value(json!({"displayName": name})).unwrap()
}

fn user(n: u128) -> UserId {
    UserId(Uuid::from_u128(n))
}

fn users(ids: &[u128]) -> BTreeSet<UserId> {
    ids.iter().copied().map(user).collect()
}

fn record(version: i64, event: GroupEvent) -> RecordedGroupEvent {
    RecordedGroupEvent {
        event_id: Uuid::from_u128(version as u128),
        group_id: GroupId(Uuid::from_u128(99)),
        version,
        occurred_at: OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(version),
        source: Source::Scim,
        actor: Actor {
            kind: ActorKind::ScimClient,
            id: "token-1".into(),
            display: "Okta".into(),
        },
        event,
    }
}

fn history(events: Vec<GroupEvent>) -> Vec<RecordedGroupEvent> {
    events
        .into_iter()
        .zip(1..)
        .map(|(event, version)| record(version, event))
        .collect()
}

fn given(events: Vec<GroupEvent>) -> Option<Group> {
    fold_group(&history(events)).unwrap()
}

fn ops_with(members: &[u128]) -> Vec<GroupEvent> {
    vec![GroupEvent::Created {
        profile: profile("Ops"),
        members: users(members),
    }]
}

#[test]
fn given_nothing_when_created_then_group_created_with_its_members() {
    let command = GroupCommand::Create {
        profile: profile("Ops"),
        members: users(&[1, 2]),
    };
    assert_eq!(decide_group(None, command), Ok(ops_with(&[1, 2])));
}

#[test]
fn given_a_group_when_created_again_then_already_exists() {
    let state = given(ops_with(&[]));
    let command = GroupCommand::Create {
        profile: profile("Ops"),
        members: users(&[]),
    };
    assert_eq!(
        decide_group(state.as_ref(), command),
        Err(GroupError::AlreadyExists)
    );
}

#[test]
fn given_a_group_when_replaced_then_the_rename_and_only_the_membership_delta_are_recorded() {
    let state = given(ops_with(&[1, 2, 3]));
    let command = GroupCommand::Replace {
        profile: profile("Operations"),
        members: users(&[2, 3, 4]),
    };
    assert_eq!(
        decide_group(state.as_ref(), command),
        Ok(vec![
            GroupEvent::Replaced {
                profile: profile("Operations")
            },
            GroupEvent::MembersAdded {
                members: users(&[4])
            },
            GroupEvent::MembersRemoved {
                members: users(&[1])
            },
        ])
    );
}

#[test]
fn given_a_group_when_replaced_with_the_same_attributes_and_members_then_nothing_happens() {
    let state = given(ops_with(&[1, 2]));
    let command = GroupCommand::Replace {
        profile: profile("Ops"),
        members: users(&[2, 1]),
    };
    assert_eq!(decide_group(state.as_ref(), command), Ok(vec![]));
}

#[test]
fn given_members_when_adding_existing_and_removing_absent_ones_then_only_real_changes_remain() {
    let state = given(ops_with(&[1, 2]));
    let add = GroupCommand::AddMembers {
        members: users(&[2, 3]),
    };
    assert_eq!(
        decide_group(state.as_ref(), add),
        Ok(vec![GroupEvent::MembersAdded {
            members: users(&[3])
        }])
    );
    let remove = GroupCommand::RemoveMembers {
        members: users(&[7]),
    };
    assert_eq!(decide_group(state.as_ref(), remove), Ok(vec![]));
}

#[test]
fn given_a_group_when_patched_then_attributes_and_membership_are_separate_events() {
    let state = given(ops_with(&[1]));
    let command = GroupCommand::Patch {
        profile: profile("Ops"),
        add: users(&[]),
        remove: users(&[1]),
    };
    assert_eq!(
        decide_group(state.as_ref(), command),
        Ok(vec![GroupEvent::MembersRemoved {
            members: users(&[1])
        }])
    );
}

#[test]
fn given_a_deleted_group_when_anything_then_not_found_and_its_id_is_never_reused() {
    let mut events = ops_with(&[1]);
    events.push(GroupEvent::Deleted {
        members: users(&[1]),
    });
    let state = given(events);
    assert_eq!(state.as_ref().map(|g| g.status), Some(GroupStatus::Deleted));
    assert_eq!(
        decide_group(state.as_ref(), GroupCommand::Delete),
        Err(GroupError::NotFound)
    );
    let create = GroupCommand::Create {
        profile: profile("Ops"),
        members: users(&[]),
    };
    assert_eq!(
        decide_group(state.as_ref(), create),
        Err(GroupError::AlreadyExists)
    );
}

#[test]
fn folding_membership_deltas_gives_the_resulting_set() {
    let mut events = ops_with(&[1, 2]);
    events.push(GroupEvent::MembersAdded {
        members: users(&[3]),
    });
    events.push(GroupEvent::MembersRemoved {
        members: users(&[1]),
    });
    let group = given(events).unwrap();
    assert_eq!(group.members, users(&[2, 3]));
    assert_eq!(group.version, 3);
    assert_eq!(group.last_event_type, "group_members_removed");
}

#[test]
fn a_group_log_that_starts_without_a_creation_does_not_fold() {
    let events = [record(
        1,
        GroupEvent::Deleted {
            members: BTreeSet::new(),
        },
    )];
    assert!(matches!(fold_group(&events), Err(FoldError::NoUser { .. })));
}

#[test]
fn the_diff_of_a_one_member_change_in_a_large_group_is_one_operation() {
    let before = given(ops_with(&(1..=10_000).collect::<Vec<_>>())).unwrap();
    let mut after = before.clone();
    after.members.insert(user(20_000));
    let patch = serde_json::to_value(diff_group(Some(&before), &after)).unwrap();
    assert_eq!(
        patch,
        json!([{"op": "add", "path": format!("/members/{}", user(20_000)), "value": true}])
    );
}

#[test]
fn applying_a_diff_to_the_document_before_gives_the_document_after() {
    let created = given(ops_with(&[1, 2])).unwrap();
    let mut rebuilt = json!({});
    json_patch::patch(&mut rebuilt, &diff_group(None, &created)).unwrap();
    assert_eq!(rebuilt, created.document());

    let mut changed = created.clone();
    changed.profile = profile("Renamed");
    changed.members = users(&[2, 5]);
    let mut document = created.document();
    json_patch::patch(&mut document, &diff_group(Some(&created), &changed)).unwrap();
    assert_eq!(document, changed.document());
}

#[test]
fn every_group_event_decodes_from_its_own_type_and_payload() {
    let events = [
        ops_with(&[1]).remove(0),
        GroupEvent::Replaced {
            profile: profile("A"),
        },
        GroupEvent::Patched {
            profile: profile("B"),
        },
        GroupEvent::MembersAdded {
            members: users(&[2]),
        },
        GroupEvent::MembersRemoved {
            members: users(&[2]),
        },
        GroupEvent::Deleted {
            members: users(&[1, 3]),
        },
    ];
    for event in events {
        assert!(GroupEvent::TYPES.contains(&event.event_type()));
        let decoded =
            GroupEvent::decode(event.event_type(), event.schema_version(), event.payload());
        assert_eq!(decoded, Ok(event));
    }
}

fn arbitrary_command() -> impl Strategy<Value = GroupCommand> {
    let names = prop::sample::select(vec!["Ops", "Dev", "ops"]);
    let profile = names.prop_map(profile);
    let members = prop::collection::btree_set((0u128..6).prop_map(user), 0..4);
    prop_oneof![
        (profile.clone(), members.clone())
            .prop_map(|(profile, members)| GroupCommand::Create { profile, members }),
        (profile.clone(), members.clone())
            .prop_map(|(profile, members)| GroupCommand::Replace { profile, members }),
        (profile, members.clone(), members.clone()).prop_map(|(profile, add, remove)| {
            GroupCommand::Patch {
                profile,
                add,
                remove,
            }
        }),
        members
            .clone()
            .prop_map(|members| GroupCommand::AddMembers { members }),
        members.prop_map(|members| GroupCommand::RemoveMembers { members }),
        Just(GroupCommand::Delete),
    ]
}

proptest! {
    /// Whatever commands arrive, the events `decide_group` accepts always fold, and folding
    /// the whole log gives the state built step by step; no event is ever a non-change.
    #[test]
    fn decided_group_events_always_fold_back_into_the_same_state(
        commands in prop::collection::vec(arbitrary_command(), 0..20)
    ) {
        let mut state: Option<Group> = None;
        let mut log = Vec::new();
        for command in commands {
            let Ok(events) = decide_group(state.as_ref(), command) else { continue };
            for event in events {
                let version = state.as_ref().map_or(1, |group| group.version + 1);
                let recorded = record(version, event);
                let next = apply_group(state.clone(), &recorded).unwrap();
                let before = state.as_ref().map(Group::document);
                prop_assert_ne!(Some(next.document()), before);
                state = Some(next);
                log.push(recorded);
            }
        }
        prop_assert_eq!(fold_group(&log).unwrap(), state);
    }
}

#[test]
fn given_a_group_with_members_when_deleted_then_the_event_names_every_member() {
    let state = given(ops_with(&[1, 2]));
    assert_eq!(
        decide_group(state.as_ref(), GroupCommand::Delete),
        Ok(vec![GroupEvent::Deleted {
            members: users(&[1, 2])
        }])
    );
}

#[test]
fn a_version_1_deletion_upcasts_to_one_that_names_no_members() {
    assert_eq!(
        GroupEvent::decode("group_deleted", 1, json!({})),
        Ok(GroupEvent::Deleted {
            members: BTreeSet::new()
        })
    );
    assert!(GroupEvent::decode("group_deleted", 3, json!({"members": []})).is_err());
    assert!(GroupEvent::decode("group_created", 2, json!({})).is_err());
}
