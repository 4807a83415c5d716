//! The hash chain: each entry's hash is SHA-256 over the previous entry's
//! hash and the canonical bytes of the event record. The first entry of an
//! organization follows 32 zero bytes.

use sha2::{Digest, Sha256};

use super::canonical::CanonicalError;
use super::record::EventRecord;
use crate::StoreError;

/// A chain hash.
pub type Hash = [u8; 32];

/// What precedes the first entry of every chain.
pub const GENESIS: Hash = [0; 32];

/// SHA-256(`previous` || `canonical`), for a record already canonicalised.
pub fn hash_bytes(previous: &Hash, canonical: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// The hash of `record` at `sequence` after `previous`; `scratch` holds
/// the canonical bytes (reused across records to save allocations).
pub fn record_hash<S: AsRef<str>>(
    previous: &Hash,
    record: &EventRecord<S>,
    sequence: i64,
    scratch: &mut Vec<u8>,
) -> Result<Hash, CanonicalError> {
    scratch.clear();
    record.write_canonical(sequence, scratch)?;
    Ok(hash_bytes(previous, scratch))
}

/// Appends `bytes` as lowercase hex.
pub fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0xf)]);
    }
}

/// Lowercase hex, as the API shows hashes.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    write_hex(&mut out, bytes);
    // Hex digits are ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

/// A 32-byte hash from hex; `None` unless exactly 64 hex digits.
pub fn hash_from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut hash = [0_u8; 32];
    for (index, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        hash[index] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(hash)
}

/// A hash from stored bytes; `None` when not 32 bytes long.
pub fn hash_from_slice(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}

/// A hash read from the ledger, which stores only 32-byte ones (a check
/// constraint): anything else means the table was tampered with.
pub(crate) fn ledger_hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    hash_from_slice(bytes)
        .ok_or_else(|| StoreError::Corrupt("a ledger hash is not 32 bytes".into()))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::audit::canonical::canonical_json;

    /// SHA-256(`previous` || RFC 8785 bytes of `record`).
    fn entry_hash(previous: &Hash, record: &Value) -> Result<Hash, CanonicalError> {
        Ok(hash_bytes(previous, &canonical_json(record)?))
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_the_canonical_record() {
        let record = json!({"b": 1, "a": 2});
        let reordered: Value = serde_json::from_str(r#"{"a":2,"b":1.0}"#).unwrap();
        let first = entry_hash(&GENESIS, &record).unwrap();
        assert_eq!(first, entry_hash(&GENESIS, &reordered).unwrap());
        let mut expected = Sha256::new();
        expected.update([0_u8; 32]);
        expected.update(br#"{"a":2,"b":1}"#);
        assert_eq!(first, <Hash>::from(expected.finalize()));
        assert_ne!(entry_hash(&first, &record).unwrap(), first);
    }

    #[test]
    fn hex_round_trips_and_refuses_odd_input() {
        let hash = entry_hash(&GENESIS, &json!(1)).unwrap();
        assert_eq!(hash_from_hex(&to_hex(&hash)), Some(hash));
        assert_eq!(hash_from_hex("zz"), None);
        assert_eq!(hash_from_hex(&"g".repeat(64)), None);
    }
}
