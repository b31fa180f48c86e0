//! A cognigy-v2 playbook run: schedule the playbook, poll its task until `done`, `error` or
//! `cancelled` (its `playbookRunId` may appear only after a few polls), read the run, then the
//! flow's intents for coverage (up to 100 a page, following each page's `nextCursor` until it is
//! null or `total` intents were read, at most [`MAX_INTENT_PAGES`] pages). Cancelling (or running
//! out of time) while the task is still going calls the task's cancel endpoint.

use super::poll::{Pacing, RunClock, Timing, CANCEL_TIMEOUT_MS, DEFAULT_PLAYBOOK_DEADLINE_MS};
use super::reply::{classify, with_attempts, Verdict};
use super::{already_finished, fail, require, Call, Input, Machine, Phase, ProgressEvent, Step};
use crate::error::GuardError;
use crate::profile::cognigy_v2::{
    cancel_task, flow_intents, parse_intents_page, parse_task, playbook_run, schedule_playbook,
    task, Task, TaskState, MAX_PAGE_LIMIT,
};
use crate::profile::{parse_json_answer, BaseUrl, Credentials, HttpRequest};
use serde::Deserialize;
use serde_json::{json, Value};

/// Polls of a `done` task without `data.playbookRunId` tolerated before the run fails.
pub const MAX_RUNLESS_DONE_POLLS: u32 = 3;
/// Most intent pages read (up to 100 intents each).
pub const MAX_INTENT_PAGES: u32 = 50;

/// Which playbook to run, where (`{ playbookId, entrypoint, flowId, localeId, name? }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybookSpec {
    /// The playbook.
    pub playbook_id: String,
    /// The endpoint the playbook talks to.
    pub entrypoint: String,
    /// The flow under test (its intents give the coverage).
    pub flow_id: String,
    /// The locale.
    pub locale_id: String,
    /// The playbook's name, when the caller knows it: the report's `suiteId` (else the id).
    #[serde(default)]
    pub name: Option<String>,
}

impl PlaybookSpec {
    /// Reads the spec from untrusted JSON; every field must be a non-empty string.
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        let spec = PlaybookSpec::deserialize(value).map_err(|e| {
            GuardError::Config(format!(
                "runPlaybook needs {{ playbookId, entrypoint, flowId, localeId }} as strings \
                 (and an optional name): {e}"
            ))
        })?;
        for (name, value) in [
            ("playbookId", &spec.playbook_id),
            ("entrypoint", &spec.entrypoint),
            ("flowId", &spec.flow_id),
            ("localeId", &spec.locale_id),
        ] {
            if value.is_empty() {
                return Err(GuardError::Config(format!("{name} must not be empty")));
            }
        }
        Ok(spec)
    }
}

/// What a [`PlaybookRun`] learned.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookOutcome {
    /// The task id.
    pub task_id: String,
    /// The playbook run id, when the platform reported one.
    pub run_id: Option<String>,
    /// The task's final state: `done`, `error` or `cancelled`.
    pub status: String,
    /// The task's `failReason`, when it failed.
    pub fail_reason: Option<String>,
    /// The raw run (`{ status, stepResults }`); `{ stepResults: [] }` when there is no run.
    pub run: Value,
    /// The flow's intent names, when they were read.
    pub intents: Option<Vec<String>>,
    /// Task polls made.
    pub polls: u32,
    /// When the machine started (epoch ms).
    pub started_ms: f64,
    /// The playbook's name when the spec gave one, else its id.
    pub suite_id: String,
    /// The task's `totalStep`, when the platform reported it.
    pub total_steps: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlaybookPhase {
    Scheduling,
    Polling,
    ReadingRun,
    ReadingIntents,
    Cancelling,
    Finished,
}

/// The cognigy-v2 playbook state machine (see the module documentation).
#[derive(Debug, Clone)]
pub struct PlaybookRun {
    base: BaseUrl,
    spec: PlaybookSpec,
    want_intents: bool,
    phase: PlaybookPhase,
    pacing: Pacing,
    task: Option<Task>,
    run_id: Option<String>,
    runless_done_polls: u32,
    run: Option<Value>,
    intents: Vec<String>,
    intent_pages: u32,
    intents_next: Option<String>,
    cancel_reason: Option<GuardError>,
    progress: Vec<ProgressEvent>,
}

