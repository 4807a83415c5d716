//! Helpers for the tests of the product's doors (`/api/v1` writes): requests with the
//! service token, as an acting user, and the common first steps (an admin, an invite).

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_with_status};

/// The header that names the acting user.
pub const ACTOR: &str = "X-Actor-User";

impl TestApp {
    /// Any request to `/api/v1` with the service token and no acting user.
    pub fn service(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.org.service_token)
    }

    /// A request to `/api/v1` with the service token acting as `user`.
    pub fn acting(&self, user: &str, method: Method, path: &str) -> RequestBuilder {
        self.service(method, path).header(ACTOR, user)
    }

    /// Invites `email` with `role` by the bare service token; returns the response body.
    pub async fn invite(&self, email: &str, role: &str) -> Value {
        let response = self
            .service(Method::POST, "/invitations")
            .json(&json!({"email": email, "role": role}))
            .send()
            .await
            .unwrap();
        json_with_status(response, 201).await
    }

    /// Accepts an invitation code with a display name; returns the response body.
    pub async fn accept(&self, code: &str, display_name: &str) -> Value {
        let response = self
            .service(Method::POST, "/invitations/accept")
            .json(&json!({"code": code, "password": "s3cret-enough", "display_name": display_name}))
            .send()
            .await
            .unwrap();
        json_with_status(response, 200).await
    }

    /// An active admin (invited by the service token, accepted); returns its id.
    pub async fn admin_user(&self) -> String {
        let invited = self.invite("grace@acme.test", "admin").await;
        let code = invited["invitation"]["code"].as_str().unwrap();
        let accepted = self.accept(code, "Grace Hopper").await;
        accepted["user"]["id"].as_str().unwrap().to_owned()
    }

    /// `POST /invitations/accept` with `code`, whatever it answers.
    pub async fn try_accept(&self, code: &str) -> reqwest::Response {
        self.service(Method::POST, "/invitations/accept")
            .json(&json!({"code": code, "password": "pw-123456"}))
            .send()
            .await
            .unwrap()
    }

    /// A personal token of `user`, created through the API; returns the response body.
    pub async fn personal_token(&self, user: &str, label: &str) -> Value {
        let response = self
            .acting(user, Method::POST, "/me/tokens")
            .json(&json!({ "label": label }))
            .send()
            .await
            .unwrap();
        json_with_status(response, 201).await
    }

    /// An admin, and an accepted member invited by the service token, with IdP ownership
    /// turned off (the test org has a SCIM token, which would otherwise turn it on).
    pub async fn admin_and_member(&self) -> (String, String) {
        let admin = self.admin_user().await;
        self.org_settings(&admin, json!({"idp_ownership": "off"}))
            .await;
        let invited = self.invite("ada@acme.test", "member").await;
        let accepted = self
            .accept(invited["invitation"]["code"].as_str().unwrap(), "Ada")
            .await;
        (admin, accepted["user"]["id"].as_str().unwrap().to_owned())
    }

    /// A SCIM PATCH of user `id` with these `Operations`; must answer 200.
    pub async fn scim_patch(&self, id: &str, operations: Value) -> Value {
        let patch = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        });
        let path = format!("/Users/{id}");
        let response = self
            .scim(Method::PATCH, &path)
            .json(&patch)
            .send()
            .await
            .unwrap();
        json_with_status(response, 200).await
    }

    /// Changes the organization's settings as `admin`; must succeed.
    pub async fn org_settings(&self, admin: &str, settings: Value) -> Value {
        let response = self
            .acting(admin, Method::PATCH, "/org/settings")
            .json(&settings)
            .send()
            .await
            .unwrap();
        json_with_status(response, 200).await
    }

    /// The `/api/v1/users/{id}` diagnostics row.
    pub async fn diagnostics(&self, id: &str) -> Value {
        let response = self.api(&format!("/users/{id}")).send().await.unwrap();
        json_with_status(response, 200).await
    }
}

/// Asserts a `/api/v1` error with this status and code; returns its message.
pub async fn assert_api_error(response: reqwest::Response, status: u16, code: &str) -> String {
    let body = json_with_status(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// The `(source, actor kind, actor id, actor_token_id)` of an event row.
pub fn provenance(event: &Value) -> (String, String, String, Value) {
    (
        event["source"].as_str().unwrap().to_owned(),
        event["actor_kind"].as_str().unwrap().to_owned(),
        event["actor_id"].as_str().unwrap().to_owned(),
        event["actor_token_id"].clone(),
    )
}

/// The id of the organization's service token, as the log records it.
pub async fn service_token_id(app: &TestApp) -> String {
    app.client()
        .await
        .query_one(
            "SELECT id::text AS id FROM api_tokens WHERE org_id = $1 AND kind = 'service'",
            &[&app.org.id.0],
        )
        .await
        .unwrap()
        .get("id")
}
