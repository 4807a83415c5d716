//! `/scim/v2/Users`: thin handlers that parse the protocol, run a command
//! through the application layer and render the stored result.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{DomainError, Profile, User, UserCommand, UserId};
use usertrail_scim::filter::parse_filter;
use usertrail_scim::patch::PatchRequest;
use usertrail_scim::resource::{AttributeSelection, Meta, list_response, render_user};
use usertrail_scim::{
    ScimError, ScimType, SortBy, UserInput, parse_sort_order, parse_user, validate_user_attributes,
};
use usertrail_store::{ScimQuery, list_scim_users};
use uuid::Uuid;

use super::{ScimApiError, ScimCaller, scim_response};
use crate::app::{self, AppError};
use crate::request::read_json;
use crate::startup::AppState;

/// The most resources one list page returns (advertised as maxResults).
pub const MAX_RESULTS: i64 = 1000;
/// The page size when the client does not ask for one.
const DEFAULT_COUNT: i64 = 100;

type Response = Result<HttpResponse, ScimApiError>;

pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let selection = selection(&request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let profile = profile_from(parse_user(body)?)?;

    let origin = caller.origin(&state, &request);
    let id = UserId(Uuid::new_v4());
    let user = app::create(&state.pool, &origin, id, profile).await?;

    let location = location(&state, &request, &user);
    Ok(scim_response(StatusCode::CREATED)
        .insert_header((header::LOCATION, location.clone()))
        .insert_header((header::ETAG, etag(&user)))
        .json(selection.project(render(&user, &location))))
}

pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let id = parse_id(&id)?;
    let selection = selection(&request)?;
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let user = usertrail_store::load_user(&client, caller.token.org_id, id)
        .await?
        .filter(|user| !user.is_deleted())
        .ok_or_else(|| user_not_found(id))?;
    if let Some(not_modified) =
        super::conditional::not_modified(&request, user.version, &etag(&user))
    {
        return Ok(not_modified);
    }
    Ok(resource_response(
        &state,
        &request,
        &user,
        StatusCode::OK,
        &selection,
    ))
}

pub async fn list(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let params = ListParams::parse(request.query_string())?;
    let filter = params.filter.as_deref().map(parse_filter).transpose()?;

    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let query = ScimQuery {
        filter: filter.as_ref(),
        sort: params.sort.as_ref(),
        start_index: params.start_index,
        count: params.count,
    };
    let page = list_scim_users(&client, caller.token.org_id, &query).await?;

    let resources = page
        .users
        .iter()
        .map(|user| {
            let resource = render(user, &location(&state, &request, user));
            params.selection.project(resource)
        })
        .collect();
    let total = u64::try_from(page.total_results).unwrap_or_default();
    let start = u64::try_from(params.start_index).unwrap_or(1);
    Ok(scim_response(StatusCode::OK).json(list_response(total, start, resources)))
}

