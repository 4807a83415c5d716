//! The steps every SCIM write shares, whether it comes as its own request (`POST /Users`,
//! `PATCH /Groups/{id}`, ...) or as one operation of a `/Bulk` request: which write it is
//! ([`Write`]), the version it expects, its body, and what it produced ([`Written`]).
//!
//! Both doors run a write through [`run`], so a bulk operation goes through exactly the
//! parsing, application layer and rendering of the single-resource route.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use usertrail_scim::ResourceKind;
use usertrail_scim::resource::AttributeSelection;

use super::params::{if_match, selection};
use super::{ScimApiError, ScimCaller, groups, scim_response, users};
use crate::app::Origin;
use crate::request::read_json;
use crate::startup::AppState;

type Response = Result<HttpResponse, ScimApiError>;

/// Which write, on which resource; the id is as the client sent it, since what an id looks
/// like (and the 404 for a bad one) belongs to the resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Create,
    Replace(String),
    Patch(String),
    Delete(String),
}

/// What a write produced: enough for the route's response and for a bulk operation's result.
pub struct Written {
    pub status: StatusCode,
    /// The resource's id, which a bulk operation's `bulkId` stands for.
    pub id: String,
    pub location: String,
    /// The ETag of the new version; `None` after a delete.
    pub version: Option<String>,
    /// The resource as stored now, fully rendered; `None` after a delete.
    pub resource: Option<Value>,
}

impl Written {
    /// The result of a delete: no resource is left to show.
    pub fn deleted(id: String, location: String) -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            id,
            location,
            version: None,
            resource: None,
        }
    }

    /// The response of a single-resource route (a read too), with the
    /// attributes the client selected.
    pub fn into_response(self, selection: &AttributeSelection) -> HttpResponse {
        let Some(resource) = self.resource else {
            return HttpResponse::NoContent().finish();
        };
        let mut response = scim_response(self.status);
        if self.status == StatusCode::CREATED {
            response.insert_header((header::LOCATION, self.location));
        }
        if let Some(version) = self.version {
            response.insert_header((header::ETAG, version));
        }
        response.json(selection.project(resource))
    }
}

/// A resource type's endpoint, so that one generic handler serves each write route of both.
pub trait Endpoint {
    const KIND: ResourceKind;
}

/// `/Users`.
pub struct Users;
impl Endpoint for Users {
    const KIND: ResourceKind = ResourceKind::User;
}

/// `/Groups`.
pub struct Groups;
impl Endpoint for Groups {
    const KIND: ResourceKind = ResourceKind::Group;
}

pub async fn create<E: Endpoint>(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    route(E::KIND, &state, &request, Write::Create, Some(payload)).await
}

pub async fn replace<E: Endpoint>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let write = Write::Replace(id.into_inner());
    route(E::KIND, &state, &request, write, Some(payload)).await
}

pub async fn patch<E: Endpoint>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let write = Write::Patch(id.into_inner());
    route(E::KIND, &state, &request, write, Some(payload)).await
}

pub async fn delete<E: Endpoint>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let write = Write::Delete(id.into_inner());
    route(E::KIND, &state, &request, write, None).await
}

/// A single-resource write route: authenticate, read `If-Match` (not on a create, which
/// has no version to match), `attributes` and the body, run the write as the caller.
async fn route(
    kind: ResourceKind,
    state: &AppState,
    request: &HttpRequest,
    write: Write,
    payload: Option<web::Payload>,
) -> Response {
    let caller = ScimCaller::authenticate(state, request).await?;
    let expected = match write {
        Write::Create => None,
        _ => if_match(request)?,
    };
    let selection = selection(kind, request)?;
    let body = match payload {
        Some(payload) => read_json(request, payload, state.max_body_bytes).await?,
        None => Value::Null,
    };
    let origin = caller.origin(state, request);
    let written = run(kind, state, request, &origin, write, expected, body).await?;
    Ok(written.into_response(&selection))
}

/// Runs one write of a `kind` resource on behalf of `origin`.
pub async fn run(
    kind: ResourceKind,
    state: &AppState,
    request: &HttpRequest,
    origin: &Origin,
    write: Write,
    expected: Option<i64>,
    body: Value,
) -> Result<Written, ScimApiError> {
    match kind {
        ResourceKind::User => users::write(state, request, origin, write, expected, body).await,
        ResourceKind::Group => groups::write(state, request, origin, write, expected, body).await,
    }
}
