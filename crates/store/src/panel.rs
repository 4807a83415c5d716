//! What the admin panel shows besides single users: changes per day by source, and the
//! activity of each SCIM token (recorded here in hourly counts).

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use usertrail_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::StoreError;

/// How many live groups each of `users` belongs to; users in none have no entry. A
/// deleted user belongs to none: their membership rows stay for the groups' logs only.
pub async fn group_counts(
    client: &impl GenericClient,
    org: OrgId,
    users: &[UserId],
) -> Result<HashMap<UserId, i64>, StoreError> {
    let ids: Vec<Uuid> = users.iter().map(|id| id.0).collect();
    let statement = client
        .prepare_cached(
            "SELECT gm.user_id, count(*) AS groups FROM group_members gm \
             JOIN users u ON u.org_id = gm.org_id AND u.id = gm.user_id \
             WHERE gm.org_id = $1 AND gm.user_id = ANY($2) AND u.status <> 'deleted' \
             GROUP BY gm.user_id",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0, &ids]).await?;
    Ok(rows
        .iter()
        .map(|row| (UserId(row.get("user_id")), row.get("groups")))
        .collect())
}

/// The changes of one day, by the door they came through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayChanges {
    /// The day in the requested time zone, as `YYYY-MM-DD`.
    pub day: String,
    /// Changes per source; sources without changes that day are absent.
    pub by_source: BTreeMap<String, i64>,
}

/// Changes to users and groups on each of the last `days` days of `time_zone` up to `now`,
/// today included, oldest first; every day is present, days without changes empty. The
/// time zone must be one PostgreSQL knows ([`is_time_zone`]).
pub async fn changes_per_day(
    client: &impl GenericClient,
    org: OrgId,
    now: OffsetDateTime,
    days: i32,
    time_zone: &str,
) -> Result<Vec<DayChanges>, StoreError> {
    // Both logs are read through their (org_id, occurred_at, id) index.
    let statement = client
        .prepare_cached(
            "WITH days AS ( \
               SELECT day::date AS day FROM generate_series( \
                 ($2::timestamptz AT TIME ZONE $4)::date - ($3::int - 1), \
                 ($2::timestamptz AT TIME ZONE $4)::date, interval '1 day') AS day), \
             since AS (SELECT (min(day)::timestamp AT TIME ZONE $4) AS at FROM days), \
             changes AS ( \
               SELECT (occurred_at AT TIME ZONE $4)::date AS day, source \
               FROM user_events, since \
               WHERE org_id = $1 AND occurred_at >= since.at AND occurred_at <= $2 \
               UNION ALL \
               SELECT (occurred_at AT TIME ZONE $4)::date, source \
               FROM group_events, since \
               WHERE org_id = $1 AND occurred_at >= since.at AND occurred_at <= $2) \
             SELECT to_char(days.day, 'YYYY-MM-DD') AS day, changes.source, \
                    count(changes.source) AS changes \
             FROM days LEFT JOIN changes USING (day) GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .await?;
    let rows = client
        .query(&statement, &[&org.0, &now, &days, &time_zone])
        .await?;
    let mut result: Vec<DayChanges> = Vec::new();
    for row in &rows {
        let day: String = row.get("day");
        if result.last().is_none_or(|last| last.day != day) {
            result.push(DayChanges {
                day,
                by_source: BTreeMap::new(),
            });
        }
        let source: Option<String> = row.get("source");
        if let (Some(source), Some(last)) = (source, result.last_mut()) {
            last.by_source.insert(source, row.get("changes"));
        }
    }
    Ok(result)
}

/// Whether PostgreSQL knows `name` as a time zone (an IANA name such as `Europe/Paris`,
/// or `UTC`).
pub async fn is_time_zone(client: &impl GenericClient, name: &str) -> Result<bool, StoreError> {
    let statement = client
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)")
        .await?;
    Ok(client.query_one(&statement, &[&name]).await?.get(0))
}

