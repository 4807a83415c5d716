//! `/api/v1/events`: the sealed log for auditors, filtered and paged by
//! sequence, and `/api/v1/events/export`, the same selection streamed as
//! NDJSON or CSV with each row's chain hash. Every call is recorded in the
//! access log.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use usertrail_store::StoreError;
use usertrail_store::audit::access::record_access;
use usertrail_store::audit::entries::{EntryFilter, LedgerEntry, list_entries, stream_entries};
use usertrail_store::audit::lines::stream_ndjson;
use uuid::Uuid;

use super::audit::{auditor, lag_json};
use super::export_format::{ExportFormat, csv_header};
use super::openapi::ErrorBody;
use super::{ApiError, ErrorCode};
use crate::startup::AppState;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1_000;
/// Rows per portal fetch of an export.
const EXPORT_BATCH: i32 = 2_000;

/// The query parameters shared by the list and the export.
#[derive(Debug, Deserialize)]
pub struct FilterParams {
    user: Option<String>,
    actor_kind: Option<String>,
    actor_id: Option<String>,
    source: Option<String>,
    event_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
    from_sequence: Option<i64>,
    to_sequence: Option<i64>,
    /// `asc` (oldest first, the export's default) or `desc`.
    order: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
    format: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message)
}

fn parse_time(name: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .map(|text| {
            OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|_| invalid(format!("{name} must be an RFC 3339 time, not {text:?}")))
        })
        .transpose()
}

pub fn parse_filter(params: &FilterParams, default_desc: bool) -> Result<EntryFilter, ApiError> {
    let user = params
        .user
        .as_deref()
        .map(|id| {
            Uuid::parse_str(id).map_err(|_| invalid(format!("user must be a UUID, not {id:?}")))
        })
        .transpose()?;
    let descending = match params.order.as_deref() {
        None => default_desc,
        Some("desc") => true,
        Some("asc") => false,
        Some(other) => return Err(invalid(format!("order must be asc or desc, not {other:?}"))),
    };
    if let Some(source) = &params.source {
        source
            .parse::<usertrail_domain::Source>()
            .map_err(|error| invalid(error.to_string()))?;
    }
    Ok(EntryFilter {
        user,
        actor_kind: params.actor_kind.clone(),
        actor_id: params.actor_id.clone(),
        source: params.source.clone(),
        event_type: params.event_type.clone(),
        from: parse_time("from", params.from.as_deref())?,
        to: parse_time("to", params.to.as_deref())?,
        from_sequence: params.from_sequence,
        to_sequence: params.to_sequence,
        descending,
    })
}

fn query_params(request: &HttpRequest) -> Result<FilterParams, ApiError> {
    web::Query::<FilterParams>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|error| invalid(error.to_string()))
}

/// Cursors are the last sequence returned, as `s<sequence>`.
fn decode_cursor(value: &str) -> Result<i64, ApiError> {
    value
        .strip_prefix('s')
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidCursor,
                "cursor is not one this server issued",
            )
        })
}

#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "audit",
    summary = "The sealed events, filtered, by keyset pages on the sequence (auditor)",
    responses(
        (status = 200, description = "A page of ledger entries", body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auditor(&state, &request).await?;
    let params = query_params(&request)?;
    let filter = parse_filter(&params, true)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let org = caller.token.org_id.0;
    let entries = list_entries(&client, org, &filter, after, limit).await?;
    let full = i64::try_from(entries.len()).unwrap_or(i64::MAX) == limit;
    let next_cursor = entries
        .last()
        .filter(|_| full)
        .map(|entry| format!("s{}", entry.sequence));
    let now = state.clock.now();
    let access = caller.access(
        "events_query",
        &filter,
        Some(entries.len() as i64),
        &request,
        now,
    );
    record_access(&client, &access).await?;
    let events = entries
        .iter()
        .map(LedgerEntry::to_json)
        .collect::<Result<Vec<Value>, _>>()
        .map_err(StoreError::from)?;
    let sealing = lag_json(&client, org, now).await?;
    Ok(HttpResponse::Ok().json(json!({
        "events": events, "next_cursor": next_cursor, "sealing": sealing
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/events/export",
    tag = "audit",
    summary = "Streams the filtered ledger entries as NDJSON or CSV (auditor)",
    params(("format" = String, Query, description = "ndjson or csv")),
    responses(
        (status = 200, description = "The entries, one per line, each with its chain hash",
            body = Object),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No or bad token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auditor(&state, &request).await?;
    let params = query_params(&request)?;
    let format = ExportFormat::parse(params.format.as_deref())?;
    let filter = parse_filter(&params, false)?;
    let client = state.pool.get().await.map_err(StoreError::from)?;
    let now = state.clock.now();
    let access = caller.access("events_export", &filter, None, &request, now);
    record_access(&client, &access).await?;

    // The rows travel through a small bounded channel: the export holds at
    // most a few batches in memory, whatever its size.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    // A local task: the async closure below is not `Send`, and the export
    // belongs to this worker anyway.
    let clock = state.clock;
    // NDJSON lines are the sealed bytes, copied: a connection driven on this
    // thread saves handing rows between threads. A CSV record is formatted
    // from the row's fields, and a pooled connection's driver on another
    // thread reads the next rows meanwhile.
    let mut direct = match format {
        ExportFormat::Ndjson => Some(state.direct_connection().await?),
        ExportFormat::Csv => None,
    };
    actix_web::rt::spawn(async move {
        let mut client = client;
        let mut unformatted = None;
        if format == ExportFormat::Csv {
            let _ = sender.send(Ok(Bytes::from(csv_header()))).await;
        }
        let streamed = match format {
            // Lines are written by the store, from the sealed records.
            ExportFormat::Ndjson => {
                stream_ndjson(
                    direct.as_mut().unwrap_or(&mut client),
                    access.org_id,
                    &filter,
                    EXPORT_BATCH,
                    async |lines, _| sender.send(Ok(Bytes::from(lines))).await.is_ok(),
                )
                .await
            }
            ExportFormat::Csv => {
                stream_entries(
                    &mut client,
                    access.org_id,
                    &filter,
                    EXPORT_BATCH,
                    async |batch| {
                        let mut out = Vec::with_capacity(batch.len() * 1024);
                        for entry in batch {
                            if let Err(error) = super::export_format::csv_row(&mut out, entry) {
                                unformatted = Some((entry.sequence, error));
                                return false;
                            }
                        }
                        sender.send(Ok(Bytes::from(out))).await.is_ok()
                    },
                )
                .await
            }
        };
        let streamed = match unformatted {
            Some((sequence, error)) => Err(StoreError::Corrupt(format!(
                "the record at sequence {sequence} cannot be exported: {error}"
            ))),
            None => streamed,
        };
        let rows = match streamed {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(error = %crate::telemetry::error_chain(&error), "export failed");
                let _ = sender
                    .send(Err(std::io::Error::other("export failed")))
                    .await;
                return;
            }
        };
        let mut finished = access;
        finished.action = "events_export_finished";
        finished.row_count = Some(i64::try_from(rows).unwrap_or(i64::MAX));
        finished.accessed_at = clock.now();
        if let Err(error) = record_access(&client, &finished).await {
            tracing::error!(error = %crate::telemetry::error_chain(&error), "access log failed");
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .streaming(body))
}
