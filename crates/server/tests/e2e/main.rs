//! End-to-end tests of the admin panel (`/ui`) in a real headless Chromium, driven through
//! chromedriver (WebDriver), against a server with its own database seeded through every
//! door. Screenshots of the table, the user page and the overview are written under
//! `target/e2e/` for review.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`make test` installs them when it can);
//! `CHROMEDRIVER` and `CHROMIUM` override their paths.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test with its message"
)]

#[path = "../api/door_support.rs"]
#[allow(dead_code, reason = "the API tests use the rest of the harness")]
mod door_support;
#[path = "../api/helpers.rs"]
#[allow(dead_code, reason = "the API tests use the rest of the harness")]
mod helpers;

mod browser;
mod seed;

mod panel;
