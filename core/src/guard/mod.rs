//! Guarded external calls (the seed "Managing ... External Service Timeouts"), sans-IO.
//!
//! - [`policy`]: per-endpoint policy and retry rules;
//! - [`call`]: the [`call::GuardedCall`] state machine;
//! - [`outcome`]: what a call ends with ([`outcome::CallResult`]);
//! - [`operation`]: the manager's operations (call, configure, sync) as protocol machines;
//! - [`engine`]: the [`engine::GuardEngine`] holding endpoints, cache, notifications, outbox, audit;
//! - [`metrics`] and [`prometheus`]: per-endpoint metrics and their text exposition;
//! - [`snapshot`]: the engine's versioned JSON snapshot;
//! - [`options`]: the known option keys and `UNKNOWN_OPTION` warnings.

pub mod call;
pub mod call_request;
pub mod engine;
pub mod manager_options;
pub mod metrics;
pub mod operation;
pub mod options;
pub mod outcome;
pub mod policy;
pub mod prometheus;
pub mod snapshot;

#[cfg(test)]
mod tests;

pub use call::{CallOptions, GuardedCall};
pub use engine::{EngineConfig, GuardEngine};
pub use outcome::{CallOutcome, CallResult, DegradedReason, Source};
