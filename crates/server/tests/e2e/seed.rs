//! Users from every door, at known times in the past: SCIM ones over HTTP as an identity
//! provider sends them, the others through the application layer that the product's doors
//! call, each with its own source and actor.

use reqwest::Method;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use usertrail_domain::{Actor, ActorKind, Profile, Source, User, UserCommand, UserId};
use usertrail_server::app::{AppError, Origin, create, execute};
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

/// A user created through `source` `age` ago.
pub async fn via(app: &TestApp, source: Source, given: &str, age: Duration) -> Seeded {
    let user_name = format!("{}@example.com", given.to_lowercase());
    let attributes = json!({
        "userName": user_name,
        "name": {"givenName": given, "familyName": "Seed"},
        "emails": [{"value": user_name, "primary": true}],
    });
    let now = app.now() - age;
    let id = UserId(Uuid::now_v7());
    create(
        &app.pool,
        &origin(app, source, now),
        id,
        profile(attributes),
        None,
    )
    .await
    .unwrap();
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

/// One user per door, the non-SCIM ones days apart; returns them oldest first.
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
    users
}
