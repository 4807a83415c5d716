//! Given/when/then tests of the decisions the product's doors add: invitations, adoption,
//! joins, identity links, roles, activation and email changes.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::*;

fn profile(value: Value) -> Profile {
    serde_json::from_value(value).unwrap()
}

fn invited_profile() -> Profile {
    profile(json!({
        "userName": "ada@example.com",
        "emails": [{"value": "ada@example.com", "primary": true}],
        "active": false,
    }))
}

fn accepted_profile() -> Profile {
    invited_profile()
        .with_active(true)
        .into_attributes()
        .into_iter()
        .chain([("displayName".to_owned(), json!("Ada Lovelace"))])
        .collect::<serde_json::Map<_, _>>()
        .try_into()
        .unwrap()
}

fn at(days: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(days)
}

fn fold_events(events: Vec<UserEvent>) -> Option<User> {
    let user_id = UserId(Uuid::from_u128(9));
    let recorded: Vec<RecordedEvent> = events
        .into_iter()
        .zip(1..)
        .map(|(event, version)| RecordedEvent {
            event_id: Uuid::from_u128(version as u128),
            user_id,
            version,
            occurred_at: at(version),
            source: Source::Invite,
            actor: Actor {
                kind: ActorKind::User,
                id: "admin-1".into(),
                display: "Grace".into(),
            },
            event,
        })
        .collect();
    fold(&recorded).unwrap()
}

fn when(given: Vec<UserEvent>, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
    decide(fold_events(given).as_ref(), command)
}

fn invited() -> UserEvent {
    UserEvent::Invited {
        profile: invited_profile(),
        role: Role::Editor,
        expires_at: at(7),
    }
}

#[test]
fn given_nothing_when_invited_then_a_pending_user_with_the_role_and_expiry() {
    let then = when(
        vec![],
        UserCommand::Invite {
            profile: invited_profile(),
            role: Role::Editor,
            expires_at: at(7),
        },
    );
    assert_eq!(then, Ok(vec![invited()]));
    let user = fold_events(vec![invited()]).unwrap();
    assert_eq!(user.status, UserStatus::Pending);
    assert_eq!(user.role, Role::Editor);
    assert_eq!(user.status_at(at(6)), "pending");
    assert_eq!(user.status_at(at(7)), "invite_expired");
}

#[test]
fn given_an_invite_when_accepted_in_time_then_invite_accepted_and_active() {
    let command = UserCommand::AcceptInvite {
        profile: accepted_profile(),
        now: at(6),
    };
    let then = when(vec![invited()], command).unwrap();
    assert_eq!(
        then,
        vec![UserEvent::InviteAccepted {
            profile: accepted_profile()
        }]
    );
    let user = fold_events(vec![invited(), then[0].clone()]).unwrap();
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.invite_expires_at, None);
    assert_eq!(user.status_at(at(100)), "active");
}

#[test]
fn given_an_invite_when_accepted_after_expiry_then_invite_expired() {
    let command = UserCommand::AcceptInvite {
        profile: accepted_profile(),
        now: at(7),
    };
    assert_eq!(
        when(vec![invited()], command),
        Err(DomainError::InviteExpired)
    );
}

#[test]
fn given_an_expired_invite_when_renewed_then_the_new_expiry_counts() {
    let renewed = UserEvent::InviteRenewed { expires_at: at(20) };
    let then = when(
        vec![invited()],
        UserCommand::RenewInvite { expires_at: at(20) },
    );
    assert_eq!(then, Ok(vec![renewed.clone()]));
    let user = fold_events(vec![invited(), renewed]).unwrap();
    assert_eq!(user.status_at(at(10)), "pending");
}

#[test]
fn given_an_accepted_user_when_renewed_or_revoked_then_not_pending() {
    let accepted = UserEvent::InviteAccepted {
        profile: accepted_profile(),
    };
    let given = || vec![invited(), accepted.clone()];
    let renew = UserCommand::RenewInvite { expires_at: at(20) };
    assert_eq!(when(given(), renew), Err(DomainError::NotPending));
    assert_eq!(
        when(given(), UserCommand::RevokeInvite),
        Err(DomainError::NotPending)
    );
}

#[test]
fn given_an_invite_when_revoked_then_the_user_is_gone() {
    let then = when(vec![invited()], UserCommand::RevokeInvite);
    assert_eq!(then, Ok(vec![UserEvent::InviteRevoked]));
    let user = fold_events(vec![invited(), UserEvent::InviteRevoked]).unwrap();
    assert!(user.is_deleted());
}

#[test]
fn given_an_invite_when_scim_adopts_it_then_adopted_keeping_the_role() {
    let scim = profile(json!({"userName": "ada@example.com", "externalId": "e-1"}));
    let then = when(
        vec![invited()],
        UserCommand::Adopt {
            profile: scim.clone(),
        },
    )
    .unwrap();
    assert_eq!(then, vec![UserEvent::Adopted { profile: scim }]);
    let user = fold_events(vec![invited(), then[0].clone()]).unwrap();
    assert_eq!((user.status, user.role), (UserStatus::Active, Role::Editor));
}

