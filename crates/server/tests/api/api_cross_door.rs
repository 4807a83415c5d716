//! Rules across doors: SCIM adopts a pending invited user, an invite of an existing email
//! is 409, and the fields the IdP owns cannot change through the admin or self-service
//! doors; plus the story of one user through six doors.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{assert_api_error, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn a_scim_create_for_the_email_of_a_pending_invite_adopts_that_user() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "editor").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();

    let scim = app
        .create_user(
            json!({"userName": "ADA@acme.test", "externalId": "entra-7", "displayName": "Ada L"}),
        )
        .await;
    assert_eq!(scim["id"], id, "one user, not two");
    let events = app.event_rows(&id).await;
    let doors: Vec<_> = events
        .iter()
        .map(|e| (e["event_type"].clone(), e["source"].clone()))
        .collect();
    assert_eq!(
        doors,
        vec![
            (json!("user_invited"), json!("invite")),
            (json!("user_adopted"), json!("scim"))
        ]
    );
    assert_eq!(events[1]["actor_id"], app.org.scim_token_id.to_string());
    assert_eq!(
        events[1]["actor_token_id"],
        app.org.scim_token_id.to_string()
    );
    let row = app.diagnostics(&id).await;
    assert_eq!(
        (row["status"].as_str(), row["role"].as_str()),
        (Some("active"), Some("editor"))
    );
    assert_eq!(row["external_id"], "entra-7");
    let count: i64 = app
        .client()
        .await
        .query_one("SELECT count(*) AS n FROM users", &[])
        .await
        .unwrap()
        .get("n");
    assert_eq!(count, 1);

    // The code of an adopted invitation is dead.
    let accept = app.try_accept(&code).await;
    assert_api_error(accept, 410, "invite_superseded").await;
    app.finish().await;
}

#[tokio::test]
async fn inviting_an_email_that_exists_already_is_409() {
    let app = TestApp::spawn().await;
    app.create_user(json!({"userName": "ada", "emails": [{"value": "ada@acme.test"}]}))
        .await;
    app.invite("bob@acme.test", "member").await;
    for email in ["ada@acme.test", "BOB@acme.test"] {
        let response = app
            .service(Method::POST, "/invitations")
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        let message = assert_api_error(response, 409, "email_taken").await;
        assert!(
            message.to_lowercase().contains(&email.to_lowercase()) || message.contains("email"),
            "{message}"
        );
    }
    assert_eq!(app.event_count().await, 2);
    app.finish().await;
}

#[tokio::test]
async fn fields_the_idp_owns_cannot_change_through_admin_or_self_service() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let scim = app
        .create_user(json!({"userName": "ada@acme.test", "name": {"givenName": "Ada"}}))
        .await;
    let id = scim["id"].as_str().unwrap().to_owned();
    let before = app.event_count().await;

    let rename = json!({"attributes": {"name": {"givenName": "Augusta"}}});
    let by_admin = app
        .acting(&admin, Method::PATCH, &format!("/users/{id}"))
        .json(&rename)
        .send()
        .await
        .unwrap();
    let message = assert_api_error(by_admin, 409, "idp_owned").await;
    assert!(
        message.contains("name") && message.contains("identity provider"),
        "{message}"
    );
    let deactivate = app
        .acting(&admin, Method::POST, &format!("/users/{id}/deactivate"))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(deactivate, 409, "idp_owned").await;
    assert!(message.starts_with("active"), "{message}");
    let email = app
        .acting(&id, Method::PUT, "/me/email")
        .json(&json!({"email": "a@new.test"}))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(email, 409, "idp_owned").await;
    assert!(message.starts_with("emails"), "{message}");
    assert_eq!(
        app.event_count().await,
        before,
        "refused attempts write no event"
    );

    // Attributes the IdP does not own still change, and turning ownership off frees the rest.
    let title = json!({"attributes": {"title": "Analyst"}});
    let ok = app
        .acting(&admin, Method::PATCH, &format!("/users/{id}"))
        .json(&title)
        .send()
        .await
        .unwrap();
    json_with_status(ok, 200).await;
    app.org_settings(&admin, json!({"idp_ownership": "off"}))
        .await;
    let renamed = app
        .acting(&admin, Method::PATCH, &format!("/users/{id}"))
        .json(&rename)
        .send()
        .await
        .unwrap();
    json_with_status(renamed, 200).await;
    app.finish().await;
}

