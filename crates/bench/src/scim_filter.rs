//! The `scim-filter` scenario: `GET /scim/v2/Users?filter=userName eq "..."`
//! for a random existing user per request. Success is HTTP 200 with
//! `totalResults` 1: a lookup that finds nobody is a wrong answer, not a
//! fast one.
//!
//! userName is case-insensitive (RFC 7643 §4.1.1), so every request spells
//! the name in a random mix of cases and the server must still find it,
//! through its `lower(user_name)` index.

use anyhow::bail;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::Deserialize;

use crate::cli::ScimFilterArgs;
use crate::runner::{Failure, Scenario, body_sample};

/// Where the user's number goes in `--user-name-pattern`.
const PLACEHOLDER: &str = "{n}";

/// Looks up users `0..users` by userName.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The userName before and after the number.
    prefix: String,
    suffix: String,
    users: u64,
    /// Mixed into every request's random choices, so that two runs do not
    /// ask for the same sequence of users.
    seed: u64,
}

impl Lookup {
    pub fn from_args(args: &ScimFilterArgs, seed: u64) -> anyhow::Result<Lookup> {
        let pattern = &args.user_name_pattern;
        let Some((prefix, suffix)) = pattern.split_once(PLACEHOLDER) else {
            bail!("--user-name-pattern '{pattern}' has no {PLACEHOLDER} for the number");
        };
        if suffix.contains(PLACEHOLDER) {
            bail!("--user-name-pattern '{pattern}' has more than one {PLACEHOLDER}");
        }
        Ok(Lookup {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            users: args.users,
            seed,
        })
    }

    /// The userName request `n` asks for: a random user, in random case.
    pub fn user_name(&self, n: u64) -> String {
        let pick = splitmix64(self.seed ^ n);
        let case = splitmix64(pick);
        let name = format!("{}{}{}", self.prefix, pick % self.users, self.suffix);
        mix_case(&name, case)
    }

    /// The SCIM filter for request `n`.
    pub fn filter(&self, n: u64) -> String {
        format!(
            "userName eq \"{}\"",
            escape_filter_string(&self.user_name(n))
        )
    }
}

impl Scenario for Lookup {
    const NAME: &'static str = "scim-filter";

    fn request(&self, client: &Client, endpoint: &str, n: u64) -> RequestBuilder {
        client.get(endpoint).query(&[("filter", self.filter(n))])
    }

    fn judge(&self, status: StatusCode, body: &[u8]) -> Result<(), Failure> {
        if status != StatusCode::OK {
            return Err(Failure::status(status, body));
        }
        // Only the count matters; serde skips the resources without
        // building them.
        #[derive(Deserialize)]
        struct ListResponse {
            #[serde(rename = "totalResults")]
            total_results: u64,
        }
        let kind = match serde_json::from_slice::<ListResponse>(body) {
            Ok(list) if list.total_results == 1 => return Ok(()),
            Ok(ListResponse { total_results: 0 }) => "200 totalResults 0",
            Ok(_) => "200 totalResults > 1",
            Err(_) => "200 not a ListResponse",
        };
        Err(Failure {
            kind: kind.to_owned(),
            sample: format!("HTTP 200 ({kind}): {}", body_sample(body)),
        })
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a well-mixed 64-bit hash of `x`.
/// Enough to spread requests over users; loadgen needs no crypto-grade or
/// seedable-generator crate for that.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `text` with each ASCII letter upper-cased where the matching bit of
/// `bits` is set (bits are reused past the 64th letter).
fn mix_case(text: &str, bits: u64) -> String {
    text.chars()
        .zip((0..64).cycle())
        .map(|(c, bit)| {
            if bits >> bit & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A SCIM filter string is a JSON string (RFC 7644 §3.4.2.2): backslash and
/// double quote must be escaped.
fn escape_filter_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests;
