//! `/scim/v2/Groups`: what is particular to groups behind the shared routes — parse the
//! protocol, run a command through the group application layer and render the stored result
//! with its live members. [`write`] serves the write routes (`write.rs`) and bulk operations
//! alike, [`list_page`] the lists and searches (`search.rs`).
//!
//! A PATCH is applied by the same engine as for users, to a document holding the group's
//! attributes and member ids; the members it adds and removes become the command's deltas,
//! so the log and the projection only ever see the members that changed.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{GroupCommand, GroupId, GroupProfile, OrgId, UserId};
use usertrail_scim::group::{member_reference, patch_document};
use usertrail_scim::patch::PatchRequest;
use usertrail_scim::resource::{Meta, render_resource};
use usertrail_scim::{
    GroupInput, ResourceKind, ScimError, ScimType, parse_group, validate_group_attributes,
};
use usertrail_store::{LoadedGroup, StoreError, list_scim_groups, load_group};
use uuid::Uuid;

use super::params::{ListPage, ListParams, etag, selection};
use super::write::{Write, Written};
use super::{ScimApiError, ScimCaller};
use crate::app::Origin;
use crate::group_app::{self, GroupAppError};
use crate::startup::AppState;

type Response = Result<HttpResponse, ScimApiError>;

const GROUP: ResourceKind = ResourceKind::Group;

pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let id = parse_id(&id)?;
    let selection = selection(GROUP, &request)?;
    let loaded = reload(&state, caller.token.org_id, id).await?;
    let version = loaded.group.version;
    if let Some(not_modified) = super::conditional::not_modified(&request, version, &etag(version))
    {
        return Ok(not_modified);
    }
    Ok(written(&state, &request, &loaded, StatusCode::OK).into_response(&selection))
}

/// The page of the organization's groups that `params` asks for, rendered with their live
/// members; `GET /Groups` and every `.search` that includes groups answer with it.
pub async fn list_page(
    state: &AppState,
    request: &HttpRequest,
    org: OrgId,
    params: &ListParams,
) -> Result<ListPage, ScimApiError> {
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let page = list_scim_groups(&client, org, &params.query()).await?;
    let resources = page
        .groups
        .iter()
        .map(|loaded| params.selection.project(render(state, request, loaded)))
        .collect();
    Ok(ListPage {
        total_results: page.total_results,
        resources,
    })
}

/// Runs one write of a group for `origin`, from a route or a bulk operation.
pub async fn write(
    state: &AppState,
    request: &HttpRequest,
    origin: &Origin,
    write: Write,
    expected: Option<i64>,
    body: serde_json::Value,
) -> Result<Written, ScimApiError> {
    let (status, id) = match write {
        Write::Create => {
            let (profile, members) = command_parts(parse_group(body)?)?;
            let id = GroupId(Uuid::new_v4());
            let command = GroupCommand::Create { profile, members };
            group_app::create_group(&state.pool, origin, id, command).await?;
            (StatusCode::CREATED, id)
        }
        Write::Replace(id) => {
            let id = parse_id(&id)?;
            let (profile, members) = command_parts(parse_group(body)?)?;
            execute(state, origin, id, expected, |_| {
                Ok(GroupCommand::Replace {
                    profile: profile.clone(),
                    members: members.clone(),
                })
            })
            .await?;
            (StatusCode::OK, id)
        }
        Write::Patch(id) => {
            let id = parse_id(&id)?;
            let patch = PatchRequest::parse(body)?;
            if patch.password().is_some() {
                let detail = "a Group has no attribute 'password'";
                return Err(ScimError::bad_request(ScimType::InvalidPath, detail).into());
            }
            execute(state, origin, id, expected, |loaded| {
                let loaded = loaded
                    .filter(|loaded| !loaded.group.is_deleted())
                    .ok_or_else(|| group_not_found(id))?;
                patch_command(&patch, loaded)
            })
            .await?;
            (StatusCode::OK, id)
        }
        Write::Delete(id) => {
            let id = parse_id(&id)?;
            execute(state, origin, id, expected, |_| Ok(GroupCommand::Delete)).await?;
            let location = location(state, request, id);
            return Ok(Written::deleted(id.to_string(), location));
        }
    };
    let loaded = reload(state, origin.org, id).await?;
    Ok(written(state, request, &loaded, status))
}

