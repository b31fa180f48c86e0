//! A whole suite run: the platform machine ([`SeedRun`](super::seed::SeedRun) or
//! [`PlaybookRun`](super::playbook::PlaybookRun)), then aggregation, the CI webhook and the audit
//! record, giving one [`RunReport`].
//!
//! A playbook task that ended `cancelled` or `error` before all of its `totalStep` steps ran
//! reports the missing ones as errored cases, like the unrun cases of a seed-v1 run.
//!
//! The report is never lost: a webhook that fails is recorded in `report.webhook`. A run that did
//! not complete (seed `failed`/`timeout`, task `error`/`cancelled`) is reported with that status
//! and a failed gate, whatever the cases that did run say.

use super::baseline::BaselineOptions;
use super::playbook::PlaybookOutcome;
use super::seed::SeedOutcome;
use super::webhook::{idempotency_key, WebhookSender};
use super::{already_finished, fail, Call, Input, Machine, Phase, ProgressEvent, Step};
use crate::aggregate::{
    aggregate_playbook_run, aggregate_seed_v1, ci_webhook_body, include_unrun, include_unrun_steps,
    suite_audit_record, AggregateOptions, Gate, GovernanceStatus, SuiteReport,
};
use crate::error::GuardError;
use crate::json::Json;
use crate::profile::seed_v1::error_message;
use crate::profile::{Credentials, HttpRequest, TargetUrl};
use crate::time::iso8601;
use serde::Serialize;

/// The report of one run: the aggregation's [`SuiteReport`] with the runner's fields filled in,
/// plus the platform's reason when the run did not complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The report.
    #[serde(flatten)]
    pub report: SuiteReport,
    /// Why the platform ended the run: a cognigy-v2 task's `failReason` (task in `error`), or the
    /// `error.message` of a seed-v1 execution's results or last status (`failed`, `timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

/// What a platform machine hands over for aggregation.
pub trait IntoReport {
    /// Aggregates the raw results with `opts` into a report carrying the execution id, suite id,
    /// status and poll count; also returns the run's start (epoch ms) and the platform's reason.
    fn into_report(self, opts: &AggregateOptions) -> Result<Collected, GuardError>;
}

/// A run's aggregated results before the webhook and the audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct Collected {
    /// The report so far.
    pub report: SuiteReport,
    /// The id the webhook and the audit record name.
    pub execution_id: String,
    /// When the run started (epoch ms).
    pub started_ms: f64,
    /// The platform's reason for ending the run, if any.
    pub fail_reason: Option<String>,
}

/// Sets the platform's status and the poll count; a run that did not complete fails the gate.
fn stamp(report: &mut SuiteReport, id: &str, status: &str, completed: bool, polls: u32) {
    report.execution_id = Some(id.to_owned());
    report.status = Some(status.to_owned());
    report.polls = Some(polls);
    if !completed {
        report.gate = Gate::Failed;
    }
}

impl IntoReport for SeedOutcome {
    fn into_report(self, opts: &AggregateOptions) -> Result<Collected, GuardError> {
        let results = self.results.ok_or_else(|| {
            GuardError::BadResponse("the execution's results were not read".to_owned())
        })?;
        let mut report = include_unrun(
            aggregate_seed_v1(&Json::from(&results), opts)?,
            &self.submitted,
            opts,
        );
        if self.suite_id.is_some() {
            report.suite_id = self.suite_id;
        }
        let status = self
            .status
            .as_ref()
            .map(|s| s.status.as_str().to_owned())
            .or_else(|| report.status.clone())
            .unwrap_or_else(|| "completed".to_owned());
        let completed = status == "completed";
        let fail_reason = results
            .as_object()
            .and_then(error_message)
            .or_else(|| self.status.and_then(|s| s.error))
            .filter(|_| !completed);
        stamp(
            &mut report,
            &self.execution_id,
            &status,
            completed,
            self.polls,
        );
        Ok(Collected {
            report,
            execution_id: self.execution_id,
            started_ms: self.started_ms,
            fail_reason,
        })
    }
}

