//! `/scim/v2/Users`: what is particular to users behind the shared routes — parse the
//! protocol, run a command through the application layer and render the stored result.
//! [`write`] serves the write routes (`write.rs`) and bulk operations alike, [`list_page`]
//! the lists and searches (`search.rs`).

use crate::password::{PasswordError, hash_password};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{DomainError, OrgId, PasswordHash, Profile, User, UserCommand, UserId};
use usertrail_scim::patch::PatchRequest;
use usertrail_scim::resource::{Meta, render_user};
use usertrail_scim::{
    ResourceKind, ScimError, ScimType, UserInput, parse_user, validate_user_attributes,
};
use usertrail_store::list_scim_users;
use uuid::Uuid;

use super::params::{ListPage, ListParams};
use super::user_groups::UserGroups;
use super::write::{Write, Written};
use super::{ScimApiError, ScimCaller};
use crate::app::{self, AppError, Origin};
use crate::startup::AppState;

pub use super::params::MAX_RESULTS;

const USER: ResourceKind = ResourceKind::User;

type Response = Result<HttpResponse, ScimApiError>;

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
    let org = caller.token.org_id;
    let written = written(&client, &state, &request, org, &user, StatusCode::OK).await?;
    Ok(written.into_response(&selection))
}

/// The page of the organization's users that `params` asks for, rendered with their groups;
/// `GET /Users` and every `.search` that includes users answer with it.
pub async fn list_page(
    state: &AppState,
    request: &HttpRequest,
    org: OrgId,
    params: &ListParams,
) -> Result<ListPage, ScimApiError> {
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let page = list_scim_users(&client, org, &params.query()).await?;
    let groups = UserGroups::new(page.groups, state, request);

    let resources = page
        .users
        .iter()
        .map(|user| {
            let resource = render(user, &location(state, request, user));
            params.selection.project(groups.add_to(user.id, resource))
        })
        .collect();
    Ok(ListPage {
        total_results: page.total_results,
        resources,
    })
}

/// Runs one write of a user for `origin`, from a route or a bulk operation.
pub async fn write(
    state: &AppState,
    request: &HttpRequest,
    origin: &Origin,
    write: Write,
    expected: Option<i64>,
    body: serde_json::Value,
) -> Result<Written, ScimApiError> {
    let (status, user) = match write {
        Write::Create => (StatusCode::CREATED, create_user(state, origin, body).await?),
        Write::Replace(id) => {
            let id = parse_id(&id)?;
            (
                StatusCode::OK,
                replace_user(state, origin, id, expected, body).await?,
            )
        }
        Write::Patch(id) => {
            let id = parse_id(&id)?;
            (
                StatusCode::OK,
                patch_user(state, origin, id, expected, body).await?,
            )
        }
        Write::Delete(id) => {
            let id = parse_id(&id)?;
            execute(state, origin, id, expected, None, |_| {
                Ok(UserCommand::Delete)
            })
            .await?;
            let location = format!("{}/scim/v2/Users/{id}", state.base_url(request));
            return Ok(Written::deleted(id.to_string(), location));
        }
    };
    if user.last_event_type == "user_adopted" {
        super::adoption::close_invitation(state, origin, &user).await?;
    }
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    written(&client, state, request, origin.org, &user, status).await
}

async fn create_user(
    state: &AppState,
    origin: &Origin,
    body: serde_json::Value,
) -> Result<User, ScimApiError> {
    let (profile, password) = profile_and_password(parse_user(body)?).await?;
    super::adoption::create_or_adopt(state, origin, profile, password.as_ref()).await
}

async fn replace_user(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    expected: Option<i64>,
    body: serde_json::Value,
) -> Result<User, ScimApiError> {
    let (profile, password) = profile_and_password(parse_user(body)?).await?;
    execute(state, origin, id, expected, password.as_ref(), |user| {
        Ok(super::adoption::scim_write(user, profile.clone(), true))
    })
    .await
}

async fn patch_user(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    expected: Option<i64>,
    body: serde_json::Value,
) -> Result<User, ScimApiError> {
    let patch = PatchRequest::parse(body)?;
    let password = hash(patch.password().map(str::to_owned)).await?;
    execute(state, origin, id, expected, password.as_ref(), |user| {
        let user = user
            .filter(|user| !user.is_deleted())
            .ok_or_else(|| user_not_found(id))?;
        let patched = patch.apply(user.profile.attributes())?;
        let validated = validate_user_attributes(patched)?;
        let profile = profile_from_attributes(validated)?;
        Ok(super::adoption::scim_write(Some(user), profile, false))
    })
    .await
}

/// [`app::execute`] with the user named in a not-found.
async fn execute(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    expected: Option<i64>,
    password: Option<&PasswordHash>,
    build: impl Fn(Option<&User>) -> Result<UserCommand, ScimApiError>,
) -> Result<User, ScimApiError> {
    app::execute(&state.pool, origin, id, expected, password, build)
        .await
        .map(|outcome| outcome.user)
        .map_err(|error| not_found_as(error, id))
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

/// The user as written, with the groups it belongs to now.
async fn written(
    client: &usertrail_store::Client,
    state: &AppState,
    request: &HttpRequest,
    org: OrgId,
    user: &User,
    status: StatusCode,
) -> Result<Written, ScimApiError> {
    let groups = UserGroups::load(client, state, request, org, &[user.id]).await?;
    let location = location(state, request, user);
    let resource = groups.add_to(user.id, render(user, &location));
    Ok(Written {
        status,
        id: user.id.to_string(),
        location,
        version: Some(etag(user)),
        resource: Some(resource),
    })
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
