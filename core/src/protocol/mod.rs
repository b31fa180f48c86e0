//! The one sans-IO protocol every operation speaks (guarded call, configure PUT, dashboard sync,
//! OAuth token, seed-v1 runs, playbook runs, CI webhook).
//!
//! An operation is a [`Machine`]: it asks to send a request ([`Step::Send`]), to sleep
//! ([`Step::Sleep`]) or says it is done ([`Step::Done`]), and is fed how each exchange ended
//! ([`Input`]). [`operation::Operation`] wraps a machine with what every platform request needs
//! (credentials, the OAuth token request, one retry after a 401) and hands the driver plain
//! [`exchange::Exchange`]s: the driver performs `fetch` and timers and nothing else.
//!
//! ```text
//! let mut action = op.advance(Event::Start, now, random);
//! loop {
//!     match action {
//!         Action::Send(exchange) => { /* fetch, bounded by exchange.timeout_ms */
//!             action = op.advance(Event::Response { .. } | Event::Failed(..), now, random) }
//!         Action::Sleep(ms) => { /* wait */ action = op.advance(Event::Woke, now, random) }
//!         Action::Done => break, // op.take_output()
//!     }
//! }
//! ```

pub mod exchange;
pub mod operation;

use crate::error::GuardError;
use crate::profile::{Credentials, HttpRequest};
use crate::suite_run::ProgressEvent;

/// The request a machine wants sent next. The machine builds it ([`Machine::request`]) with the
/// credentials fetched just before sending, so every request carries a fresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// A guarded call's attempt (`TimeoutManager.call`).
    Guarded,
    /// seed-v1 `POST /api/v1/externalServices/{id}/invoke`.
    InvokeService,
    /// seed-v1 `PUT /api/v1/externalServices/{id}/timeout`.
    ConfigureTimeout,
    /// `POST {webhookUrl}/metrics/timeout-sync` (the dashboard's own headers, no credentials).
    DashboardSync,
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
    /// cognigy-v2 `GET /new/v2.0/flows/{flowId}/intents`.
    FlowIntents,
    /// `POST {webhookUrl}` (no platform credentials).
    CiWebhook,
    /// `POST {endpointUrl}`: one message to a REST Endpoint (its URL token authorizes it).
    EndpointMessage,
    /// cognigy-v2 `POST /new/v2.0/projects/{projectId}/nlu/scores`.
    NluScores,
    /// Simulator `POST /testing/simulations/{ref}/schedule`.
    ScheduleSimulation,
    /// Simulator `GET /testing/simulations/{ref}/batches`.
    SimulationBatches,
    /// Simulator `GET /testing/simulations/{ref}/batches/{batch}/runs`.
    SimulationRuns,
    /// cognigy-v2 `GET /new/v2.0/playbooks` (a page).
    Playbooks,
    /// Simulator `GET /testing/simulations` (a page of a project's scenarios).
    Simulations,
}

impl Call {
    /// Whether the request goes to the platform and needs credentials (a guarded call decides
    /// per request: see [`Machine::needs_credentials`]).
    pub fn needs_credentials(self) -> bool {
        !matches!(
            self,
            Call::CiWebhook | Call::DashboardSync | Call::Guarded | Call::EndpointMessage
        )
    }
}

/// What a machine asks for next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<T> {
    /// Build `call` with [`Machine::request`] and send it, giving up after `timeout_ms`.
    Send {
        /// Which request.
        call: Call,
        /// Time allowed for this exchange, the token request and a retry after a 401 included
        /// (never beyond the operation's deadline, except a cancel request).
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

/// How one exchange ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The server answered.
    Response {
        /// HTTP status.
        status: u16,
        /// Response headers the parsers read (`retry-after`, `content-type`), names lower-case.
        headers: Vec<(String, String)>,
        /// Body text.
        body: String,
    },
    /// No usable answer: `NETWORK`, `TIMEOUT`, `BAD_RESPONSE` (e.g. a body over its limit), or an
    /// `AUTH`/`CONFIG` error raised while getting credentials or building the request.
    Failed(GuardError),
}

/// Longest response body read by default (8 MiB): the stream is cancelled past it.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;

/// A state machine the driver runs through [`operation::Operation`].
pub trait Machine {
    /// What the machine produces.
    type Output;

    /// The first step, at `now` (epoch ms).
    fn start(&mut self, now: f64) -> Step<Self::Output>;

    /// The answer (or failure) of the last `Send`, at `now`; `random` is uniform in `[0, 1)`.
    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<Self::Output>;

    /// The last `Sleep` is over.
    fn on_wake(&mut self, now: f64, random: f64) -> Step<Self::Output>;

    /// The caller cancelled. Ends with `CANCELLED`, possibly after one more request (a cancel
    /// endpoint) that is sent without the aborted signal.
    fn cancel(&mut self, now: f64) -> Step<Self::Output>;

    /// Builds the request for `call` with `credentials` (`None` when it needs none).
    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError>;

    /// Whether `call` carries platform credentials.
    fn needs_credentials(&self, call: Call) -> bool {
        call.needs_credentials()
    }

    /// For a `call` without platform credentials that still carries something secret (a
    /// dashboard's own headers): the prefix its redirects must stay under.
    fn redirect_scope(&self, _call: Call) -> Option<String> {
        None
    }

    /// Longest body accepted in the answer to `call`.
    fn max_body_bytes(&self, _call: Call) -> u64 {
        DEFAULT_MAX_BODY_BYTES
    }

    /// The instant (epoch ms) the run must be over by, once started; infinite when unbounded.
    fn deadline_at(&self) -> f64 {
        f64::INFINITY
    }

    /// Progress events since the last call, oldest first.
    fn take_progress(&mut self) -> Vec<ProgressEvent> {
        Vec::new()
    }
}
