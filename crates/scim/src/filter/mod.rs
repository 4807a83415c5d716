//! The SCIM filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), as typed trees.
//!
//! Attribute names are kept as the client wrote them; resolving them (case-insensitively) is
//! the job of [`crate::schema::resolve_attribute`], so the parser stays independent of any one
//! resource type. Printing a tree with `Display` yields text that parses back to the same tree.

mod display;
mod parser;

use serde_json::Number;

use crate::error::ScimError;

/// Filters longer than this are refused before parsing; no real client sends one this long.
pub const MAX_FILTER_LEN: usize = 4096;
/// Parentheses, `not` and value-path brackets nested deeper than this are refused, so that a
/// hostile filter cannot exhaust the stack of the recursive-descent parser.
pub const MAX_FILTER_DEPTH: usize = 64;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`, e.g. `userName eq "bjensen"`.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `not (filter)`; RFC 7644 requires the parentheses.
    Not(Box<Filter>),
    /// `attrPath[filter]`: the inner filter applies to each value of a multi-valued attribute
    /// and names its sub-attributes. Value paths do not nest.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A comparison operator; matched case-insensitively in the input, printed in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// The operator named by `word`, in any case.
    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

/// The literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    String(String),
    Number(Number),
    Bool(bool),
    Null,
}

/// `[schema URN ":"] name ["." sub]`, e.g.
/// `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    pub schema: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path without schema or sub-attribute.
    pub fn simple(name: impl Into<String>) -> Self {
        Self {
            schema: None,
            name: name.into(),
            sub: None,
        }
    }

    pub fn with_sub(name: impl Into<String>, sub: impl Into<String>) -> Self {
        Self {
            schema: None,
            name: name.into(),
            sub: Some(sub.into()),
        }
    }
}

/// The `path` of a PATCH operation (RFC 7644 §3.5.2): `attrPath` or
/// `attrPath "[" valFilter "]" ["." subAttr]`.
///
/// With a filter, `attr.name` is the multi-valued attribute, `filter` selects its values and
/// `attr.sub` (from the part after `]`) is the sub-attribute to change in each of them. Without
/// a filter, `attr` is an ordinary attribute path such as `name.givenName`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
}

/// Parses a filter expression. Errors are 400 `invalidFilter` and say at which character
/// (counted from 1) what was expected.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    parser::Parser::for_filter(input)?.filter()
}

/// Parses a PATCH `path`. Errors are 400 `invalidPath`, positioned like [`parse_filter`]'s.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    parser::Parser::for_patch_path(input)?.patch_path()
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

impl Filter {
    /// Whether the filter compares or tests `name` anywhere, as an attribute
    /// or as a value path's own attribute (case-insensitive, with or without
    /// a schema URN). Used to refuse filters on write-only attributes in a
    /// URL, where RFC 7644 §7.5.2 says confidential values must not travel.
    pub fn names_attribute(&self, name: &str) -> bool {
        match self {
            Filter::Compare { path, .. } | Filter::Present(path) => {
                path.name.eq_ignore_ascii_case(name)
            }
            Filter::And(left, right) | Filter::Or(left, right) => {
                left.names_attribute(name) || right.names_attribute(name)
            }
            Filter::Not(inner) => inner.names_attribute(name),
            Filter::ValuePath { path, .. } => path.name.eq_ignore_ascii_case(name),
        }
    }
}

#[cfg(test)]
mod names_attribute_tests {
    use super::*;

    #[test]
    fn a_filter_names_an_attribute_anywhere_in_its_tree_in_any_case() {
        let filter = parse_filter("userName eq \"a\" or not (PassWord pr)").unwrap();
        assert!(filter.names_attribute("password"));
        let filter = parse_filter("urn:ietf:params:scim:schemas:core:2.0:User:password eq \"x\"");
        assert!(filter.unwrap().names_attribute("password"));
        assert!(
            !parse_filter("userName eq \"password\"")
                .unwrap()
                .names_attribute("password")
        );
    }
}
