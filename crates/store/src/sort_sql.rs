//! `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3) as the `ORDER BY` of a SCIM list over the
//! `users` projection.
//!
//! Strings sort in code-point order (`COLLATE "C"`: "no specific locale implied"), folded to
//! lower case unless the attribute is caseExact. Unassigned values come last when ascending
//! and first when descending, which is PostgreSQL's default and what RFC 7644 asks for. The
//! id breaks ties, so that pages of one listing never overlap or skip.

use usertrail_scim::SortBy;

use crate::StoreError;
use crate::filter_sql::{ELEMENT, Kind, Leaf, Target, resolve};

/// The order when the client asks for none: creation, as the listing always had.
const DEFAULT_ORDER: &str = "created_at, id";

pub(crate) fn order_by(sort: Option<&SortBy>) -> Result<String, StoreError> {
    let Some(sort) = sort else {
        return Ok(DEFAULT_ORDER.to_owned());
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    Ok(format!("{} {direction}, id", sort_key(sort)?))
}

fn sort_key(sort: &SortBy) -> Result<String, StoreError> {
    let resolved = sort.attribute;
    let is_location = resolved.attribute.name == "meta"
        && resolved
            .sub_attribute
            .is_some_and(|sub| sub.name == "location");
    if is_location {
        // A location is the base URL followed by the id, so it sorts as the id does.
        return Ok("id".to_owned());
    }
    match resolve(resolved)? {
        Target::Leaf(leaf) => Ok(sort_value(&leaf)),
        // RFC 7644: a multi-valued attribute sorts by its primary value, else its first.
        Target::Elements { array, sub } => Ok(format!(
            "(SELECT {} FROM jsonb_array_elements({array}) WITH ORDINALITY AS elem(value, position) \
             ORDER BY COALESCE({ELEMENT}->'primary' = 'true', false) DESC, position LIMIT 1)",
            sort_value(&sub)
        )),
        Target::Whole(whole) => Err(StoreError::UnsupportedQuery(format!(
            "cannot sort by the complex attribute {}; name one of its sub-attributes",
            whole.def.name
        ))),
    }
}

fn sort_value(leaf: &Leaf) -> String {
    match leaf.kind {
        Kind::Text {
            case_exact: false, ..
        } => format!("lower({}) COLLATE \"C\"", leaf.value),
        Kind::Text {
            case_exact: true, ..
        } => format!("{} COLLATE \"C\"", leaf.value),
        Kind::Boolean | Kind::JsonBoolean | Kind::DateTime | Kind::Decimal | Kind::Uuid => {
            leaf.value.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(sort_by: &str, order: Option<&str>) -> String {
        order_by(Some(&SortBy::parse(sort_by, order).unwrap())).unwrap()
    }

    #[test]
    fn without_sort_by_users_come_in_creation_order() {
        assert_eq!(order_by(None).unwrap(), "created_at, id");
    }

    #[test]
    fn case_insensitive_strings_sort_lower_cased_in_code_point_order() {
        assert_eq!(
            order("userName", None),
            "lower(user_name) COLLATE \"C\" ASC, id"
        );
        assert_eq!(
            order("externalId", Some("descending")),
            "external_id COLLATE \"C\" DESC, id"
        );
        assert_eq!(
            order("name.familyName", None),
            "lower(((resource->'name')->>'familyName')) COLLATE \"C\" ASC, id"
        );
    }

    #[test]
    fn timestamps_and_extension_attributes_sort_by_their_own_values() {
        assert_eq!(order("meta.lastModified", None), "updated_at ASC, id");
        assert_eq!(
            order(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                None
            ),
            "lower(((resource->'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')\
             ->>'department')) COLLATE \"C\" ASC, id"
        );
    }

    #[test]
    fn a_multi_valued_attribute_sorts_by_its_primary_or_first_value() {
        let sql = order("emails", None);
        assert!(
            sql.starts_with(
                "(SELECT lower((elem.value->>'value')) COLLATE \"C\" FROM \
                 jsonb_array_elements((resource->'emails')) WITH ORDINALITY"
            ),
            "{sql}"
        );
        assert!(
            sql.contains("ORDER BY COALESCE(elem.value->'primary' = 'true', false) DESC, position"),
            "{sql}"
        );
    }
}
