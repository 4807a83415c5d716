//! The connection pool.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::StoreError;

/// A pool of at most `max_size` connections to `url`. Connections are made
/// lazily, so this does not fail when the database is down; `/readyz` does.
pub fn connect(url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let config = tokio_postgres::Config::from_str(url)?;
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = Manager::from_config(config, NoTls, manager_config);
    // A request that cannot get a connection within this long fails instead
    // of queueing forever behind a stuck pool.
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .build()
        .map_err(|error| StoreError::UnsupportedQuery(format!("invalid pool settings: {error}")))
}
