//! Settings, read from the environment (and an optional `.env` file) by
//! clap. Every setting is listed in `.env.example`.

use std::fmt;
use std::net::SocketAddr;

/// A value that must never reach a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

/// Where the database is. Required by every command.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseSettings {
    /// PostgreSQL URL of the service database (may hold a password).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,

    /// PostgreSQL URL of the role that owns the schema and runs migrations;
    /// unset, migrations run through DATABASE_URL (with a warning).
    #[arg(long, env = "MIGRATION_DATABASE_URL", hide_env_values = true)]
    pub migration_database_url: Option<Secret>,

    /// Most connections the server keeps open to the database.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
}

/// Settings of `usertrail serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    /// Address and port to listen on. Port 0 picks a free port.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,

    /// Base URL that clients use to reach this server, for `Location` and
    /// `meta.location`; by default derived from each request's Host.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Largest accepted request body in bytes (larger -> 413).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Seconds a token that authenticated stays trusted without a database
    /// lookup; a revoked token keeps working this long. 0 turns it off.
    #[arg(long, env = "TOKEN_CACHE_SECONDS", default_value_t = 5)]
    pub token_cache_seconds: u64,

    /// Hours an invitation code stays valid after it is sent (or resent).
    #[arg(long, env = "INVITE_TTL_HOURS", default_value_t = 168)]
    pub invite_ttl_hours: u64,

    /// Hours an `Idempotency-Key` is remembered; after that a request with
    /// it is a new request, and the key is deleted.
    #[arg(long, env = "IDEMPOTENCY_KEY_TTL_HOURS", default_value_t = 24,
        value_parser = clap::value_parser!(u64).range(1..=87_600))]
    pub idempotency_key_ttl_hours: u64,

    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "HTTP_WORKERS", default_value_t = 0)]
    pub http_workers: usize,

    #[command(flatten)]
    pub audit: AuditSettings,
}

impl DatabaseSettings {
    /// The URL migrations run through: the owner's, else the service's.
    pub fn migration_url(&self) -> &str {
        match &self.migration_database_url {
            Some(url) => url.expose(),
            None => {
                tracing::warn!(
                    "MIGRATION_DATABASE_URL is not set: migrating through DATABASE_URL, \
                     whose role then owns the schema and could change the log"
                );
                self.database_url.expose()
            }
        }
    }
}

/// Settings of the ledger: sealing, checkpoints, the signing key.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditSettings {
    /// File holding the Ed25519 secret key that signs checkpoints (made by
    /// `usertrail keys generate`); unset, checkpoints are not signed or served.
    #[arg(long, env = "SIGNING_KEY_PATH")]
    pub signing_key_path: Option<std::path::PathBuf>,

    /// Milliseconds between two runs of the sealer when it has caught up.
    #[arg(long, env = "SEAL_INTERVAL_MS", default_value_t = 200)]
    pub seal_interval_ms: u64,

    /// Seconds between automatic checkpoints of every chain that moved; 0 turns them off.
    #[arg(long, env = "CHECKPOINT_INTERVAL_SECONDS", default_value_t = 3600)]
    pub checkpoint_interval_seconds: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            signing_key_path: None,
            seal_interval_ms: 200,
            checkpoint_interval_seconds: 3600,
        }
    }
}
