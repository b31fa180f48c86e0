//! A cognigy-v2 playbook run: schedule the playbook, poll its task until `done`, `error` or
//! `cancelled` (its `playbookRunId` may appear only after a few polls), read the run, then the
//! flow's intents for coverage (up to 100 a page, following each page's `nextCursor` until it is
//! null or `total` intents were read, at most [`MAX_INTENT_PAGES`] pages). Cancelling (or running
//! out of time) while the task is still going calls the task's cancel endpoint.

use super::poll::{Timing, DEFAULT_PLAYBOOK_DEADLINE_MS};
use super::poller::{Answer, Ctx, Dialect, Next, Poller};
use super::{require, Call, Phase, ProgressEvent};
use crate::error::GuardError;
use crate::profile::cognigy_v2::{
    cancel_task, flow_intents, parse_intents_page, parse_task, playbook_run, schedule_playbook,
    task, IntentsPage, Task, TaskState, MAX_PAGE_LIMIT,
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

/// The phases of a playbook run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybookPhase {
    /// `POST .../schedule`.
    Scheduling,
    /// `GET /tasks/{id}` until terminal.
    Polling,
    /// `GET .../runs/{runId}`.
    ReadingRun,
    /// `GET /flows/{flowId}/intents`, page by page.
    ReadingIntents,
}

/// The cognigy-v2 playbook dialect of the run skeleton ([`Poller`]).
#[derive(Debug, Clone)]
pub struct PlaybookDialect {
    base: BaseUrl,
    spec: PlaybookSpec,
    want_intents: bool,
    task: Option<Task>,
    run_id: Option<String>,
    runless_done_polls: u32,
    run: Option<Value>,
    intents: Vec<String>,
    intent_pages: u32,
    intents_next: Option<String>,
}

/// The cognigy-v2 playbook state machine (see the module documentation).
pub type PlaybookRun = Poller<PlaybookDialect>;

impl Poller<PlaybookDialect> {
    /// A run of `spec`; `want_intents` reads the flow's intents after the run (skip it when the
    /// caller gave `knownIntents`). The default deadline is [`DEFAULT_PLAYBOOK_DEADLINE_MS`].
    pub fn new(base: BaseUrl, spec: PlaybookSpec, want_intents: bool, timing: Timing) -> Self {
        let dialect = PlaybookDialect {
            base,
            spec,
            want_intents,
            task: None,
            run_id: None,
            runless_done_polls: 0,
            run: None,
            intents: Vec::new(),
            intent_pages: 0,
            intents_next: None,
        };
        Poller::from_dialect(
            dialect,
            timing,
            timing.deadline_or(DEFAULT_PLAYBOOK_DEADLINE_MS),
        )
    }
}

type PlaybookNext = Next<PlaybookPhase, PlaybookOutcome>;

impl PlaybookDialect {
    fn complete(&mut self, intents: Option<Vec<String>>, ctx: &Ctx<'_>) -> PlaybookNext {
        let Some(task) = self.task.clone() else {
            return Next::Done(Err(GuardError::BadResponse(
                "the task is unknown".to_owned(),
            )));
        };
        let run = self
            .run
            .take()
            .unwrap_or_else(|| json!({ "status": task.status.as_str(), "stepResults": [] }));
        Next::Done(Ok(PlaybookOutcome {
            task_id: task.id,
            run_id: self.run_id.clone(),
            status: task.status.as_str().to_owned(),
            fail_reason: task.fail_reason,
            run,
            intents,
            polls: ctx.pacing.polls(),
            started_ms: ctx.pacing.clock().started_ms(),
            suite_id: self
                .spec
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| self.spec.playbook_id.clone()),
            total_steps: task.total_step,
        }))
    }

    fn note(&self, phase: Phase, ctx: &mut Ctx<'_>) {
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
        ctx.progress.push(ProgressEvent {
            phase,
            polls: ctx.pacing.polls(),
            status: self
                .task
                .as_ref()
                .map_or("queued", |t| t.status.as_str())
                .to_owned(),
            elapsed_ms: ctx.pacing.clock().elapsed(ctx.now),
            completed,
            total,
        });
    }

    fn after_task(&mut self, answer: Task, ctx: &mut Ctx<'_>) -> PlaybookNext {
        ctx.pacing.answered();
        if let Some(run_id) = &answer.playbook_run_id {
            self.run_id = Some(run_id.clone());
        }
        let state = answer.status.clone();
        self.task = Some(answer);
        self.note(Phase::Polling, ctx);
        match state {
            TaskState::Done if self.run_id.is_none() => {
                self.runless_done_polls = self.runless_done_polls.saturating_add(1);
                if self.runless_done_polls > MAX_RUNLESS_DONE_POLLS {
                    return Next::Done(Err(GuardError::BadResponse(
                        "the task is done but reports no playbookRunId".to_owned(),
                    )));
                }
                Next::WaitToPoll
            }
            TaskState::Done | TaskState::Error | TaskState::Cancelled => {
                if self.run_id.is_some() {
                    Next::Enter(PlaybookPhase::ReadingRun)
                } else {
                    self.complete(None, ctx)
                }
            }
            _ => Next::WaitToPoll,
        }
    }

    fn run_read(&mut self, run: Value, mut ctx: Ctx<'_>) -> PlaybookNext {
        let running = run.get("status").and_then(Value::as_str) == Some("running")
            && self
                .task
                .as_ref()
                .is_some_and(|t| t.status == TaskState::Done);
        if running {
            return Next::Retry(GuardError::BadResponse(
                "the run is still running".to_owned(),
            ));
        }
        self.run = Some(run);
        self.note(Phase::Results, &mut ctx);
        if self.want_intents {
            return Next::Enter(PlaybookPhase::ReadingIntents);
        }
        self.complete(None, &ctx)
    }

    fn intents_read(&mut self, page: IntentsPage, ctx: Ctx<'_>) -> PlaybookNext {
        ctx.pacing.answered();
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
            return Next::SendAgain;
        }
        let intents = std::mem::take(&mut self.intents);
        self.complete(Some(intents), &ctx)
    }
}

