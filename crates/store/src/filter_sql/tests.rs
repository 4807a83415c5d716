use usertrail_scim::filter::parse_filter;

use super::*;

const ENTERPRISE: &str = "(resource->'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')";

/// The SQL of `filter` and its bind parameters, as `Debug` prints them.
fn translated(filter: &str) -> (String, String) {
    let filter = parse_filter(filter).unwrap();
    let mut params = Params::new();
    let sql = user_filter_sql(&filter, &mut params).unwrap();
    (sql, format!("{params:?}"))
}

fn refused(filter: &str) -> String {
    let filter = parse_filter(filter).unwrap();
    match user_filter_sql(&filter, &mut Params::new()) {
        Err(StoreError::UnsupportedQuery(detail)) => detail,
        other => panic!("{filter:?} was not refused: {other:?}"),
    }
}

#[test]
fn user_name_equality_keeps_the_shape_of_its_unique_index() {
    let (sql, params) = translated("USERNAME Eq \"Ada@Example.com\"");
    assert_eq!(sql, "(lower(user_name) = lower($1))");
    assert_eq!(params, "[\"Ada@Example.com\"]");
}

#[test]
fn external_id_is_case_exact_and_uses_its_column() {
    let (sql, _) = translated("externalId eq \"E-1\"");
    assert_eq!(sql, "(external_id = $1)");
    let (sql, params) = translated("externalId sw \"E-\"");
    assert_eq!(sql, "(external_id LIKE $1 ESCAPE '\\')");
    assert_eq!(params, "[\"E-%\"]");
}

