//! Embedded SQL migrations, applied under an advisory lock so that several
//! instances starting at once do not race each other.

use tokio_postgres::NoTls;

use crate::StoreError;

refinery::embed_migrations!("../../migrations");

/// An arbitrary constant shared by every usertrail migrator.
const MIGRATION_LOCK: i64 = 0x7573_6572_7472_6c01;

/// Applies pending migrations to the database at `url`; returns how many
/// were applied.
pub async fn migrate(url: &str) -> Result<usize, StoreError> {
    run(url, refinery::Target::Latest).await
}

/// Applies pending migrations up to and including `version`: how a test
/// builds a database as an older release left it, to upgrade it.
pub async fn migrate_to(url: &str, version: i32) -> Result<usize, StoreError> {
    run(url, refinery::Target::Version(version)).await
}

async fn run(url: &str, target: refinery::Target) -> Result<usize, StoreError> {
    let (mut client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let driver = tokio::spawn(connection);

    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = migrations::runner()
        .set_target(target)
        .run_async(&mut client)
        .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    drop(client);
    driver.abort();

    let applied = report?.applied_migrations().len();
    tracing::info!(applied, "migrations applied");
    Ok(applied)
}

/// A string that changes whenever a migration is added or edited: the
/// version and checksum of each embedded migration. Test harnesses key
/// their template databases on it.
pub fn schema_fingerprint() -> String {
    migrations::runner()
        .get_migrations()
        .iter()
        .map(|migration| format!("{}-{}", migration.version(), migration.checksum()))
        .collect::<Vec<_>>()
        .join("_")
}
