//! The invitation door: invite, list, resend, revoke, accept, and the refusals of a used,
//! expired, revoked or replaced code.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{assert_api_error, provenance, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn an_admin_invites_and_the_invited_person_accepts_with_name_and_password() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let response = app
        .acting(&admin, Method::POST, "/invitations")
        .json(&json!({"email": "ada@acme.test", "role": "editor"}))
        .send()
        .await
        .unwrap();
    let invited = json_with_status(response, 201).await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("ut_invite_"));
    assert_eq!(invited["user"]["status"], "pending");
    assert_eq!(invited["user"]["role"], "editor");

    let listed = json_with_status(
        app.service(Method::GET, "/invitations")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let pending: Vec<_> = listed["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].clone())
        .collect();
    assert_eq!(pending, vec![json!(id)]);

    let accepted = app.accept(&code, "Ada Lovelace").await;
    assert_eq!(accepted["user"]["status"], "active");
    assert_eq!(accepted["user"]["display_name"], "Ada Lovelace");

    let events = app.event_rows(&id).await;
    let types: Vec<_> = events.iter().map(|e| e["event_type"].clone()).collect();
    assert_eq!(
        types,
        vec![json!("user_invited"), json!("user_invite_accepted")]
    );
    let token = json!(service_token_id(&app).await);
    assert_eq!(
        provenance(&events[0]),
        ("invite".into(), "user".into(), admin.clone(), token.clone())
    );
    assert_eq!(
        provenance(&events[1]),
        ("invite".into(), "user".into(), id.clone(), token)
    );
    let stored_hash = usertrail_store::password_hash(
        &app.client().await,
        app.org.id,
        usertrail_domain::UserId(id.parse().unwrap()),
    )
    .await
    .unwrap();
    assert!(
        stored_hash.is_some(),
        "the password hash is stored beside the log"
    );
    assert!(
        !events[1].to_string().contains("s3cret"),
        "the password is not in the log"
    );

    let row = app.diagnostics(&id).await;
    assert_eq!(row["created_source"], "invite");
    assert_eq!(row["created_actor"]["id"], admin);
    assert_eq!(row["invite_expires_at"], json!(null));

    let again = app
        .service(Method::POST, "/invitations/accept")
        .json(&json!({"code": code, "password": "other-password"}))
        .send()
        .await
        .unwrap();
    assert_api_error(again, 409, "invite_used").await;
    app.finish().await;
}

#[tokio::test]
async fn concurrent_resends_are_each_decided_again_and_leave_one_open_code() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/invitations/{id}/resend");
    let resends = (0..4).map(|_| app.service(Method::POST, &path).send());
    let mut codes = Vec::new();
    for response in futures_util::future::join_all(resends).await {
        // 200 for every one: a resend that lost its race was decided again.
        let resent = json_with_status(response.unwrap(), 200).await;
        codes.push(resent["invitation"]["code"].as_str().unwrap().to_owned());
    }

    let events = app.event_rows(&id).await;
    let renewed = events
        .iter()
        .filter(|event| event["event_type"] == "user_invite_renewed")
        .count();
    assert_eq!(renewed, 4);
    let versions: Vec<i64> = events
        .iter()
        .map(|event| event["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    let states: Vec<String> = app
        .client()
        .await
        .query(
            "SELECT state FROM invitations WHERE user_id = $1::text::uuid ORDER BY created_at",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        states.iter().filter(|state| *state == "open").count(),
        1,
        "{states:?}"
    );
    assert_eq!(states.len(), 5);
    // Exactly one of the four codes is the open one, and it works.
    let mut accepted = 0;
    for code in &codes {
        if app.try_accept(code).await.status() == 200 {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(app.projection_row(&id).await.unwrap()["status"], "active");
    app.finish().await;
}

#[tokio::test]
async fn a_resent_invitation_kills_the_old_code_and_the_new_one_works() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let old_code = invited["invitation"]["code"].as_str().unwrap().to_owned();

    let response = app
        .service(Method::POST, &format!("/invitations/{id}/resend"))
        .send()
        .await
        .unwrap();
    let resent = json_with_status(response, 200).await;
    let new_code = resent["invitation"]["code"].as_str().unwrap().to_owned();
    assert_ne!(old_code, new_code);

    let old = app.try_accept(&old_code).await;
    let message = assert_api_error(old, 410, "invite_superseded").await;
    assert!(message.contains("newer"), "{message}");
    app.accept(&new_code, "Ada").await;

    let types: Vec<_> = app
        .event_rows(&id)
        .await
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(
        types,
        vec![
            json!("user_invited"),
            json!("user_invite_renewed"),
            json!("user_invite_accepted")
        ]
    );
    app.finish().await;
}

#[tokio::test]
async fn a_revoked_invitation_is_gone_and_its_code_answers_410() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();

    let response = app
        .service(Method::DELETE, &format!("/invitations/{id}"))
        .send()
        .await
        .unwrap();
    let revoked = json_with_status(response, 200).await;
    assert_eq!(revoked["user"]["status"], "deleted");

    let accept = app.try_accept(&code).await;
    assert_api_error(accept, 410, "invite_revoked").await;
    let again = app
        .service(Method::DELETE, &format!("/invitations/{id}"))
        .send()
        .await
        .unwrap();
    assert_api_error(again, 404, "not_found").await;
    let row = app.projection_row(&id).await.unwrap();
    assert_eq!(row["status"], "deleted");
    assert_eq!(app.event_rows(&id).await.len(), 2);
    // The email is free again.
    app.invite("ada@acme.test", "member").await;
    app.finish().await;
}

#[tokio::test]
async fn an_expired_invitation_shows_as_invite_expired_and_cannot_be_accepted() {
    let app = TestApp::spawn_with(|serve| serve.invite_ttl_hours = 0).await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();

    // Nobody wrote anything: the diagnostics derive the expiry when they are read.
    let row = app.diagnostics(&id).await;
    assert_eq!(row["status"], "invite_expired");
    assert_eq!(app.projection_row(&id).await.unwrap()["status"], "pending");
    let listed = |status: &'static str| {
        let request = app.api(&format!("/users?status={status}"));
        async move { json_with_status(request.send().await.unwrap(), 200).await }
    };
    assert_eq!(listed("invite_expired").await["users"][0]["id"], id);
    assert_eq!(listed("pending").await["users"], json!([]));

    let accept = app.try_accept(&code).await;
    let message = assert_api_error(accept, 410, "invite_expired").await;
    assert!(message.contains("expired"), "{message}");
    assert_eq!(app.event_rows(&id).await.len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn an_unknown_code_is_404_and_a_bad_body_names_the_field() {
    let app = TestApp::spawn().await;
    let unknown = app
        .service(Method::POST, "/invitations/accept")
        .json(&json!({"code": "ut_invite_nope", "password": "pw-123456"}))
        .send()
        .await
        .unwrap();
    assert_api_error(unknown, 404, "not_found").await;
    let bad = app
        .service(Method::POST, "/invitations")
        .json(&json!({"email": "ada@acme.test", "role": "owner"}))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(bad, 400, "invalid_body").await;
    assert!(message.contains("owner"), "{message}");
    let not_email = app
        .service(Method::POST, "/invitations")
        .json(&json!({"email": "ada"}))
        .send()
        .await
        .unwrap();
    assert_api_error(not_email, 400, "invalid_body").await;
    assert_eq!(app.event_count().await, 0);
    app.finish().await;
}

#[tokio::test]
async fn deleting_an_invited_user_kills_the_code() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.admin_and_member().await;
    let invited = app.invite("bob@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let deleted = app
        .acting(&admin, Method::DELETE, &format!("/users/{id}"))
        .send()
        .await
        .unwrap();
    let deleted = json_with_status(deleted, 200).await;
    assert_eq!(deleted["user"]["status"], "deleted");
    assert_eq!(deleted["user"]["invite_expires_at"], json!(null));
    let code = invited["invitation"]["code"].as_str().unwrap();
    let message = assert_api_error(app.try_accept(code).await, 410, "invite_revoked").await;
    assert!(message.contains("deleted"), "{message}");
    app.finish().await;
}

#[tokio::test]
async fn only_the_product_backend_accepts_invitations() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let secret = app.personal_token(&admin, "cli").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let invited = app.invite("bob@acme.test", "member").await;
    let response = app
        .http
        .post(app.url("/api/v1/invitations/accept"))
        .bearer_auth(&secret)
        .json(&json!({"code": invited["invitation"]["code"], "password": "pw-123456"}))
        .send()
        .await
        .unwrap();
    assert_api_error(response, 403, "forbidden").await;
    app.finish().await;
}

#[tokio::test]
async fn two_acceptances_of_one_code_at_once_make_one_user_and_one_409() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();
    let (first, second) = tokio::join!(app.try_accept(&code), app.try_accept(&code));
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let types: Vec<_> = app
        .event_rows(&id)
        .await
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(
        types,
        vec![json!("user_invited"), json!("user_invite_accepted")]
    );
    app.finish().await;
}
