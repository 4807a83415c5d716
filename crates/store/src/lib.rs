//! PostgreSQL for usertrail: the append-only event log, the `users`
//! projection kept in step with it, the queries that read both, and the
//! migrations that create them.
//!
//! Functions that write take an open transaction instead of opening their
//! own, so that the caller decides what commits together.

mod error;
mod filter_sql;
mod migrate;
mod orgs;
mod pool;
mod projection;
mod sort_sql;
mod sql;
mod tokens;
mod users;

pub mod history;
pub mod listing;

pub use deadpool_postgres::{Client, GenericClient, Pool, Transaction};
pub use error::StoreError;
pub use listing::{
    Cursor, DiagnosticsQuery, ScimListSql, ScimPage, ScimQuery, SortKey, list_diagnostics,
    list_scim_users, scim_list_sql,
};
pub use migrate::{migrate, schema_fingerprint};
pub use orgs::{Organization, create_organization, find_organization_by_slug};
pub use pool::connect;
pub use projection::{rebuild_all_projections, rebuild_projection};
pub use tokens::{NewToken, Token, TokenKind, create_token, find_token_by_secret_hash};
pub use users::{RequestMeta, append_user_events, load_user};
