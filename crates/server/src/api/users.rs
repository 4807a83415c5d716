//! `/api/v1/users`: how each user was created and last changed, and the
//! full history of one user, including the group membership changes that
//! named them.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use usertrail_domain::{Actor, Change, Identity, Role, Source, User, UserId, UserStatus};
use usertrail_store::audit::entries::sequences_of;
use usertrail_store::history::{StoredEvent, Stream, user_events};
use usertrail_store::panel::group_counts;
use usertrail_store::{Cursor, DiagnosticsQuery, SortKey, list_diagnostics, load_user, user_as_of};
use uuid::Uuid;

use super::openapi::{ErrorBody, UserDiagnostics, UserHistory, UserPage};
use super::{ApiCaller, ApiError, ErrorCode};
use crate::startup::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

/// A user as the diagnostics show it.
#[derive(Debug, Serialize)]
pub(super) struct UserView<'a> {
    id: UserId,
    user_name: &'a str,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
    external_id: Option<&'a str>,
    /// `active`, `pending`, `invite_expired` (derived when read), `deactivated`, `deleted`.
    status: &'static str,
    role: Role,
    #[serde(with = "time::serde::rfc3339::option")]
    invite_expires_at: Option<OffsetDateTime>,
    identities: &'a [Identity],
    version: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_source: Source,
    created_actor: &'a Actor,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    updated_source: Source,
    updated_actor: &'a Actor,
    last_event_type: &'static str,
    /// How many live groups the user belongs to.
    groups_count: i64,
    /// The stored attributes (the SCIM resource without id and meta).
    attributes: &'a serde_json::Map<String, Value>,
}

impl<'a> UserView<'a> {
    /// The user as a reader at `now` sees it; `groups_count` is how many live groups the
    /// user belongs to.
    pub(super) fn of(user: &'a User, now: OffsetDateTime, groups_count: i64) -> Self {
        let profile = &user.profile;
        let Change {
            at: created_at,
            source: created_source,
            actor: created_actor,
        } = &user.created;
        let Change {
            at: updated_at,
            source: updated_source,
            actor: updated_actor,
        } = &user.updated;
        Self {
            id: user.id,
            user_name: profile.user_name(),
            display_name: profile.display_name(),
            email: profile.primary_email(),
            external_id: profile.external_id(),
            status: user.status_at(now),
            role: user.role,
            invite_expires_at: user.invite_expires_at,
            identities: &user.identities,
            version: user.version,
            created_at: *created_at,
            created_source: *created_source,
            created_actor,
            updated_at: *updated_at,
            updated_source: *updated_source,
            updated_actor,
            last_event_type: user.last_event_type,
            groups_count,
            attributes: profile.attributes(),
        }
    }
}

/// The query parameters of `GET /api/v1/users`.
#[derive(Debug, Deserialize)]
struct ListParams {
    /// Created or last changed through this door.
    source: Option<String>,
    created_source: Option<String>,
    updated_source: Option<String>,
    status: Option<String>,
    role: Option<String>,
    /// Part of the userName, displayName or email, in any case.
    q: Option<String>,
    /// `created_at` or `updated_at` (default).
    sort: Option<String>,
    /// `asc` or `desc` (default).
    order: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "diagnostics",
    summary = "Lists users with how each was created and last changed",
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let params = web::Query::<ListParams>::from_query(request.query_string())
        .map_err(|error| ApiError::new(ErrorCode::InvalidParameter, error.to_string()))?;
    let now = state.clock.now();
    let query = diagnostics_query(&params, now)?;

    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let users = list_diagnostics(&client, caller.token.org_id, &query).await?;

