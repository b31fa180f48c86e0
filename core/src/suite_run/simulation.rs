//! A Cognigy Simulator run (`runSimulation`): schedule a batch of runs of a scenario, poll the
//! scenario's batches until this batch is `COMPLETED`, `FAILED` or `STOPPED`, then read its runs
//! page by page (following `pagination.next`, at most [`MAX_RUN_PAGES`] pages). One case per run
//! ([`crate::aggregate::simulation_report`]). The Simulator API has no cancel endpoint: an abort
//! stops polling and rejects `CANCELLED`.

use super::finish::{Collected, IntoReport};
use super::playbook::next_page_cursor;
use super::poll::{Timing, DEFAULT_PLAYBOOK_DEADLINE_MS};
use super::poller::{Answer, Ctx, Dialect, Next, Poller};
use super::{require, Call, Phase, ProgressEvent};
use crate::aggregate::{simulation_report, AggregateOptions, Gate};
use crate::error::GuardError;
use crate::profile::simulator::{
    batch_runs, find_batch, parse_batch, parse_page, schedule_simulation, simulation_batches,
    Batch, SimulationSpec,
};
use crate::profile::{BaseUrl, Credentials, HttpRequest};
use serde_json::Value;

/// Most pages of runs read.
pub const MAX_RUN_PAGES: u32 = 100;

/// The phases of a simulation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulationPhase {
    /// `POST .../schedule`.
    Scheduling,
    /// `GET .../batches` until the batch ended.
    Polling,
    /// `GET .../batches/{batch}/runs`, page by page.
    ReadingRuns,
}

/// What a [`SimulationRun`] learned.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationOutcome {
    /// The batch.
    pub batch: Batch,
    /// Its runs, as the API answered them.
    pub runs: Vec<Value>,
    /// Batch polls made.
    pub polls: u32,
    /// When the run started (epoch ms).
    pub started_ms: f64,
}

/// The Simulator dialect of the run skeleton ([`Poller`]).
#[derive(Debug, Clone)]
pub struct SimulationDialect {
    base: BaseUrl,
    spec: SimulationSpec,
    batch: Option<Batch>,
    runs: Vec<Value>,
    pages: u32,
    next: Option<String>,
}

/// The Simulator state machine (see the module documentation).
pub type SimulationRun = Poller<SimulationDialect>;

impl Poller<SimulationDialect> {
    /// A run of `spec`; the default deadline is the playbook one ([`DEFAULT_PLAYBOOK_DEADLINE_MS`]).
    pub fn new(base: BaseUrl, spec: SimulationSpec, timing: Timing) -> Self {
        let dialect = SimulationDialect {
            base,
            spec,
            batch: None,
            runs: Vec::new(),
            pages: 0,
            next: None,
        };
        Poller::from_dialect(
            dialect,
            timing,
            timing.deadline_or(DEFAULT_PLAYBOOK_DEADLINE_MS),
        )
    }
}

type SimulationNext = Next<SimulationPhase, SimulationOutcome>;

impl SimulationDialect {
    fn note(&self, phase: Phase, ctx: &mut Ctx<'_>) {
        let batch = self.batch.as_ref();
        ctx.progress.push(ProgressEvent {
            phase,
            polls: ctx.pacing.polls(),
            status: batch.map_or("queued", |b| b.status.as_str()).to_owned(),
            elapsed_ms: ctx.pacing.clock().elapsed(ctx.now),
            completed: batch.and_then(|b| b.completed_runs),
            total: batch.and_then(|b| b.runs),
        });
    }

    fn batch_reference(&self) -> Result<&str, GuardError> {
        self.batch
            .as_ref()
            .map(|b| b.reference_id.as_str())
            .ok_or_else(|| GuardError::Config("the batch is unknown".to_owned()))
    }

    fn done(&mut self, ctx: &mut Ctx<'_>) -> SimulationNext {
        self.note(Phase::Done, ctx);
        match self.batch.clone() {
            Some(batch) => Next::Done(Ok(SimulationOutcome {
                batch,
                runs: std::mem::take(&mut self.runs),
                polls: ctx.pacing.polls(),
                started_ms: ctx.pacing.clock().started_ms(),
            })),
            None => Next::Done(Err(GuardError::Config("the batch is unknown".to_owned()))),
        }
    }
}

