//! The seed-v1 execution: submit (with an `Idempotency-Key`, so a retried submit never starts a
//! second execution), poll the status until `completed`, `failed` or `timeout`, read the results.
//!
//! The same machine serves the single steps of the JS API (`submit`, `waitForCompletion`,
//! `fetchResults`) through its [`SeedGoal`].

use super::poll::{Timing, SEED_DEADLINE_MARGIN_MS};
use super::poller::{Answer, Ctx, Dialect, Next, Poller};
use super::{require, Call, Phase, ProgressEvent};
use crate::error::GuardError;
use crate::model::TestExecution;
use crate::profile::seed_v1::{
    execution_results, execution_status, parse_status, parse_submit, submit_execution,
    ExecutionState, ExecutionStatus,
};
use crate::profile::{parse_json_answer, BaseUrl, Credentials, HttpRequest};
use serde_json::{json, Value};

/// Longest execution timeout the platform accepts, in seconds (the default deadline of a wait for
/// an execution whose payload is unknown is derived from it).
const MAX_EXECUTION_TIMEOUT_SECONDS: u64 = 1_800;

/// How far a [`SeedRun`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedGoal {
    /// Submit only; the outcome carries the execution id.
    Submit,
    /// Poll an execution until it is terminal.
    Wait,
    /// Read an execution's results.
    Results,
    /// Submit, wait, read the results.
    Run,
}

/// What a [`SeedRun`] learned.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOutcome {
    /// The execution id.
    pub execution_id: String,
    /// The last status the platform reported (`None` when no poll was made).
    pub status: Option<ExecutionStatus>,
    /// Status polls made.
    pub polls: u32,
    /// The raw results (`{ execution_id, status, test_results }`), for the goals that read them.
    pub results: Option<Value>,
    /// When the machine started (epoch ms).
    pub started_ms: f64,
    /// The submitted cases, in order (empty when the payload is unknown, e.g. a run collected by
    /// id), so that the report lists the ones that never ran.
    pub submitted: Vec<crate::model::TestCase>,
    /// The payload's `suite_id` (`None` when the payload is unknown).
    pub suite_id: Option<String>,
}

/// The phases of a seed-v1 run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedPhase {
    /// `POST .../executions`.
    Submitting,
    /// `GET .../status` until terminal.
    Polling,
    /// `GET .../results`.
    Fetching,
}

/// The seed-v1 dialect of the run skeleton ([`Poller`]).
#[derive(Debug, Clone)]
pub struct SeedDialect {
    base: BaseUrl,
    execution: Option<TestExecution>,
    idempotency_key: String,
    execution_id: Option<String>,
    goal: SeedGoal,
    last: Option<ExecutionStatus>,
}

/// The seed-v1 state machine (see the module documentation).
pub type SeedRun = Poller<SeedDialect>;

impl Poller<SeedDialect> {
    /// Submits `execution` (a validated payload), waits for it and reads its results. The
    /// default deadline is the execution's own timeout plus [`SEED_DEADLINE_MARGIN_MS`].
    pub fn run(
        base: BaseUrl,
        execution: TestExecution,
        idempotency_key: String,
        timing: Timing,
    ) -> Self {
        with_payload(base, execution, idempotency_key, timing, SeedGoal::Run)
    }

    /// Submits `execution` only.
    pub fn submit(
        base: BaseUrl,
        execution: TestExecution,
        idempotency_key: String,
        timing: Timing,
    ) -> Self {
        with_payload(base, execution, idempotency_key, timing, SeedGoal::Submit)
    }

    /// Polls execution `execution_id` until it is terminal (`goal` [`SeedGoal::Wait`]) or reads
    /// its results (`goal` [`SeedGoal::Results`]; a [`SeedGoal::Run`] or [`SeedGoal::Submit`] is
    /// taken as `Wait`).
    pub fn existing(base: BaseUrl, execution_id: String, timing: Timing, goal: SeedGoal) -> Self {
        let goal = if goal == SeedGoal::Results {
            SeedGoal::Results
        } else {
            SeedGoal::Wait
        };
        let default = MAX_EXECUTION_TIMEOUT_SECONDS * 1000 + SEED_DEADLINE_MARGIN_MS;
        let mut dialect = SeedDialect::new(base, None, String::new(), goal);
        dialect.execution_id = Some(execution_id);
        Poller::from_dialect(dialect, timing, timing.deadline_or(default))
    }
}

fn with_payload(
    base: BaseUrl,
    execution: TestExecution,
    idempotency_key: String,
    timing: Timing,
    goal: SeedGoal,
) -> SeedRun {
    let default = u64::from(execution.execution_timeout_seconds)
        .saturating_mul(1000)
        .saturating_add(SEED_DEADLINE_MARGIN_MS);
    let dialect = SeedDialect::new(base, Some(execution), idempotency_key, goal);
    Poller::from_dialect(dialect, timing, timing.deadline_or(default))
}

type SeedNext = Next<SeedPhase, SeedOutcome>;

impl SeedDialect {
    fn new(
        base: BaseUrl,
        execution: Option<TestExecution>,
        idempotency_key: String,
        goal: SeedGoal,
    ) -> Self {
        SeedDialect {
            base,
            execution,
            idempotency_key,
            execution_id: None,
            goal,
            last: None,
        }
    }

    fn outcome(&self, results: Option<Value>, ctx: &Ctx<'_>) -> Result<SeedOutcome, GuardError> {
        let execution_id = self
            .execution_id
            .clone()
            .ok_or_else(|| GuardError::BadResponse("the execution id is unknown".to_owned()))?;
        Ok(SeedOutcome {
            execution_id,
            status: self.last.clone(),
            polls: ctx.pacing.polls(),
            results,
            started_ms: ctx.pacing.clock().started_ms(),
            submitted: self
                .execution
                .as_ref()
                .map(|e| e.test_cases.clone())
                .unwrap_or_default(),
            suite_id: self.execution.as_ref().map(|e| e.suite_id.clone()),
        })
    }

