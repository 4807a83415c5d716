//! A recursive-descent parser for filters and PATCH paths over the raw input bytes.
//!
//! `and`/`or` chains are built in loops, so only parentheses, `not` and value-path brackets
//! recurse; those are counted against [`MAX_FILTER_DEPTH`].

use serde_json::Number;

use super::{AttrPath, CompValue, CompareOp, Filter, MAX_FILTER_DEPTH, MAX_FILTER_LEN, PatchPath};
use crate::error::{ScimError, ScimType};

#[derive(Debug)]
pub(super) struct Parser<'a> {
    input: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    depth: usize,
    /// Inside `attr[...]`, where another value path is not allowed.
    in_value_filter: bool,
    /// The `scimType` of every error: `invalidFilter` or `invalidPath`.
    error_type: ScimType,
}

impl<'a> Parser<'a> {
    pub(super) fn for_filter(input: &'a str) -> Result<Self, ScimError> {
        Self::new(input, ScimType::InvalidFilter)
    }

    pub(super) fn for_patch_path(input: &'a str) -> Result<Self, ScimError> {
        Self::new(input, ScimType::InvalidPath)
    }

    fn new(input: &'a str, error_type: ScimType) -> Result<Self, ScimError> {
        let parser = Self {
            input,
            pos: 0,
            depth: 0,
            in_value_filter: false,
            error_type,
        };
        if input.len() > MAX_FILTER_LEN {
            return Err(parser.error_here(&format!("at most {MAX_FILTER_LEN} bytes of input")));
        }
        Ok(parser)
    }

    /// The whole input as one filter.
    pub(super) fn filter(mut self) -> Result<Filter, ScimError> {
        let filter = self.or_expression()?;
        self.skip_spaces();
        self.expect_end("'and', 'or' or the end of the filter")?;
        Ok(filter)
    }

    /// The whole input as one PATCH path.
    pub(super) fn patch_path(mut self) -> Result<PatchPath, ScimError> {
        let mut attr = self.attr_path()?;
        let mut filter = None;
        if self.peek() == Some(b'[') {
            if attr.sub.is_some() {
                return Err(self.error_here("the end of the path after a sub-attribute"));
            }
            filter = Some(self.value_filter()?);
            if self.eat(b'.') {
                attr.sub = Some(self.attr_name()?);
            }
        }
        self.expect_end("'[' or the end of the path")?;
        Ok(PatchPath { attr, filter })
    }

