//! The doors people join through on their own: self-registration, a first SSO login
//! (create just in time, link, or nothing), and a verified email in an allowed domain.

use reqwest::Method;
use serde_json::json;

use crate::door_support::{assert_api_error, provenance, service_token_id};
use crate::helpers::{TestApp, json_with_status};

#[tokio::test]
async fn self_registration_is_refused_until_the_org_allows_it_then_creates_an_active_user() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ada@acme.test", "password": "pw-123456", "display_name": "Ada"});
    let refused = app
        .service(Method::POST, "/registrations")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_api_error(refused, 403, "self_registration_disabled").await;

    let admin = app.admin_user().await;
    app.org_settings(
        &admin,
        json!({"allow_self_registration": true, "default_role": "viewer"}),
    )
    .await;
    let response = app
        .service(Method::POST, "/registrations")
        .json(&body)
        .send()
        .await
        .unwrap();
    let created = json_with_status(response, 201).await;
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            created["user"]["status"].as_str(),
            created["user"]["role"].as_str()
        ),
        (Some("active"), Some("viewer"))
    );

    let events = app.event_rows(&id).await;
    let token = json!(service_token_id(&app).await);
    assert_eq!(events[0]["event_type"], "user_joined");
    assert_eq!(events[1]["event_type"], "user_password_changed");
    assert_eq!(
        provenance(&events[0]),
        ("self_registration".into(), "user".into(), id.clone(), token)
    );
    assert_eq!(
        app.diagnostics(&id).await["created_source"],
        "self_registration"
    );

    let twice = app
        .service(Method::POST, "/registrations")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_api_error(twice, 409, "email_taken").await;
    app.finish().await;
}

/// `POST /sso/logins` with `body`, whatever it answers.
async fn sso(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    app.service(Method::POST, "/sso/logins")
        .json(body)
        .send()
        .await
        .unwrap()
}

fn login(subject: &str, email: &str, verified: bool) -> serde_json::Value {
    json!({
        "issuer": "https://login.acme-idp.test",
        "subject": subject,
        "email": email,
        "email_verified": verified,
        "claims": {"name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace"},
    })
}

#[tokio::test]
async fn a_first_sso_login_creates_the_user_just_in_time_and_the_next_writes_nothing() {
    let app = TestApp::spawn().await;
    let first = sso(&app, &login("s-1", "ada@acme.test", true)).await;
    let first = json_with_status(first, 201).await;
    assert_eq!(first["outcome"], "created");
    let id = first["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        first["user"]["attributes"]["name"]["familyName"],
        "Lovelace"
    );
    assert_eq!(
        first["user"]["identities"],
        json!([{"issuer": "https://login.acme-idp.test", "subject": "s-1"}])
    );

    let again = sso(&app, &login("s-1", "ada@acme.test", true)).await;
    let again = json_with_status(again, 200).await;
    assert_eq!(
        (again["outcome"].as_str(), again["user"]["id"].as_str()),
        (Some("unchanged"), Some(id.as_str()))
    );

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 1, "a repeated login records nothing");
    assert_eq!(events[0]["event_type"], "user_joined");
    assert_eq!(events[0]["source"], "sso");
    assert_eq!(events[0]["actor_id"], id);
    assert_eq!(events[0]["payload"]["identity"]["subject"], "s-1");
    app.finish().await;
}

#[tokio::test]
async fn an_sso_login_with_the_verified_email_of_a_user_links_the_identity() {
    let app = TestApp::spawn().await;
    let scim = app
        .create_user(
            json!({"userName": "ada", "emails": [{"value": "ada@acme.test", "primary": true}]}),
        )
        .await;
    let id = scim["id"].as_str().unwrap().to_owned();

    let unverified = sso(&app, &login("s-9", "ada@acme.test", false)).await;
    assert_api_error(unverified, 403, "email_not_verified").await;
    let linked = sso(&app, &login("s-9", "ada@acme.test", true)).await;
    let linked = json_with_status(linked, 200).await;
    assert_eq!(
        (linked["outcome"].as_str(), linked["user"]["id"].as_str()),
        (Some("linked"), Some(id.as_str()))
    );

    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["event_type"], "identity_linked");
    assert_eq!(events[1]["source"], "sso");
    assert_eq!(events[1]["actor_id"], id);
    let row = app.diagnostics(&id).await;
    assert_eq!(
        (
            row["created_source"].as_str(),
            row["updated_source"].as_str()
        ),
        (Some("scim"), Some("sso"))
    );
    app.finish().await;
}

