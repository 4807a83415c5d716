//! A port of Okta's published "SCIM 2.0 SPEC Test" (the Runscope suite an
//! integration must pass before Okta lists it): the same requests, with
//! Okta's headers, in the same order, and every assertion it makes.

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Okta's requests carry these headers; the token is the SCIM token.
fn okta(app: &TestApp, method: Method, path: &str, authorization: &str) -> RequestBuilder {
    app.http
        .request(method, app.url(&format!("/scim/v2{path}")))
        .header("Accept-Charset", "utf-8")
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .header("Accept", "application/scim+json")
        .header("Authorization", authorization)
        .header("User-Agent", "OKTA SCIM Integration")
}

fn not_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn assert_list_response(body: &Value) {
    let schemas = body["schemas"].as_array().unwrap();
    assert!(schemas.contains(&json!("urn:ietf:params:scim:api:messages:2.0:ListResponse")));
}

fn assert_error(body: &Value, status: &str) {
    assert!(not_empty(&body["detail"]), "{body}");
    assert_eq!(body["status"], status);
    let schemas = body["schemas"].as_array().unwrap();
    assert!(schemas.contains(&json!("urn:ietf:params:scim:api:messages:2.0:Error")));
}

async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn okta_scim_2_0_spec_test_passes_every_check() {
    let app = TestApp::spawn().await;
    let auth = format!("Bearer {}", app.org.scim_token);
    // The suite expects at least one user to exist already.
    app.create_user(json!({
        "userName": "existing@example.com",
        "name": {"givenName": "Existing", "familyName": "User"},
        "emails": [{"value": "existing@example.com", "primary": true}],
    }))
    .await;

    // Required Test: Test Users endpoint
    let (status, body) = send(okta(
        &app,
        Method::GET,
        "/Users?count=1&startIndex=1",
        &auth,
    ))
    .await;
    assert_eq!(status, 200);
    assert!(not_empty(&body["Resources"]));
    assert_list_response(&body);
    for number in ["itemsPerPage", "startIndex", "totalResults"] {
        assert!(body[number].is_number(), "{number} in {body}");
    }
    let first = &body["Resources"][0];
    for field in [
        &first["id"],
        &first["name"]["familyName"],
        &first["name"]["givenName"],
    ] {
        assert!(not_empty(field), "{first}");
    }
    for field in [
        &first["userName"],
        &first["active"],
        &first["emails"][0]["value"],
    ] {
        assert!(not_empty(field), "{first}");
    }
    let isv_user_id = first["id"].as_str().unwrap().to_owned();

    // Required Test: Get Users/{{id}}
    let (status, body) = send(okta(
        &app,
        Method::GET,
        &format!("/Users/{isv_user_id}"),
        &auth,
    ))
    .await;
    assert_eq!(status, 200);
    for field in [
        &body["name"]["familyName"],
        &body["name"]["givenName"],
        &body["userName"],
    ] {
        assert!(not_empty(field), "{body}");
    }
    assert!(
        not_empty(&body["active"]) && not_empty(&body["emails"][0]["value"]),
        "{body}"
    );
    assert_eq!(body["id"], isv_user_id);

    // Required Test: Test invalid User by username
    let path = "/Users?filter=userName%20eq%20%22invalid-user@example.com%22";
    let (status, body) = send(okta(&app, Method::GET, path, &auth)).await;
    assert_eq!(status, 200);
    assert_list_response(&body);
    assert_eq!(body["totalResults"], 0);

    // Required Test: Test invalid User by ID
    let missing = uuid::Uuid::new_v4();
    let (status, body) = send(okta(&app, Method::GET, &format!("/Users/{missing}"), &auth)).await;
    assert_eq!(status, 404);
    assert_error(&body, "404");

    // Required Test: Make sure random user doesn't exist
    let random = format!("okta-{}", uuid::Uuid::new_v4().simple());
    let email = format!("{random}@example.com");
    let path = format!("/Users?filter=userName%20eq%20%22{email}%22");
    let (status, body) = send(okta(&app, Method::GET, &path, &auth)).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 0);
    assert_list_response(&body);

    // Required Test: Create Okta user with realistic values
    let user = |email: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email,
            "name": {"givenName": "Randomgiven", "familyName": "Randomfamily"},
            "emails": [{"primary": true, "value": email, "type": "work"}],
            "displayName": "Randomgiven Randomfamily",
            "active": true
        })
    };
    let create = app
        .http
        .post(app.url("/scim/v2/Users"))
        .header("Content-Type", "application/json")
        .header("Authorization", &auth)
        .header("Accept", "application/scim+json; charset=utf-8")
        .body(user(&email).to_string());
    let (status, body) = send(create).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["active"], true);
    assert!(not_empty(&body["id"]));
    assert_eq!(body["name"]["familyName"], "Randomfamily");
    assert_eq!(body["name"]["givenName"], "Randomgiven");
    assert!(
        body["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!("urn:ietf:params:scim:schemas:core:2.0:User"))
    );
    assert_eq!(body["userName"], email);
    let id_user_one = body["id"].as_str().unwrap().to_owned();

    // Required Test: Verify that user was created
    let (status, body) = send(okta(
        &app,
        Method::GET,
        &format!("/Users/{id_user_one}"),
        &auth,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["userName"], email);
    assert_eq!(body["name"]["familyName"], "Randomfamily");
    assert_eq!(body["name"]["givenName"], "Randomgiven");

    // Required Test: Expect failure when recreating user with same values
    let recreate = app
        .http
        .post(app.url("/scim/v2/Users"))
        .header("Content-Type", "application/json")
        .header("Authorization", &auth)
        .body(user(&email).to_string());
    assert_eq!(send(recreate).await.0, 409);

    // Required Test: Username Case Sensitivity Check
    let caps = email.to_uppercase();
    let path = format!("/Users?filter=userName%20eq%20%22{caps}%22");
    let (status, body) = send(okta(&app, Method::GET, &path, &auth)).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 1, "the same user, whatever the case");

    // Optional Test: Verify Groups endpoint
    let (status, body) = send(okta(&app, Method::GET, "/Groups", &auth)).await;
    assert_eq!(status, 200);
    assert!(
        body["Resources"].is_array() && body["totalResults"].is_number(),
        "{body}"
    );

    // Required Test: Check status 401
    let (status, body) = send(okta(&app, Method::GET, &path, "non-token")).await;
    assert_eq!(status, 401);
    assert_error(&body, "401");

    // Required Test: Check status 404
    let (status, body) = send(okta(&app, Method::GET, "/Users/00919288221112222", &auth)).await;
    assert_eq!(status, 404);
    assert_error(&body, "404");

    app.finish().await;
}
