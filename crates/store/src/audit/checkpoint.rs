//! Signed checkpoints: the head of an organization's chain (sequence and
//! hash) at a time, signed with the server's Ed25519 key. An auditor who
//! keeps one can later prove that the chain up to it was not rewritten.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::canonical::canonical_json;
use super::chain::{GENESIS, Hash, hash_from_slice, ledger_hash, to_hex};
use super::record::rfc3339;
use crate::{Client, GenericClient, StoreError};

/// The `type` member of every signed checkpoint: what the bytes mean.
pub const CHECKPOINT_TYPE: &str = "usertrail.checkpoint.v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub id: i64,
    pub org_id: Uuid,
    pub sequence: i64,
    pub hash: Hash,
    pub signed_at: OffsetDateTime,
    pub key_id: String,
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// What the signature covers, as JSON; the signed bytes are its RFC 8785 form.
    pub fn signed_json(&self) -> Value {
        json!({
            "type": CHECKPOINT_TYPE,
            "org_id": self.org_id,
            "sequence": self.sequence,
            "hash": to_hex(&self.hash),
            "signed_at": rfc3339(self.signed_at),
            "key_id": self.key_id,
        })
    }

    /// The checkpoint as the API returns it: the signed members, its id and
    /// the signature in hex.
    pub fn to_json(&self) -> Value {
        let mut value = self.signed_json();
        if let Value::Object(members) = &mut value {
            members.insert("id".into(), json!(self.id));
            members.insert("signature".into(), json!(to_hex(&self.signature)));
        }
        value
    }

    /// Whether `key` made the signature over this checkpoint.
    pub fn signature_is_valid(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = canonical_json(&self.signed_json()) else {
            return false;
        };
        key.verify(&bytes, &Signature::from_bytes(&self.signature))
            .is_ok()
    }
}

/// A short name of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    to_hex(&Sha256::digest(key.as_bytes())[..8])
}

/// The head of an organization's chain: (0, zeros) before the first entry.
pub async fn chain_head(client: &impl GenericClient, org: Uuid) -> Result<(i64, Hash), StoreError> {
    let row = client
        .query_opt(
            "SELECT sequence, hash FROM ledger WHERE org_id = $1 ORDER BY sequence DESC LIMIT 1",
            &[&org],
        )
        .await?;
    let Some(row) = row else {
        return Ok((0, GENESIS));
    };
    Ok((row.get("sequence"), ledger_hash(row.get("hash"))?))
}

/// Signs the current head of `org` and stores the checkpoint.
pub async fn create_checkpoint(
    client: &impl GenericClient,
    org: Uuid,
    key: &SigningKey,
    now: OffsetDateTime,
) -> Result<Checkpoint, StoreError> {
    let (sequence, hash) = chain_head(client, org).await?;
    let mut checkpoint = Checkpoint {
        id: 0,
        org_id: org,
        sequence,
        hash,
        signed_at: now,
        key_id: key_id(&key.verifying_key()),
        signature: [0; 64],
    };
    let bytes = canonical_json(&checkpoint.signed_json())
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    checkpoint.signature = key.sign(&bytes).to_bytes();
    let row = client
        .query_one(
            "INSERT INTO ledger_checkpoints (org_id, sequence, hash, signed_at, key_id, signature) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &org,
                &sequence,
                &hash.as_slice(),
                &now,
                &checkpoint.key_id,
                &checkpoint.signature.as_slice(),
            ],
        )
        .await?;
    checkpoint.id = row.get(0);
    Ok(checkpoint)
}

/// An arbitrary constant: the advisory lock held while the periodic
/// checkpoints are signed, so that several servers do not sign one head twice.
pub const CHECKPOINTER_LOCK: i64 = 0x7573_6572_7472_6c03;

/// Signs a checkpoint of every chain that moved past its last one, unless
/// another server is doing so (`None`). The lock is held until the new
/// checkpoints are committed, so the next server to take it sees them.
pub async fn checkpoint_moved_chains(
    client: &mut Client,
    key: &SigningKey,
    now: OffsetDateTime,
) -> Result<Option<Vec<Checkpoint>>, StoreError> {
    let tx = client.transaction().await?;
    let locked: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock($1)",
            &[&CHECKPOINTER_LOCK],
        )
        .await?
        .get(0);
    if !locked {
        return Ok(None);
    }
    let mut signed = Vec::new();
    for org in orgs_needing_checkpoint(&tx).await? {
        signed.push(create_checkpoint(&tx, org, key, now).await?);
    }
    tx.commit().await?;
    Ok(Some(signed))
}

/// Every organization whose chain moved past its last checkpoint.
pub async fn orgs_needing_checkpoint(client: &impl GenericClient) -> Result<Vec<Uuid>, StoreError> {
    let rows = client
        .query(
            "SELECT o.id FROM organizations o \
             CROSS JOIN LATERAL (SELECT max(sequence) AS head FROM ledger WHERE org_id = o.id) h \
             CROSS JOIN LATERAL (SELECT max(sequence) AS signed FROM ledger_checkpoints \
               WHERE org_id = o.id) c \
             WHERE h.head IS NOT NULL AND (c.signed IS NULL OR c.signed < h.head)",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

fn checkpoint_from_row(row: &tokio_postgres::Row) -> Result<Checkpoint, StoreError> {
    let hash: &[u8] = row.get("hash");
    let signature: &[u8] = row.get("signature");
    Ok(Checkpoint {
        id: row.get("id"),
        org_id: row.get("org_id"),
        sequence: row.get("sequence"),
        hash: hash_from_slice(hash)
            .ok_or_else(|| StoreError::Corrupt("a checkpoint hash is not 32 bytes".into()))?,
        signed_at: row.get("signed_at"),
        key_id: row.get("key_id"),
        signature: signature
            .try_into()
            .map_err(|_| StoreError::Corrupt("a signature is not 64 bytes".into()))?,
    })
}

/// Checkpoints of `org` with an id below `before` (all when None), newest
/// first, at most `limit`.
pub async fn list_checkpoints(
    client: &Client,
    org: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Checkpoint>, StoreError> {
    let rows = client
        .query(
            "SELECT * FROM ledger_checkpoints WHERE org_id = $1 AND ($2::bigint IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
            &[&org, &before, &limit],
        )
        .await?;
    rows.iter().map(checkpoint_from_row).collect()
}

/// The checkpoint `id` of `org`, or the oldest one at or after `sequence`.
pub async fn find_checkpoint(
    client: &Client,
    org: Uuid,
    id: Option<i64>,
    sequence: i64,
) -> Result<Option<Checkpoint>, StoreError> {
    let row = client
        .query_opt(
            "SELECT * FROM ledger_checkpoints WHERE org_id = $1 \
             AND CASE WHEN $2::bigint IS NULL THEN sequence >= $3 ELSE id = $2 END \
             ORDER BY sequence, id LIMIT 1",
            &[&org, &id, &sequence],
        )
        .await?;
    row.as_ref().map(checkpoint_from_row).transpose()
}

/// Every checkpoint of `org`, oldest first, for verification.
pub async fn all_checkpoints(
    client: &tokio_postgres::Client,
    org: Uuid,
) -> Result<Vec<Checkpoint>, StoreError> {
    let rows = client
        .query(
            "SELECT * FROM ledger_checkpoints WHERE org_id = $1 ORDER BY sequence, id",
            &[&org],
        )
        .await?;
    rows.iter().map(checkpoint_from_row).collect()
}
