use super::*;

#[test]
fn lookup_ignores_case_and_returns_the_canonical_spelling() {
    let def = user_attribute("USERNAME").map(|def| def.name);
    assert_eq!(def, Some("userName"));
    let sub = user_attribute("name").and_then(|def| def.sub_attribute("GIVENNAME"));
    assert_eq!(sub.map(|def| def.name), Some("givenName"));
}

#[test]
fn unknown_attributes_are_not_found() {
    assert_eq!(user_attribute("favouriteColour"), None);
    assert_eq!(enterprise_user_attribute("userName"), None);
}

#[test]
fn read_only_and_write_only_attributes_are_marked_as_the_rfc_says() {
    let mutability = |name: &str| user_attribute(name).map(|def| def.mutability);
    assert_eq!(mutability("id"), Some(Mutability::ReadOnly));
    assert_eq!(mutability("meta"), Some(Mutability::ReadOnly));
    assert_eq!(mutability("groups"), Some(Mutability::ReadOnly));
    assert_eq!(mutability("password"), Some(Mutability::WriteOnly));
    assert_eq!(
        user_attribute("password").map(|def| def.returned),
        Some(Returned::Never)
    );
    assert_eq!(
        user_attribute("id").map(|def| def.returned),
        Some(Returned::Always)
    );
}

#[test]
fn id_and_external_id_are_case_exact_but_user_name_is_not() {
    let case_exact = |name: &str| user_attribute(name).map(|def| def.case_exact);
    assert_eq!(case_exact("id"), Some(true));
    assert_eq!(case_exact("externalId"), Some(true));
    assert_eq!(case_exact("userName"), Some(false));
}

#[test]
fn enterprise_manager_display_name_is_read_only() {
    let display = enterprise_user_attribute("manager").and_then(|m| m.sub_attribute("displayname"));
    assert_eq!(display.map(AttributeDef::is_read_only), Some(true));
}

#[test]
fn resolve_handles_urn_qualified_core_and_extension_paths() {
    let core = resolve_attribute(Some(USER_SCHEMA), "name", Some("familyName"));
    assert_eq!(
        core.map(|r| (r.part, r.leaf().name)),
        Some((SchemaPart::Core, "familyName"))
    );
    let urn = "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER";
    let ext = resolve_attribute(Some(urn), "department", None);
    assert_eq!(
        ext.map(|r| (r.part, r.leaf().name)),
        Some((SchemaPart::Enterprise, "department"))
    );
    assert_eq!(resolve_attribute(None, "department", None), None);
    assert_eq!(
        resolve_attribute(Some("urn:example:other"), "userName", None),
        None
    );
}

#[test]
fn every_multi_valued_user_attribute_is_complex_and_names_are_unique() {
    for part in [SchemaPart::Core, SchemaPart::Enterprise] {
        let defs = part.attributes();
        for (index, def) in defs.iter().enumerate() {
            assert!(
                !def.multi_valued || def.attr_type == AttrType::Complex,
                "{}",
                def.name
            );
            let later = &defs[index + 1..];
            assert!(
                !later
                    .iter()
                    .any(|other| other.name.eq_ignore_ascii_case(def.name))
            );
        }
    }
}

#[test]
fn attribute_references_resolve_urns_dots_and_bare_schemas() {
    let resolved = |text: &str| match parse_attribute_reference(text) {
        Some(AttributeReference::Attribute(resolved)) => Some((
            resolved.part,
            resolved.attribute.name,
            resolved.sub_attribute.map(|sub| sub.name),
        )),
        _ => None,
    };
    assert_eq!(
        resolved("NAME.givenname"),
        Some((SchemaPart::Core, "name", Some("givenName")))
    );
    assert_eq!(
        resolved("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName"),
        Some((SchemaPart::Core, "name", Some("familyName")))
    );
    assert_eq!(
        resolved("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
        Some((SchemaPart::Enterprise, "manager", Some("value")))
    );
    assert_eq!(
        parse_attribute_reference(ENTERPRISE_USER_SCHEMA),
        Some(AttributeReference::Schema(SchemaPart::Enterprise))
    );
    assert_eq!(
        resolved("department"),
        None,
        "extension attributes need their URN"
    );
    assert_eq!(resolved("name.nickname"), None);
    assert_eq!(resolved("urn:example:User:userName"), None);
}
