//! Listing users: the diagnostics view of `/api/v1/users` with keyset
//! pagination, and SCIM's `GET /Users` with filters and 1-based offsets.
//!
//! SQL is assembled only from fixed fragments; every value a caller sent
//! travels as a bind parameter.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use usertrail_domain::{GroupId, OrgId, Role, Source, User, UserId, UserStatus};
use usertrail_scim::SortBy;
use usertrail_scim::filter::Filter;

use usertrail_scim::schema::ResourceKind;
use uuid::Uuid;

use crate::filter_sql::{escape_like, filter_sql};
use crate::projection::{USER_COLUMNS, user_from_row};
use crate::sort_sql::order_by;
use crate::sql::Params;
use crate::{Client, GroupRef, StoreError};

/// Which timestamp orders the diagnostics list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
}

impl SortKey {
    fn column(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
        }
    }

    /// The value of this key on `user`, for building the next cursor.
    pub fn of(self, user: &User) -> OffsetDateTime {
        match self {
            SortKey::CreatedAt => user.created.at,
            SortKey::UpdatedAt => user.updated.at,
        }
    }
}

/// A position in the diagnostics list: the sort value and id of the last
/// row of the previous page. Ties on the timestamp are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: UserId,
}

/// The filters and order of `/api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosticsQuery {
    /// Created through this door.
    pub created_source: Option<Source>,
    /// Last changed through this door.
    pub updated_source: Option<Source>,
    /// Created or last changed through this door.
    pub source: Option<Source>,
    pub status: Option<UserStatus>,
    /// With `status` pending: only invitations that expired by this instant (`true`) or
    /// only those still open at it (`false`).
    pub invite_expired: Option<(bool, OffsetDateTime)>,
    pub role: Option<Role>,
    /// Part of the userName, displayName or primary email, in any case.
    pub text: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// What the `text` of a [`DiagnosticsQuery`] is matched against: the userName, the
/// displayName, the primary email and the parts of the name; the indexed expression of
/// `users_search_idx` (migration V9), character for character.
const SEARCH_TEXT: &str = "lower(user_name || ' ' || coalesce(display_name, '') || ' ' || \
     coalesce(email, '') || ' ' || coalesce(resource->'name'->>'givenName', '') || ' ' || \
     coalesce(resource->'name'->>'familyName', '') || ' ' || \
     coalesce(resource->'name'->>'formatted', ''))";

/// One page of the organization's users, deleted ones included.
pub async fn list_diagnostics(
    client: &Client,
    org: OrgId,
    query: &DiagnosticsQuery,
) -> Result<Vec<User>, StoreError> {
    let sql = diagnostics_sql(org, query);
    let statement = client.prepare_cached(&sql.sql).await?;
    let rows = client.query(&statement, &sql.params()).await?;
    rows.iter().map(user_from_row).collect()
}

/// The statement of a diagnostics page, exactly as [`list_diagnostics`] runs it, so that
/// tests and operators can `EXPLAIN` it.
#[derive(Debug)]
pub struct DiagnosticsSql {
    pub sql: String,
    params: Params,
}

impl DiagnosticsSql {
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.as_refs()
    }
}

/// Builds the SQL of a diagnostics page.
pub fn diagnostics_sql(org: OrgId, query: &DiagnosticsQuery) -> DiagnosticsSql {
    let mut params = Params::new();
    let mut conditions = vec![format!("org_id = {}", params.push(org.0))];
    if let Some(source) = query.created_source {
        conditions.push(format!("created_source = {}", params.push(source.as_str())));
    }
    if let Some(source) = query.updated_source {
        conditions.push(format!("updated_source = {}", params.push(source.as_str())));
    }
    if let Some(source) = query.source {
        let placeholder = params.push(source.as_str());
        conditions.push(format!(
            "(created_source = {placeholder} OR updated_source = {placeholder})"
        ));
    }
    if let Some(status) = query.status {
        conditions.push(format!("status = {}", params.push(status.as_str())));
    }
    if let Some((expired, at)) = query.invite_expired {
        let comparison = if expired { "<=" } else { ">" };
        conditions.push(format!(
            "invite_expires_at {comparison} {}",
            params.push(at)
        ));
    }
    if let Some(role) = query.role {
        conditions.push(format!("role = {}", params.push(role.as_str())));
    }
    if let Some(text) = &query.text {
        // The expression of `users_search_idx`, so that the trigram index serves it.
        let pattern = params.push(format!("%{}%", escape_like(&text.to_lowercase())));
        conditions.push(format!("{SEARCH_TEXT} LIKE {pattern} ESCAPE '\\'"));
    }
    let column = query.sort.column();
    let (comparison, direction) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(cursor) = query.after {
        let at = params.push(cursor.at);
        let id = params.push(cursor.id.0);
        conditions.push(format!("({column}, id) {comparison} ({at}, {id})"));
    }
    let limit = params.push(query.limit);
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {} ORDER BY {column} {direction}, id {direction} \
         LIMIT {limit}",
        conditions.join(" AND ")
    );
    DiagnosticsSql { sql, params }
}