pub async fn replace(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let id = parse_id(&id)?;
    let expected = if_match(&request)?;
    let selection = selection(&request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let profile = profile_from(parse_user(body)?)?;

    let origin = caller.origin(&state, &request);
    let outcome = app::execute(&state.pool, &origin, id, expected, |_| {
        Ok::<_, ScimApiError>(UserCommand::Replace {
            profile: profile.clone(),
        })
    })
    .await
    .map_err(|error| not_found_as(error, id))?;
    Ok(resource_response(
        &state,
        &request,
        &outcome.user,
        StatusCode::OK,
        &selection,
    ))
}

pub async fn patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let id = parse_id(&id)?;
    let expected = if_match(&request)?;
    let selection = selection(&request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let patch = PatchRequest::parse(body)?;
    if patch.password().is_some() {
        return Err(password_not_supported());
    }

    let origin = caller.origin(&state, &request);
    let outcome = app::execute(&state.pool, &origin, id, expected, |user| {
        let user = user
            .filter(|user| !user.is_deleted())
            .ok_or_else(|| user_not_found(id))?;
        let patched = patch.apply(user.profile.attributes())?;
        let validated = validate_user_attributes(patched)?;
        Ok::<_, ScimApiError>(UserCommand::Patch {
            profile: profile_from_attributes(validated)?,
        })
    })
    .await
    .map_err(|error| not_found_as(error, id))?;
    Ok(resource_response(
        &state,
        &request,
        &outcome.user,
        StatusCode::OK,
        &selection,
    ))
}

pub async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let id = parse_id(&id)?;
    let expected = if_match(&request)?;

    let origin = caller.origin(&state, &request);
    app::execute(&state.pool, &origin, id, expected, |_| {
        Ok::<_, ScimApiError>(UserCommand::Delete)
    })
    .await
    .map_err(|error| not_found_as(error, id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The parameters of `GET /Users` (RFC 7644 §3.4.2).
struct ListParams {
    filter: Option<String>,
    sort: Option<SortBy>,
    selection: AttributeSelection,
    start_index: i64,
    count: i64,
}

impl ListParams {
    fn parse(query: &str) -> Result<Self, ScimApiError> {
        let params: HashMap<String, String> = serde_urlencoded_pairs(query)?;
        let sort_order = params.get("sortOrder").map(String::as_str);
        // sortOrder alone changes nothing (RFC 7644 §3.4.2.3), but a bad one is still refused.
        parse_sort_order(sort_order)?;
        let sort = params
            .get("sortBy")
            .filter(|sort_by| !sort_by.trim().is_empty())
            .map(|sort_by| SortBy::parse(sort_by, sort_order))
            .transpose()?;
        // RFC 7644 §3.4.2.4: below 1 means 1, negative counts mean 0.
        let start_index = integer(&params, "startIndex")?.unwrap_or(1).max(1);
        let count = integer(&params, "count")?
            .unwrap_or(DEFAULT_COUNT)
            .clamp(0, MAX_RESULTS);
        Ok(Self {
            filter: params.get("filter").cloned(),
            sort,
            selection: selection_from(&params)?,
            start_index,
            count,
        })
    }
}

/// `attributes` / `excludedAttributes` of any SCIM request (RFC 7644 §3.9), parsed before
/// anything is written so that a bad one changes nothing.
fn selection(request: &HttpRequest) -> Result<AttributeSelection, ScimApiError> {
    selection_from(&serde_urlencoded_pairs(request.query_string())?)
}

fn selection_from(params: &HashMap<String, String>) -> Result<AttributeSelection, ScimApiError> {
    let attributes = params.get("attributes").map(String::as_str);
    let excluded = params.get("excludedAttributes").map(String::as_str);
    Ok(AttributeSelection::parse(attributes, excluded)?)
}

fn serde_urlencoded_pairs(query: &str) -> Result<HashMap<String, String>, ScimApiError> {
    web::Query::<HashMap<String, String>>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|error| {
            ScimError::bad_request(ScimType::InvalidValue, format!("bad query string: {error}"))
                .into()
        })
}

fn integer(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ScimApiError> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    value.trim().parse().map(Some).map_err(|_| {
        ScimError::bad_request(ScimType::InvalidValue, format!("{name} must be an integer")).into()
    })
}

fn profile_from(input: UserInput) -> Result<Profile, ScimApiError> {
    if input.password.is_some() {
        return Err(password_not_supported());
    }
    profile_from_attributes(input.attributes)
}

/// Refusing a password is better than storing it or dropping it silently.
fn password_not_supported() -> ScimApiError {
    // FIXME: hash SCIM passwords with argon2 before building the command.
    ScimError::bad_request(
        ScimType::InvalidValue,
        "setting password over SCIM is not supported yet",
    )
    .into()
}

fn profile_from_attributes(
    attributes: serde_json::Map<String, serde_json::Value>,
) -> Result<Profile, ScimApiError> {
    Profile::new(attributes).map_err(|error| AppError::from(error).into())
}

fn parse_id(id: &str) -> Result<UserId, ScimApiError> {
    Uuid::parse_str(id)
        .map(UserId)
        .map_err(|_| ScimError::not_found(format!("User {id} not found")).into())
}

fn user_not_found(id: UserId) -> ScimApiError {
    ScimError::not_found(format!("User {id} not found")).into()
}

/// Names the user in a generic not-found from the application layer.
fn not_found_as(error: ScimApiError, id: UserId) -> ScimApiError {
    if error.0.status == 404 {
        user_not_found(id)
    } else {
        error
    }
}

/// The version in `If-Match`, `None` when absent or `*`.
fn if_match(request: &HttpRequest) -> Result<Option<i64>, ScimApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.strip_prefix("W/").unwrap_or(value);
    tag.trim_matches('"').parse().map(Some).map_err(|_| {
        ScimError::bad_request(
            ScimType::InvalidValue,
            format!("If-Match {value:?} is not an ETag of this server, like W/\"3\""),
        )
        .into()
    })
}

fn etag(user: &User) -> String {
    format!("W/\"{}\"", user.version)
}

fn location(state: &AppState, request: &HttpRequest, user: &User) -> String {
    format!("{}/scim/v2/Users/{}", state.base_url(request), user.id)
}

fn resource_response(
    state: &AppState,
    request: &HttpRequest,
    user: &User,
    status: StatusCode,
    selection: &AttributeSelection,
) -> HttpResponse {
    let location = location(state, request, user);
    scim_response(status)
        .insert_header((header::ETAG, etag(user)))
        .json(selection.project(render(user, &location)))
}

fn render(user: &User, location: &str) -> serde_json::Value {
    let created = user.created.at.format(&Rfc3339).unwrap_or_default();
    let last_modified = user.updated.at.format(&Rfc3339).unwrap_or_default();
    let version = etag(user);
    let meta = Meta {
        resource_type: "User",
        created: &created,
        last_modified: &last_modified,
        location,
        version: &version,
    };
    render_user(&user.id.to_string(), user.profile.attributes(), &meta)
}

impl From<DomainError> for ScimApiError {
    fn from(error: DomainError) -> Self {
        AppError::from(error).into()
    }
}