    let full_page = i64::try_from(users.len()).unwrap_or(i64::MAX) == query.limit;
    let next_cursor = users.last().filter(|_| full_page).map(|user| {
        encode_cursor(Cursor {
            at: query.sort.of(user),
            id: user.id,
        })
    });
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    let counts = group_counts(&client, caller.token.org_id, &ids).await?;
    let count = |user: &User| counts.get(&user.id).copied().unwrap_or(0);
    let views: Vec<_> = users
        .iter()
        .map(|user| UserView::of(user, now, count(user)))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "users": views, "next_cursor": next_cursor })))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "diagnostics",
    summary = "One user's diagnostics",
    params(
        ("id" = String, Path, description = "the user's id"),
        ("as_of" = Option<String>, Query, description = "RFC 3339: the user as it was then"),
    ),
    responses(
        (status = 200, description = "The user", body = UserDiagnostics),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let id = parse_user_id(&id)?;
    let as_of = as_of(&request)?;
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let user = match as_of {
        None => load_user(&client, caller.token.org_id, id).await?,
        Some(at) => user_as_of(&client, caller.token.org_id, id, at).await?,
    };
    let user = user.ok_or_else(|| not_found(id))?;
    // Group counts come from the membership projection: they are today's, also as of a
    // past moment (membership is the groups' log, not the user's).
    let counts = group_counts(&client, caller.token.org_id, &[id]).await?;
    let count = counts.get(&id).copied().unwrap_or(0);
    // An invitation expired at the moment shown, not necessarily now.
    let seen_at = as_of.unwrap_or_else(|| state.clock.now());
    Ok(HttpResponse::Ok().json(UserView::of(&user, seen_at, count)))
}

/// One event of a user's history.
#[derive(Debug, Serialize)]
struct EventView<'a> {
    /// `user` for the user's own events, `group` for a group's membership events.
    stream: Stream,
    /// For group events: the group, and its displayName now.
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_display_name: Option<&'a str>,
    event_id: Uuid,
    /// The event's place in the organization's ledger; null until sealed.
    sequence: Option<i64>,
    /// The version of the event's stream: the user's, or the group's.
    version: i64,
    event_type: &'a str,
    schema_version: i16,
    source: &'a str,
    actor: ActorView<'a>,
    /// The token that made the request; with an acting user, not the actor's id.
    actor_token_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
    request_id: Option<&'a str>,
    client_addr: Option<String>,
    user_agent: Option<&'a str>,
    payload: &'a Value,
    /// RFC 6902 JSON Patch from the state before this event.
    diff: &'a Value,
}

#[derive(Debug, Serialize)]
struct ActorView<'a> {
    kind: &'a str,
    id: &'a str,
    display: &'a str,
}

impl<'a> EventView<'a> {
    fn of(event: &'a StoredEvent, sequence: Option<i64>) -> Self {
        let group = event.group.as_ref();
        Self {
            stream: event.stream,
            group_id: group.map(|group| group.id),
            group_display_name: group.and_then(|group| group.display_name.as_deref()),
            event_id: event.event_id,
            sequence,
            version: event.version,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            source: &event.source,
            actor: ActorView {
                kind: &event.actor_kind,
                id: &event.actor_id,
                display: &event.actor_display,
            },
            actor_token_id: event.actor_token_id,
            occurred_at: event.occurred_at,
            request_id: event.request_id.as_deref(),
            client_addr: event.client_addr.map(|address| address.to_string()),
            user_agent: event.user_agent.as_deref(),
            payload: &event.payload,
            diff: &event.diff,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/events",
    tag = "diagnostics",
    summary = "Every event of one user, oldest first",
    params(("id" = String, Path, description = "the user's id")),
    responses(
        (status = 200, description = "The history", body = UserHistory),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    )
)]
pub async fn events(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = ApiCaller::reader(&state, &request).await?;
    let id = parse_user_id(&id)?;
    let client = state
        .pool
        .get()
        .await
        .map_err(usertrail_store::StoreError::from)?;
    let events = user_events(&client, caller.token.org_id, id).await?;
    if events.iter().all(|event| event.stream != Stream::User) {
        return Err(not_found(id));
    }
    let ids: Vec<Uuid> = events.iter().map(|event| event.event_id).collect();
    let sequences = sequences_of(&client, caller.token.org_id.0, &ids).await?;
    let views: Vec<_> = events
        .iter()
        .map(|event| EventView::of(event, sequences.get(&event.event_id).copied()))
        .collect();
    let sealing = super::audit::lag_json(&client, caller.token.org_id.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "user_id": id, "events": views, "sealing": sealing })))
}

