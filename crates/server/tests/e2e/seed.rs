//! Users from every door, at known times in the past: SCIM ones over HTTP as an identity
//! provider sends them, the others through the application layer that the product's doors
//! call, each with its own source and actor.

use reqwest::Method;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use usertrail_domain::{Actor, ActorKind, Profile, Role, Source, User, UserCommand, UserId};
use usertrail_server::app::{AppError, Origin, execute};
use usertrail_store::RequestMeta;
use uuid::Uuid;

use crate::helpers::{TestApp, json_with_status};

/// One seeded user.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub id: String,
    pub source: Source,
}

fn origin(app: &TestApp, source: Source, now: OffsetDateTime) -> Origin {
    let actor = match source {
        Source::Admin => Actor {
            kind: ActorKind::User,
            id: Uuid::from_u128(7).to_string(),
            display: "Alice Admin".into(),
        },
        Source::Api | Source::System => Actor {
            kind: ActorKind::ApiToken,
            id: Uuid::from_u128(8).to_string(),
            display: "backend".into(),
        },
        _ => Actor {
            kind: ActorKind::User,
            id: Uuid::from_u128(9).to_string(),
            display: "the user".into(),
        },
    };
    Origin {
        org: app.org.id,
        source,
        actor,
        request: RequestMeta::default(),
        now,
    }
}

fn profile(attributes: Value) -> Profile {
    let Value::Object(attributes) = attributes else {
        panic!("attributes are an object")
    };
    Profile::new(attributes).unwrap()
}

/// Runs `command` for `id` through `source`, `age` ago.
async fn run(app: &TestApp, source: Source, id: UserId, age: Duration, command: UserCommand) {
    let now = app.now() - age;
    let command = &command;
    execute(
        &app.pool,
        &origin(app, source, now),
        id,
        None,
        None,
        |_: Option<&User>| -> Result<UserCommand, AppError> { Ok(command.clone()) },
    )
    .await
    .unwrap();
}

/// A user who came through `source` `age` ago: an invitation accepted five minutes later
/// for `invite`, a join for the other doors (an admin or an API client adding a user, as a
/// product backend does through the application layer, is a join with that source).
pub async fn via(app: &TestApp, source: Source, given: &str, age: Duration) -> Seeded {
    let user_name = format!("{}@example.com", given.to_lowercase());
    let attributes = json!({
        "userName": user_name,
        "name": {"givenName": given, "familyName": "Seed"},
        "emails": [{"value": user_name, "primary": true}],
    });
    let id = UserId(Uuid::now_v7());
    if source == Source::Invite {
        let mut invited = attributes.clone();
        invited["active"] = json!(false);
        let invite = UserCommand::Invite {
            profile: profile(invited),
            role: Role::Member,
            expires_at: app.now() - age + Duration::days(7),
        };
        run(app, source, id, age, invite).await;
        let accepted = age - Duration::minutes(5);
        let accept = UserCommand::AcceptInvite {
            profile: profile(attributes),
            now: app.now() - accepted,
        };
        run(app, source, id, accepted, accept).await;
    } else {
        let join = UserCommand::Join {
            profile: profile(attributes),
            role: Role::Member,
            identity: None,
        };
        run(app, source, id, age, join).await;
    }
    Seeded {
        id: id.0.to_string(),
        source,
    }
}

/// A user created over SCIM now.
pub async fn scim(app: &TestApp, given: &str) -> Seeded {
    let user_name = format!("{}@example.com", given.to_lowercase());
    let created = app
        .create_user(json!({
            "userName": user_name,
            "name": {"givenName": given, "familyName": "Scim"},
            "emails": [{"value": user_name, "primary": true}],
        }))
        .await;
    Seeded {
        id: created["id"].as_str().unwrap().to_owned(),
        source: Source::Scim,
    }
}

/// Changes `user`'s title through `source`, `age` ago.
pub async fn retitle(app: &TestApp, user: &Seeded, source: Source, title: &str, age: Duration) {
    let now = app.now() - age;
    let id = UserId(user.id.parse().unwrap());
    execute(
        &app.pool,
        &origin(app, source, now),
        id,
        None,
        None,
        |state: Option<&User>| -> Result<UserCommand, AppError> {
            let mut attributes: Map<String, Value> = state.unwrap().profile.attributes().clone();
            attributes.insert("title".into(), json!(title));
            Ok(UserCommand::Patch {
                profile: Profile::new(attributes)?,
            })
        },
    )
    .await
    .unwrap();
}

/// A SCIM PATCH of `user`'s title now.
pub async fn scim_retitle(app: &TestApp, user: &Seeded, title: &str) {
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": title}]
    });
    let response = app
        .scim(Method::PATCH, &format!("/Users/{}", user.id))
        .json(&patch)
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await;
}

/// A pending invitation, sent now through the invitations door over HTTP.
pub async fn invited(app: &TestApp, email: &str, role: &str) -> Seeded {
    let invited = app.invite(email, role).await;
    Seeded {
        id: invited["user"]["id"].as_str().unwrap().to_owned(),
        source: Source::Invite,
    }
}

/// A first SSO login now, over HTTP: the user is created just in time.
pub async fn sso_login(app: &TestApp, email: &str) -> Seeded {
    let response = app
        .service(Method::POST, "/sso/logins")
        .json(&json!({
            "issuer": "https://login.example.com", "subject": email, "email": email,
            "email_verified": true, "claims": {"name": "Otto Sso"},
        }))
        .send()
        .await
        .unwrap();
    let login = json_with_status(response, 201).await;
    Seeded {
        id: login["user"]["id"].as_str().unwrap().to_owned(),
        source: Source::Sso,
    }
}

/// One user per door, the non-SCIM ones days apart, then a pending invitation and an SSO
/// login made now over HTTP; returns them oldest first.
pub async fn every_door(app: &TestApp) -> Vec<Seeded> {
    let mut users = vec![
        via(app, Source::Invite, "Ivy", Duration::days(20)).await,
        via(app, Source::SelfRegistration, "Sam", Duration::days(12)).await,
        via(app, Source::Sso, "Olga", Duration::days(6)).await,
        via(app, Source::EmailDomain, "Dora", Duration::days(3)).await,
        via(app, Source::Admin, "Adam", Duration::hours(30)).await,
        via(app, Source::Api, "Abe", Duration::hours(5)).await,
    ];
    users.push(scim(app, "Sid").await);
    users.push(scim(app, "Sue").await);
    users.push(invited(app, "pat@example.com", "editor").await);
    users.push(sso_login(app, "otto@example.com").await);
    users
}