/// [`group_app::execute_group`] with the group named in a not-found.
async fn execute(
    state: &AppState,
    origin: &Origin,
    id: GroupId,
    expected: Option<i64>,
    build: impl Fn(Option<&LoadedGroup>) -> Result<GroupCommand, ScimApiError>,
) -> Result<(), ScimApiError> {
    group_app::execute_group(&state.pool, origin, id, expected, build)
        .await
        .map(|_| ())
        .map_err(|error| not_found_as(error, id))
}

/// Applies `patch` to the group's attributes and members and turns the difference in
/// membership into the deltas of a `Patch` command.
fn patch_command(patch: &PatchRequest, loaded: &LoadedGroup) -> Result<GroupCommand, ScimApiError> {
    let group = &loaded.group;
    let members = group.members.iter().map(ToString::to_string);
    let document = patch_document(&group.id.to_string(), group.profile.attributes(), members);
    let patched = patch.apply_in(GROUP, &document)?;
    let (profile, after) = command_parts(validate_group_attributes(patched)?)?;
    Ok(GroupCommand::Patch {
        profile,
        add: after.difference(&group.members).copied().collect(),
        remove: group.members.difference(&after).copied().collect(),
    })
}

/// The domain's view of a parsed Group body: its attributes and the set of member ids.
fn command_parts(input: GroupInput) -> Result<(GroupProfile, BTreeSet<UserId>), ScimApiError> {
    let profile = GroupProfile::new(input.attributes).map_err(GroupAppError::from)?;
    let members = input
        .members
        .iter()
        .map(|value| {
            Uuid::parse_str(value).map(UserId).map_err(|_| {
                let detail = format!("member {value:?} is not the id of a user");
                ScimError::bad_request(ScimType::InvalidValue, detail)
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((profile, members))
}

/// The group as stored now, with its live members; 404 when deleted or unknown.
async fn reload(state: &AppState, org: OrgId, id: GroupId) -> Result<LoadedGroup, ScimApiError> {
    let client = state.pool.get().await.map_err(StoreError::from)?;
    load_group(&client, org, id)
        .await?
        .filter(|loaded| !loaded.group.is_deleted())
        .ok_or_else(|| group_not_found(id))
}

fn parse_id(id: &str) -> Result<GroupId, ScimApiError> {
    Uuid::parse_str(id)
        .map(GroupId)
        .map_err(|_| ScimError::not_found(format!("Group {id} not found")).into())
}

fn group_not_found(id: GroupId) -> ScimApiError {
    ScimError::not_found(format!("Group {id} not found")).into()
}

/// Names the group in a generic not-found from the application layer.
fn not_found_as(error: ScimApiError, id: GroupId) -> ScimApiError {
    if error.0.status == 404 {
        group_not_found(id)
    } else {
        error
    }
}

fn location(state: &AppState, request: &HttpRequest, id: GroupId) -> String {
    format!("{}/scim/v2/Groups/{id}", state.base_url(request))
}

/// The group as written, with its live members.
fn written(
    state: &AppState,
    request: &HttpRequest,
    loaded: &LoadedGroup,
    status: StatusCode,
) -> Written {
    Written {
        status,
        id: loaded.group.id.to_string(),
        location: location(state, request, loaded.group.id),
        version: Some(etag(loaded.group.version)),
        resource: Some(render(state, request, loaded)),
    }
}

fn render(state: &AppState, request: &HttpRequest, loaded: &LoadedGroup) -> serde_json::Value {
    let group = &loaded.group;
    let base = state.base_url(request);
    let members: Vec<serde_json::Value> = loaded
        .live_members
        .iter()
        .map(|member| {
            let user_location = format!("{base}/scim/v2/Users/{}", member.id);
            member_reference(&member.id.to_string(), &user_location, &member.display)
        })
        .collect();
    let mut attributes = group.profile.attributes().clone();
    if !members.is_empty() {
        attributes.insert("members".to_owned(), serde_json::Value::Array(members));
    }
    let created = group.created.at.format(&Rfc3339).unwrap_or_default();
    let last_modified = group.updated.at.format(&Rfc3339).unwrap_or_default();
    let version = etag(group.version);
    let location = location(state, request, group.id);
    let meta = Meta {
        resource_type: "Group",
        created: &created,
        last_modified: &last_modified,
        location: &location,
        version: &version,
    };
    render_resource(GROUP, &group.id.to_string(), &attributes, &meta)
}
