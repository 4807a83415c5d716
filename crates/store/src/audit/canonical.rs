//! The canonical JSON encoding that the chain hashes and checkpoints sign:
//! RFC 8785 (JSON Canonicalization Scheme). Object members sorted by the
//! UTF-16 code units of their names, no whitespace, strings escaped as
//! ECMAScript's `JSON.stringify` does, numbers printed as ECMAScript prints
//! an IEEE 754 double. An auditor reproduces the bytes from the JSON the API
//! returns with any RFC 8785 library (docs/audit.md, docs/adr/0013).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::io::Write;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use tokio_postgres::types::{FromSql, Type};

use super::canonical_check::is_canonical;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// A number that is not a finite double (RFC 8785 §3.2.2.3).
    #[error("a number that is not a finite IEEE 754 double has no canonical form")]
    NumberOutOfRange,
    /// Text that is not one JSON value.
    #[error("not JSON: {0}")]
    NotJson(String),
}

/// A JSON value kept as the text PostgreSQL hands out for a `jsonb` or
/// `json` column. Canonicalising it from the text skips building a
/// `serde_json::Value` (a map and a string per member), which is most of
/// the cost of exporting and verifying a long log.
/// The text is `S`: owned, or borrowed from the row (see `EventRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText<S = String>(S);

impl JsonText {
    /// The text of `value`.
    pub fn from_value(value: &Value) -> Self {
        Self(value.to_string())
    }

    /// `text` as it is; `write_canonical` refuses it later if it is not JSON.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl<S: AsRef<str>> JsonText<S> {
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// Appends the RFC 8785 bytes of the value: the same bytes as
    /// `write_value` of the parsed `Value`, duplicate names included (the
    /// last one wins, as in `Value`).
    pub fn write_canonical(&self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        // What the server writes is canonical already: copy it.
        let text = self.as_str();
        if is_canonical(text) {
            out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        write_parsed(out, text)
    }
}

/// The full path for any JSON text: parse it, sort the members, write it.
fn write_parsed(out: &mut Vec<u8>, text: &str) -> Result<(), CanonicalError> {
    let node: Node<'_> =
        serde_json::from_str(text).map_err(|error| CanonicalError::NotJson(error.to_string()))?;
    write_node(out, &node)
}

impl<'a, S: From<&'a str>> FromSql<'a> for JsonText<S> {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        // The binary form of `jsonb` is a version byte (1) before the text.
        let text = if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, text)) => text,
                _ => return Err("unsupported jsonb binary version".into()),
            }
        } else {
            raw
        };
        Ok(Self(S::from(std::str::from_utf8(text)?)))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }
}

/// A parsed JSON value that borrows its strings from the text where the
/// text has no escapes, and keeps object members as a list to sort.
enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Number::from_f64(value)
            .map(Node::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Owned(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Name(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        // Stable, so that of equal names the last one given stays last.
        members.sort_by(|(a, _), (b, _)| utf16_order(a, b));
        Ok(Node::Object(members))
    }
}

/// An object member's name, borrowed from the text when it can be.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(NodeVisitor)? {
            Node::String(name) => Ok(Name(name)),
            _ => Err(de::Error::custom("an object member name is not a string")),
        }
    }
}

