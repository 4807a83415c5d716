//! Command-line arguments of `loadgen`, and the checks that make a run safe
//! to start: durations with units, and a target that is on this machine.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use reqwest::Url;

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Bounded load against a usertrail server on loopback"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// POST /scim/v2/Users with a unique userName per request.
    ScimCreate(LoadArgs),
    /// GET /scim/v2/Users?filter=userName eq "..." for random existing users.
    ScimFilter(ScimFilterArgs),
}

/// The target and the bounds of a run, common to every scenario.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long, value_parser = parse_loopback_url)]
    pub url: Url,

    /// SCIM bearer token. Prefer the environment variable: arguments are
    /// visible to every user of the machine through `ps`.
    #[arg(long, env = "LOADGEN_TOKEN", hide_env_values = true)]
    pub token: String,

    /// Concurrent workers, each with its own keep-alive connection.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub connections: u16,

    /// Length of the measured window, after the warm-up (e.g. 10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Requests sent before measuring starts; they are not counted.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Upper bound on requests sent, warm-up included: the run stops at
    /// whichever of this and the end of the window comes first.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: u64,

    /// Per-request timeout; a request taking longer counts as an error.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct ScimFilterArgs {
    #[command(flatten)]
    pub load: LoadArgs,

    /// How many users exist: each request looks up one n in 0..users.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub users: u64,

    /// The userName of user n, with `{n}` where the number goes; it must
    /// match how the users were seeded.
    #[arg(long, default_value = "bench-{n}@example.com")]
    pub user_name_pattern: String,
}

/// Parses `250ms`, `10s`, `2m`. A unit is required: a bare `10` is more
/// likely a mistake than a choice.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .with_context(|| format!("duration '{text}' needs a unit: ms, s or m"))?;
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .with_context(|| format!("duration '{text}' must start with a whole number"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(amount)),
        "s" => Ok(Duration::from_secs(amount)),
        "m" => Ok(Duration::from_secs(amount.saturating_mul(60))),
        _ => bail!("duration '{text}' has unknown unit '{unit}': use ms, s or m"),
    }
}

/// Accepts only plain-HTTP URLs whose host is on this machine: `localhost`,
/// an address in 127.0.0.0/8, or `[::1]`. Load is never sent elsewhere.
pub fn parse_loopback_url(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text).with_context(|| format!("'{text}' is not a URL"))?;
    if url.scheme() != "http" {
        bail!("'{text}': only http:// URLs are supported");
    }
    let host = url
        .host_str()
        .with_context(|| format!("'{text}' has no host"))?;
    if !is_loopback_host(host) {
        bail!("'{text}': refusing to send load to '{host}', which is not a loopback address");
    }
    Ok(url)
}

fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    // IPv6 hosts come bracketed from the URL parser: "[::1]".
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_units_parse() {
        assert_eq!(
            parse_duration("250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_duration("10s").ok(), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m").ok(), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s").ok(), Some(Duration::ZERO));
    }

    #[test]
    fn durations_without_a_known_unit_are_rejected() {
        for text in ["10", "", "s", "10h", "1.5s", "-1s", "ten s"] {
            assert!(parse_duration(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn loopback_urls_are_accepted() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1/",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(parse_loopback_url(url).is_ok(), "{url} should be accepted");
        }
    }

    #[test]
    fn other_hosts_and_schemes_are_refused() {
        for url in [
            "http://10.0.0.1:8080",
            "http://192.168.1.10",
            "http://0.0.0.0:8080",
            "http://example.com",
            "http://localhost.example.com",
            "http://[::2]:8080",
            "https://127.0.0.1:8443",
            "not a url",
        ] {
            assert!(parse_loopback_url(url).is_err(), "{url} should be refused");
        }
    }

    #[test]
    fn full_command_line_parses_into_scim_create_args() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "scim-create",
            "--url",
            "http://127.0.0.1:8080",
            "--token",
            "t0ken",
            "--connections",
            "32",
            "--duration",
            "10s",
            "--max-requests",
            "200000",
            "--warmup",
            "2s",
        ]);
        let Ok(Cli {
            command: Command::ScimCreate(args),
        }) = cli
        else {
            unreachable!("the command line should parse: {cli:?}");
        };
        assert_eq!(args.url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(args.token, "t0ken");
        assert_eq!(args.connections, 32);
        assert_eq!(args.duration, Duration::from_secs(10));
        assert_eq!(args.max_requests, 200_000);
        assert_eq!(args.warmup, Duration::from_secs(2));
        assert_eq!(args.timeout, Duration::from_secs(30));
    }

    #[test]
    fn scim_filter_takes_the_load_options_the_user_count_and_a_pattern() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "scim-filter",
            "--url",
            "http://127.0.0.1:8080",
            "--token",
            "t0ken",
            "--connections",
            "8",
            "--users",
            "100000",
            "--user-name-pattern",
            "u{n}@example.org",
        ]);
        let Ok(Cli {
            command: Command::ScimFilter(args),
        }) = cli
        else {
            unreachable!("the command line should parse: {cli:?}");
        };
        assert_eq!(args.load.connections, 8);
        assert_eq!(args.load.duration, Duration::from_secs(10));
        assert_eq!(args.users, 100_000);
        assert_eq!(args.user_name_pattern, "u{n}@example.org");
    }

    #[test]
    fn scim_filter_needs_a_positive_user_count() {
        for users in [None, Some("0")] {
            let mut line = vec!["loadgen", "scim-filter", "--url", "http://127.0.0.1:1"];
            line.extend(["--token", "t"]);
            if let Some(users) = users {
                line.extend(["--users", users]);
            }
            assert!(Cli::try_parse_from(line).is_err(), "--users {users:?}");
        }
    }

    #[test]
    fn non_loopback_url_on_the_command_line_is_an_error() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "scim-create",
            "--url",
            "http://10.1.2.3:8080",
            "--token",
            "t",
        ]);
        assert!(cli.is_err());
    }

    #[test]
    fn zero_connections_is_an_error() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "scim-create",
            "--url",
            "http://127.0.0.1:8080",
            "--token",
            "t",
            "--connections",
            "0",
        ]);
        assert!(cli.is_err());
    }
}
