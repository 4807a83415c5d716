//! The canonical JSON encoding that the chain hashes and checkpoints sign:
//! RFC 8785 (JSON Canonicalization Scheme). Object members sorted by the
//! UTF-16 code units of their names, no whitespace, strings escaped as
//! ECMAScript's `JSON.stringify` does, numbers printed as ECMAScript prints
//! an IEEE 754 double. An auditor reproduces the bytes from the JSON the API
//! returns with any RFC 8785 library (docs/audit.md, docs/adr/0013).

use std::cmp::Ordering;

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// A number that is not a finite double (RFC 8785 §3.2.2.3).
    #[error("a number that is not a finite IEEE 754 double has no canonical form")]
    NumberOutOfRange,
}

/// The RFC 8785 bytes of `value`.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Appends the RFC 8785 bytes of `value` to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(out, number)?,
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| utf16_order(a, b));
            out.push(b'{');
            for (index, (name, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write_value(out, member)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.3 sorts names by UTF-16 code units; this differs from byte
/// order only for names mixing supplementary characters with U+E000..U+FFFF.
fn utf16_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// serde_json escapes exactly as RFC 8785 §3.2.2.2 asks: `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, other controls as lowercase `\u00xx`, and
/// nothing else.
fn write_string(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Integers print as their digits when a double holds them exactly; every
/// other number as ECMAScript's Number.prototype.toString (ryu-js).
fn write_number(out: &mut Vec<u8>, number: &serde_json::Number) -> Result<(), CanonicalError> {
    const EXACT: u64 = 1 << 53;
    if let Some(integer) = number.as_i64().filter(|n| n.unsigned_abs() <= EXACT) {
        out.extend_from_slice(integer.to_string().as_bytes());
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