impl Dialect for SimulationDialect {
    type Phase = SimulationPhase;
    type Output = SimulationOutcome;

    fn first_phase(&self) -> Result<SimulationPhase, GuardError> {
        Ok(SimulationPhase::Scheduling)
    }

    fn call(&self, phase: SimulationPhase) -> Call {
        match phase {
            SimulationPhase::Scheduling => Call::ScheduleSimulation,
            SimulationPhase::Polling => Call::SimulationBatches,
            SimulationPhase::ReadingRuns => Call::SimulationRuns,
        }
    }

    fn polls(&self, phase: SimulationPhase) -> bool {
        phase == SimulationPhase::Polling
    }

    fn on_success(
        &mut self,
        phase: SimulationPhase,
        answer: Answer<'_>,
        mut ctx: Ctx<'_>,
    ) -> SimulationNext {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        match phase {
            SimulationPhase::Scheduling => match parse_batch(status, headers, body) {
                Ok(batch) => {
                    let terminal = batch.is_terminal();
                    self.batch = Some(batch);
                    self.note(Phase::Submitted, &mut ctx);
                    if terminal {
                        Next::Enter(SimulationPhase::ReadingRuns)
                    } else {
                        Next::EnterLater(SimulationPhase::Polling)
                    }
                }
                Err(error) => Next::Done(Err(error)),
            },
            SimulationPhase::Polling => match parse_page(status, headers, body) {
                Ok(page) => {
                    ctx.pacing.answered();
                    let found = self
                        .batch_reference()
                        .ok()
                        .and_then(|reference| find_batch(&page, reference));
                    if let Some(batch) = found {
                        self.batch = Some(batch);
                    }
                    self.note(Phase::Polling, &mut ctx);
                    if self.batch.as_ref().is_some_and(Batch::is_terminal) {
                        Next::Enter(SimulationPhase::ReadingRuns)
                    } else {
                        Next::WaitToPoll
                    }
                }
                Err(error) => Next::Retry(error),
            },
            SimulationPhase::ReadingRuns => match parse_page(status, headers, body) {
                Ok(page) => {
                    ctx.pacing.answered();
                    let got = page.items.len();
                    self.runs.extend(page.items);
                    self.pages = self.pages.saturating_add(1);
                    let next = next_page_cursor(
                        got,
                        self.runs.len(),
                        None,
                        page.next,
                        self.next.as_deref(),
                    )
                    .filter(|_| self.pages < MAX_RUN_PAGES);
                    if next.is_some() {
                        self.next = next;
                        return Next::SendAgain;
                    }
                    self.done(&mut ctx)
                }
                Err(error) => Next::Retry(error),
            },
        }
    }

    /// A schedule that failed in transit may have started a batch: only a 429 is retried.
    fn retries(&self, phase: SimulationPhase, error: &GuardError) -> bool {
        phase != SimulationPhase::Scheduling || matches!(error, GuardError::RateLimited { .. })
    }

    fn refused(
        &mut self,
        phase: SimulationPhase,
        error: GuardError,
        _ctx: Ctx<'_>,
    ) -> SimulationNext {
        match phase {
            SimulationPhase::Scheduling => Next::Done(Err(error)),
            _ => Next::Stop(error),
        }
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let credentials = require(credentials)?;
        match call {
            Call::ScheduleSimulation => schedule_simulation(&self.base, credentials, &self.spec),
            Call::SimulationBatches => simulation_batches(&self.base, credentials, &self.spec),
            Call::SimulationRuns => batch_runs(
                &self.base,
                credentials,
                &self.spec,
                self.batch_reference()?,
                self.next.as_deref(),
            ),
            other => Err(GuardError::Config(format!(
                "a simulation run does not send {other:?}"
            ))),
        }
    }
}