#[tokio::test]
async fn a_verified_email_in_an_allowed_domain_joins_with_the_default_role() {
    let app = TestApp::spawn().await;
    let admin = app.admin_user().await;
    let added = app
        .acting(&admin, Method::POST, "/org/domains")
        .json(&json!({"domain": "ACME.test"}))
        .send()
        .await
        .unwrap();
    let added = json_with_status(added, 200).await;
    assert_eq!(added["settings"]["allowed_domains"], json!(["acme.test"]));
    app.org_settings(&admin, json!({"default_role": "editor"}))
        .await;

    let body = |email: &str, verified: bool| json!({"email": email, "email_verified": verified, "display_name": "Ada"});
    let unverified = app
        .service(Method::POST, "/domain-joins")
        .json(&body("ada@acme.test", false))
        .send()
        .await
        .unwrap();
    assert_api_error(unverified, 403, "email_not_verified").await;
    let elsewhere = app
        .service(Method::POST, "/domain-joins")
        .json(&body("ada@globex.test", true))
        .send()
        .await
        .unwrap();
    assert_api_error(elsewhere, 403, "domain_not_allowed").await;
    let joined = app
        .service(Method::POST, "/domain-joins")
        .json(&body("ada@acme.test", true))
        .send()
        .await
        .unwrap();
    let joined = json_with_status(joined, 201).await;
    let id = joined["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(joined["user"]["role"], "editor");
    let events = app.event_rows(&id).await;
    assert_eq!(
        (events[0]["source"].as_str(), events[0]["actor_id"].as_str()),
        (Some("email_domain"), Some(id.as_str()))
    );

    // The domain and the settings are org events, by the admin, in the append-only log.
    let org_events = app
        .service(Method::GET, "/org/events")
        .send()
        .await
        .unwrap();
    let org_events = json_with_status(org_events, 200).await;
    let types: Vec<_> = org_events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(
        types,
        vec![json!("org_domain_allowed"), json!("org_settings_changed")]
    );
    assert_eq!(org_events["events"][0]["actor"]["id"], admin);
    assert_eq!(org_events["events"][0]["source"], "admin");
    let tampered = app
        .client()
        .await
        .execute("UPDATE org_events SET source = 'system'", &[])
        .await;
    let error = tampered.unwrap_err();
    let message = error
        .as_db_error()
        .map(|db| db.message().to_owned())
        .unwrap_or_default();
    assert!(message.contains("append-only"), "{message}");

    let removed = app
        .acting(&admin, Method::DELETE, "/org/domains/acme.test")
        .send()
        .await
        .unwrap();
    json_with_status(removed, 200).await;
    let later = app
        .service(Method::POST, "/domain-joins")
        .json(&body("bob@acme.test", true))
        .send()
        .await
        .unwrap();
    assert_api_error(later, 403, "domain_not_allowed").await;
    app.finish().await;
}

#[tokio::test]
async fn a_later_sso_login_with_new_profile_claims_records_them_once() {
    let app = TestApp::spawn().await;
    let first = sso(&app, &login("s-1", "ada@acme.test", true)).await;
    let id = json_with_status(first, 201).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut renamed = login("s-1", "ada@acme.test", true);
    renamed["claims"]["family_name"] = json!("King");
    for expected in ["updated", "unchanged"] {
        let response = sso(&app, &renamed).await;
        let body = json_with_status(response, 200).await;
        assert_eq!(body["outcome"], expected);
        assert_eq!(
            body["user"]["attributes"]["name"],
            json!({"givenName": "Ada", "familyName": "King"})
        );
    }
    let events = app.event_rows(&id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            events[1]["event_type"].as_str(),
            events[1]["source"].as_str()
        ),
        (Some("user_patched"), Some("sso"))
    );
    assert_eq!(events[1]["actor_id"], id);
    app.finish().await;
}

#[tokio::test]
async fn sso_claims_do_not_override_fields_the_scim_client_owns() {
    let app = TestApp::spawn().await;
    let scim = app
        .create_user(json!({"userName": "ada@acme.test", "name": {"familyName": "Lovelace"}}))
        .await;
    let id = scim["id"].as_str().unwrap().to_owned();
    let linked = sso(&app, &login("s-5", "ada@acme.test", true)).await;
    assert_eq!(json_with_status(linked, 200).await["outcome"], "linked");
    let mut renamed = login("s-5", "ada@acme.test", true);
    renamed["claims"]["family_name"] = json!("King");
    let response = sso(&app, &renamed).await;
    assert_eq!(
        json_with_status(response, 200).await["outcome"],
        "unchanged"
    );
    assert_eq!(
        app.event_rows(&id).await.len(),
        2,
        "created over SCIM, then linked: nothing more"
    );
    app.finish().await;
}
