//! Integration tests of the usertrail server over HTTP, against a real
//! PostgreSQL database per test. One binary, so that it builds once.

// The harness helpers are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test with its message"
)]

mod door_support;
mod helpers;

mod api_acting;
mod api_admin;
mod api_cross_door;
mod api_idempotency;
mod api_invites;
mod api_joins;
mod api_openapi;
mod api_self_service;
mod api_users;
mod audit_checkpoints;
mod audit_cli;
mod audit_concurrency;
mod audit_ledger;
mod audit_privileges;
mod audit_queries;
mod audit_query_plans;
mod audit_support;
mod audit_verify;
mod concurrency;
mod health;
mod log;
mod okta_spec;
mod panel_api;
mod property;
mod scim_attributes;
mod scim_bulk;
mod scim_conditional;
mod scim_discovery;
mod scim_errors;
mod scim_filters;
mod scim_group_members;
mod scim_groups;
mod scim_passwords;
mod scim_query_plans;
mod scim_search;
mod scim_sorting;
mod scim_user_patches;
mod scim_users;
mod upgrades;