/// `?as_of=<RFC 3339>`: the moment to show the user at.
fn as_of(request: &HttpRequest) -> Result<Option<OffsetDateTime>, ApiError> {
    #[derive(Deserialize)]
    struct AsOf {
        as_of: Option<String>,
    }
    let params = web::Query::<AsOf>::from_query(request.query_string())
        .map_err(|error| invalid(error.to_string()))?;
    params
        .as_of
        .as_deref()
        .map(|text| {
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid(format!("as_of must be an RFC 3339 time, not {text:?}")))
        })
        .transpose()
}

fn diagnostics_query(
    params: &ListParams,
    now: OffsetDateTime,
) -> Result<DiagnosticsQuery, ApiError> {
    let sort = match params.sort.as_deref() {
        None | Some("updated_at") => SortKey::UpdatedAt,
        Some("created_at") => SortKey::CreatedAt,
        Some(other) => {
            return Err(invalid(format!(
                "sort must be created_at or updated_at, not {other:?}"
            )));
        }
    };
    let descending = match params.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => return Err(invalid(format!("order must be asc or desc, not {other:?}"))),
    };
    // `pending` and `invite_expired` are one stored status told apart by the clock.
    let (status, invite_expired) = match params.status.as_deref() {
        None => (None, None),
        Some("invite_expired") => (Some(UserStatus::Pending), Some((true, now))),
        Some("pending") => (Some(UserStatus::Pending), Some((false, now))),
        Some(value) => match UserStatus::parse(value) {
            Some(status) => (Some(status), None),
            None => {
                return Err(invalid(format!(
                    "status must be active, pending, invite_expired, deactivated or deleted, \
                     not {value:?}"
                )));
            }
        },
    };
    let role = params
        .role
        .as_deref()
        .map(|value| {
            value
                .parse::<Role>()
                .map_err(|error| invalid(error.to_string()))
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    Ok(DiagnosticsQuery {
        created_source: parse_source(params.created_source.as_deref())?,
        updated_source: parse_source(params.updated_source.as_deref())?,
        source: parse_source(params.source.as_deref())?,
        status,
        invite_expired,
        role,
        text: params.q.clone().filter(|text| !text.trim().is_empty()),
        sort,
        descending,
        after: params.cursor.as_deref().map(decode_cursor).transpose()?,
        limit,
    })
}

fn parse_source(value: Option<&str>) -> Result<Option<Source>, ApiError> {
    value
        .map(|value| {
            value
                .parse::<Source>()
                .map_err(|error| invalid(error.to_string()))
        })
        .transpose()
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message)
}

/// Cursors are opaque to clients: base64url of `<unix micros>.<user id>`.
fn encode_cursor(cursor: Cursor) -> String {
    let micros = cursor.at.unix_timestamp_nanos() / 1_000;
    URL_SAFE_NO_PAD.encode(format!("{micros}.{}", cursor.id))
}

fn decode_cursor(value: &str) -> Result<Cursor, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidCursor,
            "cursor is not one this server issued",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let micros: i128 = micros.parse().map_err(|_| bad())?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(Cursor { at, id: UserId(id) })
}

pub(super) fn parse_user_id(id: &str) -> Result<UserId, ApiError> {
    Uuid::parse_str(id)
        .map(UserId)
        .map_err(|_| ApiError::new(ErrorCode::NotFound, format!("user {id} not found")))
}

pub(super) fn not_found(id: UserId) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("user {id} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_decodes_to_what_was_encoded() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_000_000_123_456_000).unwrap();
        let cursor = Cursor {
            at,
            id: UserId(Uuid::from_u128(42)),
        };
        assert_eq!(decode_cursor(&encode_cursor(cursor)).unwrap(), cursor);
    }

    #[test]
    fn a_cursor_from_elsewhere_is_refused() {
        let error = decode_cursor("not-a-cursor").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidCursor);
    }
}
