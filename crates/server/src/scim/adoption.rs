//! Adoption: a SCIM create for the email of a pending invited user takes that user over
//! (`user_adopted`, source `scim`) instead of failing on the taken userName or creating a
//! second person. The invitation's role and history stay with the user.

use usertrail_domain::{PasswordHash, Profile, User, UserCommand};
use usertrail_store::StoreError;

use super::ScimApiError;
use crate::app::{self, Origin};
use crate::startup::AppState;

/// The pending user that a create of `profile` adopts, adopted; `None` when there is none.
pub async fn adopt_pending(
    state: &AppState,
    origin: &Origin,
    profile: &Profile,
    password: Option<&PasswordHash>,
) -> Result<Option<User>, ScimApiError> {
    let mut emails = vec![profile.user_name().to_owned()];
    if let Some(listed) = profile
        .attributes()
        .get("emails")
        .and_then(|v| v.as_array())
    {
        emails.extend(
            listed
                .iter()
                .filter_map(|email| email.get("value")?.as_str().map(str::to_owned)),
        );
    }
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let Some(pending) =
        usertrail_store::find_pending_user_by_email(&client, origin.org, &emails).await?
    else {
        return Ok(None);
    };
    drop(client);
    let outcome =
        app::execute::<ScimApiError>(&state.pool, origin, pending.id, None, password, |_| {
            Ok(UserCommand::Adopt {
                profile: profile.clone(),
            })
        })
        .await?;
    // The invitation code dies with the pending state: nobody can accept it any more.
    let client = state.pool.get().await.map_err(StoreError::from)?;
    usertrail_store::close_open_invitation(
        &client,
        origin.org,
        pending.id,
        usertrail_store::InvitationState::Superseded,
        origin.now,
    )
    .await?;
    Ok(Some(outcome.user))
}
