use serde_json::Number;

use super::*;
use crate::error::ScimType;

fn compare(path: AttrPath, op: CompareOp, value: &str) -> Filter {
    Filter::Compare {
        path,
        op,
        value: CompValue::String(value.to_owned()),
    }
}

fn and(left: Filter, right: Filter) -> Filter {
    Filter::And(Box::new(left), Box::new(right))
}

fn or(left: Filter, right: Filter) -> Filter {
    Filter::Or(Box::new(left), Box::new(right))
}

fn not(inner: Filter) -> Filter {
    Filter::Not(Box::new(inner))
}

fn name(text: &str) -> AttrPath {
    AttrPath::simple(text)
}

fn detail(result: Result<impl std::fmt::Debug, ScimError>) -> String {
    result.err().map(|error| error.detail).unwrap_or_default()
}

/// Every example of the filter figure in RFC 7644 §3.4.2.2, with the tree it must produce.
#[test]
fn every_example_filter_of_rfc_7644_parses_to_the_expected_tree() -> Result<(), ScimError> {
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let last_modified = AttrPath::with_sub("meta", "lastModified");
    let emails_or = or(
        compare(name("emails"), CompareOp::Co, "example.com"),
        compare(
            AttrPath::with_sub("emails", "value"),
            CompareOp::Co,
            "example.org",
        ),
    );
    let work_email = Filter::ValuePath {
        path: name("emails"),
        filter: Box::new(and(
            compare(name("type"), CompareOp::Eq, "work"),
            compare(name("value"), CompareOp::Co, "@example.com"),
        )),
    };
    let xmpp = Filter::ValuePath {
        path: name("ims"),
        filter: Box::new(and(
            compare(name("type"), CompareOp::Eq, "xmpp"),
            compare(name("value"), CompareOp::Co, "@foo.com"),
        )),
    };
    let examples = [
        (
            r#"userName eq "bjensen""#,
            compare(name("userName"), CompareOp::Eq, "bjensen"),
        ),
        (
            r#"name.familyName co "O'Malley""#,
            compare(
                AttrPath::with_sub("name", "familyName"),
                CompareOp::Co,
                "O'Malley",
            ),
        ),
        (
            r#"userName sw "J""#,
            compare(name("userName"), CompareOp::Sw, "J"),
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            compare(
                AttrPath {
                    schema: Some(core.to_owned()),
                    name: "userName".to_owned(),
                    sub: None,
                },
                CompareOp::Sw,
                "J",
            ),
        ),
        ("title pr", Filter::Present(name("title"))),
        (
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            compare(last_modified.clone(), CompareOp::Gt, "2011-05-13T04:42:34Z"),
        ),
        (
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            compare(last_modified.clone(), CompareOp::Ge, "2011-05-13T04:42:34Z"),
        ),
        (
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            compare(last_modified.clone(), CompareOp::Lt, "2011-05-13T04:42:34Z"),
        ),
        (
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            compare(last_modified, CompareOp::Le, "2011-05-13T04:42:34Z"),
        ),
        (
            r#"title pr and userType eq "Employee""#,
            and(
                Filter::Present(name("title")),
                compare(name("userType"), CompareOp::Eq, "Employee"),
            ),
        ),
        (
            r#"title pr or userType eq "Intern""#,
            or(
                Filter::Present(name("title")),
                compare(name("userType"), CompareOp::Eq, "Intern"),
            ),
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            compare(name("schemas"), CompareOp::Eq, enterprise),
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            and(
                compare(name("userType"), CompareOp::Eq, "Employee"),
                emails_or.clone(),
            ),
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            and(
                compare(name("userType"), CompareOp::Ne, "Employee"),
                not(emails_or),
            ),
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            and(
                compare(name("userType"), CompareOp::Eq, "Employee"),
                compare(AttrPath::with_sub("emails", "type"), CompareOp::Eq, "work"),
            ),
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            and(
                compare(name("userType"), CompareOp::Eq, "Employee"),
                work_email.clone(),
            ),
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            or(work_email, xmpp),
        ),
    ];
    for (text, expected) in examples {
        assert_eq!(parse_filter(text)?, expected, "{text}");
    }
    Ok(())
}