impl IntoReport for PlaybookOutcome {
    fn into_report(self, opts: &AggregateOptions) -> Result<Collected, GuardError> {
        let mut opts = opts.clone();
        if opts.known_intents.is_none() {
            opts.known_intents = self.intents;
        }
        let mut report = aggregate_playbook_run(&Json::from(&self.run), &opts)?;
        let completed = self.status == "done";
        if !completed {
            let steps = self.total_steps.and_then(|n| usize::try_from(n).ok());
            report = include_unrun_steps(report, steps.unwrap_or(0), &opts);
        }
        report.suite_id = Some(self.suite_id);
        let id = self.run_id.unwrap_or(self.task_id);
        stamp(&mut report, &id, &self.status, completed, self.polls);
        Ok(Collected {
            report,
            execution_id: id,
            started_ms: self.started_ms,
            fail_reason: self.fail_reason,
        })
    }
}

enum Stage<M> {
    Running(M),
    Webhook(Box<Collected>, f64, WebhookSender),
    Finished,
}

/// A whole run around the platform machine `M` (see the module documentation).
pub struct SuiteRun<M> {
    stage: Stage<M>,
    opts: AggregateOptions,
    webhook_url: Option<TargetUrl>,
    baseline: BaselineOptions,
    progress: Vec<ProgressEvent>,
}

impl<M> SuiteRun<M>
where
    M: Machine,
    M::Output: IntoReport,
{
    /// Runs `inner`, then aggregates with `opts` (validated here) and notifies `webhook_url`.
    pub fn new(
        inner: M,
        opts: AggregateOptions,
        webhook_url: Option<TargetUrl>,
    ) -> Result<Self, GuardError> {
        opts.validate()?;
        Ok(SuiteRun {
            stage: Stage::Running(inner),
            opts,
            webhook_url,
            baseline: BaselineOptions::default(),
            progress: Vec::new(),
        })
    }

    /// Compares the report with `baseline` before the webhook and the audit record, which then
    /// see its gate (see [`BaselineOptions::apply`]).
    pub fn with_baseline(mut self, baseline: BaselineOptions) -> Self {
        self.baseline = baseline;
        self
    }

    fn inner_step(&mut self, step: Step<M::Output>, now: f64, random: f64) -> Step<RunReport> {
        match step {
            Step::Send { call, timeout_ms } => Step::Send { call, timeout_ms },
            Step::Sleep { ms } => Step::Sleep { ms },
            Step::Done(Err(error)) => self.end(Err(error)),
            Step::Done(Ok(output)) => match output.into_report(&self.opts) {
                Ok(collected) => {
                    let deadline_at = self.deadline_at();
                    self.collected(collected, deadline_at, now, random)
                }
                Err(error) => self.end(Err(error)),
            },
        }
    }

    fn collected(
        &mut self,
        mut collected: Collected,
        deadline_at: f64,
        now: f64,
        _random: f64,
    ) -> Step<RunReport> {
        if let Err(error) = self.baseline.apply(&mut collected.report) {
            return self.end(Err(error));
        }
        let report = &mut collected.report;
        report.started_at = Some(iso8601(collected.started_ms));
        report.finished_at = Some(iso8601(now));
        report.duration_ms = Some((now - collected.started_ms).max(0.0));
        match self.webhook_url.clone() {
            Some(url) => {
                let body = ci_webhook_body(report, &collected.execution_id, now);
                let key = idempotency_key(&collected.execution_id);
                let mut sender = WebhookSender::new(url, body, key, deadline_at);
                let first = sender.start(now);
                self.stage = Stage::Webhook(Box::new(collected), now, sender);
                self.webhook_step(first)
            }
            None => self.finalize(collected, now, now),
        }
    }

    fn webhook_step(&mut self, step: Step<crate::aggregate::WebhookDelivery>) -> Step<RunReport> {
        match step {
            Step::Send { call, timeout_ms } => Step::Send { call, timeout_ms },
            Step::Sleep { ms } => Step::Sleep { ms },
            Step::Done(delivery) => {
                let Stage::Webhook(mut collected, finished_ms, _) =
                    std::mem::replace(&mut self.stage, Stage::Finished)
                else {
                    return fail(already_finished());
                };
                collected.report.webhook = delivery.ok();
                self.finalize(*collected, finished_ms, finished_ms)
            }
        }
    }

    /// Adds the audit record (for a run that finished at `finished_ms`) and ends.
    fn finalize(&mut self, collected: Collected, finished_ms: f64, now: f64) -> Step<RunReport> {
        let Collected {
            mut report,
            execution_id,
            started_ms,
            fail_reason,
        } = collected;
        let mut audit =
            suite_audit_record(&report, &execution_id, started_ms, finished_ms, &self.opts);
        if report.gate == Gate::Failed {
            // A gate failed by the run (incomplete, a regression) is no compliant run either.
            audit.governance_status = GovernanceStatus::NonCompliant;
        }
        report.audit = Some(audit);
        self.progress.push(ProgressEvent {
            phase: Phase::Done,
            polls: report.polls.unwrap_or(0),
            status: report.status.clone().unwrap_or_default(),
            elapsed_ms: (now - started_ms).max(0.0),
            completed: Some(report.total as u64),
            total: Some(report.total as u64),
        });
        self.end(Ok(RunReport {
            report,
            fail_reason,
        }))
    }

    fn end(&mut self, result: Result<RunReport, GuardError>) -> Step<RunReport> {
        self.stage = Stage::Finished;
        Step::Done(result)
    }
}