#[test]
fn given_an_accepted_invite_when_adopted_then_adopted_and_managed_by_the_idp() {
    let accepted = UserEvent::InviteAccepted {
        profile: accepted_profile(),
    };
    let adopt = || UserCommand::Adopt {
        profile: accepted_profile(),
    };
    let then = when(vec![invited(), accepted.clone()], adopt()).unwrap();
    let user = fold_events(vec![invited(), accepted.clone(), then[0].clone()]).unwrap();
    assert!(user.idp_managed);
    let again = when(vec![invited(), accepted, then[0].clone()], adopt());
    assert_eq!(again, Err(DomainError::AlreadyExists));
}

#[test]
fn given_a_scim_user_when_adopted_then_already_exists() {
    let created = UserEvent::Created {
        profile: accepted_profile(),
    };
    let adopt = UserCommand::Adopt {
        profile: accepted_profile(),
    };
    assert_eq!(when(vec![created], adopt), Err(DomainError::AlreadyExists));
}

#[test]
fn given_a_pending_user_when_deactivated_then_still_pending_is_refused() {
    assert_eq!(
        when(vec![invited()], UserCommand::Deactivate),
        Err(DomainError::StillPending)
    );
}

#[test]
fn given_an_active_user_when_deactivated_twice_then_one_event() {
    let joined = UserEvent::Joined {
        profile: accepted_profile(),
        role: Role::Member,
        identity: None,
    };
    let then = when(vec![joined.clone()], UserCommand::Deactivate);
    assert_eq!(then, Ok(vec![UserEvent::Deactivated]));
    let again = when(
        vec![joined.clone(), UserEvent::Deactivated],
        UserCommand::Deactivate,
    );
    assert_eq!(again, Ok(vec![]));
    let user = fold_events(vec![joined, UserEvent::Deactivated]).unwrap();
    assert_eq!(user.status, UserStatus::Deactivated);
    assert!(!user.profile.active());
}

#[test]
fn given_a_linked_identity_when_linked_again_then_nothing_happens() {
    let identity = Identity {
        issuer: "https://idp.test".into(),
        subject: "42".into(),
    };
    let joined = UserEvent::Joined {
        profile: accepted_profile(),
        role: Role::Member,
        identity: Some(identity.clone()),
    };
    let then = when(vec![joined], UserCommand::LinkIdentity { identity });
    assert_eq!(then, Ok(vec![]));
}

#[test]
fn given_a_user_when_the_role_changes_then_role_changed_and_same_role_is_nothing() {
    let joined = UserEvent::Joined {
        profile: accepted_profile(),
        role: Role::Member,
        identity: None,
    };
    let then = when(
        vec![joined.clone()],
        UserCommand::ChangeRole { role: Role::Admin },
    );
    assert_eq!(then, Ok(vec![UserEvent::RoleChanged { role: Role::Admin }]));
    assert_eq!(
        when(vec![joined], UserCommand::ChangeRole { role: Role::Member }),
        Ok(vec![])
    );
}

#[test]
fn given_a_user_when_the_email_changes_then_old_and_new_are_recorded() {
    let joined = UserEvent::Joined {
        profile: accepted_profile(),
        role: Role::Member,
        identity: None,
    };
    let then = when(
        vec![joined],
        UserCommand::ChangeEmail {
            email: "ada@new.test".into(),
        },
    );
    let events = then.unwrap();
    let UserEvent::EmailChanged { old, new, profile } = &events[0] else {
        panic!("expected an email change, got {events:?}");
    };
    assert_eq!(old.as_deref(), Some("ada@example.com"));
    assert_eq!(new, "ada@new.test");
    assert_eq!(profile.primary_email(), Some("ada@new.test"));
    assert_eq!(profile.attributes()["emails"].as_array().unwrap().len(), 1);
}

#[test]
fn the_role_and_the_expiry_are_part_of_the_diffed_document() {
    let user = fold_events(vec![invited()]).unwrap();
    let document = user.document();
    assert_eq!(document["role"], "editor");
    assert_eq!(document["invite_expires_at"], "1970-01-08T00:00:00Z");
}

#[test]
fn given_an_invite_when_the_user_is_deleted_then_the_expiry_goes_too() {
    let then = when(vec![invited()], UserCommand::Delete);
    assert_eq!(then, Ok(vec![UserEvent::Deleted]));
    let user = fold_events(vec![invited(), UserEvent::Deleted]).unwrap();
    assert_eq!(
        (user.status, user.invite_expires_at),
        (UserStatus::Deleted, None)
    );
}
