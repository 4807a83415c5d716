//! Builds the HTTP application: shared state, middleware, routes, and the
//! bound listener. `main` and the integration tests both start it here.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use ed25519_dalek::SigningKey;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;
use usertrail_store::{Pool, StoreError};

use crate::Clock;
use crate::activity::{self, ActivityCounter};
use crate::api::{self, ApiError, ErrorCode};
use crate::auth::TokenCache;
use crate::config::{DatabaseSettings, ServeSettings};
use crate::health;
use crate::request::add_request_id_header;
use crate::scim;
use crate::ui;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub pool: Pool,
    /// Where `direct_connection` connects: the pool's database.
    pub database: tokio_postgres::Config,
    pub clock: Clock,
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    pub tokens: TokenCache,
    pub activity: ActivityCounter,
    /// How long an invitation code is valid (`INVITE_TTL_HOURS`).
    pub invite_ttl: time::Duration,
    /// How long an `Idempotency-Key` is remembered (`IDEMPOTENCY_KEY_TTL_HOURS`).
    pub idempotency_ttl: time::Duration,
    /// Signs checkpoints; None when no SIGNING_KEY_PATH is set.
    pub signing_key: Option<Arc<SigningKey>>,
}

impl AppState {
    /// A database connection of its own, outside the pool, for a read that
    /// streams a whole chain. It is driven on the calling worker's thread,
    /// which also formats and sends the rows: a pooled connection is driven
    /// wherever it was opened, and handing every few kilobytes of rows from
    /// that thread to this one cost about half of an export's CPU time
    /// (docs/performance.md). The caller holds a pooled connection besides,
    /// so there are at most as many of these as the pool has connections.
    pub async fn direct_connection(&self) -> Result<tokio_postgres::Client, StoreError> {
        let (client, connection) = self.database.connect(tokio_postgres::NoTls).await?;
        actix_web::rt::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(error = %error, "a direct database connection failed");
            }
        });
        Ok(client)
    }

    /// The base URL clients reach us at, for `Location` and `meta.location`.
    pub fn base_url(&self, request: &HttpRequest) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    }
}

/// A bound, not yet running server.
pub struct Application {
    address: SocketAddr,
    server: Server,
    sealer: JoinHandle<()>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// How often the SCIM token activity counted in memory is written out.
const ACTIVITY_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// How often expired idempotency keys are deleted.
const IDEMPOTENCY_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// How long a stopping server waits for requests in flight.
const SHUTDOWN_GRACE_SECONDS: u64 = 30;

impl Application {
    /// Binds the listener and builds the server. Actix stops accepting on
    /// SIGINT or SIGTERM, lets running requests finish, then returns.
    pub async fn build(
        database: &DatabaseSettings,
        serve: &ServeSettings,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let pool =
            usertrail_store::connect(database.database_url.expose(), database.database_pool_size)?;
        let direct = database
            .database_url
            .expose()
            .parse::<tokio_postgres::Config>()?;
        crate::privileges::refuse_excess_privileges(&pool).await?;
        let signing_key = serve
            .audit
            .signing_key_path
            .as_deref()
            .map(crate::signing::load_signing_key)
            .transpose()?
            .map(Arc::new);
        let sealer = crate::sealer::Sealer {
            pool: pool.clone(),
            clock,
            key: signing_key.clone(),
            interval: Duration::from_millis(serve.audit.seal_interval_ms),
            checkpoint_interval: Duration::from_secs(serve.audit.checkpoint_interval_seconds),
        }
        .spawn();
        let state = web::Data::new(AppState {
            pool,
            database: direct,
            clock,
            public_url: serve.public_url.clone(),
            max_body_bytes: serve.max_body_bytes,
            tokens: TokenCache::new(Duration::from_secs(serve.token_cache_seconds)),
            activity: ActivityCounter::default(),
            invite_ttl: time::Duration::hours(i64::try_from(serve.invite_ttl_hours)?),
            idempotency_ttl: time::Duration::hours(i64::try_from(serve.idempotency_key_ttl_hours)?),
            signing_key,
        });
        activity::spawn_flusher(state.clone(), ACTIVITY_FLUSH_INTERVAL);
        crate::idempotency::spawn_purger(state.clone(), IDEMPOTENCY_PURGE_INTERVAL);
        let listener = TcpListener::bind(serve.listen_addr)?;
        let address = listener.local_addr()?;

        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(add_request_id_header))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .service(health::healthz)
                .service(health::readyz)
                .configure(scim::configure)
                .configure(api::configure)
                .configure(ui::configure)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(SHUTDOWN_GRACE_SECONDS);
        if serve.http_workers > 0 {
            server = server.workers(serve.http_workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self {
            address,
            server,
            sealer,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let outcome = self.server.await;
        self.sealer.abort();
        outcome
    }
}

async fn not_found(request: HttpRequest) -> HttpResponse {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no endpoint at {}", request.path()),
    )
    .error_response()
}
