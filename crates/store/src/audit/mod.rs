//! The audit side of the store: sealing log events into a per-organization
//! ledger with a contiguous sequence and a hash chain, signed checkpoints,
//! verification, filtered reads and streams of the sealed log, and the log
//! of who read it.

pub mod access;
pub mod canonical;
mod canonical_check;
pub mod chain;
pub mod checkpoint;
pub mod entries;
pub mod grants;
pub mod lines;
pub mod log_tables;
pub mod portal;
pub mod record;
pub mod screen;
pub mod seal;
pub mod verify;
mod walk;
