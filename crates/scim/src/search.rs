//! The query of a list or search (RFC 7644 §3.4.2, §3.4.3): one [`SearchRequest`] whether the
//! client sent it as a `GET` query string or as a `POST .search` body, so that both are
//! answered by the same code; and [`filter_fits`], which tells whether a filter names only
//! attributes of one resource type, for searches that span several types.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::filter::Filter;
use crate::schema::{ResourceKind, SEARCH_REQUEST_SCHEMA, require_message_schema};
use crate::user::take_key;

/// The list parameters as the client sent them, before they are resolved against a schema.
/// `attributes` and `excludedAttributes` are comma-separated, as in a query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
}

impl SearchRequest {
    /// Parses a `POST .search` body. A body that is not a SearchRequest object, or a member of
    /// the wrong JSON type, is 400 `invalidSyntax`; a `schemas` without the SearchRequest URN
    /// is 400 `invalidValue`. Member names are matched in any case, like attribute names.
    pub fn parse(body: Value) -> Result<Self, ScimError> {
        let Value::Object(mut object) = body else {
            return Err(syntax("a SearchRequest body must be a JSON object"));
        };
        require_message_schema(
            take_key(&mut object, "schemas").as_ref(),
            SEARCH_REQUEST_SCHEMA,
        )?;
        Ok(Self {
            filter: string(&mut object, "filter")?,
            sort_by: string(&mut object, "sortBy")?,
            sort_order: string(&mut object, "sortOrder")?,
            attributes: names(&mut object, "attributes")?,
            excluded_attributes: names(&mut object, "excludedAttributes")?,
            start_index: integer(&mut object, "startIndex")?,
            count: integer(&mut object, "count")?,
        })
    }
}

fn string(object: &mut Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match take_key(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(syntax(&format!("'{name}' must be a string"))),
    }
}

/// RFC 7644 §3.4.3 makes `attributes` and `excludedAttributes` arrays of strings; they are
/// joined into the query-string form so that one parser resolves both.
fn names(object: &mut Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    let wrong = || syntax(&format!("'{name}' must be an array of strings"));
    match take_key(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(values)) => {
            let names: Vec<&str> = values
                .iter()
                .map(|value| value.as_str().ok_or_else(wrong))
                .collect::<Result<_, _>>()?;
            Ok(Some(names.join(",")))
        }
        Some(_) => Err(wrong()),
    }
}

fn integer(object: &mut Map<String, Value>, name: &str) -> Result<Option<i64>, ScimError> {
    match take_key(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| syntax(&format!("'{name}' must be an integer"))),
        Some(_) => Err(syntax(&format!("'{name}' must be an integer"))),
    }
}

fn syntax(detail: &str) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

/// True when every attribute that `filter` names exists in the schema of `kind` (value paths'
/// inner names as sub-attributes of their attribute). A search across resource types uses it
/// to leave out the types a filter cannot apply to, instead of refusing the whole search.
pub fn filter_fits(kind: ResourceKind, filter: &Filter) -> bool {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => resolves(kind, path),
        Filter::And(left, right) | Filter::Or(left, right) => {
            filter_fits(kind, left) && filter_fits(kind, right)
        }
        Filter::Not(inner) => filter_fits(kind, inner),
        Filter::ValuePath { path, filter } => {
            let Some(resolved) = resolve(kind, path) else {
                return false;
            };
            sub_attributes_fit(resolved.attribute, filter)
        }
    }
}

fn sub_attributes_fit(attribute: &crate::AttributeDef, filter: &Filter) -> bool {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => {
            attribute.sub_attribute(&path.name).is_some()
        }
        Filter::And(left, right) | Filter::Or(left, right) => {
            sub_attributes_fit(attribute, left) && sub_attributes_fit(attribute, right)
        }
        Filter::Not(inner) => sub_attributes_fit(attribute, inner),
        Filter::ValuePath { .. } => false,
    }
}

fn resolves(kind: ResourceKind, path: &crate::AttrPath) -> bool {
    resolve(kind, path).is_some()
}

fn resolve(kind: ResourceKind, path: &crate::AttrPath) -> Option<crate::ResolvedAttribute> {
    crate::resolve_attribute_in(
        kind,
        path.schema.as_deref(),
        &path.name,
        path.sub.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::parse_filter;

    fn parsed(body: Value) -> Result<SearchRequest, ScimError> {
        SearchRequest::parse(body)
    }

    #[test]
    fn a_search_request_body_becomes_the_list_parameters() {
        let request = parsed(json!({
            "schemas": [SEARCH_REQUEST_SCHEMA],
            "attributes": ["userName", "name.givenName"],
            "filter": "userName sw \"a\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 2,
            "count": 10
        }))
        .unwrap();
        assert_eq!(
            request.attributes.as_deref(),
            Some("userName,name.givenName")
        );
        assert_eq!(request.filter.as_deref(), Some("userName sw \"a\""));
        assert_eq!(request.sort_order.as_deref(), Some("descending"));
        assert_eq!((request.start_index, request.count), (Some(2), Some(10)));
        assert_eq!(request.excluded_attributes, None);
    }

    #[test]
    fn a_search_request_without_its_schema_is_an_invalid_value() {
        let error = parsed(json!({"schemas": ["urn:x"], "count": 1})).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
        let error = parsed(json!({"count": 1})).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn members_of_the_wrong_type_are_invalid_syntax() {
        let schemas = json!([SEARCH_REQUEST_SCHEMA]);
        for body in [
            json!([]),
            json!({"schemas": schemas, "attributes": "userName"}),
            json!({"schemas": schemas, "attributes": [1]}),
            json!({"schemas": schemas, "count": "10"}),
            json!({"schemas": schemas, "startIndex": 1.5}),
            json!({"schemas": schemas, "filter": 3}),
        ] {
            let error = parsed(body.clone()).unwrap_err();
            assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax), "{body}");
        }
    }

    #[test]
    fn a_filter_fits_the_types_whose_schema_has_its_attributes() {
        let fits = |text: &str| {
            let filter = parse_filter(text).unwrap();
            (
                filter_fits(ResourceKind::User, &filter),
                filter_fits(ResourceKind::Group, &filter),
            )
        };
        assert_eq!(fits("displayName eq \"x\""), (true, true));
        assert_eq!(fits("userName eq \"x\""), (true, false));
        assert_eq!(fits("members.value eq \"x\""), (false, true));
        assert_eq!(fits("members[value eq \"x\"]"), (false, true));
        assert_eq!(fits("emails[type eq \"work\"]"), (true, false));
        assert_eq!(fits("emails[nope eq \"work\"]"), (false, false));
        assert_eq!(fits("displayName pr and not (userName pr)"), (true, false));
        assert_eq!(
            fits("meta.created gt \"2020-01-01T00:00:00Z\""),
            (true, true)
        );
    }
}
