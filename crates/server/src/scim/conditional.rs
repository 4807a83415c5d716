//! Conditional reads (RFC 7232 §3.2, RFC 7644 §3.14): `If-None-Match` on a resource GET, so a
//! client that already holds the current version gets 304 instead of the body again.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header;

/// 304 Not Modified with the ETag when `If-None-Match` names `version` or is `*`; `None` when
/// the header is absent or names other versions. Both the weak form `W/"3"`, which this server
/// sends, and the strong `"3"` match: clients and proxies are known to strip the `W/`.
pub fn not_modified(request: &HttpRequest, version: i64, etag: &str) -> Option<HttpResponse> {
    let header = request
        .headers()
        .get(header::IF_NONE_MATCH)?
        .to_str()
        .ok()?;
    let current = version.to_string();
    let matches = header.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag
                .strip_prefix("W/")
                .unwrap_or(tag)
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                == Some(&current)
    });
    matches.then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .finish()
    })
}
