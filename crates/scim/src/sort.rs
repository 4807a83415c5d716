//! `sortBy` and `sortOrder` (RFC 7644 §3.4.2.3), parsed at the edge into a resolved attribute
//! that the store can always order by.

use crate::error::{ScimError, ScimType};
use crate::schema::{
    AttrType, AttributeReference, ResolvedAttribute, ResourceKind, Returned,
    parse_attribute_reference_in,
};

/// A validated sort request: a singular value to order by, and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortBy {
    /// Never a complex attribute without a sub-attribute: for those, `value` is filled in
    /// (`emails` sorts as `emails.value`), or the request is refused.
    pub attribute: ResolvedAttribute,
    pub descending: bool,
}

impl SortBy {
    /// Parses `sortBy` and an optional `sortOrder` (default ascending). Errors are 400
    /// `invalidValue`: RFC 7644 defines no more specific `scimType` for them.
    pub fn parse(sort_by: &str, sort_order: Option<&str>) -> Result<Self, ScimError> {
        Self::parse_for(ResourceKind::User, sort_by, sort_order)
    }

    /// [`SortBy::parse`] against the schema of a `kind` resource.
    pub fn parse_for(
        kind: ResourceKind,
        sort_by: &str,
        sort_order: Option<&str>,
    ) -> Result<Self, ScimError> {
        let descending = parse_sort_order(sort_order)?;
        let Some(AttributeReference::Attribute(mut attribute)) =
            parse_attribute_reference_in(kind, sort_by)
        else {
            return Err(invalid(format!(
                "sortBy must name an attribute of the {} schema, not '{}'",
                kind.name(),
                sort_by.trim()
            )));
        };
        if attribute.leaf().returned == Returned::Never {
            return Err(invalid(format!(
                "sortBy cannot use '{}', which is never returned",
                attribute.leaf().name
            )));
        }
        if attribute.leaf().attr_type == AttrType::Complex {
            let value = attribute.attribute.sub_attribute("value").ok_or_else(|| {
                invalid(format!(
                    "sortBy must name a sub-attribute of '{}', such as '{}.{}'",
                    attribute.attribute.name,
                    attribute.attribute.name,
                    attribute
                        .attribute
                        .sub_attributes
                        .first()
                        .map_or("value", |sub| sub.name)
                ))
            })?;
            attribute.sub_attribute = Some(value);
        }
        Ok(Self {
            attribute,
            descending,
        })
    }
}

/// `ascending` (the default) or `descending`, in any case; `true` means descending.
pub fn parse_sort_order(sort_order: Option<&str>) -> Result<bool, ScimError> {
    match sort_order.map(str::trim) {
        None | Some("") => Ok(false),
        Some(order) if order.eq_ignore_ascii_case("ascending") => Ok(false),
        Some(order) if order.eq_ignore_ascii_case("descending") => Ok(true),
        Some(order) => Err(invalid(format!(
            "sortOrder must be \"ascending\" or \"descending\", not {order:?}"
        ))),
    }
}

fn invalid(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_names(sort: &SortBy) -> (&'static str, Option<&'static str>) {
        (
            sort.attribute.attribute.name,
            sort.attribute.sub_attribute.map(|sub| sub.name),
        )
    }

    #[test]
    fn sort_by_resolves_names_without_case_and_defaults_to_ascending() {
        let sort = SortBy::parse("USERNAME", None).unwrap();
        assert_eq!(leaf_names(&sort), ("userName", None));
        assert!(!sort.descending);
        let sort = SortBy::parse("name.familyName", Some("Descending")).unwrap();
        assert_eq!(leaf_names(&sort), ("name", Some("familyName")));
        assert!(sort.descending);
    }

    #[test]
    fn a_multi_valued_attribute_sorts_by_its_value() {
        let sort = SortBy::parse("emails", None).unwrap();
        assert_eq!(leaf_names(&sort), ("emails", Some("value")));
        let sort = SortBy::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            None,
        )
        .unwrap();
        assert_eq!(leaf_names(&sort), ("manager", Some("value")));
    }

    #[test]
    fn unsortable_requests_are_invalid_values() {
        for (sort_by, order) in [
            ("name", None),
            ("password", None),
            ("favouriteColour", None),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                None,
            ),
            ("userName", Some("upwards")),
        ] {
            let error = SortBy::parse(sort_by, order).unwrap_err();
            assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{sort_by}");
            assert_eq!(error.status, 400);
        }
    }
}