impl Dialect for PlaybookDialect {
    type Phase = PlaybookPhase;
    type Output = PlaybookOutcome;

    fn first_phase(&self) -> Result<PlaybookPhase, GuardError> {
        Ok(PlaybookPhase::Scheduling)
    }

    fn call(&self, phase: PlaybookPhase) -> Call {
        match phase {
            PlaybookPhase::Scheduling => Call::SchedulePlaybook,
            PlaybookPhase::Polling => Call::Task,
            PlaybookPhase::ReadingRun => Call::PlaybookRun,
            PlaybookPhase::ReadingIntents => Call::FlowIntents,
        }
    }

    fn polls(&self, phase: PlaybookPhase) -> bool {
        phase == PlaybookPhase::Polling
    }

    fn on_success(
        &mut self,
        phase: PlaybookPhase,
        answer: Answer<'_>,
        mut ctx: Ctx<'_>,
    ) -> PlaybookNext {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        match phase {
            PlaybookPhase::Scheduling => match parse_task(status, headers, body) {
                Ok(answer) => {
                    let terminal = answer.is_terminal();
                    self.task = Some(answer);
                    self.note(Phase::Submitted, &mut ctx);
                    if terminal {
                        return Next::Enter(PlaybookPhase::Polling);
                    }
                    Next::EnterLater(PlaybookPhase::Polling)
                }
                Err(error) => Next::Done(Err(error)),
            },
            PlaybookPhase::Polling => match parse_task(status, headers, body) {
                Ok(answer) => self.after_task(answer, &mut ctx),
                Err(error) => Next::Retry(error),
            },
            PlaybookPhase::ReadingRun => match parse_json_answer(status, headers, body) {
                Ok(run @ Value::Object(_)) => self.run_read(run, ctx),
                Ok(_) => Next::Retry(GuardError::BadResponse(
                    "playbook run: expected a JSON object".to_owned(),
                )),
                Err(error) => Next::Retry(error),
            },
            PlaybookPhase::ReadingIntents => match parse_intents_page(status, headers, body) {
                Ok(page) => self.intents_read(page, ctx),
                Err(error) => Next::Retry(error),
            },
        }
    }

    /// A schedule that failed in transit may have started a run: only a 429 (refused outright)
    /// is retried.
    fn retries(&self, phase: PlaybookPhase, error: &GuardError) -> bool {
        phase != PlaybookPhase::Scheduling || matches!(error, GuardError::RateLimited { .. })
    }

    fn refused(&mut self, phase: PlaybookPhase, error: GuardError, ctx: Ctx<'_>) -> PlaybookNext {
        match (phase, error) {
            (PlaybookPhase::Scheduling, error) => Next::Done(Err(error)),
            // Intents only refine the coverage: without them the report is still complete.
            (PlaybookPhase::ReadingIntents, error) if error != GuardError::Cancelled => {
                self.complete(None, &ctx)
            }
            (_, error) => Next::Stop(error),
        }
    }

    fn exhausted(&mut self, phase: PlaybookPhase, error: GuardError, ctx: Ctx<'_>) -> PlaybookNext {
        if phase == PlaybookPhase::ReadingIntents {
            return self.complete(None, &ctx);
        }
        Next::Stop(error)
    }

    fn clean_up(&self) -> Option<Call> {
        self.task
            .as_ref()
            .filter(|t| !t.is_terminal())
            .map(|_| Call::CancelTask)
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
}

/// The cursor to read the next page of a list with, or `None` when the list was read: after a page
/// of `got` items (`read` in all so far), more follow only when the server gave a `next` cursor, the
/// page was not empty, fewer than `total` items were read (when the server said), and the cursor is
/// not the one this page was asked with (a server repeating it would loop).
pub(crate) fn next_page_cursor(
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
