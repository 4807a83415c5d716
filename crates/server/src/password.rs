//! Hashing passwords with Argon2id before anything else sees them.
//!
//! A plaintext password lives only between the request body and this
//! function; what leaves is a PHC string for the credential table. Hashing
//! is deliberately slow and memory-hard, so it runs on the blocking pool
//! instead of an HTTP worker.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use usertrail_domain::PasswordHash;

/// Why a password was not accepted or could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Empty, or longer than `MAX_PASSWORD_CHARS` (400 invalidValue).
    #[error("password must be 1 to {MAX_PASSWORD_CHARS} characters")]
    Length,
    /// The OS gave no randomness or the hasher failed (500).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Bounds the work an attacker can make one request cost.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// OWASP's Argon2id baseline: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|error| PasswordError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh random salt, off the async workers.
pub async fn hash_password(password: String) -> Result<PasswordHash, PasswordError> {
    let length = password.chars().count();
    if length == 0 || length > MAX_PASSWORD_CHARS {
        return Err(PasswordError::Length);
    }
    actix_web::web::block(move || hash_now(&password))
        .await
        .map_err(|error| PasswordError::Hashing(error.to_string()))?
}

fn hash_now(password: &str) -> Result<PasswordHash, PasswordError> {
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(|error| PasswordError::Hashing(error.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| PasswordError::Hashing(error.to_string()))?;
    let phc = hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| PasswordError::Hashing(error.to_string()))?;
    Ok(PasswordHash::from_phc(phc.to_string()))
}

/// Whether `password` matches `hash`; false for a malformed hash.
pub fn verify_password(password: &str, hash: &PasswordHash) -> bool {
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(hash.as_phc()) else {
        return false;
    };
    hasher().is_ok_and(|argon| argon.verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let hash = hash_now("correct horse battery staple").unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("Correct horse battery staple", &hash));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash_now("secret").unwrap(), hash_now("secret").unwrap());
    }

    #[actix_web::test]
    async fn empty_and_overlong_passwords_are_refused_before_hashing() {
        assert!(matches!(
            hash_password(String::new()).await,
            Err(PasswordError::Length)
        ));
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert!(matches!(
            hash_password(long).await,
            Err(PasswordError::Length)
        ));
    }
}
