//! Who is calling a write endpoint of `/api/v1`, and as whom.
//!
//! A `service` token is the product's backend. It acts as itself, or on behalf of a user
//! of its organization named by the `X-Actor-User: <user id>` header; the events then
//! record that user as the actor and the token in `actor_token_id`. A `personal` token is
//! one user's own and always acts as that user (source `api`). No other token may name
//! an acting user. See `docs/adr/0010-acting-users-roles-and-idp-owned-fields.md`.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use usertrail_domain::{Actor, ActorKind, OrgId, Role, Source, User, UserId, UserStatus};
use usertrail_store::{Token, TokenKind};
use uuid::Uuid;

use super::{ApiError, ErrorCode};
use crate::app::Origin;
use crate::auth::{self, AuthError};
use crate::request::request_meta;
use crate::startup::AppState;

/// The header a service token names its acting user with.
pub const ACTOR_HEADER: HeaderName = HeaderName::from_static("x-actor-user");

/// An authenticated writer: the token, and the user it acts as, if any.
#[derive(Debug)]
pub struct Caller {
    pub token: Token,
    pub acting: Option<User>,
}

impl Caller {
    /// Authenticates a `service` or `personal` token and resolves the acting user.
    pub async fn writer(state: &AppState, request: &HttpRequest) -> Result<Self, ApiError> {
        let token = auth::authenticate(&state.pool, &state.tokens, request).await?;
        let named = named_actor(request)?;
        let acting_id = match (token.kind, named, token.user_id) {
            (TokenKind::Service, named, _) => named,
            (TokenKind::Personal, None, Some(owner)) => Some(owner),
            (TokenKind::Personal, Some(_), _) => return Err(actor_not_allowed(token.kind)),
            (kind, _, _) => {
                return Err(AuthError::WrongKind {
                    actual: kind,
                    expected: "service or personal",
                }
                .into());
            }
        };
        let acting = match acting_id {
            Some(id) => Some(load_actor(state, token.org_id, id).await?),
            None => None,
        };
        Ok(Self { token, acting })
    }

    /// A `service` token only: the doors a person uses before they can act themselves
    /// (accepting an invitation, joining, signing in), which only the product calls.
    pub async fn service(state: &AppState, request: &HttpRequest) -> Result<Self, ApiError> {
        let caller = Self::writer(state, request).await?;
        if caller.token.kind != TokenKind::Service {
            return Err(AuthError::WrongKind {
                actual: caller.token.kind,
                expected: "service",
            }
            .into());
        }
        Ok(caller)
    }

    pub fn org(&self) -> OrgId {
        self.token.org_id
    }

    /// The actor recorded on events: the acting user, else the token.
    pub fn actor(&self) -> Actor {
        match &self.acting {
            Some(user) => user_actor(user),
            None => auth::token_actor(&self.token),
        }
    }

    /// The origin of a change through `source`; a personal token's changes are `api`.
    pub fn origin(&self, state: &AppState, request: &HttpRequest, source: Source) -> Origin {
        let source = if self.token.kind == TokenKind::Personal {
            Source::Api
        } else {
            source
        };
        let mut meta = request_meta(request);
        meta.actor_token_id = Some(self.token.id);
        Origin {
            org: self.org(),
            source,
            actor: self.actor(),
            request: meta,
            now: state.clock.now(),
        }
    }

    /// The acting user, for the endpoints that act as one (self-service, own tokens).
    pub fn user(&self) -> Result<&User, ApiError> {
        self.acting.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::ActorRequired,
                "this endpoint acts as a user: send X-Actor-User: <user id> with a service \
                 token, or use the user's personal token",
            )
        })
    }

    /// The acting user if an admin: the admin door and the organization's settings.
    pub fn admin(&self) -> Result<&User, ApiError> {
        let user = self.user()?;
        if user.role != Role::Admin {
            return Err(ApiError::new(
                ErrorCode::AdminRequired,
                format!(
                    "user {} has role {}; this needs role admin",
                    user.id, user.role
                ),
            ));
        }
        Ok(user)
    }

    /// The token itself, or an acting admin: who may invite.
    pub fn token_or_admin(&self) -> Result<(), ApiError> {
        match &self.acting {
            None => Ok(()),
            Some(_) => self.admin().map(|_| ()),
        }
    }
}

/// The actor for changes a user makes: kind `user`, the id, and their name now.
pub fn user_actor(user: &User) -> Actor {
    let profile = &user.profile;
    Actor {
        kind: ActorKind::User,
        id: user.id.to_string(),
        display: profile
            .display_name()
            .unwrap_or_else(|| profile.user_name())
            .to_owned(),
    }
}

fn named_actor(request: &HttpRequest) -> Result<Option<UserId>, ApiError> {
    let Some(value) = request.headers().get(ACTOR_HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    Uuid::parse_str(text)
        .map(|id| Some(UserId(id)))
        .map_err(|_| {
            ApiError::new(
                ErrorCode::UnknownActor,
                "X-Actor-User must be the id of a user of this organization",
            )
        })
}

fn actor_not_allowed(kind: TokenKind) -> ApiError {
    ApiError::new(
        ErrorCode::ActorNotAllowed,
        format!("a {kind} token cannot name an acting user; only a service token can"),
    )
}

/// The acting user, who must exist in the token's organization and be active.
async fn load_actor(state: &AppState, org: OrgId, id: UserId) -> Result<User, ApiError> {
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let user = usertrail_store::load_user(&client, org, id).await?;
    match user {
        Some(user) if user.status == UserStatus::Active => Ok(user),
        Some(user) if !user.is_deleted() => Err(ApiError::new(
            ErrorCode::UnknownActor,
            format!(
                "acting user {id} is {} and cannot act",
                user.status.as_str()
            ),
        )),
        _ => Err(ApiError::new(
            ErrorCode::UnknownActor,
            format!("acting user {id} is not a user of this organization (or was deleted)"),
        )),
    }
}