/// SCIM `GET /Users`: live users matching `filter`, in a stable order.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimQuery<'a> {
    pub filter: Option<&'a Filter>,
    /// `sortBy` / `sortOrder`; `None` lists in creation order.
    pub sort: Option<&'a SortBy>,
    /// 1-based index of the first result, as in RFC 7644 §3.4.2.4.
    pub start_index: i64,
    /// Most results to return; 0 asks for the total only.
    pub count: i64,
}

/// The total number of matches and the requested page of them, with the groups of
/// each listed user (users in no group have no entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimPage {
    pub total_results: i64,
    pub users: Vec<User>,
    pub groups: HashMap<UserId, Vec<GroupRef>>,
}

/// A listed user's groups as one `jsonb` array of `[id, displayName]` pairs, in the order
/// of the `groups` attribute. A correlated subquery in the select list, so that PostgreSQL
/// runs it only for the rows that survive `LIMIT` (it does: the plan shows one loop per
/// returned row), and the page with its groups is still one statement.
const USER_GROUPS_COLUMN: &str = "(SELECT jsonb_agg(jsonb_build_array(g.id, g.display_name) \
     ORDER BY lower(g.display_name), g.id) \
     FROM group_members gm JOIN groups g ON g.org_id = gm.org_id AND g.id = gm.group_id \
     WHERE gm.org_id = users.org_id AND gm.user_id = users.id) AS member_of";

/// The two statements of a SCIM listing, exactly as [`list_scim_users`] runs them, so that
/// tests and operators can `EXPLAIN` what the server does.
#[derive(Debug)]
pub struct ScimListSql {
    /// Counts the matches; binds [`ScimListSql::count_params`].
    pub count_sql: String,
    /// Selects one page; binds [`ScimListSql::page_params`].
    pub page_sql: String,
    params: Params,
    /// How many of `params` the count uses: all but the offset and the limit.
    count_params: usize,
}

impl ScimListSql {
    pub fn count_params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut params = self.params.as_refs();
        params.truncate(self.count_params);
        params
    }

    pub fn page_params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.as_refs()
    }
}

/// Builds the SQL of a SCIM listing. Fails with [`StoreError::UnsupportedQuery`] for a filter
/// or sort that cannot be translated.
pub fn scim_list_sql(org: OrgId, query: &ScimQuery<'_>) -> Result<ScimListSql, StoreError> {
    list_sql(ResourceKind::User, org, query)
}

/// The SQL of a SCIM listing of `kind` resources: `users` or `groups`, whose rows share the
/// columns the listing needs (`org_id`, `status`, `created_at`, `id`).
pub(crate) fn list_sql(
    kind: ResourceKind,
    org: OrgId,
    query: &ScimQuery<'_>,
) -> Result<ScimListSql, StoreError> {
    let (table, columns) = match kind {
        ResourceKind::User => ("users", format!("{USER_COLUMNS}, {USER_GROUPS_COLUMN}")),
        ResourceKind::Group => ("groups", crate::group_projection::GROUP_COLUMNS.to_owned()),
    };
    let mut params = Params::new();
    let mut conditions = vec![
        format!("org_id = {}", params.push(org.0)),
        "status <> 'deleted'".to_owned(),
    ];
    if let Some(filter) = query.filter {
        conditions.push(filter_sql(kind, filter, &mut params)?);
    }
    let conditions = conditions.join(" AND ");
    let order = order_by(query.sort)?;
    let count_params = params.len();

    let count_sql = format!("SELECT count(*) AS total FROM {table} WHERE {conditions}");
    let offset = params.push(query.start_index.saturating_sub(1).max(0));
    let limit = params.push(query.count);
    // The page carries the total too (a window count), so the usual request
    // is one statement; the count alone runs only for `count=0` or a page
    // past the end. Measured: 25.6k vs 17.6k pgbench tps against the pair.
    let page_sql = format!(
        "SELECT {columns}, count(*) OVER () AS total FROM {table} WHERE {conditions} \
         ORDER BY {order} OFFSET {offset} LIMIT {limit}"
    );
    Ok(ScimListSql {
        count_sql,
        page_sql,
        params,
        count_params,
    })
}