#[test]
fn and_binds_tighter_than_or_on_either_side() -> Result<(), ScimError> {
    let [a, b, c] = ["a", "b", "c"].map(|n| Filter::Present(name(n)));
    assert_eq!(
        parse_filter("a pr or b pr and c pr")?,
        or(a.clone(), and(b.clone(), c.clone()))
    );
    assert_eq!(
        parse_filter("a pr and b pr or c pr")?,
        or(and(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(parse_filter("(a pr or b pr) and c pr")?, and(or(a, b), c));
    Ok(())
}

#[test]
fn not_binds_tighter_than_and() -> Result<(), ScimError> {
    let [a, b] = ["a", "b"].map(|n| Filter::Present(name(n)));
    assert_eq!(parse_filter("not (a pr) and b pr")?, and(not(a), b));
    Ok(())
}

#[test]
fn chains_of_the_same_operator_associate_to_the_left() -> Result<(), ScimError> {
    let [a, b, c] = ["a", "b", "c"].map(|n| Filter::Present(name(n)));
    assert_eq!(
        parse_filter("a pr and b pr and c pr")?,
        and(and(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(parse_filter("a pr or b pr or c pr")?, or(or(a, b), c));
    Ok(())
}

#[test]
fn operators_and_keywords_are_case_insensitive_but_names_are_kept_as_written()
-> Result<(), ScimError> {
    let parsed = parse_filter(r#"UserName EQ "x" AND Active Eq TRUE OR NOT (title PR)"#)?;
    let expected = or(
        and(
            compare(name("UserName"), CompareOp::Eq, "x"),
            Filter::Compare {
                path: name("Active"),
                op: CompareOp::Eq,
                value: CompValue::Bool(true),
            },
        ),
        not(Filter::Present(name("title"))),
    );
    assert_eq!(parsed, expected);
    Ok(())
}

#[test]
fn numbers_null_and_json_escapes_are_values() -> Result<(), ScimError> {
    let value = |text: &str| match parse_filter(text) {
        Ok(Filter::Compare { value, .. }) => Some(value),
        _ => None,
    };
    assert_eq!(
        value("x gt -1.5e3"),
        Number::from_f64(-1500.0).map(CompValue::Number)
    );
    assert_eq!(value("x eq 42"), Some(CompValue::Number(Number::from(42))));
    assert_eq!(value("x eq Null"), Some(CompValue::Null));
    let escaped = value(r#"x eq "a\"b\\c\u00e9\n""#);
    assert_eq!(
        escaped,
        Some(CompValue::String("a\"b\\c\u{e9}\n".to_owned()))
    );
    Ok(())
}

#[test]
fn ref_is_accepted_as_a_sub_attribute_name() -> Result<(), ScimError> {
    let parsed = parse_filter(r#"manager.$ref eq "x""#)?;
    assert_eq!(
        parsed,
        compare(AttrPath::with_sub("manager", "$ref"), CompareOp::Eq, "x")
    );
    Ok(())
}

#[test]
fn errors_are_invalid_filter_and_say_where_and_what_was_expected() {
    let cases = [
        ("userName eq", "character 12: expected a space and a value"),
        (r#"userName xx "b""#, "character 10: expected an operator"),
        (
            r#"userName eq "b" and"#,
            "character 20: expected an attribute name, found the end",
        ),
        (
            r#"userName eq "b" nand x pr"#,
            "character 17: expected 'and', 'or' or the end",
        ),
        (
            r#"userName eq "unterminated"#,
            "character 13: expected a closing '\"'",
        ),
        (
            r#"(userName eq "b""#,
            "character 17: expected ')', 'and' or 'or'",
        ),
        (r#"userName eq bjensen"#, "character 13: expected a value"),
        (
            "",
            "character 1: expected an attribute name, found the end of the input",
        ),
        (r#"emails[type eq "work""#, "character 22: expected ']'"),
        (r#"x eq 1.2.3"#, "character 6: expected a JSON number"),
        (
            r#"name.given.family pr"#,
            "character 11: expected a space and an operator, found '.'",
        ),
    ];
    for (text, expected) in cases {
        let error = parse_filter(text).err();
        assert_eq!(
            error.as_ref().and_then(|e| e.scim_type),
            Some(ScimType::InvalidFilter)
        );
        let found = error.map(|e| e.detail).unwrap_or_default();
        assert!(found.contains(expected), "{text:?} gave {found:?}");
    }
}

#[test]
fn positions_count_characters_not_bytes() {
    let message = detail(parse_filter(r#"title eq "é" xor"#));
    assert!(
        message.contains("character 14: expected 'and'"),
        "{message}"
    );
}

#[test]
fn value_filters_do_not_nest() {
    let message = detail(parse_filter(r#"emails[type[value pr] pr]"#));
    assert!(message.contains("value filters do not nest"), "{message}");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_but_the_limit_itself_is_accepted() {
    let nested = |depth: usize| format!("{}a pr{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse_filter(&nested(MAX_FILTER_DEPTH)).is_ok());
    let message = detail(parse_filter(&nested(MAX_FILTER_DEPTH + 1)));
    assert!(message.contains("levels of nesting"), "{message}");
    let nots = format!(
        "{}a pr{}",
        "not (".repeat(MAX_FILTER_DEPTH + 1),
        ")".repeat(65)
    );
    assert!(detail(parse_filter(&nots)).contains("levels of nesting"));
}

#[test]
fn overlong_input_is_refused_before_parsing() {
    let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
    assert!(detail(parse_filter(&long)).contains("at most 4096 bytes"));
}

#[test]
fn an_attribute_may_be_named_like_a_keyword() -> Result<(), ScimError> {
    let parsed = parse_filter("not pr and or pr")?;
    assert_eq!(
        parsed,
        and(Filter::Present(name("not")), Filter::Present(name("or")))
    );
    Ok(())
}

#[test]
fn display_adds_only_the_parentheses_precedence_needs() -> Result<(), ScimError> {
    let text = r#"(a pr or b pr) and not (c eq "x") or d[e gt 1 and f pr]"#;
    assert_eq!(parse_filter(text)?.to_string(), text);
    let right_nested = and(
        Filter::Present(name("a")),
        and(Filter::Present(name("b")), Filter::Present(name("c"))),
    );
    assert_eq!(right_nested.to_string(), "a pr and (b pr and c pr)");
    Ok(())
}

#[test]
fn patch_paths_cover_attributes_sub_attributes_urns_and_value_filters() -> Result<(), ScimError> {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert_eq!(
        parse_patch_path("title")?,
        PatchPath {
            attr: name("title"),
            filter: None
        }
    );
    let given = parse_patch_path("name.givenName")?;
    assert_eq!(given.attr, AttrPath::with_sub("name", "givenName"));
    let department = parse_patch_path(&format!("{enterprise}:department"))?;
    assert_eq!(department.attr.schema.as_deref(), Some(enterprise));
    assert_eq!(department.attr.name, "department");
    let work = parse_patch_path(r#"emails[type eq "work"].value"#)?;
    assert_eq!(work.attr, AttrPath::with_sub("emails", "value"));
    assert_eq!(
        work.filter,
        Some(compare(name("type"), CompareOp::Eq, "work"))
    );
    let whole = parse_patch_path(r#"emails[type eq "work"]"#)?;
    assert_eq!((whole.attr, whole.filter.is_some()), (name("emails"), true));
    Ok(())
}

#[test]
fn patch_paths_print_back_as_written() -> Result<(), ScimError> {
    for text in [
        r#"emails[type eq "work"].value"#,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        r#"addresses[type eq "home" and primary eq true]"#,
    ] {
        assert_eq!(parse_patch_path(text)?.to_string(), text);
    }
    Ok(())
}

#[test]
fn bad_patch_paths_are_invalid_path_errors() {
    for text in [
        "",
        "emails[",
        r#"emails.value[type eq "work"]"#,
        "title extra",
        "emails[type pr].",
    ] {
        let error = parse_patch_path(text).err();
        assert_eq!(
            error.map(|e| e.scim_type),
            Some(Some(ScimType::InvalidPath)),
            "{text:?}"
        );
    }
}
