//! `/scim/v2/Users`: thin handlers that parse the protocol, run a command
//! through the application layer and render the stored result.

use crate::password::{PasswordError, hash_password};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{DomainError, OrgId, PasswordHash, Profile, User, UserCommand, UserId};
use usertrail_scim::filter::parse_filter;
use usertrail_scim::patch::PatchRequest;
use usertrail_scim::resource::{AttributeSelection, Meta, list_response, render_user};
use usertrail_scim::{
    ResourceKind, ScimError, ScimType, UserInput, parse_user, validate_user_attributes,
};
use usertrail_store::{ScimQuery, list_scim_users};
use uuid::Uuid;

use super::params::{ListParams, if_match};
use super::user_groups::UserGroups;
use super::{ScimApiError, ScimCaller, scim_response};
use crate::app::{self, AppError};
use crate::request::read_json;
use crate::startup::AppState;

pub use super::params::MAX_RESULTS;

const USER: ResourceKind = ResourceKind::User;

type Response = Result<HttpResponse, ScimApiError>;

pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let selection = super::params::selection(USER, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let (profile, password) = profile_and_password(parse_user(body)?).await?;

    let origin = caller.origin(&state, &request);
    let id = UserId(Uuid::new_v4());
    let user = app::create(&state.pool, &origin, id, profile, password.as_ref()).await?;

    // A user just created is in no group yet, so its `groups` needs no lookup.
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
    let selection = super::params::selection(USER, &request)?;
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
    resource_response(
        &state,
        &request,
        caller.token.org_id,
        &user,
        StatusCode::OK,
        &selection,
    )
    .await
}

pub async fn list(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let params = ListParams::parse(USER, request.query_string())?;
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
    let ids: Vec<UserId> = page.users.iter().map(|user| user.id).collect();
    let groups = UserGroups::load(&state, &request, caller.token.org_id, &ids).await?;

    let resources = page
        .users
        .iter()
        .map(|user| {
            let resource = render(user, &location(&state, &request, user));
            params.selection.project(groups.add_to(user.id, resource))
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
    let selection = super::params::selection(USER, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let (profile, password) = profile_and_password(parse_user(body)?).await?;

    let origin = caller.origin(&state, &request);
    let outcome = app::execute(
        &state.pool,
        &origin,
        id,
        expected,
        password.as_ref(),
        |_| {
            Ok::<_, ScimApiError>(UserCommand::Replace {
                profile: profile.clone(),
            })
        },
    )
    .await
    .map_err(|error| not_found_as(error, id))?;
    resource_response(
        &state,
        &request,
        caller.token.org_id,
        &outcome.user,
        StatusCode::OK,
        &selection,
    )
    .await
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
    let selection = super::params::selection(USER, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let patch = PatchRequest::parse(body)?;
    let password = hash(patch.password().map(str::to_owned)).await?;

    let origin = caller.origin(&state, &request);
    let outcome = app::execute(
        &state.pool,
        &origin,
        id,
        expected,
        password.as_ref(),
        |user| {
            let user = user
                .filter(|user| !user.is_deleted())
                .ok_or_else(|| user_not_found(id))?;
            let patched = patch.apply(user.profile.attributes())?;
            let validated = validate_user_attributes(patched)?;
            Ok::<_, ScimApiError>(UserCommand::Patch {
                profile: profile_from_attributes(validated)?,
            })
        },
    )
    .await
    .map_err(|error| not_found_as(error, id))?;
    resource_response(
        &state,
        &request,
        caller.token.org_id,
        &outcome.user,
        StatusCode::OK,
        &selection,
    )
    .await
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
    app::execute(&state.pool, &origin, id, expected, None, |_| {
        Ok::<_, ScimApiError>(UserCommand::Delete)
    })
    .await
    .map_err(|error| not_found_as(error, id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The validated profile, and the password's hash when the body set one.
/// The plaintext goes no further than this.
async fn profile_and_password(
    input: UserInput,
) -> Result<(Profile, Option<PasswordHash>), ScimApiError> {
    let profile = profile_from_attributes(input.attributes)?;
    Ok((profile, hash(input.password).await?))
}

async fn hash(password: Option<String>) -> Result<Option<PasswordHash>, ScimApiError> {
    let Some(password) = password else {
        return Ok(None);
    };
    match hash_password(password).await {
        Ok(hash) => Ok(Some(hash)),
        Err(error @ PasswordError::Length) => {
            Err(ScimError::bad_request(ScimType::InvalidValue, error.to_string()).into())
        }
        Err(error @ PasswordError::Hashing(_)) => {
            tracing::error!(%error, "password hashing failed");
            Err(ScimError::new(500, None, "could not store the password").into())
        }
    }
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

fn etag(user: &User) -> String {
    format!("W/\"{}\"", user.version)
}

fn location(state: &AppState, request: &HttpRequest, user: &User) -> String {
    format!("{}/scim/v2/Users/{}", state.base_url(request), user.id)
}

/// The user as a response, with the groups it belongs to now.
async fn resource_response(
    state: &AppState,
    request: &HttpRequest,
    org: OrgId,
    user: &User,
    status: StatusCode,
    selection: &AttributeSelection,
) -> Response {
    let groups = UserGroups::load(state, request, org, &[user.id]).await?;
    let location = location(state, request, user);
    Ok(scim_response(status)
        .insert_header((header::ETAG, etag(user)))
        .json(selection.project(groups.add_to(user.id, render(user, &location)))))
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
