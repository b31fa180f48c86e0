//! The seed-v1 execution: submit (with an `Idempotency-Key`, so a retried submit never starts a
//! second execution), poll the status until `completed`, `failed` or `timeout`, read the results.
//!
//! The same machine serves the single steps of the JS API (`submit`, `waitForCompletion`,
//! `fetchResults`) through its [`SeedGoal`].

use super::poll::{Pacing, RunClock, Timing, SEED_DEADLINE_MARGIN_MS};
use super::reply::{classify, with_attempts, Verdict};
use super::{already_finished, fail, require, Call, Input, Machine, Phase, ProgressEvent, Step};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeedPhase {
    Submitting,
    Polling,
    Fetching,
    Finished,
}

/// The seed-v1 state machine (see the module documentation).
#[derive(Debug, Clone)]
pub struct SeedRun {
    base: BaseUrl,
    execution: Option<TestExecution>,
    idempotency_key: String,
    execution_id: Option<String>,
    goal: SeedGoal,
    phase: SeedPhase,
    pacing: Pacing,
    last: Option<ExecutionStatus>,
    progress: Vec<ProgressEvent>,
}

impl SeedRun {
    /// Submits `execution` (a validated payload), waits for it and reads its results. The
    /// default deadline is the execution's own timeout plus [`SEED_DEADLINE_MARGIN_MS`].
    pub fn run(
        base: BaseUrl,
        execution: TestExecution,
        idempotency_key: String,
        timing: Timing,
    ) -> Self {
        Self::with_payload(base, execution, idempotency_key, timing, SeedGoal::Run)
    }

    /// Submits `execution` only.
    pub fn submit(
        base: BaseUrl,
        execution: TestExecution,
        idempotency_key: String,
        timing: Timing,
    ) -> Self {
        Self::with_payload(base, execution, idempotency_key, timing, SeedGoal::Submit)
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
        let mut run = Self::new(base, None, String::new(), timing, goal, default);
        run.execution_id = Some(execution_id);
        run
    }

    fn with_payload(
        base: BaseUrl,
        execution: TestExecution,
        idempotency_key: String,
        timing: Timing,
        goal: SeedGoal,
    ) -> Self {
        let default = u64::from(execution.execution_timeout_seconds)
            .saturating_mul(1000)
            .saturating_add(SEED_DEADLINE_MARGIN_MS);
        Self::new(
            base,
            Some(execution),
            idempotency_key,
            timing,
            goal,
            default,
        )
    }

    fn new(
        base: BaseUrl,
        execution: Option<TestExecution>,
        idempotency_key: String,
        timing: Timing,
        goal: SeedGoal,
        default_deadline_ms: u64,
    ) -> Self {
        let deadline = timing.deadline_or(default_deadline_ms);
        SeedRun {
            base,
            execution,
            idempotency_key,
            execution_id: None,
            goal,
            phase: SeedPhase::Submitting,
            pacing: Pacing::new(timing, deadline),
            last: None,
            progress: Vec::new(),
        }
    }

    /// The run's clock (start and deadline).
    pub fn clock(&self) -> &RunClock {
        self.pacing.clock()
    }

    fn call(&self) -> Call {
        match self.phase {
            SeedPhase::Submitting => Call::SubmitExecution,
            SeedPhase::Polling => Call::ExecutionStatus,
            SeedPhase::Fetching | SeedPhase::Finished => Call::ExecutionResults,
        }
    }

    fn send(&mut self, now: f64) -> Step<SeedOutcome> {
        let call = self.call();
        match self.pacing.send(now, call == Call::ExecutionStatus) {
            Ok(timeout_ms) => Step::Send { call, timeout_ms },
            Err(error) => self.finish(Err(error)),
        }
    }

    fn enter(&mut self, phase: SeedPhase) {
        self.phase = phase;
        self.pacing.enter_phase();
    }

    fn finish(&mut self, result: Result<SeedOutcome, GuardError>) -> Step<SeedOutcome> {
        self.phase = SeedPhase::Finished;
        Step::Done(result)
    }

    fn outcome(&self, results: Option<Value>) -> Result<SeedOutcome, GuardError> {
        let execution_id = self
            .execution_id
            .clone()
            .ok_or_else(|| GuardError::BadResponse("the execution id is unknown".to_owned()))?;
        Ok(SeedOutcome {
            execution_id,
            status: self.last.clone(),
            polls: self.pacing.polls(),
            results,
            started_ms: self.pacing.clock().started_ms(),
            submitted: self
                .execution
                .as_ref()
                .map(|e| e.test_cases.clone())
                .unwrap_or_default(),
            suite_id: self.execution.as_ref().map(|e| e.suite_id.clone()),
        })
    }

    fn note(&mut self, phase: Phase, now: f64) {
        let status = self.last.as_ref();
        self.progress.push(ProgressEvent {
            phase,
            polls: self.pacing.polls(),
            status: status.map_or("queued", |s| s.status.as_str()).to_owned(),
            elapsed_ms: self.pacing.clock().elapsed(now),
            completed: status.and_then(|s| s.progress).map(|p| p.completed),
            total: status
                .and_then(|s| s.progress)
                .map(|p| p.total)
                .or_else(|| self.execution.as_ref().map(|e| e.test_cases.len() as u64)),
        });
    }

