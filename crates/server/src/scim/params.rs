//! The query parameters and conditional headers that every SCIM resource endpoint shares
//! (RFC 7644 §3.4.2, §3.9, §3.14): list parameters, `attributes` / `excludedAttributes`, and
//! `If-Match`. Names are resolved against the schema of the resource type being served.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use usertrail_scim::resource::{AttributeSelection, list_response};
use usertrail_scim::{
    Filter, ResourceKind, ScimError, ScimType, SearchRequest, SortBy, parse_filter,
    parse_sort_order,
};
use usertrail_store::ScimQuery;

use super::{ScimApiError, scim_response};

/// The most resources one list page returns (advertised as maxResults).
pub const MAX_RESULTS: i64 = 1000;
/// The page size when the client does not ask for one.
const DEFAULT_COUNT: i64 = 100;

/// The parameters of a list (`GET` on a resource type's endpoint, RFC 7644 §3.4.2) or of a
/// search (`POST .search`, §3.4.3), resolved against the schema of one resource type.
#[derive(Clone)]
pub struct ListParams {
    pub filter: Option<Filter>,
    pub sort: Option<SortBy>,
    pub selection: AttributeSelection,
    pub start_index: i64,
    pub count: i64,
}

impl ListParams {
    /// Resolves the parameters as sent, whichever way they came, against `kind`'s schema.
    pub fn resolve(kind: ResourceKind, request: &SearchRequest) -> Result<Self, ScimApiError> {
        let sort_order = request.sort_order.as_deref();
        // sortOrder alone changes nothing (RFC 7644 §3.4.2.3), but a bad one is still refused.
        parse_sort_order(sort_order)?;
        let sort = request
            .sort_by
            .as_deref()
            .filter(|sort_by| !sort_by.trim().is_empty())
            .map(|sort_by| SortBy::parse_for(kind, sort_by, sort_order))
            .transpose()?;
        let filter = request.filter.as_deref().map(parse_filter).transpose()?;
        let attributes = request.attributes.as_deref();
        let excluded = request.excluded_attributes.as_deref();
        // RFC 7644 §3.4.2.4: below 1 means 1, negative counts mean 0.
        Ok(Self {
            filter,
            sort,
            selection: AttributeSelection::parse_for(kind, attributes, excluded)?,
            start_index: request.start_index.unwrap_or(1).max(1),
            count: request.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_RESULTS),
        })
    }

    /// The store's query for these parameters.
    pub fn query(&self) -> ScimQuery<'_> {
        ScimQuery {
            filter: self.filter.as_ref(),
            sort: self.sort.as_ref(),
            start_index: self.start_index,
            count: self.count,
        }
    }
}

/// One rendered page of a list and the number of all matches, before it becomes a
/// ListResponse.
pub struct ListPage {
    pub total_results: i64,
    pub resources: Vec<serde_json::Value>,
}

impl ListPage {
    /// The ListResponse (RFC 7644 §3.4.2) of this page, which starts at `start_index`.
    pub fn into_response(self, start_index: i64) -> HttpResponse {
        let total = u64::try_from(self.total_results).unwrap_or_default();
        let start = u64::try_from(start_index).unwrap_or(1);
        scim_response(StatusCode::OK).json(list_response(total, start, self.resources))
    }
}

/// The list parameters of a query string, in the form a `.search` body also takes.
pub fn search_request(query: &str) -> Result<SearchRequest, ScimApiError> {
    let mut params = query_pairs(query)?;
    Ok(SearchRequest {
        start_index: integer(&params, "startIndex")?,
        count: integer(&params, "count")?,
        filter: params.remove("filter"),
        sort_by: params.remove("sortBy"),
        sort_order: params.remove("sortOrder"),
        attributes: params.remove("attributes"),
        excluded_attributes: params.remove("excludedAttributes"),
    })
}

/// `attributes` / `excludedAttributes` of any SCIM request (RFC 7644 §3.9), parsed before
/// anything is written so that a bad one changes nothing.
pub fn selection(
    kind: ResourceKind,
    request: &HttpRequest,
) -> Result<AttributeSelection, ScimApiError> {
    selection_from(kind, &query_pairs(request.query_string())?)
}

fn selection_from(
    kind: ResourceKind,
    params: &HashMap<String, String>,
) -> Result<AttributeSelection, ScimApiError> {
    let attributes = params.get("attributes").map(String::as_str);
    let excluded = params.get("excludedAttributes").map(String::as_str);
    Ok(AttributeSelection::parse_for(kind, attributes, excluded)?)
}

fn query_pairs(query: &str) -> Result<HashMap<String, String>, ScimApiError> {
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

/// The version in `If-Match`, `None` when absent or `*`.
pub fn if_match(request: &HttpRequest) -> Result<Option<i64>, ScimApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    parse_etag(value.to_str().unwrap_or_default())
}

/// The version an ETag of this server names (`W/"3"`, `"3"`), `None` for `*`; the form of
/// `If-Match` and of a bulk operation's `version`.
pub fn parse_etag(value: &str) -> Result<Option<i64>, ScimApiError> {
    let value = value.trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.strip_prefix("W/").unwrap_or(value);
    tag.trim_matches('"').parse().map(Some).map_err(|_| {
        ScimError::bad_request(
            ScimType::InvalidValue,
            format!("version {value:?} is not an ETag of this server, like W/\"3\""),
        )
        .into()
    })
}

/// The weak ETag of an aggregate version, also its `meta.version`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}
