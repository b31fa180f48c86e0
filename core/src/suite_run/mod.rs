//! Orchestration of bot test-suite runs as sans-IO state machines (seed "Executing ... Bot Test
//! Suites", docs/API.md `TestSuiteRunner`).
//!
//! A machine never performs I/O and never reads a clock. The boundary drives it:
//!
//! ```text
//! let mut step = machine.start(now);
//! loop {
//!     match step {
//!         Step::Send { call, timeout_ms } => {
//!             // fresh credentials, then machine.request(&call, creds) → fetch (timeout_ms)
//!             step = machine.on_reply(input, now, random);
//!         }
//!         Step::Sleep { ms } => { /* wait ms */ step = machine.on_wake(now, random); }
//!         Step::Done(result) => break,
//!     }
//!     // machine.take_progress() → onProgress
//! }
//! ```
//!
//! Cancellation (the caller's `AbortSignal`) is `machine.cancel(now)`, which may still ask for a
//! request (the playbook task's cancel endpoint) before it ends with `CANCELLED`.
//!
//! Modules: [`poll`] (run clock, deadline, poll interval, error budget), [`reply`] (how an answer is
//! classified), [`seed`] (seed-v1 submit / wait / results), [`playbook`] (cognigy-v2 playbook runs),
//! [`webhook`] (the CI webhook with a stable `Idempotency-Key`), [`finish`] (aggregation, webhook
//! and audit record around either run), [`baseline`] (comparison with an earlier report),
//! [`endpoint_case`] (one case sent to a REST Endpoint), [`endpoint_run`] (the cases of an
//! endpoint run and its report) and [`simulation`] (a Cognigy Simulator batch).

pub mod baseline;
pub mod endpoint_case;
pub mod endpoint_run;
pub mod finish;
pub mod list;
pub mod playbook;
pub mod poll;
pub mod poller;
pub mod reply;
pub mod runner_options;
pub mod seed;
pub mod simulation;
pub mod webhook;

use crate::error::GuardError;
use crate::profile::Credentials;
use serde::Serialize;

pub use crate::protocol::{Call, Input, Machine, Step};

/// Phase of a run, as reported in progress events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The run was accepted by the platform.
    Submitted,
    /// A status poll answered.
    Polling,
    /// Results are being read.
    Results,
    /// The run's report is complete.
    Done,
}

/// A progress event (`onProgress`): `{ phase, polls, status, elapsedMs, completed?, total? }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    /// Where the run is.
    pub phase: Phase,
    /// Status polls made so far.
    pub polls: u32,
    /// The platform's last reported status (`queued`, `running`, `active`, ...).
    pub status: String,
    /// Milliseconds since the run started.
    pub elapsed_ms: f64,
    /// Cases (or steps) done, when the platform reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<u64>,
    /// Cases (or steps) in the run, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// The credentials a platform request needs; a `CONFIG` error when there are none.
pub(crate) fn require(credentials: Option<&Credentials>) -> Result<&Credentials, GuardError> {
    credentials.ok_or_else(|| {
        GuardError::Config(
            "the test suite runner needs auth ({ apiKey } or { clientId, clientSecret })"
                .to_owned(),
        )
    })
}

/// A step that ends the machine with `err`.
pub(crate) fn fail<T>(err: GuardError) -> Step<T> {
    Step::Done(Err(err))
}

/// The error of a machine driven after it finished (a bug in the driver, never a panic).
pub(crate) fn already_finished() -> GuardError {
    GuardError::Config("the run is already finished".to_owned())
}

#[cfg(test)]
pub(crate) mod testkit;