impl PlaybookRun {
    /// A run of `spec`; `want_intents` reads the flow's intents after the run (skip it when the
    /// caller gave `knownIntents`). The default deadline is [`DEFAULT_PLAYBOOK_DEADLINE_MS`].
    pub fn new(base: BaseUrl, spec: PlaybookSpec, want_intents: bool, timing: Timing) -> Self {
        PlaybookRun {
            base,
            spec,
            want_intents,
            phase: PlaybookPhase::Scheduling,
            pacing: Pacing::new(timing, timing.deadline_or(DEFAULT_PLAYBOOK_DEADLINE_MS)),
            task: None,
            run_id: None,
            runless_done_polls: 0,
            run: None,
            intents: Vec::new(),
            intent_pages: 0,
            intents_next: None,
            cancel_reason: None,
            progress: Vec::new(),
        }
    }

    /// The run's clock (start and deadline).
    pub fn clock(&self) -> &RunClock {
        self.pacing.clock()
    }

    fn call(&self) -> Call {
        match self.phase {
            PlaybookPhase::Scheduling => Call::SchedulePlaybook,
            PlaybookPhase::Polling => Call::Task,
            PlaybookPhase::ReadingRun => Call::PlaybookRun,
            PlaybookPhase::ReadingIntents => Call::FlowIntents,
            PlaybookPhase::Cancelling | PlaybookPhase::Finished => Call::CancelTask,
        }
    }