    fn note(&self, phase: Phase, ctx: &mut Ctx<'_>) {
        let status = self.last.as_ref();
        ctx.progress.push(ProgressEvent {
            phase,
            polls: ctx.pacing.polls(),
            status: status.map_or("queued", |s| s.status.as_str()).to_owned(),
            elapsed_ms: ctx.pacing.clock().elapsed(ctx.now),
            completed: status.and_then(|s| s.progress).map(|p| p.completed),
            total: status
                .and_then(|s| s.progress)
                .map(|p| p.total)
                .or_else(|| self.execution.as_ref().map(|e| e.test_cases.len() as u64)),
        });
    }

    /// A results answer that is not 2xx: 409 means "not finished yet" while a run waits for it;
    /// after `failed` or `timeout` an unreadable result is an empty one (the status says why).
    fn results_refused(&mut self, error: GuardError, ctx: &Ctx<'_>) -> SeedNext {
        if status_of(&error) == Some(409) && self.goal == SeedGoal::Run {
            return Next::Retry(error);
        }
        let unfinished = self
            .last
            .as_ref()
            .is_some_and(|s| matches!(s.status, ExecutionState::Failed | ExecutionState::Timeout));
        if unfinished
            && !matches!(
                error,
                GuardError::Cancelled | GuardError::Auth { .. } | GuardError::Config(_)
            )
        {
            let state = self.last.as_ref().map_or("failed", |s| s.status.as_str());
            let empty = json!({
                "execution_id": self.execution_id,
                "status": state,
                "test_results": [],
            });
            return Next::Done(self.outcome(Some(empty), ctx));
        }
        Next::Stop(error)
    }
}

fn status_of(error: &GuardError) -> Option<u16> {
    match error {
        GuardError::Http { status, .. } => Some(*status),
        GuardError::Auth { status, .. } => *status,
        _ => None,
    }
}

impl Dialect for SeedDialect {
    type Phase = SeedPhase;
    type Output = SeedOutcome;

    fn first_phase(&self) -> Result<SeedPhase, GuardError> {
        match self.goal {
            SeedGoal::Submit | SeedGoal::Run if self.execution.is_none() => {
                Err(GuardError::Config("no payload to submit".to_owned()))
            }
            SeedGoal::Submit | SeedGoal::Run => Ok(SeedPhase::Submitting),
            SeedGoal::Wait => Ok(SeedPhase::Polling),
            SeedGoal::Results => Ok(SeedPhase::Fetching),
        }
    }

    fn call(&self, phase: SeedPhase) -> Call {
        match phase {
            SeedPhase::Submitting => Call::SubmitExecution,
            SeedPhase::Polling => Call::ExecutionStatus,
            SeedPhase::Fetching => Call::ExecutionResults,
        }
    }

    fn polls(&self, phase: SeedPhase) -> bool {
        phase == SeedPhase::Polling
    }

    fn on_success(&mut self, phase: SeedPhase, answer: Answer<'_>, mut ctx: Ctx<'_>) -> SeedNext {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        match phase {
            SeedPhase::Submitting => match parse_submit(status, headers, body) {
                Ok(id) => {
                    self.execution_id = Some(id);
                    self.note(Phase::Submitted, &mut ctx);
                    if self.goal == SeedGoal::Submit {
                        return Next::Done(self.outcome(None, &ctx));
                    }
                    Next::EnterLater(SeedPhase::Polling)
                }
                Err(error) => Next::Done(Err(error)),
            },
            SeedPhase::Polling => match parse_status(status, headers, body) {
                Ok(state) => {
                    ctx.pacing.answered();
                    let terminal = state.is_terminal();
                    self.last = Some(state);
                    self.note(Phase::Polling, &mut ctx);
                    if !terminal {
                        return Next::WaitToPoll;
                    }
                    if self.goal == SeedGoal::Wait {
                        return Next::Done(self.outcome(None, &ctx));
                    }
                    self.note(Phase::Results, &mut ctx);
                    Next::Enter(SeedPhase::Fetching)
                }
                Err(error) => Next::Retry(error),
            },
            SeedPhase::Fetching => match parse_json_answer(status, headers, body) {
                Ok(results @ Value::Object(_)) => Next::Done(self.outcome(Some(results), &ctx)),
                Ok(_) => Next::Retry(GuardError::BadResponse(
                    "results: expected a JSON object".to_owned(),
                )),
                Err(error) => Next::Retry(error),
            },
        }
    }

    fn refused(&mut self, phase: SeedPhase, error: GuardError, ctx: Ctx<'_>) -> SeedNext {
        match phase {
            SeedPhase::Fetching => self.results_refused(error, &ctx),
            _ => Next::Stop(error),
        }
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let credentials = require(credentials)?;
        let id = || {
            self.execution_id
                .as_deref()
                .ok_or_else(|| GuardError::Config("the execution id is unknown".to_owned()))
        };
        match call {
            Call::SubmitExecution => {
                let execution = self
                    .execution
                    .as_ref()
                    .ok_or_else(|| GuardError::Config("no payload to submit".to_owned()))?;
                submit_execution(&self.base, credentials, execution)?
                    .idempotent(&self.idempotency_key)
            }
            Call::ExecutionStatus => execution_status(&self.base, credentials, id()?),
            Call::ExecutionResults => execution_results(&self.base, credentials, id()?),
            other => Err(GuardError::Config(format!(
                "a seed-v1 run does not send {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
