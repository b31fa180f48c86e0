//! Orchestration of bot test-suite runs as sans-IO state machines (seed "Executing ... Bot Test
//! Suites", API.md `TestSuiteRunner`).
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
//! and audit record around either run).

pub mod finish;
pub mod playbook;
pub mod poll;
pub mod reply;
pub mod seed;
pub mod webhook;

use crate::error::GuardError;
use crate::profile::{Credentials, HttpRequest};
use serde::Serialize;

/// The request a machine wants sent next. The machine builds it ([`Machine::request`]) with the
/// credentials the boundary fetched just before sending, so every request carries a fresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// seed-v1 `POST /api/v1/test-suites/{suiteId}/executions` (with an `Idempotency-Key`).
    SubmitExecution,
    /// seed-v1 `GET /api/v1/executions/{id}/status`.
    ExecutionStatus,
    /// seed-v1 `GET /api/v1/executions/{id}/results`.
    ExecutionResults,
    /// cognigy-v2 `POST /new/v2.0/playbooks/{playbookId}/schedule`.
    SchedulePlaybook,
    /// cognigy-v2 `GET /new/v2.0/tasks/{taskId}`.
    Task,
    /// cognigy-v2 `POST /new/v2.0/tasks/{taskId}/cancel`.
    CancelTask,
    /// cognigy-v2 `GET /new/v2.0/playbooks/{playbookId}/runs/{runId}`.
    PlaybookRun,
    /// cognigy-v2 `GET /new/v2.0/flows/{flowId}/intents?limit=100&skip=`.
    FlowIntents,
    /// `POST {webhookUrl}` (no platform credentials).
    CiWebhook,
}

impl Call {
    /// Whether the request goes to the platform and needs credentials.
    pub fn needs_credentials(self) -> bool {
        self != Call::CiWebhook
    }
}

/// What the boundary must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<T> {
    /// Build `call` with [`Machine::request`] and send it, giving up after `timeout_ms`.
    Send {
        /// Which request.
        call: Call,
        /// Time allowed for this exchange (never beyond the run's deadline, except a cancel).
        timeout_ms: u64,
    },
    /// Wait `ms`, then call [`Machine::on_wake`].
    Sleep {
        /// The wait, in ms.
        ms: u64,
    },
    /// The machine is finished.
    Done(Result<T, GuardError>),
}

/// How one exchange ended, as the boundary reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The server answered.
    Response {
        /// HTTP status.
        status: u16,
        /// Response headers the parsers read (`retry-after`, `content-type`).
        headers: Vec<(String, String)>,
        /// Body text.
        body: String,
    },
    /// No answer: `Network`, `Timeout`, `Cancelled`, or an `AUTH`/`CONFIG` error raised while
    /// getting credentials or building the request.
    Failed(GuardError),
}

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

/// A state machine the boundary drives (see the module documentation).
pub trait Machine {
    /// What the machine produces.
    type Output;

    /// The first step, at `now` (epoch ms).
    fn start(&mut self, now: f64) -> Step<Self::Output>;

    /// The answer (or failure) of the last `Send`, at `now`; `random` is uniform in `[0, 1)`.
    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<Self::Output>;

    /// The last `Sleep` is over.
    fn on_wake(&mut self, now: f64, random: f64) -> Step<Self::Output>;

    /// The caller cancelled. Ends with `CANCELLED`, possibly after one more request (cancel
    /// endpoint) that the boundary must send without the aborted signal.
    fn cancel(&mut self, now: f64) -> Step<Self::Output>;

    /// Builds the request for `call` with `credentials` (`None` only for calls that need none).
    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError>;

    /// The instant (epoch ms) the run must be over by, once started; infinite when unbounded.
    fn deadline_at(&self) -> f64 {
        f64::INFINITY
    }

    /// Progress events since the last call, oldest first.
    fn take_progress(&mut self) -> Vec<ProgressEvent>;
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