    fn or_expression(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and_expression()?;
        while self.keyword_after_spaces("or") {
            let right = self.and_expression()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expression(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.unary()?;
        while self.keyword_after_spaces("and") {
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        self.skip_spaces();
        if self.at_not() {
            self.pos += "not".len();
            self.skip_spaces();
            return self
                .parenthesised()
                .map(|inner| Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(b'(') {
            return self.parenthesised();
        }
        self.attribute_expression()
    }

    /// `not` is a keyword only when a `(` follows, so an attribute may still be called "not".
    fn at_not(&self) -> bool {
        let rest = &self.input.as_bytes()[self.pos..];
        rest.len() > 3
            && rest[..3].eq_ignore_ascii_case(b"not")
            && rest[3..].iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'(')
    }

    fn parenthesised(&mut self) -> Result<Filter, ScimError> {
        self.expect(b'(', "'('")?;
        self.enter()?;
        let inner = self.or_expression()?;
        self.skip_spaces();
        self.expect(b')', "')', 'and' or 'or'")?;
        self.depth -= 1;
        Ok(inner)
    }

    fn attribute_expression(&mut self) -> Result<Filter, ScimError> {
        let path = self.attr_path()?;
        if self.peek() == Some(b'[') {
            if self.in_value_filter {
                return Err(self.error_here("a comparison; value filters do not nest"));
            }
            let filter = self.value_filter()?;
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(filter),
            });
        }
        self.expect_spaces("a space and an operator")?;
        let operator_start = self.pos;
        let word = self.word();
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_word(word) else {
            self.pos = operator_start;
            return Err(self.error_here("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.expect_spaces("a space and a value")?;
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// `[` filter `]`, with `[` next in the input.
    fn value_filter(&mut self) -> Result<Filter, ScimError> {
        self.expect(b'[', "'['")?;
        self.enter()?;
        self.in_value_filter = true;
        let inner = self.or_expression()?;
        self.in_value_filter = false;
        self.skip_spaces();
        self.expect(b']', "']', 'and' or 'or'")?;
        self.depth -= 1;
        Ok(inner)
    }

    fn comp_value(&mut self) -> Result<CompValue, ScimError> {
        match self.peek() {
            Some(b'"') => self.string().map(CompValue::String),
            Some(byte) if byte == b'-' || byte.is_ascii_digit() => {
                self.number().map(CompValue::Number)
            }
            _ => self.literal_keyword(),
        }
    }

    fn literal_keyword(&mut self) -> Result<CompValue, ScimError> {
        let start = self.pos;
        let word = self.word();
        let value = if word.eq_ignore_ascii_case("true") {
            CompValue::Bool(true)
        } else if word.eq_ignore_ascii_case("false") {
            CompValue::Bool(false)
        } else if word.eq_ignore_ascii_case("null") {
            CompValue::Null
        } else {
            self.pos = start;
            return Err(self.error_here("a value: a string, a number, true, false or null"));
        };
        Ok(value)
    }

    /// A JSON string; its escapes are decoded by the JSON parser so they mean exactly what
    /// they mean in JSON.
    fn string(&mut self) -> Result<String, ScimError> {
        let start = self.pos;
        let bytes = self.input.as_bytes();
        let mut end = start + 1;
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        if end >= bytes.len() {
            return Err(self.error_here("a closing '\"' for this string"));
        }
        let literal = &self.input[start..=end];
        let decoded = serde_json::from_str(literal).map_err(|_| {
            self.error_here("a valid JSON string (check escapes and control characters)")
        })?;
        self.pos = end + 1;
        Ok(decoded)
    }

    fn number(&mut self) -> Result<Number, ScimError> {
        let start = self.pos;
        let length = self.input.as_bytes()[start..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit() || b"+-.eE".contains(byte))
            .count();
        let literal = &self.input[start..start + length];
        let number = json_number(literal).ok_or_else(|| self.error_here("a JSON number"))?;
        self.pos += length;
        Ok(number)
    }

    /// `[URI ":"] ATTRNAME ["." ATTRNAME]`. The URI is everything up to the last colon, which
    /// is how `urn:...:2.0:User:name.givenName` splits despite the dot in "2.0".
    fn attr_path(&mut self) -> Result<AttrPath, ScimError> {
        let start = self.pos;
        let length = self.input.as_bytes()[start..]
            .iter()
            .take_while(|byte| byte.is_ascii_alphanumeric() || b"-_:.$".contains(byte))
            .count();
        let token = &self.input[start..start + length];
        let (schema, local) = match token.rfind(':') {
            Some(colon) if colon > 0 => (Some(token[..colon].to_owned()), colon + 1),
            _ => (None, 0),
        };
        self.pos = start + local;
        let name = self.attr_name()?;
        let sub = if self.eat(b'.') {
            Some(self.attr_name()?)
        } else {
            None
        };
        Ok(AttrPath { schema, name, sub })
    }

    /// `ALPHA *("-" / "_" / DIGIT / ALPHA)`, or `$ref`, which SCIM uses as a sub-attribute
    /// name although the ABNF does not allow it.
    fn attr_name(&mut self) -> Result<String, ScimError> {
        let rest = &self.input.as_bytes()[self.pos..];
        let length = match rest.first() {
            Some(first) if first.is_ascii_alphabetic() => rest
                .iter()
                .take_while(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(byte))
                .count(),
            Some(b'$') if rest.len() >= 4 && rest[1..4].eq_ignore_ascii_case(b"ref") => 4,
            _ => return Err(self.error_here("an attribute name")),
        };
        let name = self.input[self.pos..self.pos + length].to_owned();
        self.pos += length;
        Ok(name)
    }

    /// A run of ASCII letters (an operator or keyword).
    fn word(&mut self) -> &'a str {
        let start = self.pos;
        let length = self.input.as_bytes()[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        self.pos += length;
        &self.input[start..start + length]
    }

    /// Consumes spaces and `keyword` if the keyword follows as a whole word; otherwise leaves
    /// the position unchanged.
    fn keyword_after_spaces(&mut self, keyword: &str) -> bool {
        let start = self.pos;
        self.skip_spaces();
        let had_space = self.pos > start;
        let rest = &self.input.as_bytes()[self.pos..];
        // A keyword at the very end is still taken as one, so the error is about the missing
        // operand rather than the keyword.
        let matches = had_space
            && rest.len() >= keyword.len()
            && rest[..keyword.len()].eq_ignore_ascii_case(keyword.as_bytes())
            && rest
                .get(keyword.len())
                .is_none_or(|next| next.is_ascii_whitespace() || *next == b'(');
        self.pos = if matches {
            self.pos + keyword.len()
        } else {
            start
        };
        matches
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(self.error_here(&format!("at most {MAX_FILTER_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn skip_spaces(&mut self) {
        let rest = &self.input.as_bytes()[self.pos..];
        self.pos += rest
            .iter()
            .take_while(|byte| byte.is_ascii_whitespace())
            .count();
    }

    fn expect_spaces(&mut self, expected: &str) -> Result<(), ScimError> {
        let start = self.pos;
        self.skip_spaces();
        if self.pos == start {
            return Err(self.error_here(expected));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), ScimError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn expect_end(&self, expected: &str) -> Result<(), ScimError> {
        if self.pos == self.input.len() {
            Ok(())
        } else {
            Err(self.error_here(expected))
        }
    }

    /// "at character N: expected X, found Y", with N counted in characters from 1.
    fn error_here(&self, expected: &str) -> ScimError {
        let what = if self.error_type == ScimType::InvalidPath {
            "path"
        } else {
            "filter"
        };
        let position = self
            .input
            .get(..self.pos)
            .map_or(0, |done| done.chars().count())
            + 1;
        let found = match self
            .input
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(next) => format!("'{next}'"),
            None => "the end of the input".to_owned(),
        };
        let detail =
            format!("invalid {what} at character {position}: expected {expected}, found {found}");
        ScimError::bad_request(self.error_type, detail)
    }
}

/// A number in JSON syntax. JSON's grammar is checked by serde_json, but non-integers are then
/// converted by the standard library, whose conversion is correctly rounded, so that a printed
/// `f64` parses back to the very same value.
fn json_number(literal: &str) -> Option<Number> {
    let number: Number = serde_json::from_str(literal).ok()?;
    if !number.is_f64() {
        return Some(number);
    }
    literal.parse::<f64>().ok().and_then(Number::from_f64)
}
