//! Bearer-token authentication. A token is a random secret; the database
//! keeps only its SHA-256, which is enough for high-entropy secrets and lets
//! a request find its token with one indexed lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use usertrail_domain::{Actor, ActorKind};
use usertrail_store::{Pool, StoreError, Token, TokenKind};

/// Why a request was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (401).
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    /// The token is unknown or revoked (401).
    #[error("invalid or revoked token")]
    Invalid,
    /// The token is valid but of a kind this route does not accept (403).
    #[error("a {actual} token cannot use this API; it needs a {expected} token")]
    WrongKind {
        actual: TokenKind,
        expected: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A freshly generated secret: a prefix that says what it is, then 256
/// random bits.
pub fn generate_secret(kind: TokenKind) -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "ut_{}_{}",
        kind.as_str(),
        URL_SAFE_NO_PAD.encode(bytes)
    ))
}

pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Finds the live token named by the request's `Authorization` header.
pub async fn authenticate(
    pool: &Pool,
    cache: &TokenCache,
    request: &HttpRequest,
) -> Result<Token, AuthError> {
    let secret = bearer(request).ok_or(AuthError::Missing)?;
    let hash = hash_secret(secret);
    let now = Instant::now();
    if let Some(token) = cache.get(&hash, now) {
        return Ok(token);
    }
    let client = pool.get().await.map_err(StoreError::from)?;
    let token = usertrail_store::find_token_by_secret_hash(&client, &hash)
        .await?
        .ok_or(AuthError::Invalid)?;
    cache.put(hash, token.clone(), now);
    Ok(token)
}

/// Tokens that authenticated recently, so that a busy SCIM client does not
/// cost a database lookup per request. Only successes are kept, each for
/// `ttl`: a revoked token keeps working for at most that long. A zero `ttl`
/// turns the cache off.
#[derive(Debug)]
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Token, Instant)>>,
}

/// More distinct live tokens than this in one TTL and the cache starts over;
/// it bounds memory whatever callers send.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, hash: &[u8; 32], now: Instant) -> Option<Token> {
        let entries = self.entries.lock().ok()?;
        let (token, cached_at) = entries.get(hash)?;
        (now.duration_since(*cached_at) < self.ttl).then(|| token.clone())
    }

    fn put(&self, hash: [u8; 32], token: Token, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= TOKEN_CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(hash, (token, now));
    }
}

fn bearer(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The actor that a token's changes are recorded as.
pub fn token_actor(token: &Token) -> Actor {
    let kind = match token.kind {
        TokenKind::Scim => ActorKind::ScimClient,
        TokenKind::Service | TokenKind::Auditor | TokenKind::Personal => ActorKind::ApiToken,
    };
    Actor {
        kind,
        id: token.id.to_string(),
        display: token.label.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            id: uuid::Uuid::from_u128(1),
            org_id: usertrail_domain::OrgId(uuid::Uuid::from_u128(2)),
            kind: TokenKind::Scim,
            label: "Entra ID".into(),
            user_id: None,
        }
    }

    #[test]
    fn a_cached_token_expires_after_the_ttl() {
        let cache = TokenCache::new(Duration::from_secs(5));
        let start = Instant::now();
        cache.put([7; 32], token(), start);
        assert_eq!(
            cache.get(&[7; 32], start + Duration::from_secs(4)),
            Some(token())
        );
        assert_eq!(cache.get(&[7; 32], start + Duration::from_secs(5)), None);
        assert_eq!(cache.get(&[8; 32], start), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO);
        let start = Instant::now();
        cache.put([7; 32], token(), start);
        assert_eq!(cache.get(&[7; 32], start), None);
    }

    #[test]
    fn generated_secrets_are_prefixed_distinct_and_long() {
        let first = generate_secret(TokenKind::Scim).unwrap();
        let second = generate_secret(TokenKind::Scim).unwrap();
        assert!(first.starts_with("ut_scim_"));
        assert_ne!(first, second);
        assert_eq!(first.len(), "ut_scim_".len() + 43);
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_needs_a_token() {
        let request = |value: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert_eq!(bearer(&request("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&request("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&request("Basic abc")), None);
        assert_eq!(bearer(&request("Bearer ")), None);
    }
}
