//! The service's own privileges: it must not be able to change or remove
//! what the log holds. Checked at start, before serving anything.

use super::log_tables::append_only_tables;
use crate::{Client, StoreError};

/// A privilege the service must not have, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcessPrivilege {
    pub table: String,
    pub privilege: String,
    /// The statement that takes it away.
    pub remedy: String,
}

/// Every UPDATE, DELETE or TRUNCATE the connected role could run on an
/// append-only table: the known ones and any guarded by `reject_log_change`.
pub async fn excess_privileges(client: &Client) -> Result<Vec<ExcessPrivilege>, StoreError> {
    let tables: Vec<String> = append_only_tables()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let rows = client
        .query(
            "WITH tables AS ( \
               SELECT c.oid, c.relname, c.relowner, c.relacl FROM pg_class c \
               WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
                 AND (c.relname = ANY($1) OR EXISTS (SELECT 1 FROM pg_trigger t \
                   WHERE t.tgrelid = c.oid AND t.tgfoid = 'reject_log_change'::regproc))) \
             SELECT t.relname::text AS table_name, p.privilege, \
               (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, \
               pg_has_role(current_user, t.relowner, 'USAGE') AS owner, \
               pg_get_userbyid(t.relowner)::text AS owner_name, \
               (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' \
                   ELSE quote_ident(pg_get_userbyid(a.grantee)) END, ', ') \
                FROM aclexplode(t.relacl) a WHERE a.privilege_type = p.privilege \
                  AND (a.grantee = 0 OR pg_has_role(current_user, a.grantee, 'USAGE'))) \
                 AS grantees \
             FROM tables t CROSS JOIN unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege) \
             WHERE has_table_privilege(current_user, t.oid, p.privilege) \
             ORDER BY 1, 2",
            &[&tables],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let table: String = row.get("table_name");
            let privilege: String = row.get("privilege");
            let remedy = if row.get::<_, Option<bool>>("superuser") == Some(true) {
                "connect as a role that is not a superuser (see docs/operations.md)".to_owned()
            } else if row.get::<_, bool>("owner") {
                format!(
                    "connect as a role that neither is nor belongs to the owner {:?}",
                    row.get::<_, String>("owner_name")
                )
            } else {
                let grantees: Option<String> = row.get("grantees");
                format!(
                    "REVOKE {privilege} ON {table} FROM {}",
                    grantees.unwrap_or_else(|| "CURRENT_USER".to_owned())
                )
            };
            ExcessPrivilege {
                table,
                privilege,
                remedy,
            }
        })
        .collect())
}
