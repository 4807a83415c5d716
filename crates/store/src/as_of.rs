//! A user as they were at a moment: their events up to it, folded again.

use time::OffsetDateTime;
use usertrail_domain::{OrgId, User, UserId, apply};

use crate::projection::{EVENT_COLUMNS, recorded_from_row};
use crate::{Client, StoreError};

/// The user after every event that occurred at or before `at`; None when
/// the user had no event yet.
pub async fn user_as_of(
    client: &Client,
    org: OrgId,
    user: UserId,
    at: OffsetDateTime,
) -> Result<Option<User>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM user_events \
         WHERE org_id = $1 AND user_id = $2 AND occurred_at <= $3 ORDER BY version"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&org.0, &user.0, &at]).await?;
    let mut state = None;
    for row in &rows {
        state = Some(apply(state, &recorded_from_row(row)?)?);
    }
    Ok(state)
}
