//! The `scim-create` scenario: POST a new user to `/scim/v2/Users` per
//! request; only 201 Created counts as success.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::runner::{Failure, Scenario};

const SCIM_JSON: &str = "application/scim+json";

/// Creates users named after the run and the request number.
#[derive(Debug, Clone, Copy)]
pub struct Create {
    run_id: Uuid,
}

impl Create {
    /// `run_id` goes into every userName: a fresh one per run keeps runs
    /// against the same database from colliding.
    pub fn new(run_id: Uuid) -> Create {
        Create { run_id }
    }
}

impl Scenario for Create {
    const NAME: &'static str = "scim-create";

    fn request(&self, client: &Client, endpoint: &str, n: u64) -> RequestBuilder {
        client
            .post(endpoint)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(user_body(self.run_id, n).to_string())
    }

    fn judge(&self, status: StatusCode, body: &[u8]) -> Result<(), Failure> {
        if status == StatusCode::CREATED {
            Ok(())
        } else {
            Err(Failure::status(status, body))
        }
    }
}

/// The SCIM User for request `n` of run `run_id`: userName and email are
/// unique across runs.
pub fn user_body(run_id: Uuid, n: u64) -> serde_json::Value {
    let user_name = format!("bench-{run_id}-{n}@example.com");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": { "givenName": "B", "familyName": format!("N{n}") },
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true
    })
}

#[cfg(test)]
mod tests;
