//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document of `/api/v1`, generated from the
//! code, in which every documented operation is one the server routes.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, json_with_status};

/// The document, fetched without a token: it is public.
async fn openapi(app: &TestApp) -> Value {
    let response = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await
}

#[tokio::test]
async fn the_openapi_document_parses_and_lists_the_door_endpoints() {
    let app = TestApp::spawn().await;
    let document = openapi(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/role",
        "/api/v1/invitations",
        "/api/v1/invitations/accept",
        "/api/v1/invitations/{id}/resend",
        "/api/v1/registrations",
        "/api/v1/domain-joins",
        "/api/v1/sso/logins",
        "/api/v1/me",
        "/api/v1/me/email",
        "/api/v1/me/tokens/{id}",
        "/api/v1/org/settings",
        "/api/v1/org/domains/{domain}",
        "/api/v1/org/events",
        "/api/v1/overview/changes",
        "/api/v1/overview/scim-tokens",
        "/api/v1/events",
        "/api/v1/events/export",
        "/api/v1/audit/checkpoints",
        "/api/v1/audit/verify",
        "/api/v1/audit/events/{event_id}/proof",
        "/api/v1/audit/access-log",
        "/api/v1/audit/public-key",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let accept = &paths["/api/v1/invitations/accept"]["post"];
    assert!(accept["responses"]["410"].is_object(), "{accept}");
    assert!(accept["requestBody"].is_object(), "{accept}");
    app.finish().await;
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let document = openapi(&app).await;
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{domain}", "example.test");
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .http
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&app.org.service_token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(!body.contains("no endpoint at"), "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 28, "only {checked} operations documented");
    app.finish().await;
}
