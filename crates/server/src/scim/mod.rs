//! The SCIM 2.0 door under `/scim/v2`: authentication by a `scim` token,
//! RFC 7644 error bodies for every failure, and the resource routes. The
//! discovery endpoints (`discovery.rs`) are the exception: public, as RFC 7644 §4 advises.

mod adoption;
mod bulk;
mod conditional;
mod discovery;
mod error;
mod groups;
mod params;
mod search;
mod user_groups;
mod users;
mod write;

use actix_web::middleware::from_fn;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use usertrail_domain::Source;
use usertrail_scim::ScimError;
use usertrail_store::{Token, TokenKind};

pub use error::ScimApiError;

use crate::activity::{self, ScimTokenId};
use crate::app::Origin;
use crate::auth::{self, AuthError};
use crate::request::request_meta;
use crate::startup::AppState;

/// The media type of every SCIM response body.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Mounts the SCIM routes; unknown paths and methods answer in SCIM's format.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/scim/v2")
            .wrap(from_fn(activity::count_scim_request))
            .service(
                web::resource("/Users")
                    .route(web::get().to(search::list_users))
                    .route(web::post().to(write::create::<write::Users>))
                    .default_service(web::to(method_not_allowed)),
            )
            // Before `/Users/{id}`, which would otherwise take ".search" for an id.
            .service(post_only("/Users/.search", search::users))
            .service(
                web::resource("/Users/{id}")
                    .route(web::get().to(users::get))
                    .route(web::put().to(write::replace::<write::Users>))
                    .route(web::patch().to(write::patch::<write::Users>))
                    .route(web::delete().to(write::delete::<write::Users>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Groups")
                    .route(web::get().to(search::list_groups))
                    .route(web::post().to(write::create::<write::Groups>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(post_only("/Groups/.search", search::groups))
            .service(
                web::resource("/Groups/{id}")
                    .route(web::get().to(groups::get))
                    .route(web::put().to(write::replace::<write::Groups>))
                    .route(web::patch().to(write::patch::<write::Groups>))
                    .route(web::delete().to(write::delete::<write::Groups>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(post_only("/.search", search::root))
            .service(post_only("/Bulk", bulk::bulk))
            .configure(discovery::routes)
            .default_service(web::to(not_found)),
    );
}

/// A resource that answers only POST (RFC 7644 defines `.search` and `/Bulk` for POST alone).
fn post_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(method_not_allowed))
}

/// The SCIM caller: a `scim` token of one organization.
pub struct ScimCaller {
    pub token: Token,
}

impl ScimCaller {
    pub async fn authenticate(
        state: &AppState,
        request: &HttpRequest,
    ) -> Result<Self, ScimApiError> {
        let token = auth::authenticate(&state.pool, &state.tokens, request).await?;
        if token.kind != TokenKind::Scim {
            return Err(AuthError::WrongKind {
                actual: token.kind,
                expected: "scim",
            }
            .into());
        }
        request.extensions_mut().insert(ScimTokenId(token.id));
        Ok(Self { token })
    }

    /// The origin of a change made by this caller in this request.
    pub fn origin(&self, state: &AppState, request: &HttpRequest) -> Origin {
        let mut meta = request_meta(request);
        meta.actor_token_id = Some(self.token.id);
        Origin {
            org: self.token.org_id,
            source: Source::Scim,
            actor: auth::token_actor(&self.token),
            request: meta,
            now: state.clock.now(),
        }
    }
}

async fn not_found(request: HttpRequest) -> HttpResponse {
    let error = ScimError::not_found(format!("no SCIM endpoint at {}", request.path()));
    ScimApiError(error).error_response()
}

async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    let detail = format!("{} is not allowed on {}", request.method(), request.path());
    ScimApiError(ScimError::new(405, None, detail)).error_response()
}

/// A SCIM response with the right content type.
pub fn scim_response(status: actix_web::http::StatusCode) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder.content_type(SCIM_CONTENT_TYPE);
    builder
}
