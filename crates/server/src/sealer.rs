//! The sealer as a background task of `serve`: seals new events in batches
//! (whichever instance holds the advisory lock does the work) and, at an
//! interval, signs a checkpoint of every chain that moved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use tokio::task::JoinHandle;
use usertrail_store::Pool;
use usertrail_store::audit::checkpoint::checkpoint_moved_chains;
use usertrail_store::audit::seal::seal_batch;

use crate::Clock;

/// Events sealed per transaction.
pub const SEAL_BATCH: i64 = 5_000;

/// What the sealer needs.
#[derive(Debug, Clone)]
pub struct Sealer {
    pub pool: Pool,
    pub clock: Clock,
    pub key: Option<Arc<SigningKey>>,
    pub interval: Duration,
    /// Zero: no automatic checkpoints.
    pub checkpoint_interval: Duration,
}

impl Sealer {
    /// Runs until the task is aborted; errors are logged and retried.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut last_checkpoint = Instant::now();
            loop {
                let caught_up = match self.seal_once().await {
                    Ok(caught_up) => caught_up,
                    Err(error) => {
                        tracing::warn!(error = %crate::telemetry::error_chain(&error), "sealing failed");
                        true
                    }
                };
                if self.checkpoint_due(last_checkpoint) {
                    last_checkpoint = Instant::now();
                    if let Err(error) = self.checkpoint_moved_chains().await {
                        tracing::warn!(error = %crate::telemetry::error_chain(&error), "checkpoint failed");
                    }
                }
                if caught_up {
                    tokio::time::sleep(self.interval).await;
                }
            }
        })
    }

    /// One batch; true when there was less than a full batch to seal.
    async fn seal_once(&self) -> Result<bool, usertrail_store::StoreError> {
        let mut client = self.pool.get().await?;
        let sealed = seal_batch(&mut client, self.clock.now(), SEAL_BATCH).await?;
        if let Some(count) = sealed.filter(|count| *count > 0) {
            tracing::debug!(count, "sealed");
        }
        Ok(sealed.is_none_or(|count| (count as i64) < SEAL_BATCH))
    }

    fn checkpoint_due(&self, last: Instant) -> bool {
        self.key.is_some()
            && !self.checkpoint_interval.is_zero()
            && last.elapsed() >= self.checkpoint_interval
    }

    async fn checkpoint_moved_chains(&self) -> Result<(), usertrail_store::StoreError> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        let mut client = self.pool.get().await?;
        let signed = checkpoint_moved_chains(&mut client, key, self.clock.now()).await?;
        for checkpoint in signed.unwrap_or_default() {
            let (org, sequence) = (checkpoint.org_id, checkpoint.sequence);
            tracing::info!(%org, sequence, "checkpoint signed");
        }
        Ok(())
    }
}
