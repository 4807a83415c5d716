//! The discovery endpoints of RFC 7644 §4: `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`. They need no token: RFC 7644 §4 says they SHOULD NOT require authentication,
//! and they reveal nothing about any organization, only what this server implements.
//!
//! The bodies come from `usertrail_scim::discovery`; this module adds the request's base URL
//! and the limits the Users and Bulk handlers enforce.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use usertrail_scim::ScimError;
use usertrail_scim::discovery::{self, Capabilities};
use usertrail_scim::resource::list_response;

use super::{ScimApiError, bulk, method_not_allowed, scim_response, users};
use crate::startup::AppState;

type Response = Result<actix_web::HttpResponse, ScimApiError>;

/// Mounts the discovery routes inside the `/scim/v2` scope. They are read-only: any other
/// method answers 405 with a SCIM error body.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(read_only("/ServiceProviderConfig").route(web::get().to(service_provider_config)))
        .service(read_only("/ResourceTypes").route(web::get().to(list_resource_types)))
        .service(read_only("/ResourceTypes/{id}").route(web::get().to(get_resource_type)))
        .service(read_only("/Schemas").route(web::get().to(list_schemas)))
        .service(read_only("/Schemas/{id}").route(web::get().to(get_schema)));
}

fn read_only(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

pub async fn service_provider_config(state: web::Data<AppState>, request: HttpRequest) -> Response {
    refuse_filter(&request)?;
    let capabilities = Capabilities {
        max_results: u64::try_from(users::MAX_RESULTS).unwrap_or_default(),
        bulk_max_operations: u64::try_from(bulk::MAX_OPERATIONS).unwrap_or_default(),
        // A bulk request is read like any other body, so its limit is the body limit.
        bulk_max_payload_size: u64::try_from(state.max_body_bytes).unwrap_or_default(),
    };
    let body = discovery::service_provider_config(&capabilities, &scim_base(&state, &request));
    Ok(scim_response(StatusCode::OK).json(body))
}

pub async fn list_resource_types(state: web::Data<AppState>, request: HttpRequest) -> Response {
    refuse_filter(&request)?;
    let base = scim_base(&state, &request);
    let resources: Vec<_> = discovery::RESOURCE_TYPES
        .iter()
        .map(|resource_type| discovery::resource_type_resource(resource_type, &base))
        .collect();
    Ok(scim_response(StatusCode::OK).json(list(resources)))
}

pub async fn get_resource_type(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    refuse_filter(&request)?;
    let resource_type = discovery::find_resource_type(&id)
        .ok_or_else(|| ScimError::not_found(format!("ResourceType {id} not found")))?;
    let body = discovery::resource_type_resource(resource_type, &scim_base(&state, &request));
    Ok(scim_response(StatusCode::OK).json(body))
}

pub async fn list_schemas(state: web::Data<AppState>, request: HttpRequest) -> Response {
    refuse_filter(&request)?;
    let base = scim_base(&state, &request);
    let resources: Vec<_> = discovery::schemas()
        .into_iter()
        .map(|schema| discovery::schema_resource(schema, &base))
        .collect();
    Ok(scim_response(StatusCode::OK).json(list(resources)))
}

pub async fn get_schema(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    refuse_filter(&request)?;
    let schema = discovery::find_schema(&id)
        .ok_or_else(|| ScimError::not_found(format!("Schema {id} not found")))?;
    let body = discovery::schema_resource(schema, &scim_base(&state, &request));
    Ok(scim_response(StatusCode::OK).json(body))
}

/// The whole collection on one page: RFC 7644 §4 says `startIndex`, `count` and sorting SHALL
/// be ignored on these endpoints.
fn list(resources: Vec<serde_json::Value>) -> serde_json::Value {
    let total = u64::try_from(resources.len()).unwrap_or_default();
    list_response(total, 1, resources)
}

/// RFC 7644 §4: other query parameters of §3.4.2 are ignored here, but a `filter` SHOULD be
/// answered with 403, so that a client cannot take the whole list for the filter's matches.
fn refuse_filter(request: &HttpRequest) -> Result<(), ScimApiError> {
    let has_filter = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .is_ok_and(|query| {
            query
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("filter"))
        });
    if has_filter {
        let detail = format!("{} does not support filtering", request.path());
        return Err(ScimError::new(403, None, detail).into());
    }
    Ok(())
}

fn scim_base(state: &AppState, request: &HttpRequest) -> String {
    format!("{}/scim/v2", state.base_url(request))
}