fn write_node(out: &mut Vec<u8>, node: &Node<'_>) -> Result<(), CanonicalError> {
    match node {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(true) => out.extend_from_slice(b"true"),
        Node::Bool(false) => out.extend_from_slice(b"false"),
        Node::Number(number) => write_number(out, number)?,
        Node::String(text) => write_string(out, text),
        Node::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_node(out, item)?;
            }
            out.push(b']');
        }
        Node::Object(members) => {
            // Sorted when parsed; of repeated names only the last one counts.
            out.push(b'{');
            let mut first = true;
            for (index, (name, member)) in members.iter().enumerate() {
                if members.get(index + 1).is_some_and(|(next, _)| next == name) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_string(out, name);
                out.push(b':');
                write_node(out, member)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// The RFC 8785 bytes of `value`.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Appends the RFC 8785 bytes of `value` to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), CanonicalError> {
    // The same tree and writer as for text, borrowing the value's strings.
    let node =
        Node::deserialize(value).map_err(|error| CanonicalError::NotJson(error.to_string()))?;
    write_node(out, &node)
}

/// RFC 8785 §3.2.3 sorts names by UTF-16 code units; this differs from byte
/// order only for names mixing supplementary characters with U+E000..U+FFFF.
pub(super) fn utf16_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// serde_json escapes exactly as RFC 8785 §3.2.2.2 asks: `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, other controls as lowercase `\u00xx`, and
/// nothing else.
pub fn write_string(out: &mut Vec<u8>, text: &str) {
    // Most strings need no escape at all: copy them as they are. (A fold
    // rather than `any`, so that the compiler checks many bytes at a time.)
    let needs_escape = text.bytes().fold(false, |seen, byte| {
        seen | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if !needs_escape {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Integers print as their digits when a double holds them exactly; every
/// other number as ECMAScript's Number.prototype.toString (ryu-js).
pub fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CanonicalError> {
    const EXACT: u64 = 1 << 53;
    if let Some(integer) = number.as_i64().filter(|n| n.unsigned_abs() <= EXACT) {
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{integer}");
        return Ok(());
    }
    let double = number
        .as_f64()
        .filter(|d| d.is_finite())
        .ok_or(CanonicalError::NumberOutOfRange)?;
    let mut buffer = ryu_js::Buffer::new();
    out.extend_from_slice(buffer.format_finite(double).as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canonical(value: Value) -> String {
        String::from_utf8(canonical_json(&value).unwrap()).unwrap()
    }

    #[test]
    fn members_are_sorted_and_whitespace_is_dropped() {
        let value = json!({"b": [1, {"z": null, "a": true}], "a": "x"});
        assert_eq!(canonical(value), r#"{"a":"x","b":[1,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn numbers_print_as_ecmascript_prints_doubles() {
        let value: Value =
            serde_json::from_str("[1.0, 100, -0.0, 1e21, 1.5e-7, 0.1, 9007199254740993, 2e1]")
                .unwrap();
        assert_eq!(
            canonical(value),
            "[1,100,0,1e+21,1.5e-7,0.1,9007199254740992,20]"
        );
    }

    #[test]
    fn strings_escape_controls_only() {
        let value = json!("é\u{1f}\n\"/\\\u{7f}€");
        assert_eq!(canonical(value), "\"é\\u001f\\n\\\"/\\\\\u{7f}€\"");
    }

    #[test]
    fn names_sort_by_utf16_code_units_not_bytes() {
        // U+1F600 is the surrogate pair D83D DE00, which sorts before U+E000
        // in UTF-16 although its UTF-8 bytes sort after.
        let value = json!({"\u{e000}": 1, "\u{1f600}": 2});
        assert_eq!(canonical(value), "{\"\u{1f600}\":2,\"\u{e000}\":1}");
    }

    /// The canonical bytes of `text` read as `JsonText`.
    fn canonical_text(text: &str) -> String {
        let mut out = Vec::new();
        JsonText::from_text(text).write_canonical(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_canonicalises_as_its_value_does_with_escapes_spacing_and_repeated_names() {
        // The spacing and member order of PostgreSQL's jsonb output.
        let text = r#"{"b": [1.0, {"z": null, "a": true}], "a": "x\u00e9\n", "\u0061b": 2,
            "b": "last", "n": -0, "big": 9007199254740993, "e": 1E300}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(canonical_text(text), canonical(value));
        assert_eq!(canonical_text(r#"{"k": 1, "k": 2}"#), r#"{"k":2}"#);
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        let mut out = Vec::new();
        let refused = JsonText::from_text("{\"a\": ").write_canonical(&mut out);
        assert!(
            matches!(refused, Err(CanonicalError::NotJson(_))),
            "{refused:?}"
        );
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300_f64..1e300).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\a\u{e000}\u{1f600}]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c\u{e000}\u{1f600}]{0,3}", inner, 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn text_and_value_have_the_same_canonical_bytes(value in any_json()) {
            let compact = value.to_string();
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            let expected = canonical(value);
            proptest::prop_assert_eq!(canonical_text(&compact), expected.clone());
            proptest::prop_assert_eq!(canonical_text(&pretty), expected);
        }
    }

    proptest::proptest! {
        /// Canonical bytes are recognised as such, and whatever text is
        /// recognised is what the full path writes for it.
        #[test]
        fn the_check_recognises_exactly_the_full_paths_output(value in any_json()) {
            let expected = canonical(value.clone());
            proptest::prop_assert!(is_canonical(&expected), "{}", expected);
            let compact = value.to_string();
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            for text in [compact, pretty, expected] {
                if is_canonical(&text) {
                    let mut full = Vec::new();
                    write_parsed(&mut full, &text).unwrap();
                    proptest::prop_assert_eq!(String::from_utf8(full).unwrap(), text);
                }
            }
        }
    }

    #[test]
    fn the_rfc_8785_example_canonicalises_as_published() {
        let input = r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]}"#;
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(
            canonical(value),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
             \"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }
}