    /// Sleeps until the next poll.
    fn wait_to_poll(&mut self, now: f64, random: f64) -> Step<SeedOutcome> {
        Step::Sleep {
            ms: self.pacing.poll_wait(now, random),
        }
    }

    fn retry(
        &mut self,
        error: GuardError,
        retry_after_ms: Option<u64>,
        now: f64,
        random: f64,
    ) -> Step<SeedOutcome> {
        let polling = self.phase == SeedPhase::Polling;
        match self
            .pacing
            .retry_wait(polling, error, retry_after_ms, now, random)
        {
            Ok(ms) => Step::Sleep { ms },
            Err(error) => self.finish(Err(error)),
        }
    }

    fn on_success(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &str,
        now: f64,
        random: f64,
    ) -> Step<SeedOutcome> {
        match self.phase {
            SeedPhase::Submitting => match parse_submit(status, headers, body) {
                Ok(id) => {
                    self.execution_id = Some(id);
                    self.note(Phase::Submitted, now);
                    if self.goal == SeedGoal::Submit {
                        let outcome = self.outcome(None);
                        return self.finish(outcome);
                    }
                    self.enter(SeedPhase::Polling);
                    self.wait_to_poll(now, random)
                }
                Err(error) => self.finish(Err(error)),
            },
            SeedPhase::Polling => match parse_status(status, headers, body) {
                Ok(state) => {
                    self.pacing.answered();
                    let terminal = state.is_terminal();
                    self.last = Some(state);
                    self.note(Phase::Polling, now);
                    if !terminal {
                        return self.wait_to_poll(now, random);
                    }
                    if self.goal == SeedGoal::Wait {
                        let outcome = self.outcome(None);
                        return self.finish(outcome);
                    }
                    self.enter(SeedPhase::Fetching);
                    self.note(Phase::Results, now);
                    self.send(now)
                }
                Err(error) => self.retry(error, None, now, random),
            },
            SeedPhase::Fetching => match parse_json_answer(status, headers, body) {
                Ok(results @ Value::Object(_)) => {
                    let outcome = self.outcome(Some(results));
                    self.finish(outcome)
                }
                Ok(_) => self.retry(
                    GuardError::BadResponse("results: expected a JSON object".to_owned()),
                    None,
                    now,
                    random,
                ),
                Err(error) => self.retry(error, None, now, random),
            },
            SeedPhase::Finished => fail(already_finished()),
        }
    }

    /// A results answer that is not 2xx: 409 means "not finished yet" while a run waits for it;
    /// after `failed` or `timeout` an unreadable result is an empty one (the status says why).
    fn results_refused(
        &mut self,
        error: GuardError,
        status: Option<u16>,
        now: f64,
        random: f64,
    ) -> Step<SeedOutcome> {
        if status == Some(409) && self.goal == SeedGoal::Run {
            return self.retry(error, None, now, random);
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
            let outcome = self.outcome(Some(empty));
            return self.finish(outcome);
        }
        self.finish(Err(with_attempts(error, self.pacing.attempts())))
    }
}

fn status_of(error: &GuardError) -> Option<u16> {
    match error {
        GuardError::Http { status, .. } => Some(*status),
        GuardError::Auth { status, .. } => *status,
        _ => None,
    }
}

impl Machine for SeedRun {
    type Output = SeedOutcome;

    fn start(&mut self, now: f64) -> Step<SeedOutcome> {
        self.pacing.start(now);
        self.phase = match self.goal {
            SeedGoal::Submit | SeedGoal::Run => SeedPhase::Submitting,
            SeedGoal::Wait => SeedPhase::Polling,
            SeedGoal::Results => SeedPhase::Fetching,
        };
        if self.phase == SeedPhase::Submitting && self.execution.is_none() {
            return self.finish(Err(GuardError::Config("no payload to submit".to_owned())));
        }
        self.send(now)
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<SeedOutcome> {
        if self.phase == SeedPhase::Finished {
            return fail(already_finished());
        }
        match classify(input, now) {
            Verdict::Success {
                status,
                headers,
                body,
            } => self.on_success(status, &headers, &body, now, random),
            Verdict::Transient {
                error,
                retry_after_ms,
            } => self.retry(error, retry_after_ms, now, random),
            Verdict::Fatal(error) => {
                if self.phase == SeedPhase::Fetching {
                    let status = status_of(&error);
                    return self.results_refused(error, status, now, random);
                }
                self.finish(Err(with_attempts(error, self.pacing.attempts())))
            }
        }
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<SeedOutcome> {
        if self.phase == SeedPhase::Finished {
            return fail(already_finished());
        }
        self.send(now)
    }

    fn cancel(&mut self, _now: f64) -> Step<SeedOutcome> {
        // seed-v1 has no cancel endpoint: stop polling.
        self.finish(Err(GuardError::Cancelled))
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

    fn deadline_at(&self) -> f64 {
        self.pacing.clock().deadline_at()
    }

    fn take_progress(&mut self) -> Vec<ProgressEvent> {
        std::mem::take(&mut self.progress)
    }
}

#[cfg(test)]
mod tests;
