//! The read-only `groups` attribute of a User (RFC 7643 §4.1.2), derived from
//! `group_members` at read time and never stored in the user's profile: membership belongs
//! to the groups' log, so a user's attributes do not change when a group does.

use std::collections::HashMap;

use actix_web::HttpRequest;
use serde_json::Value;
use usertrail_domain::{OrgId, UserId};
use usertrail_scim::group::group_reference;
use usertrail_store::{Client, GroupRef, groups_of_users};

use super::ScimApiError;
use crate::startup::AppState;

/// The groups of the users of one response, ready to be added to their rendered resources.
pub struct UserGroups {
    by_user: HashMap<UserId, Vec<GroupRef>>,
    base: String,
}

impl UserGroups {
    /// The groups a listing read along with its page.
    pub fn new(
        by_user: HashMap<UserId, Vec<GroupRef>>,
        state: &AppState,
        request: &HttpRequest,
    ) -> Self {
        Self {
            by_user,
            base: state.base_url(request),
        }
    }

    /// Reads the groups of `users` in one query, on the caller's connection:
    /// taking a second one while holding the first deadlocks a full pool.
    pub async fn load(
        client: &Client,
        state: &AppState,
        request: &HttpRequest,
        org: OrgId,
        users: &[UserId],
    ) -> Result<Self, ScimApiError> {
        let by_user = groups_of_users(client, org, users).await?;
        Ok(Self {
            by_user,
            base: state.base_url(request),
        })
    }

    /// `resource` with the user's `groups`, or unchanged for a user in no group (an
    /// unassigned attribute is omitted, RFC 7643 §2.5).
    pub fn add_to(&self, user: UserId, mut resource: Value) -> Value {
        let Some(groups) = self.by_user.get(&user) else {
            return resource;
        };
        let references: Vec<Value> = groups
            .iter()
            .map(|group| {
                let location = format!("{}/scim/v2/Groups/{}", self.base, group.id);
                group_reference(&group.id.to_string(), &location, &group.display)
            })
            .collect();
        if let Some(object) = resource.as_object_mut() {
            object.insert("groups".to_owned(), Value::Array(references));
        }
        resource
    }
}
