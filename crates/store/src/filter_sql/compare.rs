//! One comparison of one value (RFC 7644 §3.4.2.2, Table 3), by the attribute's type:
//! strings honour `caseExact`, dateTimes compare as instants, booleans only test equality.
//! Every literal from the filter becomes a bind parameter.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use usertrail_scim::filter::{CompValue, CompareOp};

use super::target::{Kind, Leaf};
use crate::StoreError;
use crate::sql::Params;

/// `leaf op value` as a condition that is never NULL where it matters: `ne` and `eq null`
/// are written as negations of conditions that are.
pub(crate) fn compare_leaf(
    leaf: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    if *value == CompValue::Null {
        return null_comparison(&leaf.present, leaf.name, op);
    }
    if op == CompareOp::Ne {
        let equal = compare_leaf(leaf, CompareOp::Eq, value, params)?;
        return Ok(format!("(NOT COALESCE({equal}, false))"));
    }
    let condition = match leaf.kind {
        Kind::Text {
            case_exact,
            ordered,
        } => text(leaf, case_exact, ordered, op, value, params)?,
        Kind::Boolean => format!("{} = {}", leaf.value, boolean(leaf, op, value, params)?),
        Kind::JsonBoolean => format!(
            "{} = to_jsonb({}::boolean)",
            leaf.value,
            boolean(leaf, op, value, params)?
        ),
        Kind::DateTime => date_time(leaf, op, value, params)?,
        Kind::Decimal => decimal(leaf, op, value, params)?,
        Kind::Uuid => return uuid(leaf, op, value, params),
    };
    Ok(format!("({condition})"))
}

/// RFC 7644 treats `eq null` as "not present" and `ne null` as "present".
pub(crate) fn null_comparison(
    present: &str,
    name: &str,
    op: CompareOp,
) -> Result<String, StoreError> {
    match op {
        CompareOp::Eq => Ok(format!("(NOT {present})")),
        CompareOp::Ne => Ok(present.to_owned()),
        _ => Err(StoreError::UnsupportedQuery(format!(
            "{name} {} null: null can only be compared with eq or ne",
            op.as_str()
        ))),
    }
}

fn text(
    leaf: &Leaf,
    case_exact: bool,
    ordered: bool,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    let CompValue::String(text) = value else {
        return Err(mismatch(leaf, value, "a string in double quotes"));
    };
    let fold = |sql: String| {
        if case_exact {
            sql
        } else {
            format!("lower({sql})")
        }
    };
    let column = fold(leaf.value.clone());
    let like = |pattern: String, params: &mut Params| {
        format!("{column} LIKE {} ESCAPE '\\'", fold(params.push(pattern)))
    };
    let condition = match op {
        CompareOp::Eq => format!("{column} = {}", fold(params.push(text.clone()))),
        CompareOp::Co => like(format!("%{}%", escape_like(text)), params),
        CompareOp::Sw => like(format!("{}%", escape_like(text)), params),
        CompareOp::Ew => like(format!("%{}", escape_like(text)), params),
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            if !ordered {
                return Err(unordered(leaf, op, "binary"));
            }
            // Code-point order, the "no specific locale" order of RFC 7644 §3.4.2.3,
            // and the same order that sortBy uses.
            format!(
                "{column} COLLATE \"C\" {} {}",
                ordering(op),
                fold(params.push(text.clone()))
            )
        }
        CompareOp::Ne => return Err(internal_ne()),
    };
    Ok(condition)
}

/// The placeholder of a boolean operand; `"true"` and `"false"` strings count too, because
/// Microsoft Entra ID quotes them.
fn boolean(
    leaf: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    if op != CompareOp::Eq {
        return Err(unordered(leaf, op, "boolean"));
    }
    let flag = match value {
        CompValue::Bool(flag) => *flag,
        CompValue::String(text) if text.eq_ignore_ascii_case("true") => true,
        CompValue::String(text) if text.eq_ignore_ascii_case("false") => false,
        _ => return Err(mismatch(leaf, value, "true or false")),
    };
    Ok(params.push(flag))
}

fn date_time(
    leaf: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    let CompValue::String(text) = value else {
        return Err(mismatch(leaf, value, "an xsd:dateTime string"));
    };
    let instant = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        StoreError::UnsupportedQuery(format!(
            "{text:?} is not a valid dateTime for {}; use RFC 3339, e.g. \
             \"2026-01-02T03:04:05Z\"",
            leaf.name
        ))
    })?;
    let operator = match op {
        CompareOp::Eq => "=",
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => ordering(op),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            return Err(StoreError::UnsupportedQuery(format!(
                "{} is a dateTime: use eq, gt, ge, lt or le, not {}",
                leaf.name,
                op.as_str()
            )));
        }
        CompareOp::Ne => return Err(internal_ne()),
    };
    Ok(format!(
        "{} {operator} {}",
        leaf.value,
        params.push(instant)
    ))
}

fn decimal(
    leaf: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    let CompValue::Number(number) = value else {
        return Err(mismatch(leaf, value, "a number"));
    };
    let operator = match op {
        CompareOp::Eq => "=",
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => ordering(op),
        _ => return Err(unordered(leaf, op, "number")),
    };
    // Bound as text and cast, so that no precision is lost on the way.
    let placeholder = params.push(number.to_string());
    Ok(format!(
        "{} {operator} {placeholder}::text::numeric",
        leaf.value
    ))
}

/// `id` is a UUID column: equality binds a UUID so the primary key serves it; a string that
/// is no UUID names no user. Other operators compare its text form.
fn uuid(
    leaf: &Leaf,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    let CompValue::String(text) = value else {
        return Err(mismatch(leaf, value, "a string in double quotes"));
    };
    if op == CompareOp::Eq {
        return Ok(match uuid::Uuid::parse_str(text) {
            Ok(id) => format!("({} = {})", leaf.value, params.push(id)),
            Err(_) => "false".to_owned(),
        });
    }
    let as_text = Leaf {
        value: format!("{}::text", leaf.value),
        kind: Kind::Text {
            case_exact: true,
            ordered: true,
        },
        present: leaf.present.clone(),
        name: leaf.name,
    };
    compare_leaf(&as_text, op, value, params)
}

/// Escapes LIKE's metacharacters so that `co "50%"` means the three characters, not a
/// wildcard; the translation always states `ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

fn ordering(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        _ => "<=",
    }
}

fn mismatch(leaf: &Leaf, value: &CompValue, expected: &str) -> StoreError {
    let found = match value {
        CompValue::String(_) => "a string",
        CompValue::Number(_) => "a number",
        CompValue::Bool(_) => "a boolean",
        CompValue::Null => "null",
    };
    StoreError::UnsupportedQuery(format!(
        "{} must be compared with {expected}, not {found}",
        leaf.name
    ))
}

fn unordered(leaf: &Leaf, op: CompareOp, kind: &str) -> StoreError {
    StoreError::UnsupportedQuery(format!(
        "{} is a {kind} value and cannot be compared with {}",
        leaf.name,
        op.as_str()
    ))
}

/// `ne` is rewritten as a negated `eq` before any typed comparison runs.
fn internal_ne() -> StoreError {
    StoreError::UnsupportedQuery("ne is handled as the negation of eq".to_owned())
}