#[test]
fn like_metacharacters_in_values_are_escaped() {
    let (sql, params) = translated(r#"title co "50%_off\\now""#);
    assert_eq!(
        sql,
        "(lower((resource->>'title')) LIKE lower($1) ESCAPE '\\')"
    );
    assert_eq!(params, r#"["%50\\%\\_off\\\\now%"]"#);
    let (_, params) = translated("title ew \"_\"");
    assert_eq!(params, r#"["%\\_"]"#);
}

#[test]
fn ordering_compares_in_code_point_order() {
    let (sql, _) = translated("userName ge \"m\"");
    assert_eq!(sql, "(lower(user_name) COLLATE \"C\" >= lower($1))");
}

#[test]
fn sub_attributes_and_extension_attributes_read_the_resource_json() {
    let (sql, _) = translated("name.familyName eq \"Lovelace\"");
    assert_eq!(
        sql,
        "(lower(((resource->'name')->>'familyName')) = lower($1))"
    );
    let (sql, _) = translated(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department eq \"Ops\"",
    );
    assert_eq!(
        sql,
        format!("(lower(({ENTERPRISE}->>'department')) = lower($1))")
    );
    let (sql, _) = translated(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m1\"",
    );
    assert_eq!(
        sql,
        format!("(lower((({ENTERPRISE}->'manager')->>'value')) = lower($1))")
    );
}

#[test]
fn email_value_equality_becomes_an_indexable_containment() {
    let expected = "(scim_lower_values((resource->'emails')) @> ARRAY[lower($1)])";
    for filter in [
        "emails[value eq \"Ada@Example.com\"]",
        "emails.value eq \"Ada@Example.com\"",
        "emails eq \"Ada@Example.com\"",
    ] {
        let (sql, params) = translated(filter);
        assert_eq!(sql, expected, "{filter}");
        assert_eq!(params, "[\"Ada@Example.com\"]");
    }
    let (sql, _) = translated("emails.value ne \"a@x.test\"");
    assert_eq!(sql, format!("(NOT {expected})"));
}

#[test]
fn a_value_path_tests_each_element_and_keeps_the_index_as_a_prefilter() {
    let (sql, params) = translated("emails[type eq \"work\" and value co \"@example.com\"]");
    assert_eq!(
        sql,
        "EXISTS (SELECT 1 FROM jsonb_array_elements((resource->'emails')) AS elem(value) \
         WHERE ((lower((elem.value->>'type')) = lower($1)) AND \
         (lower((elem.value->>'value')) LIKE lower($2) ESCAPE '\\')))"
    );
    assert_eq!(params, "[\"work\", \"%@example.com%\"]");

    let (sql, _) = translated("emails[type eq \"work\" and value eq \"a@x.test\"]");
    assert!(
        sql.starts_with(
            "((scim_lower_values((resource->'emails')) @> ARRAY[lower($1)]) AND EXISTS"
        ),
        "{sql}"
    );
}

#[test]
fn a_multi_valued_attribute_compared_directly_matches_any_element() {
    let (sql, _) = translated("emails co \"example\"");
    assert_eq!(
        sql,
        "EXISTS (SELECT 1 FROM jsonb_array_elements((resource->'emails')) AS elem(value) \
         WHERE (lower((elem.value->>'value')) LIKE lower($1) ESCAPE '\\'))"
    );
    let (sql, _) = translated("phoneNumbers.type pr");
    assert!(
        sql.starts_with("EXISTS (SELECT 1 FROM jsonb_array_elements((resource->'phoneNumbers'))")
    );
}

#[test]
fn a_case_exact_value_is_not_lower_cased_and_skips_the_index() {
    let (sql, _) = translated("photos.value eq \"https://x.test/A.png\"");
    assert_eq!(
        sql,
        "EXISTS (SELECT 1 FROM jsonb_array_elements((resource->'photos')) AS elem(value) \
         WHERE ((elem.value->>'value') = $1))"
    );
}

#[test]
fn a_singular_complex_value_path_needs_no_subquery() {
    let (sql, _) = translated("name[givenName eq \"Ada\" or familyName pr]");
    assert_eq!(
        sql,
        "((lower(((resource->'name')->>'givenName')) = lower($1)) OR \
         COALESCE(((resource->'name')->'familyName') NOT IN ('null', '\"\"', '[]', '{}'), false))"
    );
}

#[test]
fn date_times_bind_as_instants_and_invalid_ones_are_refused() {
    let (sql, params) = translated("meta.lastModified gt \"2026-01-02T03:04:05Z\"");
    assert_eq!(sql, "(updated_at > $1)");
    assert!(
        params.starts_with("[2026-01-02 3:04:05.0 +00:00:00"),
        "{params}"
    );
    let (sql, _) = translated("meta.created le \"2026-01-02T03:04:05.5+02:00\"");
    assert_eq!(sql, "(created_at <= $1)");
    assert!(refused("meta.created gt \"yesterday\"").contains("not a valid dateTime"));
    assert!(refused("meta.created co \"2026\"").contains("dateTime"));
}

#[test]
fn booleans_accept_quoted_words_but_refuse_ordering() {
    let (sql, params) = translated("active eq \"True\"");
    assert_eq!(sql, "(active = $1)");
    assert_eq!(params, "[true]");
    let (sql, _) = translated("emails[primary eq true]");
    assert!(
        sql.contains("(elem.value->'primary') = to_jsonb($1::boolean)"),
        "{sql}"
    );
    assert!(refused("active gt false").contains("boolean"));
    assert!(refused("active eq 1").contains("true or false"));
}

#[test]
fn not_ne_and_null_are_negations_that_never_turn_null() {
    let (sql, _) = translated("not (userName eq \"a\")");
    assert_eq!(sql, "(NOT COALESCE((lower(user_name) = lower($1)), false))");
    let (sql, _) = translated("displayName ne \"a\"");
    assert_eq!(
        sql,
        "(NOT COALESCE((lower(display_name) = lower($1)), false))"
    );
    let (sql, params) = translated("externalId eq null");
    assert_eq!(sql, "(NOT COALESCE(external_id <> '', false))");
    assert_eq!(params, "[]");
    let (sql, _) = translated("title ne null");
    assert_eq!(
        sql,
        "COALESCE((resource->'title') NOT IN ('null', '\"\"', '[]', '{}'), false)"
    );
}

#[test]
fn ids_compare_as_uuids_and_a_malformed_id_matches_nothing() {
    let (sql, _) = translated("id eq \"0b5e5d0e-0000-4000-8000-000000000001\"");
    assert_eq!(sql, "(id = $1)");
    assert_eq!(translated("id eq \"not-a-uuid\"").0, "false");
    assert_eq!(
        translated("id sw \"0b5e\"").0,
        "(id::text LIKE $1 ESCAPE '\\')"
    );
}

#[test]
fn meta_attributes_without_a_column_are_derived_or_refused() {
    assert_eq!(
        translated("meta.resourceType eq \"User\"").0,
        "('User'::text = $1)"
    );
    assert_eq!(translated("meta pr").0, "true");
    assert!(refused("meta.location eq \"https://x\"").contains("meta.location"));
}

#[test]
fn untranslatable_filters_are_refused_with_a_reason() {
    assert!(refused("favouriteColour eq \"blue\"").contains("no attribute favouriteColour"));
    assert!(refused("department eq \"Ops\"").contains("schema URN"));
    assert!(refused("emails gt \"a\"").contains("complex attribute"));
    assert!(refused("name eq \"Ada\"").contains("e.g. name.formatted"));
    assert!(refused("x509Certificates.value lt \"AAAA\"").contains("binary"));
    assert!(refused("userName eq 42").contains("not a number"));
    assert!(refused("title gt null").contains("null"));
    assert!(refused("emails[nope eq \"x\"]").contains("no sub-attribute 'nope'"));
    assert!(refused("userName[value eq \"x\"]").contains("complex"));
}

#[test]
fn client_text_only_ever_reaches_the_parameters() {
    let hostile = "x') OR 1=1; DROP TABLE users; --";
    let quoted = serde_json::to_string(hostile).unwrap();
    for filter in [
        format!("userName eq {quoted}"),
        format!("title co {quoted}"),
        format!("emails[type eq {quoted} and value eq {quoted}]"),
        format!("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division sw {quoted}"),
    ] {
        let (sql, params) = translated(&filter);
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(params.contains("DROP TABLE"), "{params}");
    }
}

#[test]
fn members_value_equality_on_groups_is_an_exists_on_the_membership_table() {
    let filter = parse_filter("members.value eq \"9b1d0000-0000-4000-8000-000000000001\"").unwrap();
    let mut params = Params::new();
    let sql = filter_sql(ResourceKind::Group, &filter, &mut params).unwrap();
    assert!(
        sql.starts_with("EXISTS (SELECT 1 FROM group_members gm JOIN users u"),
        "{sql}"
    );
    assert!(
        sql.contains("gm.user_id = $1 AND u.status <> 'deleted'"),
        "{sql}"
    );
    let not_an_id = parse_filter("members[value eq \"nobody\"]").unwrap();
    let sql = filter_sql(ResourceKind::Group, &not_an_id, &mut Params::new()).unwrap();
    assert_eq!(sql, "false");
}

#[test]
fn a_group_filter_cannot_name_user_attributes() {
    let filter = parse_filter("userName eq \"ada\"").unwrap();
    let refused = filter_sql(ResourceKind::Group, &filter, &mut Params::new());
    assert!(
        matches!(refused, Err(StoreError::UnsupportedQuery(detail)) if detail.contains("Group"))
    );
}