#[tokio::test]
async fn the_story_of_one_user_through_six_doors_reads_back_in_order() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    app.org_settings(&admin, json!({"idp_ownership": "off"}))
        .await;
    let service_token = service_token_id(&app).await;
    let scim_token = app.org.scim_token_id.to_string();

    // 1. Invited by an admin. 2. Accepted.
    let invited = app
        .acting(&admin, Method::POST, "/invitations")
        .json(&json!({"email": "ada@acme.test"}))
        .send()
        .await
        .unwrap();
    let invited = json_with_status(invited, 201).await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    app.accept(invited["invitation"]["code"].as_str().unwrap(), "Ada")
        .await;
    // 3. Adopted by SCIM: the IdP provisions the same email.
    let scim = app
        .create_user(json!({"userName": "ada@acme.test", "displayName": "Ada Lovelace"}))
        .await;
    assert_eq!(scim["id"], id);
    // 4. Patched by SCIM.
    app.scim_patch(
        &id,
        json!([{"op": "replace", "path": "title", "value": "Analyst"}]),
    )
    .await;
    // 5. Edited by the user. 6. Deactivated by an admin.
    let edit = json!({"attributes": {"locale": "en-GB"}});
    json_with_status(
        app.acting(&id, Method::PATCH, "/me")
            .json(&edit)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let off = app
        .acting(&admin, Method::POST, &format!("/users/{id}/deactivate"))
        .send()
        .await
        .unwrap();
    json_with_status(off, 200).await;

    let history = app
        .api(&format!("/users/{id}/events"))
        .send()
        .await
        .unwrap();
    let history = json_with_status(history, 200).await;
    let story: Vec<_> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |name: &str| e[name].as_str().unwrap().to_owned();
            let actor = e["actor"]["id"].as_str().unwrap().to_owned();
            let token = e["actor_token_id"].as_str().unwrap().to_owned();
            (field("event_type"), field("source"), actor, token)
        })
        .collect();
    let row = |t: &str, s: &str, a: &str, k: &str| {
        (t.to_owned(), s.to_owned(), a.to_owned(), k.to_owned())
    };
    assert_eq!(
        story,
        vec![
            row("user_invited", "invite", &admin, &service_token),
            row("user_invite_accepted", "invite", &id, &service_token),
            row("user_adopted", "scim", &scim_token, &scim_token),
            row("user_patched", "scim", &scim_token, &scim_token),
            row("user_patched", "self_service", &id, &service_token),
            row("user_deactivated", "admin", &admin, &service_token),
        ]
    );
    let diagnostics = app.diagnostics(&id).await;
    assert_eq!(diagnostics["created_source"], "invite");
    assert_eq!(diagnostics["created_actor"]["id"], admin);
    assert_eq!(diagnostics["updated_source"], "admin");
    assert_eq!(diagnostics["updated_actor"]["id"], admin);
    assert_eq!(diagnostics["status"], "deactivated");
    app.finish().await;
}

#[tokio::test]
async fn a_scim_patch_of_an_invited_user_found_by_filter_adopts_it_too() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "viewer").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    // Entra ID and Okta look the user up first, then PATCH what they found.
    let found = app
        .scim(
            Method::GET,
            "/Users?filter=userName%20eq%20%22ada@acme.test%22",
        )
        .send()
        .await
        .unwrap();
    let found = json_with_status(found, 200).await;
    assert_eq!(found["Resources"][0]["id"], id);
    app.scim_patch(
        &id,
        json!([{"op": "replace", "value": {"active": true, "externalId": "okta-1"}}]),
    )
    .await;

    let events = app.event_rows(&id).await;
    assert_eq!(events[1]["event_type"], "user_adopted");
    assert_eq!(events[1]["source"], "scim");
    let row = app.diagnostics(&id).await;
    assert_eq!(
        (row["status"].as_str(), row["role"].as_str()),
        (Some("active"), Some("viewer"))
    );
    let code = invited["invitation"]["code"].as_str().unwrap();
    assert_api_error(app.try_accept(code).await, 410, "invite_superseded").await;
    // The next PATCH is an ordinary one.
    let again = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Analyst"}]
    });
    app.scim(Method::PATCH, &format!("/Users/{id}"))
        .json(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(app.event_rows(&id).await[2]["event_type"], "user_patched");
    app.finish().await;
}

#[tokio::test]
async fn a_scim_create_naming_the_invited_email_only_in_emails_adopts_too() {
    let app = TestApp::spawn().await;
    let invited = app.invite("ada@acme.test", "member").await;
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    let scim = app
        .create_user(
            json!({"userName": "ada", "emails": [{"value": "Ada@Acme.test", "primary": true}]}),
        )
        .await;
    assert_eq!(scim["id"], id);
    assert_eq!(scim["userName"], "ada");
    assert_eq!(app.event_rows(&id).await[1]["event_type"], "user_adopted");
    // A user the IdP created is not adopted a second time: that create is the usual 409.
    let again = app
        .scim(Method::POST, "/Users")
        .json(&json!({"userName": "ADA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    app.finish().await;
}
