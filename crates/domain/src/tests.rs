//! Given/when/then tests of the aggregate: given past events, when a command
//! arrives, then these events (or this error) follow. No database involved.

use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::*;

fn profile(value: Value) -> Profile {
    serde_json::from_value(value).unwrap()
}

fn record(user_id: UserId, version: i64, event: UserEvent) -> RecordedEvent {
    RecordedEvent {
        event_id: Uuid::from_u128(version as u128),
        user_id,
        version,
        occurred_at: OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(version),
        source: if version == 1 {
            Source::Scim
        } else {
            Source::Admin
        },
        actor: Actor {
            kind: ActorKind::ScimClient,
            id: "token-1".into(),
            display: "Entra".into(),
        },
        event,
    }
}

struct Given {
    user_id: UserId,
    events: Vec<RecordedEvent>,
}

fn given(events: Vec<UserEvent>) -> Given {
    let user_id = UserId(Uuid::from_u128(7));
    let events = events
        .into_iter()
        .enumerate()
        .map(|(index, event)| record(user_id, index as i64 + 1, event))
        .collect();
    Given { user_id, events }
}

impl Given {
    fn state(&self) -> Option<User> {
        fold(&self.events).unwrap()
    }

    fn when(&self, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
        decide(self.state().as_ref(), command)
    }
}

fn ada() -> Profile {
    profile(json!({"userName": "ada@example.com", "name": {"givenName": "Ada"}}))
}

fn ada_renamed() -> Profile {
    profile(json!({"userName": "ada@example.com", "name": {"givenName": "Augusta"}}))
}

#[test]
fn given_nothing_when_created_then_user_created() {
    let then = given(vec![]).when(UserCommand::Create { profile: ada() });
    assert_eq!(then, Ok(vec![UserEvent::Created { profile: ada() }]));
}

#[test]
fn given_a_user_when_created_again_then_already_exists() {
    let then = given(vec![UserEvent::Created { profile: ada() }])
        .when(UserCommand::Create { profile: ada() });
    assert_eq!(then, Err(DomainError::AlreadyExists));
}

#[test]
fn given_a_user_when_replaced_with_other_attributes_then_user_replaced() {
    let then = given(vec![UserEvent::Created { profile: ada() }]).when(UserCommand::Replace {
        profile: ada_renamed(),
    });
    assert_eq!(
        then,
        Ok(vec![UserEvent::Replaced {
            profile: ada_renamed()
        }])
    );
}

#[test]
fn given_a_user_when_replaced_with_the_same_attributes_then_nothing_happens() {
    let then = given(vec![UserEvent::Created { profile: ada() }])
        .when(UserCommand::Replace { profile: ada() });
    assert_eq!(then, Ok(vec![]));
}

#[test]
fn given_a_user_when_patched_to_the_same_attributes_then_nothing_happens() {
    let then = given(vec![UserEvent::Created { profile: ada() }])
        .when(UserCommand::Patch { profile: ada() });
    assert_eq!(then, Ok(vec![]));
}

#[test]
fn given_a_user_when_patched_then_user_patched() {
    let then = given(vec![UserEvent::Created { profile: ada() }]).when(UserCommand::Patch {
        profile: ada_renamed(),
    });
    assert_eq!(
        then,
        Ok(vec![UserEvent::Patched {
            profile: ada_renamed()
        }])
    );
}

#[test]
fn given_nothing_when_replaced_patched_or_deleted_then_not_found() {
    let nothing = given(vec![]);
    assert_eq!(
        nothing.when(UserCommand::Replace { profile: ada() }),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        nothing.when(UserCommand::Patch { profile: ada() }),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        nothing.when(UserCommand::Delete),
        Err(DomainError::NotFound)
    );
}

#[test]
fn given_a_deleted_user_when_anything_then_not_found_or_already_exists() {
    let deleted = given(vec![
        UserEvent::Created { profile: ada() },
        UserEvent::Deleted,
    ]);
    assert_eq!(
        deleted.when(UserCommand::Delete),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        deleted.when(UserCommand::Patch { profile: ada() }),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        deleted.when(UserCommand::Create { profile: ada() }),
        Err(DomainError::AlreadyExists),
        "a deleted id is never reused, so its history stays its own"
    );
}

#[test]
fn given_a_user_when_the_password_changes_then_only_that_is_recorded() {
    let history = given(vec![UserEvent::Created { profile: ada() }]);
    let then = history.when(UserCommand::ChangePassword);
    assert_eq!(then, Ok(vec![UserEvent::PasswordChanged]));

    let mut events = history.events.clone();
    events.push(record(history.user_id, 2, UserEvent::PasswordChanged));
    let user = fold(&events).unwrap().unwrap();
    assert_eq!(user.profile, ada(), "the profile does not change");
    assert_eq!(user.version, 2);
    assert_eq!(user.last_event_type, "user_password_changed");
    assert_eq!(
        diff(history.state().as_ref(), &user).0,
        vec![],
        "nothing to show in a diff"
    );
}

#[test]
fn given_nothing_when_the_password_changes_then_not_found() {
    assert_eq!(
        given(vec![]).when(UserCommand::ChangePassword),
        Err(DomainError::NotFound)
    );
}

#[test]
fn folding_keeps_the_first_change_as_created_and_the_last_as_updated() {
    let history = given(vec![
        UserEvent::Created { profile: ada() },
        UserEvent::Patched {
            profile: ada_renamed(),
        },
    ]);
    let user = history.state().unwrap();
    assert_eq!(user.id, history.user_id);
    assert_eq!(user.version, 2);
    assert_eq!(user.created.source, Source::Scim);
    assert_eq!(user.updated.source, Source::Admin);
    assert_eq!(user.last_event_type, "user_patched");
    assert_eq!(user.profile, ada_renamed());
}