/// Requests of one token within one hour, as a server counted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    pub token_id: Uuid,
    /// The start of the hour.
    pub hour: OffsetDateTime,
    pub requests: i64,
    pub errors: i64,
    pub last_request_at: OffsetDateTime,
}

/// The start of the UTC hour that holds `at`: the bucket of [`ActivityCount`].
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_time(time::Time::MIDNIGHT) + time::Duration::hours(i64::from(at.hour()))
}

/// Adds counts to the stored ones, one statement for all of them.
pub async fn add_token_activity(
    client: &impl GenericClient,
    counts: &[ActivityCount],
) -> Result<(), StoreError> {
    if counts.is_empty() {
        return Ok(());
    }
    let tokens: Vec<Uuid> = counts.iter().map(|count| count.token_id).collect();
    let hours: Vec<OffsetDateTime> = counts.iter().map(|count| count.hour).collect();
    let requests: Vec<i64> = counts.iter().map(|count| count.requests).collect();
    let errors: Vec<i64> = counts.iter().map(|count| count.errors).collect();
    let last: Vec<OffsetDateTime> = counts.iter().map(|count| count.last_request_at).collect();
    let statement = client
        .prepare_cached(
            "INSERT INTO token_activity (token_id, hour, requests, errors, last_request_at) \
             SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[], $4::bigint[], \
                                  $5::timestamptz[]) \
             ON CONFLICT (token_id, hour) DO UPDATE SET \
               requests = token_activity.requests + EXCLUDED.requests, \
               errors = token_activity.errors + EXCLUDED.errors, \
               last_request_at = greatest(token_activity.last_request_at, \
                                          EXCLUDED.last_request_at)",
        )
        .await?;
    client
        .execute(&statement, &[&tokens, &hours, &requests, &errors, &last])
        .await?;
    Ok(())
}

/// One SCIM token of an organization and what it did lately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenActivity {
    pub token_id: Uuid,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// The last request ever counted, if any.
    pub last_request_at: Option<OffsetDateTime>,
    /// Requests and failed requests (status 400 and above) in the hours since `since`.
    pub requests: i64,
    pub errors: i64,
}

/// Every SCIM token of the organization, revoked ones included, with its counts from the
/// hour that holds `since` on.
pub async fn scim_token_activity(
    client: &impl GenericClient,
    org: OrgId,
    since: OffsetDateTime,
) -> Result<Vec<TokenActivity>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT t.id, t.label, t.created_at, t.revoked_at, \
                    (SELECT max(a.last_request_at) FROM token_activity a \
                     WHERE a.token_id = t.id) AS last_request_at, \
                    coalesce(recent.requests, 0)::bigint AS requests, \
                    coalesce(recent.errors, 0)::bigint AS errors \
             FROM api_tokens t \
             LEFT JOIN LATERAL ( \
               SELECT sum(a.requests) AS requests, sum(a.errors) AS errors \
               FROM token_activity a \
               WHERE a.token_id = t.id AND a.hour >= $2 \
             ) AS recent ON true \
             WHERE t.org_id = $1 AND t.kind = 'scim' \
             ORDER BY t.revoked_at IS NOT NULL, t.created_at, t.id",
        )
        .await?;
    let rows = client.query(&statement, &[&org.0, &hour_of(since)]).await?;
    Ok(rows
        .iter()
        .map(|row| TokenActivity {
            token_id: row.get("id"),
            label: row.get("label"),
            created_at: row.get("created_at"),
            revoked_at: row.get("revoked_at"),
            last_request_at: row.get("last_request_at"),
            requests: row.get("requests"),
            errors: row.get("errors"),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn an_hour_bucket_starts_at_the_full_utc_hour() {
        assert_eq!(
            hour_of(datetime!(2026-12-03 13:59:59.9 +01:00)),
            datetime!(2026-12-03 12:00 UTC)
        );
        assert_eq!(
            hour_of(datetime!(2026-12-03 00:00 UTC)),
            datetime!(2026-12-03 00:00 UTC)
        );
    }
}
