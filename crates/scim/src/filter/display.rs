//! Printing of filters and paths in the syntax `parse_filter` reads.
//!
//! Parentheses are written only where precedence (`not` > `and` > `or`, both binary operators
//! associating to the left) needs them, which is what makes print-then-parse an identity.

use std::fmt;

use super::{AttrPath, CompValue, CompareOp, Filter, PatchPath};

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // JSON string syntax is the filter's string syntax, escapes included.
            Self::String(text) => {
                let quoted = serde_json::to_string(text).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
            Self::Number(number) => write!(f, "{number}"),
            Self::Bool(flag) => write!(f, "{flag}"),
            Self::Null => f.write_str("null"),
        }
    }
}

/// How tightly the surrounding context binds, from loosest to tightest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Context {
    Or,
    And,
    Operand,
}

impl Filter {
    fn fmt_in(&self, f: &mut fmt::Formatter<'_>, context: Context) -> fmt::Result {
        match self {
            Self::Or(left, right) => binary(
                f,
                context > Context::Or,
                (left, Context::Or),
                "or",
                (right, Context::And),
            ),
            Self::And(left, right) => binary(
                f,
                context > Context::And,
                (left, Context::And),
                "and",
                (right, Context::Operand),
            ),
            Self::Not(inner) => {
                f.write_str("not (")?;
                inner.fmt_in(f, Context::Or)?;
                f.write_str(")")
            }
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath { path, filter } => {
                write!(f, "{path}[")?;
                filter.fmt_in(f, Context::Or)?;
                f.write_str("]")
            }
        }
    }
}

fn binary(
    f: &mut fmt::Formatter<'_>,
    parenthesise: bool,
    (left, left_context): (&Filter, Context),
    keyword: &str,
    (right, right_context): (&Filter, Context),
) -> fmt::Result {
    if parenthesise {
        f.write_str("(")?;
    }
    left.fmt_in(f, left_context)?;
    write!(f, " {keyword} ")?;
    right.fmt_in(f, right_context)?;
    if parenthesise {
        f.write_str(")")?;
    }
    Ok(())
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_in(f, Context::Or)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(filter) = &self.filter else {
            return write!(f, "{}", self.attr);
        };
        if let Some(schema) = &self.attr.schema {
            write!(f, "{schema}:")?;
        }
        write!(f, "{}[{filter}]", self.attr.name)?;
        if let Some(sub) = &self.attr.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