impl<M> Machine for SuiteRun<M>
where
    M: Machine,
    M::Output: IntoReport,
{
    type Output = RunReport;

    fn start(&mut self, now: f64) -> Step<RunReport> {
        match &mut self.stage {
            Stage::Running(inner) => {
                let step = inner.start(now);
                self.inner_step(step, now, 0.5)
            }
            _ => fail(already_finished()),
        }
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<RunReport> {
        match &mut self.stage {
            Stage::Running(inner) => {
                let step = inner.on_reply(input, now, random);
                self.inner_step(step, now, random)
            }
            Stage::Webhook(_, _, sender) => {
                let step = sender.on_reply(input, now, random);
                self.webhook_step(step)
            }
            Stage::Finished => fail(already_finished()),
        }
    }

    fn on_wake(&mut self, now: f64, random: f64) -> Step<RunReport> {
        match &mut self.stage {
            Stage::Running(inner) => {
                let step = inner.on_wake(now, random);
                self.inner_step(step, now, random)
            }
            Stage::Webhook(_, _, sender) => {
                let step = sender.on_wake(now, random);
                self.webhook_step(step)
            }
            Stage::Finished => fail(already_finished()),
        }
    }

    fn cancel(&mut self, now: f64) -> Step<RunReport> {
        match &mut self.stage {
            Stage::Running(inner) => {
                let step = inner.cancel(now);
                self.inner_step(step, now, 0.5)
            }
            // The report is ready: keep it, with the webhook undelivered.
            Stage::Webhook(_, _, sender) => {
                let step = sender.cancel(now);
                self.webhook_step(step)
            }
            Stage::Finished => fail(already_finished()),
        }
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        match &self.stage {
            Stage::Running(inner) => inner.request(call, credentials),
            Stage::Webhook(_, _, sender) => sender.request(call, credentials),
            Stage::Finished => Err(already_finished()),
        }
    }

    fn deadline_at(&self) -> f64 {
        match &self.stage {
            Stage::Running(inner) => inner.deadline_at(),
            _ => f64::INFINITY,
        }
    }

    fn take_progress(&mut self) -> Vec<ProgressEvent> {
        let mut events = match &mut self.stage {
            Stage::Running(inner) => inner.take_progress(),
            _ => Vec::new(),
        };
        events.append(&mut self.progress);
        events
    }
}
