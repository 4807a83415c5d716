//! Adoption: a SCIM create for the email of a user who came through a product door (an
//! invitation, pending or accepted, or a join) takes that user over (`user_adopted`,
//! source `scim`) instead of failing on the taken userName or creating a second person.
//! The user's role and history stay; from then on the IdP manages the user.

use usertrail_domain::{PasswordHash, Profile, User, UserCommand};
use usertrail_store::StoreError;

use super::ScimApiError;
use crate::app::{self, Origin};
use crate::startup::AppState;

/// The user that a create of `profile` adopts, adopted; `None` when there is none.
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
    let Some(adoptable) =
        usertrail_store::find_adoptable_user_by_email(&client, origin.org, &emails).await?
    else {
        return Ok(None);
    };
    drop(client);
    let outcome =
        app::execute::<ScimApiError>(&state.pool, origin, adoptable.id, None, password, |_| {
            Ok(UserCommand::Adopt {
                profile: profile.clone(),
            })
        })
        .await?;
    // An open invitation code dies with the adoption: nobody can accept it any more.
    let client = state.pool.get().await.map_err(StoreError::from)?;
    usertrail_store::close_open_invitation(
        &client,
        origin.org,
        adoptable.id,
        usertrail_store::InvitationState::Superseded,
        origin.now,
    )
    .await?;
    Ok(Some(outcome.user))
}
