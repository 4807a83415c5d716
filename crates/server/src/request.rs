//! What every handler needs from the raw request: the facts recorded with
//! each event, the `x-request-id` header, and a JSON body read with a limit.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use tracing_actix_web::RequestId;
use usertrail_store::RequestMeta;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Facts about the request stored beside each event it causes.
pub fn request_meta(request: &HttpRequest) -> RequestMeta {
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.chars().take(512).collect());
    RequestMeta {
        actor_token_id: None,
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string),
        client_addr: request.peer_addr().map(|address| address.ip()),
        user_agent,
    }
}

/// Middleware: copies the tracing span's request id into the response, so
/// that a client reporting a problem can quote it and we can find its logs.
pub async fn add_request_id_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string);
    let mut response = next.call(request).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// Why a JSON body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request body is not valid JSON: {0}")]
    Syntax(String),
    #[error("the request body could not be read")]
    Read,
    #[error("unsupported Content-Type {0:?}; send application/scim+json or application/json")]
    ContentType(String),
}

/// Reads the whole body, at most `limit` bytes, and parses it as JSON.
/// Both `application/scim+json` and `application/json` are accepted, and so
/// is a missing Content-Type, which some clients omit.
pub async fn read_json(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<serde_json::Value, BodyError> {
    check_content_type(request)?;
    let body = read_bytes(&mut payload, limit).await?;
    serde_json::from_slice(&body).map_err(|error| BodyError::Syntax(error.to_string()))
}

/// The whole body, refused past `limit` bytes; for a caller that needs the bytes
/// themselves (the `Idempotency-Key` middleware fingerprints them).
pub async fn read_bytes<S>(payload: &mut S, limit: usize) -> Result<web::Bytes, BodyError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn check_content_type(request: &HttpRequest) -> Result<(), BodyError> {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or_default();
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/scim+json" | "application/json" => Ok(()),
        _ => Err(BodyError::ContentType(value.to_owned())),
    }
}