    fn task_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_terminal())
    }

    fn send(&mut self, now: f64) -> Step<PlaybookOutcome> {
        let call = self.call();
        match self.pacing.send(now, call == Call::Task) {
            Ok(timeout_ms) => Step::Send { call, timeout_ms },
            Err(error) => self.stop(error),
        }
    }

    /// Ends with `error`, cancelling the task first when it is still going.
    fn stop(&mut self, error: GuardError) -> Step<PlaybookOutcome> {
        if self.task_running() && self.phase != PlaybookPhase::Cancelling {
            self.phase = PlaybookPhase::Cancelling;
            self.cancel_reason = Some(error);
            return Step::Send {
                call: Call::CancelTask,
                timeout_ms: CANCEL_TIMEOUT_MS,
            };
        }
        self.finish(Err(error))
    }

    fn enter(&mut self, phase: PlaybookPhase) {
        self.phase = phase;
        self.pacing.enter_phase();
    }

    fn finish(&mut self, result: Result<PlaybookOutcome, GuardError>) -> Step<PlaybookOutcome> {
        self.phase = PlaybookPhase::Finished;
        Step::Done(result)
    }

    fn complete(&mut self, intents: Option<Vec<String>>) -> Step<PlaybookOutcome> {
        let Some(task) = self.task.clone() else {
            return self.finish(Err(GuardError::BadResponse(
                "the task is unknown".to_owned(),
            )));
        };
        let run = self
            .run
            .take()
            .unwrap_or_else(|| json!({ "status": task.status.as_str(), "stepResults": [] }));
        self.finish(Ok(PlaybookOutcome {
            task_id: task.id,
            run_id: self.run_id.clone(),
            status: task.status.as_str().to_owned(),
            fail_reason: task.fail_reason,
            run,
            intents,
            polls: self.pacing.polls(),
            started_ms: self.pacing.clock().started_ms(),
            suite_id: self
                .spec
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| self.spec.playbook_id.clone()),
            total_steps: task.total_step,
        }))
    }

    fn note(&mut self, phase: Phase, now: f64) {
        let steps_run = self
            .run
            .as_ref()
            .and_then(|run| run.get("stepResults"))
            .and_then(Value::as_array)
            .map(|steps| steps.len() as u64);
        // While polling, the task's own step counts (when it reports them) tell how far it got.
        let task_steps = self
            .task
            .as_ref()
            .filter(|_| phase == Phase::Polling)
            .and_then(|t| t.current_step.zip(t.total_step));
        let (completed, total) = match task_steps {
            Some((current, total)) => (Some(current), Some(total)),
            None => (steps_run, steps_run.filter(|_| phase == Phase::Done)),
        };
        self.progress.push(ProgressEvent {
            phase,
            polls: self.pacing.polls(),
            status: self
                .task
                .as_ref()
                .map_or("queued", |t| t.status.as_str())
                .to_owned(),
            elapsed_ms: self.pacing.clock().elapsed(now),
            completed,
            total,
        });
    }

    fn wait_to_poll(&mut self, now: f64, random: f64) -> Step<PlaybookOutcome> {
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
    ) -> Step<PlaybookOutcome> {
        let polling = self.phase == PlaybookPhase::Polling;
        match self
            .pacing
            .retry_wait(polling, error, retry_after_ms, now, random)
        {
            Ok(ms) => Step::Sleep { ms },
            // Intents only refine the coverage: without them the report is still complete.
            Err(_) if self.phase == PlaybookPhase::ReadingIntents => self.complete(None),
            Err(error) => self.stop(error),
        }
    }

    fn after_task(&mut self, answer: Task, now: f64, random: f64) -> Step<PlaybookOutcome> {
        self.pacing.answered();
        if let Some(run_id) = &answer.playbook_run_id {
            self.run_id = Some(run_id.clone());
        }
        let state = answer.status.clone();
        self.task = Some(answer);
        self.note(Phase::Polling, now);
        match state {
            TaskState::Done if self.run_id.is_none() => {
                self.runless_done_polls = self.runless_done_polls.saturating_add(1);
                if self.runless_done_polls > MAX_RUNLESS_DONE_POLLS {
                    return self.finish(Err(GuardError::BadResponse(
                        "the task is done but reports no playbookRunId".to_owned(),
                    )));
                }
                self.wait_to_poll(now, random)
            }
            TaskState::Done | TaskState::Error | TaskState::Cancelled => {
                if self.run_id.is_some() {
                    self.enter(PlaybookPhase::ReadingRun);
                    self.send(now)
                } else {
                    self.complete(None)
                }
            }
            _ => self.wait_to_poll(now, random),
        }
    }

    fn on_success(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &str,
        now: f64,
        random: f64,
    ) -> Step<PlaybookOutcome> {
        match self.phase {
            PlaybookPhase::Scheduling => match parse_task(status, headers, body) {
                Ok(answer) => {
                    let terminal = answer.is_terminal();
                    self.task = Some(answer);
                    self.note(Phase::Submitted, now);
                    self.enter(PlaybookPhase::Polling);
                    if terminal {
                        return self.send(now);
                    }
                    self.wait_to_poll(now, random)
                }
                Err(error) => self.finish(Err(error)),
            },
            PlaybookPhase::Polling => match parse_task(status, headers, body) {
                Ok(answer) => self.after_task(answer, now, random),
                Err(error) => self.retry(error, None, now, random),
            },
            PlaybookPhase::ReadingRun => match parse_json_answer(status, headers, body) {
                Ok(run @ Value::Object(_)) => {
                    let running = run.get("status").and_then(Value::as_str) == Some("running")
                        && self
                            .task
                            .as_ref()
                            .is_some_and(|t| t.status == TaskState::Done);
                    if running {
                        return self.retry(
                            GuardError::BadResponse("the run is still running".to_owned()),
                            None,
                            now,
                            random,
                        );
                    }
                    self.run = Some(run);
                    self.note(Phase::Results, now);
                    if self.want_intents {
                        self.enter(PlaybookPhase::ReadingIntents);
                        return self.send(now);
                    }
                    self.complete(None)
                }
                Ok(_) => self.retry(
                    GuardError::BadResponse("playbook run: expected a JSON object".to_owned()),
                    None,
                    now,
                    random,
                ),
                Err(error) => self.retry(error, None, now, random),
            },
            PlaybookPhase::ReadingIntents => match parse_intents_page(status, headers, body) {
                Ok(page) => {
                    self.pacing.answered();
                    let got = page.items.len();
                    self.intents.extend(page.items);
                    self.intent_pages = self.intent_pages.saturating_add(1);
                    let next = next_page_cursor(
                        got,
                        self.intents.len(),
                        page.total,
                        page.next_cursor,
                        self.intents_next.as_deref(),
                    )
                    .filter(|_| self.intent_pages < MAX_INTENT_PAGES);
                    if next.is_some() {
                        self.intents_next = next;
                        return self.send(now);
                    }
                    let intents = std::mem::take(&mut self.intents);
                    self.complete(Some(intents))
                }
                Err(error) => self.retry(error, None, now, random),
            },
            PlaybookPhase::Cancelling | PlaybookPhase::Finished => self.cancelled(),
        }
    }

    fn cancelled(&mut self) -> Step<PlaybookOutcome> {
        let reason = self.cancel_reason.take().unwrap_or(GuardError::Cancelled);
        self.finish(Err(reason))
    }
}

