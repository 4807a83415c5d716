//! PostgreSQL for usertrail: the append-only event logs, the `users`,
//! `groups` and `group_members` projections kept in step with them, the
//! queries that read both, and the migrations that create them.
//!
//! Functions that write take an open transaction instead of opening their
//! own, so that the caller decides what commits together.

mod as_of;
mod credentials;
mod error;
mod filter_sql;
mod group_projection;
mod groups;
mod identities;
mod invitations;
mod lookups;
mod migrate;
mod org_settings;
mod orgs;
pub mod panel;
mod pool;
mod projection;
mod replay;
mod sort_sql;
mod sql;
mod tokens;
mod users;

pub mod audit;
pub mod history;
pub mod idempotency;
pub mod listing;

pub use as_of::user_as_of;
pub use credentials::{forget_password, password_hash, set_password_hash};
pub use deadpool_postgres::{Client, GenericClient, Pool, Transaction};
pub use error::StoreError;
pub use groups::{
    GroupPage, GroupRef, LoadedGroup, MemberView, append_group_events, groups_of_users,
    list_scim_groups, live_user_ids, load_group,
};
pub use identities::{find_user_by_identity, sync_identities};
pub use invitations::{
    Invitation, InvitationState, close_open_invitation, insert_invitation, lock_invitation_by_code,
};
pub use listing::{
    Cursor, DiagnosticsQuery, DiagnosticsSql, ScimListSql, ScimPage, ScimQuery, SortKey,
    diagnostics_sql, list_diagnostics, list_scim_users, scim_list_sql,
};
pub use lookups::{find_adoptable_user_by_email, find_live_user_by_email, list_pending_users};
pub use migrate::{migrate, migrate_to, schema_fingerprint};
pub use org_settings::{append_org_events, load_org_state, org_events};
pub use orgs::{Organization, create_organization, find_organization_by_slug};
pub use pool::connect;
pub use projection::{rebuild_all_projections, rebuild_projection};
pub use tokens::{
    NewToken, PersonalToken, Token, TokenKind, create_personal_token, create_token,
    find_token_by_secret_hash, has_live_scim_token, list_personal_tokens, revoke_personal_token,
    revoke_user_tokens,
};
pub use users::{RequestMeta, append_user_events, load_user};
