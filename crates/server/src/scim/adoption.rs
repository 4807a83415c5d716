//! Adoption: the IdP's first write of a user who came through a product door (an
//! invitation, pending or accepted, or a join) takes that user over (`user_adopted`,
//! source `scim`). A SCIM create for the user's email adopts it instead of failing on the
//! taken userName or creating a second person; so does a PUT or PATCH, which is what Entra
//! ID and Okta send after finding the user with a `userName eq` filter. The user's role
//! and history stay; from then on the IdP manages the user.

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
    Ok(Some(outcome.user))
}

/// An open invitation code dies with the adoption: nobody can accept it any more. (Were
/// this to fail after the adoption, the code would still be refused: the user is no longer
/// pending.)
pub async fn close_invitation(
    state: &AppState,
    origin: &Origin,
    user: &User,
) -> Result<(), ScimApiError> {
    let client = state.pool.get().await.map_err(StoreError::from)?;
    usertrail_store::close_open_invitation(
        &client,
        origin.org,
        user.id,
        usertrail_store::InvitationState::Superseded,
        origin.now,
    )
    .await?;
    Ok(())
}

/// The command of a SCIM PUT (`replace`) or PATCH with the resulting `profile`: an
/// adoption when the IdP does not manage the user yet.
pub fn scim_write(user: Option<&User>, profile: Profile, replace: bool) -> UserCommand {
    match user {
        Some(user) if !user.idp_managed && !user.is_deleted() => UserCommand::Adopt { profile },
        _ if replace => UserCommand::Replace { profile },
        _ => UserCommand::Patch { profile },
    }
}