impl Machine for PlaybookRun {
    type Output = PlaybookOutcome;

    fn start(&mut self, now: f64) -> Step<PlaybookOutcome> {
        self.pacing.start(now);
        self.enter(PlaybookPhase::Scheduling);
        self.send(now)
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<PlaybookOutcome> {
        match self.phase {
            PlaybookPhase::Finished => return fail(already_finished()),
            // Whatever the cancel request got, the run ends with the reason it was cancelled for.
            PlaybookPhase::Cancelling => return self.cancelled(),
            _ => {}
        }
        match classify(input, now) {
            Verdict::Success {
                status,
                headers,
                body,
            } => self.on_success(status, &headers, &body, now, random),
            // A schedule that failed in transit may have started a run: only a 429 (refused
            // outright) is retried.
            Verdict::Transient { error, .. }
                if self.phase == PlaybookPhase::Scheduling
                    && !matches!(error, GuardError::RateLimited { .. }) =>
            {
                self.finish(Err(with_attempts(error, self.pacing.attempts())))
            }
            Verdict::Transient {
                error,
                retry_after_ms,
            } => self.retry(error, retry_after_ms, now, random),
            Verdict::Fatal(GuardError::Cancelled) => self.stop(GuardError::Cancelled),
            Verdict::Fatal(_) if self.phase == PlaybookPhase::ReadingIntents => self.complete(None),
            Verdict::Fatal(error) => {
                let error = with_attempts(error, self.pacing.attempts());
                self.stop(error)
            }
        }
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<PlaybookOutcome> {
        match self.phase {
            PlaybookPhase::Finished => fail(already_finished()),
            PlaybookPhase::Cancelling => self.cancelled(),
            _ => self.send(now),
        }
    }

    fn cancel(&mut self, _now: f64) -> Step<PlaybookOutcome> {
        match self.phase {
            PlaybookPhase::Finished => fail(already_finished()),
            PlaybookPhase::Cancelling => Step::Send {
                call: Call::CancelTask,
                timeout_ms: CANCEL_TIMEOUT_MS,
            },
            _ => self.stop(GuardError::Cancelled),
        }
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let credentials = require(credentials)?;
        let task_id = || {
            self.task
                .as_ref()
                .map(|t| t.id.as_str())
                .ok_or_else(|| GuardError::Config("the task id is unknown".to_owned()))
        };
        let spec = &self.spec;
        match call {
            Call::SchedulePlaybook => schedule_playbook(
                &self.base,
                credentials,
                &spec.playbook_id,
                &spec.entrypoint,
                &spec.flow_id,
                &spec.locale_id,
            ),
            Call::Task => task(&self.base, credentials, task_id()?),
            Call::CancelTask => cancel_task(&self.base, credentials, task_id()?),
            Call::PlaybookRun => {
                let run_id = self
                    .run_id
                    .as_deref()
                    .ok_or_else(|| GuardError::Config("the run id is unknown".to_owned()))?;
                playbook_run(&self.base, credentials, &spec.playbook_id, run_id)
            }
            Call::FlowIntents => flow_intents(
                &self.base,
                credentials,
                &spec.flow_id,
                MAX_PAGE_LIMIT,
                self.intents_next.as_deref(),
            ),
            other => Err(GuardError::Config(format!(
                "a playbook run does not send {other:?}"
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

/// The cursor to read the next page of a list with, or `None` when the list was read: after a page
/// of `got` items (`read` in all so far), more follow only when the server gave a `next` cursor, the
/// page was not empty, fewer than `total` items were read (when the server said), and the cursor is
/// not the one this page was asked with (a server repeating it would loop).
fn next_page_cursor(
    got: usize,
    read: usize,
    total: Option<u64>,
    next: Option<String>,
    asked_with: Option<&str>,
) -> Option<String> {
    let all_read = total.is_some_and(|total| read as u64 >= total);
    next.filter(|cursor| got > 0 && !all_read && Some(cursor.as_str()) != asked_with)
}

#[cfg(test)]
mod tests;
