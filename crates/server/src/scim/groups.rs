//! `/scim/v2/Groups`: thin handlers that parse the protocol, run a command through the group
//! application layer and render the stored result with its live members.
//!
//! A PATCH is applied by the same engine as for users, to a document holding the group's
//! attributes and member ids; the members it adds and removes become the command's deltas,
//! so the log and the projection only ever see the members that changed.

use std::collections::BTreeSet;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use time::format_description::well_known::Rfc3339;
use usertrail_domain::{GroupCommand, GroupId, GroupProfile, UserId};
use usertrail_scim::filter::parse_filter;
use usertrail_scim::group::{member_reference, patch_document};
use usertrail_scim::patch::PatchRequest;
use usertrail_scim::resource::{AttributeSelection, Meta, list_response, render_resource};
use usertrail_scim::{
    GroupInput, ResourceKind, ScimError, ScimType, parse_group, validate_group_attributes,
};
use usertrail_store::{LoadedGroup, ScimQuery, StoreError, list_scim_groups, load_group};
use uuid::Uuid;

use super::params::{ListParams, etag, if_match, selection};
use super::{ScimApiError, ScimCaller, scim_response};
use crate::group_app::{self, GroupAppError};
use crate::request::read_json;
use crate::startup::AppState;

type Response = Result<HttpResponse, ScimApiError>;

const GROUP: ResourceKind = ResourceKind::Group;

pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let selection = selection(GROUP, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let (profile, members) = command_parts(parse_group(body)?)?;

    let origin = caller.origin(&state, &request);
    let id = GroupId(Uuid::new_v4());
    let command = GroupCommand::Create { profile, members };
    group_app::create_group(&state.pool, &origin, id, command).await?;

    let loaded = reload(&state, caller.token.org_id, id).await?;
    let location = location(&state, &request, id);
    Ok(scim_response(StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(loaded.group.version)))
        .json(selection.project(render(&state, &request, &loaded))))
}

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
    Ok(resource_response(&state, &request, &loaded, &selection))
}

pub async fn list(state: web::Data<AppState>, request: HttpRequest) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let params = ListParams::parse(GROUP, request.query_string())?;
    let filter = params.filter.as_deref().map(parse_filter).transpose()?;

    let client = state.pool.get().await.map_err(StoreError::from)?;
    let query = ScimQuery {
        filter: filter.as_ref(),
        sort: params.sort.as_ref(),
        start_index: params.start_index,
        count: params.count,
    };
    let page = list_scim_groups(&client, caller.token.org_id, &query).await?;

    let resources = page
        .groups
        .iter()
        .map(|loaded| params.selection.project(render(&state, &request, loaded)))
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
    let selection = selection(GROUP, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let (profile, members) = command_parts(parse_group(body)?)?;

    let origin = caller.origin(&state, &request);
    group_app::execute_group(&state.pool, &origin, id, expected, |_| {
        Ok::<_, ScimApiError>(GroupCommand::Replace {
            profile: profile.clone(),
            members: members.clone(),
        })
    })
    .await
    .map_err(|error| not_found_as(error, id))?;

    let loaded = reload(&state, caller.token.org_id, id).await?;
    Ok(resource_response(&state, &request, &loaded, &selection))
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
    let selection = selection(GROUP, &request)?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let patch = PatchRequest::parse(body)?;
    if patch.password().is_some() {
        let detail = "a Group has no attribute 'password'";
        return Err(ScimError::bad_request(ScimType::InvalidPath, detail).into());
    }

    let origin = caller.origin(&state, &request);
    group_app::execute_group(&state.pool, &origin, id, expected, |loaded| {
        let loaded = loaded
            .filter(|loaded| !loaded.group.is_deleted())
            .ok_or_else(|| group_not_found(id))?;
        patch_command(&patch, loaded)
    })
    .await
    .map_err(|error| not_found_as(error, id))?;

    let loaded = reload(&state, caller.token.org_id, id).await?;
    Ok(resource_response(&state, &request, &loaded, &selection))
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
    group_app::execute_group(&state.pool, &origin, id, expected, |_| {
        Ok::<_, ScimApiError>(GroupCommand::Delete)
    })
    .await
    .map_err(|error| not_found_as(error, id))?;
    Ok(HttpResponse::NoContent().finish())
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
async fn reload(
    state: &AppState,
    org: usertrail_domain::OrgId,
    id: GroupId,
) -> Result<LoadedGroup, ScimApiError> {
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

fn resource_response(
    state: &AppState,
    request: &HttpRequest,
    loaded: &LoadedGroup,
    selection: &AttributeSelection,
) -> HttpResponse {
    scim_response(StatusCode::OK)
        .insert_header((header::ETAG, etag(loaded.group.version)))
        .json(selection.project(render(state, request, loaded)))
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