impl IntoReport for SimulationOutcome {
    fn into_report(self, opts: &AggregateOptions) -> Result<Collected, GuardError> {
        let mut report = simulation_report(&self.runs, self.batch.runs, opts);
        let status = self.batch.status.to_lowercase();
        report.execution_id = Some(self.batch.reference_id.clone());
        report.polls = Some(self.polls);
        if status != "completed" {
            report.gate = Gate::Failed;
        }
        report.status = Some(status);
        Ok(Collected {
            report,
            execution_id: self.batch.reference_id,
            started_ms: self.started_ms,
            fail_reason: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite_run::testkit::{drive, drive_until, ok, status, too_many};
    use crate::ErrorCode;
    use serde_json::json;

    fn run() -> SimulationRun {
        let spec = SimulationSpec::from_json(&json!({
            "simulationReferenceId": "sc1", "projectId": "p1", "flowReferenceId": "f1",
            "localeReferenceId": "l1", "numberOfRuns": 3,
        }))
        .unwrap();
        let timing = Timing {
            poll_interval_ms: 100,
            max_poll_interval_ms: 100,
            deadline_ms: Some(60_000),
        };
        SimulationRun::new(
            BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap(),
            spec,
            timing,
        )
    }

    fn batch(status: &str, completed: u64) -> String {
        json!({ "referenceId": "b1", "status": status, "runs": 3, "completedRuns": completed })
            .to_string()
    }

    fn batches(status: &str, completed: u64) -> String {
        json!({ "data": [{ "referenceId": "b0", "status": "COMPLETED" }, serde_json::from_str::<Value>(&batch(status, completed)).unwrap()],
                "pagination": { "next": null } })
        .to_string()
    }

    fn runs(sequences: &[u64], next: Option<&str>) -> String {
        let data: Vec<Value> = sequences
            .iter()
            .map(|s| json!({ "sequence": s, "metrics": { "success": s % 2 == 1, "results": [{ "success": s % 2 == 1, "reason": "r" }] } }))
            .collect();
        json!({ "data": data, "pagination": { "next": next } }).to_string()
    }

    #[test]
    fn schedule_poll_until_the_batch_ends_then_read_every_page() {
        let mut machine = run();
        let (outcome, log) = drive(
            &mut machine,
            0.0,
            vec![
                ok(&batch("IN_PROGRESS", 0)),
                ok(&batches("IN_PROGRESS", 1)),
                status(503),
                ok(&batches("COMPLETED", 3)),
                ok(&runs(&[1, 2], Some("n2"))),
                ok(&runs(&[3], None)),
            ],
        );
        let outcome = outcome.unwrap();
        assert_eq!(outcome.runs.len(), 3);
        assert_eq!(outcome.batch.status, "COMPLETED");
        assert_eq!(log.requests.len(), 6);
        assert!(log.requests[0]
            .url()
            .ends_with("/testing/simulations/sc1/schedule?projectId=p1"));
        assert!(log.requests[5]
            .url()
            .ends_with("/batches/b1/runs?projectId=p1&limit=100&next=n2"));
        assert!(log
            .progress
            .iter()
            .any(|p| p.completed == Some(1) && p.total == Some(3)));
        let report = outcome
            .into_report(&AggregateOptions::default())
            .unwrap()
            .report;
        assert_eq!((report.total, report.passed, report.failed), (3, 2, 1));
        assert_eq!(report.status.as_deref(), Some("completed"));
        assert_eq!(report.execution_id.as_deref(), Some("b1"));
    }

    #[test]
    fn a_failed_batch_fails_the_gate_and_refusals_end_the_run() {
        let (outcome, _) = drive(
            &mut run(),
            0.0,
            vec![ok(&batch("FAILED", 3)), ok(&runs(&[1, 3], None))],
        );
        let report = outcome
            .unwrap()
            .into_report(&AggregateOptions {
                pass_threshold: 0.0,
                ..AggregateOptions::default()
            })
            .unwrap()
            .report;
        assert_eq!((report.gate, report.errored), (Gate::Failed, 1));
        assert_eq!(report.status.as_deref(), Some("failed"));
        let (outcome, log) = drive(&mut run(), 0.0, vec![status(500)]);
        assert_eq!(outcome.unwrap_err().code(), ErrorCode::Http);
        assert_eq!(
            log.requests.len(),
            1,
            "a schedule is not retried after a 5xx"
        );
        let (outcome, log) = drive(&mut run(), 0.0, vec![too_many(1), status(404)]);
        assert_eq!(outcome.unwrap_err().code(), ErrorCode::Http);
        assert_eq!(log.requests.len(), 2);
        let (outcome, _) =
            drive_until(&mut run(), 0.0, vec![ok(&batch("IN_PROGRESS", 0))], Some(1));
        assert_eq!(outcome.unwrap_err().code(), ErrorCode::Cancelled);
    }
}
