//! Print-then-parse is the identity on every filter tree the grammar can express.

use proptest::prelude::*;
use serde_json::Number;

use super::*;

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_owned()),
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "true", "eq"]).prop_map(str::to_owned),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let schema = prop::option::of(prop::sample::select(vec![
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:example:custom",
    ]));
    (
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        schema,
        prop::option::of(attr_name()),
    )
        .prop_map(|(name, schema, sub)| AttrPath {
            schema: schema.map(str::to_owned),
            name,
            sub,
        })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        any::<String>().prop_map(CompValue::String),
        any::<i64>().prop_map(|n| CompValue::Number(Number::from(n))),
        any::<u64>().prop_map(|n| CompValue::Number(Number::from(n))),
        any::<f64>().prop_filter_map("finite", |x| Number::from_f64(x).map(CompValue::Number)),
        any::<bool>().prop_map(CompValue::Bool),
        Just(CompValue::Null),
    ]
}

fn attribute_expression() -> impl Strategy<Value = Filter> {
    let op = prop::sample::select(CompareOp::ALL.to_vec());
    prop_oneof![
        (attr_path(), op, comp_value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value
        }),
        attr_path().prop_map(Filter::Present),
    ]
}

fn with_logic(leaf: impl Strategy<Value = Filter> + 'static) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    let value_path =
        (attr_path(), with_logic(attribute_expression())).prop_map(|(path, filter)| {
            Filter::ValuePath {
                path,
                filter: Box::new(filter),
            }
        });
    with_logic(prop_oneof![3 => attribute_expression(), 1 => value_path])
}

proptest! {
    #[test]
    fn a_printed_filter_parses_back_to_the_same_tree(filter in filter()) {
        prop_assert_eq!(parse_filter(&filter.to_string()), Ok(filter));
    }

    #[test]
    fn a_printed_patch_path_parses_back_to_the_same_path(
        attr in attr_path(),
        filter in prop::option::of(with_logic(attribute_expression())),
    ) {
        let path = PatchPath { attr, filter };
        prop_assert_eq!(parse_patch_path(&path.to_string()), Ok(path));
    }

    #[test]
    fn arbitrary_input_never_panics_and_errors_are_invalid_filter(input in ".{0,80}") {
        if let Err(error) = parse_filter(&input) {
            prop_assert_eq!(error.scim_type, Some(crate::error::ScimType::InvalidFilter));
        }
    }
}