pub async fn list_scim_users(
    client: &Client,
    org: OrgId,
    query: &ScimQuery<'_>,
) -> Result<ScimPage, StoreError> {
    let sql = scim_list_sql(org, query)?;
    let (total_results, rows) = run_list(client, &sql, query).await?;
    let users: Vec<User> = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
    let mut groups = HashMap::new();
    for (user, row) in users.iter().zip(&rows) {
        let member_of: Option<Value> = row.get("member_of");
        if let Some(member_of) = member_of {
            groups.insert(user.id, group_refs(member_of)?);
        }
    }
    Ok(ScimPage {
        total_results,
        users,
        groups,
    })
}

/// The `[id, displayName]` pairs of [`USER_GROUPS_COLUMN`] as group references.
fn group_refs(member_of: Value) -> Result<Vec<GroupRef>, StoreError> {
    let pairs: Vec<(Uuid, String)> = serde_json::from_value(member_of)
        .map_err(|error| StoreError::Corrupt(format!("groups of a listed user: {error}")))?;
    Ok(pairs
        .into_iter()
        .map(|(id, display)| GroupRef {
            id: GroupId(id),
            display,
        })
        .collect())
}

/// Runs a listing: the page, whose rows carry the total, and the count
/// alone only when no row can carry it (`count=0`, or a page past the end).
pub(crate) async fn run_list(
    client: &Client,
    sql: &ScimListSql,
    query: &ScimQuery<'_>,
) -> Result<(i64, Vec<tokio_postgres::Row>), StoreError> {
    if query.count > 0 {
        let statement = client.prepare_cached(&sql.page_sql).await?;
        let rows = client.query(&statement, &sql.page_params()).await?;
        if let Some(first) = rows.first() {
            let total_results: i64 = first.get("total");
            return Ok((total_results, rows));
        }
    }
    let statement = client.prepare_cached(&sql.count_sql).await?;
    let total_results: i64 = client
        .query_one(&statement, &sql.count_params())
        .await?
        .get("total");
    Ok((total_results, Vec::new()))
}

#[cfg(test)]
mod tests {
    use usertrail_scim::parse_filter;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn the_count_binds_the_filter_values_and_the_page_adds_offset_and_limit() {
        let filter = parse_filter("userName eq \"ada\" and title co \"x\"").unwrap();
        let sort = SortBy::parse("name.familyName", Some("descending")).unwrap();
        let query = ScimQuery {
            filter: Some(&filter),
            sort: Some(&sort),
            start_index: 3,
            count: 10,
        };
        let sql = scim_list_sql(OrgId(Uuid::nil()), &query).unwrap();

        assert_eq!(
            sql.count_sql,
            "SELECT count(*) AS total FROM users WHERE org_id = $1 AND status <> 'deleted' AND \
             ((lower(user_name) = lower($2)) AND \
             (lower((resource->>'title')) LIKE lower($3) ESCAPE '\\'))"
        );
        assert_eq!(sql.count_params().len(), 3);
        assert!(
            sql.page_sql.ends_with(
                "ORDER BY lower(((resource->'name')->>'familyName')) COLLATE \"C\" DESC, id \
                 OFFSET $4 LIMIT $5"
            ),
            "{}",
            sql.page_sql
        );
        assert_eq!(sql.page_params().len(), 5);
        assert_eq!(format!("{:?}", &sql.page_params()[3..]), "[2, 10]");
    }
}