#[test]
fn an_inactive_profile_folds_to_deactivated_and_deletion_to_deleted() {
    let inactive = profile(json!({"userName": "ada@example.com", "active": false}));
    let history = given(vec![
        UserEvent::Created { profile: ada() },
        UserEvent::Patched { profile: inactive },
    ]);
    assert_eq!(history.state().unwrap().status, UserStatus::Deactivated);

    let deleted = given(vec![
        UserEvent::Created { profile: ada() },
        UserEvent::Deleted,
    ]);
    assert_eq!(deleted.state().unwrap().status, UserStatus::Deleted);
}

#[test]
fn a_log_with_a_version_gap_does_not_fold() {
    let user_id = UserId(Uuid::from_u128(7));
    let events = [
        record(user_id, 1, UserEvent::Created { profile: ada() }),
        record(user_id, 3, UserEvent::Deleted),
    ];
    assert_eq!(
        fold(&events),
        Err(FoldError::VersionGap {
            previous: 1,
            found: 3
        })
    );
}

#[test]
fn a_log_that_starts_without_a_creation_does_not_fold() {
    let events = [record(UserId(Uuid::nil()), 1, UserEvent::Deleted)];
    assert!(matches!(fold(&events), Err(FoldError::NoUser { .. })));
}

#[test]
fn the_diff_of_a_creation_adds_the_whole_document() {
    let user = given(vec![UserEvent::Created { profile: ada() }])
        .state()
        .unwrap();
    let mut rebuilt = json!({});
    json_patch::patch(&mut rebuilt, &diff(None, &user)).unwrap();
    assert_eq!(rebuilt, user.document());
}

#[test]
fn the_diff_of_a_patch_names_only_the_changed_attribute() {
    let history = given(vec![
        UserEvent::Created { profile: ada() },
        UserEvent::Patched {
            profile: ada_renamed(),
        },
    ]);
    let before = fold(&history.events[..1]).unwrap();
    let after = history.state().unwrap();
    let patch = serde_json::to_value(diff(before.as_ref(), &after)).unwrap();
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/profile/name/givenName", "value": "Augusta"}])
    );
}

fn arbitrary_command() -> impl Strategy<Value = UserCommand> {
    let names = prop::sample::select(vec!["ada", "grace", "edsger"]);
    let profile = (names, any::<bool>())
        .prop_map(|(name, active)| profile(json!({"userName": name, "active": active})));
    prop_oneof![
        profile
            .clone()
            .prop_map(|profile| UserCommand::Create { profile }),
        profile
            .clone()
            .prop_map(|profile| UserCommand::Replace { profile }),
        profile
            .clone()
            .prop_map(|profile| UserCommand::Patch { profile }),
        Just(UserCommand::ChangePassword),
        Just(UserCommand::Delete),
        door_command(profile),
    ]
}

/// The commands of the product's doors, with times and roles from small sets.
fn door_command(
    profile: impl Strategy<Value = Profile> + Clone + 'static,
) -> impl Strategy<Value = UserCommand> {
    let at = (0_i64..10).prop_map(|days| OffsetDateTime::UNIX_EPOCH + time::Duration::days(days));
    let role = prop::sample::select(Role::ALL.to_vec());
    let identity = prop::sample::select(vec!["s-1", "s-2"]).prop_map(|subject| Identity {
        issuer: "https://idp.test".into(),
        subject: subject.into(),
    });
    prop_oneof![
        (profile.clone(), role.clone(), at.clone()).prop_map(|(profile, role, expires_at)| {
            UserCommand::Invite {
                profile,
                role,
                expires_at,
            }
        }),
        at.clone()
            .prop_map(|expires_at| UserCommand::RenewInvite { expires_at }),
        Just(UserCommand::RevokeInvite),
        (profile.clone(), at).prop_map(|(profile, now)| UserCommand::AcceptInvite { profile, now }),
        profile
            .clone()
            .prop_map(|profile| UserCommand::Adopt { profile }),
        (profile, role.clone(), prop::option::of(identity.clone())).prop_map(
            |(profile, role, identity)| UserCommand::Join {
                profile,
                role,
                identity
            }
        ),
        identity.prop_map(|identity| UserCommand::LinkIdentity { identity }),
        role.prop_map(|role| UserCommand::ChangeRole { role }),
        Just(UserCommand::Deactivate),
        Just(UserCommand::Reactivate),
        prop::sample::select(vec!["a@one.test", "a@two.test"]).prop_map(|email| {
            UserCommand::ChangeEmail {
                email: email.into(),
            }
        }),
    ]
}

proptest! {
    /// Whatever commands arrive, the events that `decide` accepts always
    /// fold, and folding the whole log gives the state built step by step.
    #[test]
    fn decided_events_always_fold_back_into_the_same_state(
        commands in prop::collection::vec(arbitrary_command(), 0..20)
    ) {
        let user_id = UserId(Uuid::from_u128(1));
        let mut state: Option<User> = None;
        let mut log = Vec::new();
        for command in commands {
            let Ok(events) = decide(state.as_ref(), command) else { continue };
            for event in events {
                let version = state.as_ref().map_or(1, |user| user.version + 1);
                let recorded = record(user_id, version, event);
                state = Some(apply(state, &recorded).unwrap());
                log.push(recorded);
            }
        }
        prop_assert_eq!(fold(&log).unwrap(), state);
    }
}
