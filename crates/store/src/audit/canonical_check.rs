//! Recognising JSON text that is already in RFC 8785 form, so that it can
//! be copied as it is instead of parsed and written again.
//!
//! The server writes the log's payloads and diffs as serde_json prints a
//! `Value`: no whitespace, members sorted, strings escaped as RFC 8785
//! escapes them. Such text is its own canonical form. The check is one pass
//! over the bytes with no allocation; text it does not recognise (the
//! spacing and member order of older rows written as `jsonb`, repeated
//! names, escaped names, numbers in another spelling) takes the full path,
//! and the check is exact in the other direction: what it accepts, the full
//! path would write byte for byte the same.

use serde_json::Number;

use super::canonical::{utf16_order, write_number};

/// Deeper text takes the full path; well within serde_json's own limit
/// (128), so that nothing accepted here is refused there.
const MAX_DEPTH: usize = 64;

/// Whether `text` is exactly the canonical form of the value it holds.
pub(super) fn is_canonical(text: &str) -> bool {
    let mut check = Check {
        bytes: text.as_bytes(),
        at: 0,
        scratch: Vec::new(),
    };
    check.value(0) && check.at == check.bytes.len()
}

/// Whether the name `after` sorts strictly after `before` (RFC 8785: by
/// UTF-16 code units, which for ASCII is byte order).
fn names_increase(before: &[u8], after: &[u8]) -> bool {
    if before.is_ascii() && after.is_ascii() {
        return before < after;
    }
    // The text is a `str` and names end at an ASCII quote, so both are
    // whole characters.
    match (std::str::from_utf8(before), std::str::from_utf8(after)) {
        (Ok(before), Ok(after)) => utf16_order(before, after).is_lt(),
        _ => false,
    }
}

struct Check<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The canonical spelling of the number being checked.
    scratch: Vec<u8>,
}

impl<'a> Check<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let matched = self.peek() == Some(byte);
        self.at += usize::from(matched);
        matched
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let matched = self.bytes[self.at..].starts_with(word);
        if matched {
            self.at += word.len();
        }
        matched
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth < MAX_DEPTH && self.object(depth + 1),
            Some(b'[') => depth < MAX_DEPTH && self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    /// Members with names in strictly increasing RFC 8785 order: no name
    /// repeated, none escaped (an escaped name would need decoding to sort).
    fn object(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&'a [u8]> = None;
        loop {
            let Some((name, escaped)) = self.string() else {
                return false;
            };
            if escaped || previous.is_some_and(|before| !names_increase(before, name)) {
                return false;
            }
            previous = Some(name);
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A string escaped exactly as `write_string` escapes: `\"`, `\\`, the
    /// short forms of five controls, lowercase `\u00xx` for the other
    /// controls, nothing else. Returns its bytes between the quotes and
    /// whether it had an escape.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let mut escaped = false;
        loop {
            // Jump to the next quote or backslash; what lies between must
            // have no raw control character (a fold, so that the compiler
            // checks many bytes at a time).
            let rest = &self.bytes[self.at..];
            let next = memchr::memchr2(b'"', b'\\', rest)?;
            if rest[..next]
                .iter()
                .fold(false, |seen, byte| seen | (*byte < 0x20))
            {
                return None;
            }
            self.at += next;
            if self.bytes[self.at] == b'"' {
                break;
            }
            escaped = true;
            self.at += 1;
            match self.peek()? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                b'u' => self.control_escape()?,
                _ => return None,
            }
        }
        let contents = &self.bytes[start..self.at];
        self.at += 1;
        Some((contents, escaped))
    }

    /// `u00xx` (after the backslash) for a control that has no short form.
    fn control_escape(&mut self) -> Option<()> {
        let digits = self.bytes.get(self.at + 1..self.at + 5)?;
        let lower_hex = |byte: &u8| matches!(byte, b'0'..=b'9' | b'a'..=b'f');
        if !digits.starts_with(b"00") || !digits.iter().all(lower_hex) {
            return None;
        }
        let code = u8::from_str_radix(std::str::from_utf8(&digits[2..]).ok()?, 16).ok()?;
        let has_short_form = matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
        if code >= 0x20 || has_short_form {
            return None;
        }
        self.at += 5;
        Some(())
    }

    /// A number spelled as `write_number` spells the value serde_json reads
    /// from it, which is what the full path would write.
    fn number(&mut self) -> bool {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        let spelled = &self.bytes[start..self.at];
        let Ok(number) = serde_json::from_slice::<Number>(spelled) else {
            return false;
        };
        self.scratch.clear();
        write_number(&mut self.scratch, &number).is_ok() && self.scratch == spelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_server_writes_is_recognised() {
        for text in [
            r#"{"profile":{"active":true,"name":{"familyName":"N1","givenName":"A"}}}"#,
            r#"[{"op":"add","path":"/role","value":"member"},{"op":"remove","path":"/x"}]"#,
            r#"{"a":[],"b":{},"c":null,"d":false,"e":-12,"f":1.5,"g":1e+21,"h":"\"\\\n\u001f"}"#,
            r#""é€\u0000""#,
            "{\"\u{1f600}\":2,\"\u{e000}\":1}",
            "0",
        ] {
            assert!(is_canonical(text), "{text}");
        }
    }

    #[test]
    fn anything_the_full_path_would_write_otherwise_is_not() {
        for text in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#" {"a":1}"#,
            r#"{"a":1} "#,
            r#"{"\u0061":1}"#,
            r#""\/""#,
            r#""\u0041""#,
            r#""\u001F""#,
            r#""\u000a""#,
            "\"\u{1}\"",
            "{\"\u{e000}\":1,\"\u{1f600}\":2}",
            "1.0",
            "1E3",
            "-0",
            "1e21",
            "9007199254740993",
            "[1,]",
            "{\"a\":1",
            "",
            "tru",
        ] {
            assert!(!is_canonical(text), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_the_full_path() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!is_canonical(&deep));
        let limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(is_canonical(&limit));
    }
}
