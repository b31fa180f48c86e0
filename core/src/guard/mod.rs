//! Guarded external calls (the seed "Managing ... External Service Timeouts"), sans-IO.
//!
//! - [`policy`]: per-endpoint policy and retry rules;
//! - [`call`]: the [`call::GuardedCall`] state machine the boundary drives;
//! - [`engine`]: the [`engine::GuardEngine`] holding endpoints, cache, notifications, outbox, audit;
//! - [`metrics`] and [`prometheus`]: per-endpoint metrics and their text exposition;
//! - [`snapshot`]: the engine's versioned JSON snapshot;
//! - [`options`]: the known option keys and `UNKNOWN_OPTION` warnings.

pub mod call;
pub mod engine;
pub mod metrics;
pub mod options;
pub mod policy;
pub mod prometheus;
pub mod snapshot;

#[cfg(test)]
mod tests;

pub use call::{CallOptions, CallOutcome, CallResult, GuardedCall, Input, Source, Step};
pub use engine::{EngineConfig, GuardEngine};
