//! The usertrail server: the HTTP doors (SCIM under `/scim/v2`, the JSON
//! API under `/api/v1`, health checks), authentication, the application
//! layer that runs commands through the domain and the store, and the CLI.

pub mod app;
pub mod audit_cli;
pub mod auth;
pub mod cli;
pub mod config;
pub mod door_app;
pub mod group_app;
pub mod password;
pub mod privileges;
pub mod sealer;
pub mod signing;
pub mod startup;
pub mod telemetry;

mod activity;
mod api;
mod clock;
mod health;
mod idempotency;
mod request;
mod retry;
mod scim;
mod ui;

pub use clock::Clock;
