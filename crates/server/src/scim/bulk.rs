//! `POST /Bulk` (RFC 7644 §3.7): many writes in one request, run in order, each through
//! [`write::run`] exactly as its own request would be, so each is recorded as its own
//! events, with the bulk request's origin: source `scim`, the token as actor, and the bulk
//! request's id, which ties the events of one bulk request together in the log.
//!
//! Operations are not one transaction: RFC 7644 does not ask for it, and an operation that
//! fails leaves the ones before it in place, as separate requests would. A request over
//! [`MAX_OPERATIONS`] operations or `MAX_BODY_BYTES` bytes runs nothing and answers 413.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Map, Value, json};
use usertrail_scim::ScimError;
use usertrail_scim::bulk::{
    BULK_RESPONSE_SCHEMA, BulkIds, BulkMethod, BulkOperation, BulkRequest, parse_bulk_path,
};

use super::params::parse_etag;
use super::write::{self, Write, Written};
use super::{ScimApiError, ScimCaller, scim_response};
use crate::app::Origin;
use crate::request::read_json;
use crate::startup::AppState;

/// The most operations one bulk request may hold (advertised as `bulk.maxOperations`).
pub const MAX_OPERATIONS: usize = 1000;

pub async fn bulk(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<actix_web::HttpResponse, ScimApiError> {
    let caller = ScimCaller::authenticate(&state, &request).await?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let bulk = BulkRequest::parse(body)?;
    if bulk.operations.len() > MAX_OPERATIONS {
        let count = bulk.operations.len();
        let detail = format!(
            "the bulk request has {count} operations, more than maxOperations ({MAX_OPERATIONS})"
        );
        return Err(ScimError::new(413, None, detail).into());
    }

    let origin = caller.origin(&state, &request);
    let mut ids = BulkIds::default();
    let mut results = Vec::with_capacity(bulk.operations.len());
    let mut errors = 0;
    for operation in &bulk.operations {
        let outcome = run(&state, &request, &origin, &ids, operation).await;
        if let (Ok(written), Some(bulk_id)) = (&outcome, &operation.bulk_id)
            && operation.method == BulkMethod::Post
        {
            ids.insert(bulk_id, &written.id);
        }
        errors += usize::from(outcome.is_err());
        results.push(result(&state, &request, operation, outcome));
        // RFC 7644 §3.7.3: after failOnErrors errors, the remaining operations do not run.
        if bulk.fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
    }
    let body = json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": results});
    Ok(scim_response(StatusCode::OK).json(body))
}

/// Runs one operation after resolving the `bulkId:` references in its path and data.
async fn run(
    state: &AppState,
    request: &HttpRequest,
    origin: &Origin,
    ids: &BulkIds,
    operation: &BulkOperation,
) -> Result<Written, ScimApiError> {
    let path = ids.resolve_path(&operation.path)?;
    let (kind, id) = parse_bulk_path(&path)?;
    let write = match (operation.method, id) {
        (BulkMethod::Post, None) => Write::Create,
        (BulkMethod::Put, Some(id)) => Write::Replace(id.to_owned()),
        (BulkMethod::Patch, Some(id)) => Write::Patch(id.to_owned()),
        (BulkMethod::Delete, Some(id)) => Write::Delete(id.to_owned()),
        (method, _) => {
            let detail = format!("{} is not allowed on {path}", method.as_str());
            return Err(ScimError::new(405, None, detail).into());
        }
    };
    let expected = operation
        .version
        .as_deref()
        .map(parse_etag)
        .transpose()?
        .flatten();
    let mut data = operation.data.clone().unwrap_or(Value::Null);
    ids.resolve_data(&mut data)?;
    write::run(kind, state, request, origin, write, expected, data).await
}

/// One entry of the BulkResponse: the status as a string (RFC 7644 §3.7.3), the location and
/// version of what was written, or the SCIM error body of the failure.
fn result(
    state: &AppState,
    request: &HttpRequest,
    operation: &BulkOperation,
    outcome: Result<Written, ScimApiError>,
) -> Value {
    let mut entry = Map::new();
    entry.insert("method".to_owned(), json!(operation.method.as_str()));
    if let Some(bulk_id) = &operation.bulk_id {
        entry.insert("bulkId".to_owned(), json!(bulk_id));
    }
    match outcome {
        Ok(written) => {
            entry.insert("location".to_owned(), json!(written.location));
            if let Some(version) = written.version {
                entry.insert("version".to_owned(), json!(version));
            }
            entry.insert(
                "status".to_owned(),
                json!(written.status.as_u16().to_string()),
            );
        }
        Err(error) => {
            // A failed POST created nothing, so it has no location (RFC 7644 §3.7.3).
            if operation.method != BulkMethod::Post {
                let base = state.base_url(request);
                let location = format!("{base}/scim/v2{}", operation.path);
                entry.insert("location".to_owned(), json!(location));
            }
            entry.insert("status".to_owned(), json!(error.0.status.to_string()));
            entry.insert("response".to_owned(), error.0.to_body());
        }
    }
    Value::Object(entry)
}
