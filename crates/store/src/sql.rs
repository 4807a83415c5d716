//! Building parameterised SQL: numbered placeholders for caller values, and
//! the translation of a SCIM filter tree into a `WHERE` condition over the
//! `users` projection.

use tokio_postgres::types::ToSql;
use usertrail_scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use usertrail_scim::schema::USER_SCHEMA;

use crate::StoreError;

/// Bind parameters collected while SQL text is assembled.
#[derive(Default)]
pub(crate) struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a value and returns its placeholder (`$1`, `$2`, ...).
    pub(crate) fn push(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    pub(crate) fn as_refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|value| value.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// A filterable projection column and how SCIM compares it.
struct Column {
    sql: &'static str,
    kind: ColumnKind,
}

enum ColumnKind {
    /// Compared case-insensitively (`caseExact: false`).
    CaseInsensitiveText,
    /// Compared exactly (`caseExact: true`).
    ExactText,
    Boolean,
    Uuid,
}

/// The attributes of the first SCIM cut that have their own column.
fn column(path: &AttrPath) -> Option<Column> {
    if path.sub.is_some() {
        return None;
    }
    if path
        .schema
        .as_ref()
        .is_some_and(|schema| !schema.eq_ignore_ascii_case(USER_SCHEMA))
    {
        return None;
    }
    let name = path.name.to_ascii_lowercase();
    let (sql, kind) = match name.as_str() {
        "username" => ("user_name", ColumnKind::CaseInsensitiveText),
        "externalid" => ("external_id", ColumnKind::ExactText),
        "displayname" => ("display_name", ColumnKind::CaseInsensitiveText),
        "id" => ("id", ColumnKind::Uuid),
        "active" => ("active", ColumnKind::Boolean),
        _ => return None,
    };
    Some(Column { sql, kind })
}

/// Translates `filter` into a condition on `users`, adding its values to
/// `params`. Anything not translatable is refused, never ignored.
pub(crate) fn user_filter_sql(filter: &Filter, params: &mut Params) -> Result<String, StoreError> {
    match filter {
        Filter::And(left, right) => Ok(format!(
            "({} AND {})",
            user_filter_sql(left, params)?,
            user_filter_sql(right, params)?
        )),
        Filter::Or(left, right) => Ok(format!(
            "({} OR {})",
            user_filter_sql(left, params)?,
            user_filter_sql(right, params)?
        )),
        Filter::Not(inner) => Ok(format!(
            "(NOT COALESCE({}, false))",
            user_filter_sql(inner, params)?
        )),
        Filter::Present(path) => {
            let column = column(path).ok_or_else(|| unsupported_attribute(path))?;
            Ok(format!("({} IS NOT NULL)", column.sql))
        }
        Filter::Compare { path, op, value } => compare_sql(path, *op, value, params),
        Filter::ValuePath { path, .. } => Err(StoreError::UnsupportedQuery(format!(
            "filters on multi-valued attributes ({}[...]) are not supported yet",
            path.name
        ))),
    }
}

fn compare_sql(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    params: &mut Params,
) -> Result<String, StoreError> {
    let column = column(path).ok_or_else(|| unsupported_attribute(path))?;
    let operator = match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "IS DISTINCT FROM",
        _ => {
            return Err(StoreError::UnsupportedQuery(format!(
                "the operator {op:?} is not supported on {} yet; use eq or ne",
                path.name
            )));
        }
    };
    let mismatch =
        || StoreError::UnsupportedQuery(format!("{} cannot be compared with {value:?}", path.name));
    let condition = match (&column.kind, value) {
        (ColumnKind::CaseInsensitiveText, CompValue::String(text)) => {
            format!(
                "lower({}) {operator} lower({})",
                column.sql,
                params.push(text.clone())
            )
        }
        (ColumnKind::ExactText, CompValue::String(text)) => {
            format!("{} {operator} {}", column.sql, params.push(text.clone()))
        }
        (ColumnKind::Boolean, CompValue::Bool(flag)) => {
            format!("{} {operator} {}", column.sql, params.push(*flag))
        }
        (ColumnKind::Uuid, CompValue::String(text)) => match uuid::Uuid::parse_str(text) {
            Ok(id) => format!("{} {operator} {}", column.sql, params.push(id)),
            // No user has an id that is not a UUID.
            Err(_) => (if op == CompareOp::Eq { "false" } else { "true" }).to_owned(),
        },
        (_, CompValue::Null) => {
            let negation = if op == CompareOp::Eq { "" } else { "NOT " };
            format!("({} IS {negation}NULL)", column.sql)
        }
        _ => return Err(mismatch()),
    };
    Ok(format!("({condition})"))
}

fn unsupported_attribute(path: &AttrPath) -> StoreError {
    StoreError::UnsupportedQuery(format!(
        "filtering on {} is not supported yet; supported: userName, externalId, displayName, \
         id, active",
        path.name
    ))
}
