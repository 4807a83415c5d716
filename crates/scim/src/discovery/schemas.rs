//! One attribute definition in the representation of RFC 7643 §7, with the characteristics'
//! keywords spelled as that section spells them.

use serde_json::{Map, Value};

use crate::schema::{AttrType, AttributeDef, Mutability, Returned, Uniqueness};

/// The definition of `def` and, for a complex attribute, of each sub-attribute. Every
/// characteristic is written out, defaults included, so a client never has to know the
/// defaults of RFC 7643 §2.2 to read it.
pub fn attribute_definition(def: &AttributeDef) -> Value {
    let mut out = Map::new();
    out.insert("name".to_owned(), Value::from(def.name));
    out.insert("type".to_owned(), Value::from(type_name(def.attr_type)));
    out.insert("multiValued".to_owned(), Value::from(def.multi_valued));
    out.insert("required".to_owned(), Value::from(def.required));
    out.insert("caseExact".to_owned(), Value::from(def.case_exact));
    out.insert(
        "mutability".to_owned(),
        Value::from(mutability_name(def.mutability)),
    );
    out.insert(
        "returned".to_owned(),
        Value::from(returned_name(def.returned)),
    );
    out.insert(
        "uniqueness".to_owned(),
        Value::from(uniqueness_name(def.uniqueness)),
    );
    if def.attr_type == AttrType::Reference {
        out.insert(
            "referenceTypes".to_owned(),
            Value::from(def.reference_types),
        );
    }
    if def.attr_type == AttrType::Complex {
        let sub_attributes: Vec<Value> = def
            .sub_attributes
            .iter()
            .map(attribute_definition)
            .collect();
        out.insert("subAttributes".to_owned(), Value::Array(sub_attributes));
    }
    Value::Object(out)
}

fn type_name(attr_type: AttrType) -> &'static str {
    match attr_type {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
        AttrType::Binary => "binary",
    }
}

fn mutability_name(mutability: Mutability) -> &'static str {
    match mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(returned: Returned) -> &'static str {
    match returned {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    }
}

fn uniqueness_name(uniqueness: Uniqueness) -> &'static str {
    match uniqueness {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}
