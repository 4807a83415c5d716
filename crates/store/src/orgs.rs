//! Organizations: the tenants. Every other row belongs to one.

use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use usertrail_domain::OrgId;
use uuid::Uuid;

use crate::{Client, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub slug: String,
    pub display_name: String,
    pub created_at: OffsetDateTime,
}

/// Creates an organization; a taken slug is `OrganizationExists`.
pub async fn create_organization(
    client: &Client,
    id: OrgId,
    slug: &str,
    display_name: &str,
    now: OffsetDateTime,
) -> Result<Organization, StoreError> {
    let inserted = client
        .execute(
            "INSERT INTO organizations (id, slug, display_name, created_at) \
             VALUES ($1, $2, $3, $4)",
            &[&id.0, &slug, &display_name, &now],
        )
        .await;
    match inserted {
        Ok(_) => Ok(Organization {
            id,
            slug: slug.to_owned(),
            display_name: display_name.to_owned(),
            created_at: now,
        }),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(StoreError::OrganizationExists(slug.to_owned()))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn find_organization_by_slug(
    client: &Client,
    slug: &str,
) -> Result<Option<Organization>, StoreError> {
    let row = client
        .query_opt(
            "SELECT id, slug, display_name, created_at FROM organizations WHERE slug = $1",
            &[&slug],
        )
        .await?;
    Ok(row.map(|row| Organization {
        id: OrgId(row.get::<_, Uuid>("id")),
        slug: row.get("slug"),
        display_name: row.get("display_name"),
        created_at: row.get("created_at"),
    }))
}
