//! Adoption: the IdP's first write of a user who came through a product door (an
//! invitation, pending or accepted, or a join) takes that user over (`user_adopted`,
//! source `scim`). A SCIM create for the user's email adopts it instead of failing on the
//! taken userName or creating a second person; so does a PUT or PATCH, which is what Entra
//! ID and Okta send after finding the user with a `userName eq` filter. The user's role
//! and history stay; from then on the IdP manages the user.

use usertrail_domain::{PasswordHash, Profile, User, UserCommand, UserId};
use usertrail_store::StoreError;
use uuid::Uuid;

use super::ScimApiError;
use crate::app::{self, AppError, Origin};
use crate::startup::AppState;

/// A SCIM create: the user it adopts, or a new one.
///
/// Invitations and joins use the email as userName, and so do Entra ID and Okta, so the
/// usual adoption shows up as a taken userName: the create is tried first and the lookup
/// runs only on that conflict, which keeps the common create at one statement. Only a body
/// that lists an email other than its userName is looked up before creating.
pub async fn create_or_adopt(
    state: &AppState,
    origin: &Origin,
    profile: Profile,
    password: Option<&PasswordHash>,
) -> Result<User, ScimApiError> {
    let emails = emails_of(&profile);
    let named_elsewhere = emails
        .iter()
        .any(|email| !email.eq_ignore_ascii_case(profile.user_name()));
    if named_elsewhere && let Some(adopted) = adopt(state, origin, &profile, password).await? {
        return Ok(adopted);
    }
    let id = UserId(Uuid::new_v4());
    match app::create(&state.pool, origin, id, profile.clone(), password).await {
        Err(AppError::Store(StoreError::UserNameTaken)) => {
            match adopt(state, origin, &profile, password).await? {
                Some(adopted) => Ok(adopted),
                None => Err(StoreError::UserNameTaken.into()),
            }
        }
        other => Ok(other?),
    }
}

/// The userName and every email value of `profile`.
fn emails_of(profile: &Profile) -> Vec<String> {
    let mut emails = vec![profile.user_name().to_owned()];
    let listed = profile
        .attributes()
        .get("emails")
        .and_then(|v| v.as_array());
    emails.extend(
        listed
            .into_iter()
            .flatten()
            .filter_map(|email| email.get("value")?.as_str().map(str::to_owned)),
    );
    emails
}

/// Adopts the user that `profile` names, if there is one.
async fn adopt(
    state: &AppState,
    origin: &Origin,
    profile: &Profile,
    password: Option<&PasswordHash>,
) -> Result<Option<User>, ScimApiError> {
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let emails = emails_of(profile);
    let found = usertrail_store::find_adoptable_user_by_email(&client, origin.org, &emails).await?;
    drop(client);
    let Some(adoptable) = found else {
        return Ok(None);
    };
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
