//! The start-up check of the service's own grants: it refuses to serve when
//! its role could update, delete or truncate an append-only table, and says
//! which grant to take away.

use anyhow::bail;
use usertrail_store::Pool;
use usertrail_store::audit::grants::excess_privileges;

/// Fails, naming every excess privilege and its remedy, unless the role is
/// limited to reading and appending on the log and ledger tables.
pub async fn refuse_excess_privileges(pool: &Pool) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let excess = excess_privileges(&client).await?;
    if excess.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = excess
        .iter()
        .map(|e| format!("  {} on {}: {}", e.privilege, e.table, e.remedy))
        .collect();
    bail!(
        "refusing to run: the database role of DATABASE_URL could change or remove the \
         append-only log, which must only ever be read and appended to:\n{}\n\
         Migrate with MIGRATION_DATABASE_URL (the owner) and serve with a member of \
         usertrail_service (docs/operations.md).",
        lines.join("\n")
    )
}
