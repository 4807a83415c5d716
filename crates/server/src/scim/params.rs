//! The query parameters and conditional headers that every SCIM resource endpoint shares
//! (RFC 7644 §3.4.2, §3.9, §3.14): list parameters, `attributes` / `excludedAttributes`, and
//! `If-Match`. Names are resolved against the schema of the resource type being served.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use usertrail_scim::resource::AttributeSelection;
use usertrail_scim::{ResourceKind, ScimError, ScimType, SortBy, parse_sort_order};

use super::ScimApiError;

/// The most resources one list page returns (advertised as maxResults).
pub const MAX_RESULTS: i64 = 1000;
/// The page size when the client does not ask for one.
const DEFAULT_COUNT: i64 = 100;

/// The parameters of a `GET` on a resource type's endpoint (RFC 7644 §3.4.2).
pub struct ListParams {
    pub filter: Option<String>,
    pub sort: Option<SortBy>,
    pub selection: AttributeSelection,
    pub start_index: i64,
    pub count: i64,
}

impl ListParams {
    pub fn parse(kind: ResourceKind, query: &str) -> Result<Self, ScimApiError> {
        let params: HashMap<String, String> = query_pairs(query)?;
        let sort_order = params.get("sortOrder").map(String::as_str);
        // sortOrder alone changes nothing (RFC 7644 §3.4.2.3), but a bad one is still refused.
        parse_sort_order(sort_order)?;
        let sort = params
            .get("sortBy")
            .filter(|sort_by| !sort_by.trim().is_empty())
            .map(|sort_by| SortBy::parse_for(kind, sort_by, sort_order))
            .transpose()?;
        // RFC 7644 §3.4.2.4: below 1 means 1, negative counts mean 0.
        let start_index = integer(&params, "startIndex")?.unwrap_or(1).max(1);
        let count = integer(&params, "count")?
            .unwrap_or(DEFAULT_COUNT)
            .clamp(0, MAX_RESULTS);
        Ok(Self {
            filter: params.get("filter").cloned(),
            sort,
            selection: selection_from(kind, &params)?,
            start_index,
            count,
        })
    }
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

/// The weak ETag of an aggregate version, also its `meta.version`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}
