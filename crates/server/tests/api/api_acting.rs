//! Who acts: a service token acting for a user (`X-Actor-User`), the refusals of an
//! unknown, other-org, deleted or not-allowed acting user, and personal access tokens.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{ACTOR, assert_api_error, provenance, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn a_service_token_acting_for_a_user_records_the_user_as_actor_and_the_token_beside() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let target = app.invite("ada@acme.test", "member").await;
    let id = target["user"]["id"].as_str().unwrap().to_owned();
    let response = app
        .acting(&admin, Method::PUT, &format!("/users/{id}/role"))
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await;

    let events = app.event_rows(&id).await;
    let token = json!(service_token_id(&app).await);
    assert_eq!(
        provenance(&events[1]),
        ("admin".into(), "user".into(), admin.clone(), token)
    );
    assert_eq!(events[1]["actor_display"], "Grace Hopper");
    assert_eq!(events[1]["event_type"], "user_role_changed");
    let history = app
        .api(&format!("/users/{id}/events"))
        .send()
        .await
        .unwrap();
    let history = json_with_status(history, 200).await;
    assert_eq!(
        history["events"][1]["actor_token_id"],
        json!(service_token_id(&app).await)
    );
    assert_eq!(history["events"][1]["actor"]["id"], admin);
    assert_eq!(app.diagnostics(&id).await["role"], "viewer");
    app.finish().await;
}

#[tokio::test]
async fn an_unknown_other_org_or_deleted_acting_user_is_refused_with_403() {
    let app = TestApp::spawn().await;
    let other = app.other_org("globex").await;
    let stranger = app
        .http
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&other.service_token)
        .json(&json!({"email": "x@globex.test"}))
        .send()
        .await
        .unwrap();
    let stranger = json_with_status(stranger, 201).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scim_user = app.create_user(json!({"userName": "gone@acme.test"})).await;
    let gone = scim_user["id"].as_str().unwrap().to_owned();
    app.scim(Method::DELETE, &format!("/Users/{gone}"))
        .send()
        .await
        .unwrap();

    let pending = app.invite("pending@acme.test", "admin").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for acting in [
        uuid::Uuid::new_v4().to_string(),
        stranger,
        gone,
        pending,
        "not-a-uuid".to_owned(),
    ] {
        let response = app
            .acting(&acting, Method::GET, "/me")
            .send()
            .await
            .unwrap();
        let message = assert_api_error(response, 403, "unknown_actor").await;
        assert!(
            message.contains("X-Actor-User") || message.contains("acting user"),
            "{message}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn only_a_service_token_may_name_an_acting_user() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let auditor = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&app.org.auditor_token)
        .header(ACTOR, &admin)
        .send()
        .await
        .unwrap();
    assert_api_error(auditor, 403, "forbidden").await;

    let created = app.personal_token(&admin, "laptop").await;
    let personal = created["token"].as_str().unwrap().to_owned();
    let other = app.invite("ada@acme.test", "member").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asserted = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&personal)
        .header(ACTOR, &other)
        .send()
        .await
        .unwrap();
    let message = assert_api_error(asserted, 403, "actor_not_allowed").await;
    assert!(message.contains("only a service token"), "{message}");
    app.finish().await;
}

#[tokio::test]
async fn edits_with_a_personal_token_have_source_api_the_user_as_actor_and_the_token_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let created = app.personal_token(&admin, "cli").await;
    let (secret, token_id) = (
        created["token"].as_str().unwrap().to_owned(),
        created["id"].clone(),
    );
    assert!(secret.starts_with("ut_personal_"));

    let response = app
        .http
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .json(&json!({"attributes": {"locale": "en-GB"}}))
        .send()
        .await
        .unwrap();
    let edited = json_with_status(response, 200).await;
    assert_eq!(edited["user"]["attributes"]["locale"], "en-GB");
    let events = app.event_rows(&admin).await;
    let last = events.last().unwrap();
    assert_eq!(
        provenance(last),
        ("api".into(), "user".into(), admin.clone(), token_id.clone())
    );
    assert_eq!(app.diagnostics(&admin).await["updated_source"], "api");

    let listed = app
        .acting(&admin, Method::GET, "/me/tokens")
        .send()
        .await
        .unwrap();
    let listed = json_with_status(listed, 200).await;
    assert_eq!(listed["tokens"][0]["id"], token_id);
    assert!(
        listed.to_string().find(&secret).is_none(),
        "the secret is never listed"
    );

    let path = format!("/me/tokens/{}", token_id.as_str().unwrap());
    let revoked = app
        .acting(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let again = app
        .acting(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_api_error(again, 404, "not_found").await;
    app.finish().await;
}

#[tokio::test]
async fn a_personal_token_cannot_read_the_diagnostics_of_others() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let created = app.personal_token(&admin, "cli").await;
    let secret = created["token"].as_str().unwrap().to_owned();
    let response = app
        .http
        .get(app.url("/api/v1/users"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_api_error(response, 403, "forbidden").await;
    app.finish().await;
}

#[tokio::test]
async fn group_events_record_the_token_that_made_them() {
    let app = TestApp::spawn().await;
    let group = app
        .create_group(json!({"displayName": "Engineering"}))
        .await;
    let events = app.group_event_rows(group["id"].as_str().unwrap()).await;
    assert_eq!(
        events[0]["actor_token_id"],
        app.org.scim_token_id.to_string()
    );
    app.finish().await;
}

#[tokio::test]
async fn deleting_a_user_revokes_their_personal_tokens() {
    let app = TestApp::spawn().await;
    let (admin, member) = app.admin_and_member().await;
    let token = app.personal_token(&member, "laptop").await;
    let deleted = app
        .acting(&admin, Method::DELETE, &format!("/users/{member}"))
        .send()
        .await
        .unwrap();
    json_with_status(deleted, 200).await;
    let id = uuid::Uuid::parse_str(token["id"].as_str().unwrap()).unwrap();
    let row = app
        .client()
        .await
        .query_one(
            "SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>("revoked"));
    // Refused whether the token cache still knows the token (403) or not (401).
    let response = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        [401, 403].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    app.finish().await;
}
