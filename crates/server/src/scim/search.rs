//! Lists (`GET /Users`, `GET /Groups`, RFC 7644 §3.4.2) and searches (`POST .search`,
//! §3.4.3), whose parameters travel in a SearchRequest body rather than the query string, so
//! that filters stay out of URLs and access logs.
//!
//! A GET's query string and a search's body become the same [`SearchRequest`], resolved into
//! the same [`ListParams`] and answered by the same `list_page` of `users.rs` / `groups.rs`,
//! so a search and the equivalent GET cannot drift apart. `/.search` at the
//! root spans both resource types: see [`root`] for how one set of parameters
//! applies to two schemas.

use actix_web::{HttpRequest, HttpResponse, web};
use usertrail_domain::OrgId;
use usertrail_scim::{
    ResourceKind, ScimError, ScimType, SearchRequest, filter_fits, parse_attribute_reference_in,
};

use super::params::{ListPage, ListParams, search_request};
use super::{ScimApiError, ScimCaller, groups, users};
use crate::request::read_json;
use crate::startup::AppState;

type Response = Result<HttpResponse, ScimApiError>;

/// The resource types a root search spans, in the order their results are concatenated.
const ROOT_KINDS: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];

/// `GET /Users`.
pub async fn list_users(state: web::Data<AppState>, request: HttpRequest) -> Response {
    list(ResourceKind::User, &state, &request, None).await
}

/// `GET /Groups`.
pub async fn list_groups(state: web::Data<AppState>, request: HttpRequest) -> Response {
    list(ResourceKind::Group, &state, &request, None).await
}

/// `POST /Users/.search`.
pub async fn users(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    list(ResourceKind::User, &state, &request, Some(payload)).await
}

/// `POST /Groups/.search`.
pub async fn groups(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    list(ResourceKind::Group, &state, &request, Some(payload)).await
}

/// A list of one resource type, its parameters taken from the SearchRequest `body` of a
/// `.search` or, without one, from the query string of a `GET`.
async fn list(
    kind: ResourceKind,
    state: &AppState,
    request: &HttpRequest,
    body: Option<web::Payload>,
) -> Response {
    let caller = ScimCaller::authenticate(state, request).await?;
    let from_url = body.is_none();
    let search = match body {
        Some(payload) => read_search(state, request, payload).await?,
        None => search_request(request.query_string())?,
    };
    let params = ListParams::resolve(kind, &search)?;
    if from_url
        && params
            .filter
            .as_ref()
            .is_some_and(|f| f.names_attribute("password"))
    {
        // RFC 7644 §7.5.2: confidential values must not travel in a URL.
        return Err(ScimError::new(
            403,
            Some(ScimType::Sensitive),
            "a filter on password must not be sent in a URL; and password is write-only",
        )
        .into());
    }
    let page = list_page(kind, state, request, caller.token.org_id, &params).await?;
    Ok(page.into_response(params.start_index))
}

/// `POST /.search`: Users, then Groups, paged as one list. A type whose schema lacks an
/// attribute the filter names contributes nothing (a User has no `members`, a Group no
/// `userName`), because "which resources match" has a plain answer for it: none. A filter
/// that fits no type is refused as for a single type. `attributes` / `excludedAttributes`
/// apply to each type with the names it has; `sortBy` must name an attribute of both, and
/// sorts within each type.
pub async fn root(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Response {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let search = read_search(&state, &request, payload).await?;
    let parts = ROOT_KINDS
        .into_iter()
        .map(|kind| Ok((kind, ListParams::resolve(kind, &for_kind(kind, &search)?)?)))
        .collect::<Result<Vec<_>, ScimApiError>>()?;
    let fitting: Vec<_> = parts
        .iter()
        .filter(|(kind, params)| params.filter.as_ref().is_none_or(|f| filter_fits(*kind, f)))
        .collect();
    // With no type left, the Users list refuses the filter and names what is wrong with it.
    let included: Vec<_> = if fitting.is_empty() {
        parts.iter().take(1).collect()
    } else {
        fitting
    };
    // startIndex and count do not depend on the schema, so any type's reading of them will do.
    let (start_index, count) = parts
        .first()
        .map_or((1, 0), |(_, params)| (params.start_index, params.count));

    let mut combined = ListPage {
        total_results: 0,
        resources: Vec::new(),
    };
    let (mut start, mut remaining) = (start_index, count);
    for (kind, params) in included {
        let part = ListParams {
            start_index: start,
            count: remaining,
            ..params.clone()
        };
        let page = list_page(*kind, &state, &request, caller.token.org_id, &part).await?;
        // The next type's page starts where this type's matches end.
        start = (start - page.total_results).max(1);
        remaining -= i64::try_from(page.resources.len()).unwrap_or(remaining);
        combined.total_results += page.total_results;
        combined.resources.extend(page.resources);
    }
    Ok(combined.into_response(start_index))
}

async fn list_page(
    kind: ResourceKind,
    state: &AppState,
    request: &HttpRequest,
    org: OrgId,
    params: &ListParams,
) -> Result<ListPage, ScimApiError> {
    match kind {
        ResourceKind::User => users::list_page(state, request, org, params).await,
        ResourceKind::Group => groups::list_page(state, request, org, params).await,
    }
}

async fn read_search(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<SearchRequest, ScimApiError> {
    let body = read_json(request, payload, state.max_body_bytes).await?;
    Ok(SearchRequest::parse(body)?)
}

/// The root search's parameters for one type: `attributes` and `excludedAttributes` keep
/// the names that `kind` has. A name that no type has is refused, as a single-type list
/// would refuse it.
fn for_kind(kind: ResourceKind, search: &SearchRequest) -> Result<SearchRequest, ScimApiError> {
    let attributes = search
        .attributes
        .as_deref()
        .map(|list| names_of(kind, list))
        .transpose()?;
    Ok(SearchRequest {
        // `id` is always returned, so asking only for it keeps a type whose schema has none of
        // the names down to its id instead of falling back to every attribute.
        attributes: attributes.map(|names| {
            if names.is_empty() {
                "id".to_owned()
            } else {
                names
            }
        }),
        excluded_attributes: search
            .excluded_attributes
            .as_deref()
            .map(|list| names_of(kind, list))
            .transpose()?,
        ..search.clone()
    })
}

fn names_of(kind: ResourceKind, list: &str) -> Result<String, ScimApiError> {
    let mut kept = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let known_to = |kind| parse_attribute_reference_in(kind, name).is_some();
        if !ROOT_KINDS.into_iter().any(known_to) {
            let detail = format!("'{name}' is not an attribute of any resource type");
            return Err(ScimError::bad_request(ScimType::InvalidValue, detail).into());
        }
        if known_to(kind) {
            kept.push(name);
        }
    }
    Ok(kept.join(","))
}
