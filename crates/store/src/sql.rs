//! Building parameterised SQL: numbered placeholders for caller values. The
//! SCIM filter translation that uses it lives in `filter_sql`.

use std::fmt;

use tokio_postgres::types::ToSql;

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

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn as_refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|value| value.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_list().entries(&self.values).finish()
    }
}
