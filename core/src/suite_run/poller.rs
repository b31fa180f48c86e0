//! The one skeleton of every platform run (seed-v1 executions, cognigy-v2 playbooks): a
//! [`Poller`] walks the phases of a [`Dialect`], sends each phase's request within the run's
//! pace ([`Pacing`]: deadline, poll schedule, retry backoff, error budget), classifies every answer
//! ([`classify`]), retries transient failures, and ends. The dialect says only what differs: the
//! request of each phase, what a successful answer means, and what a refusal ends in.
//!
//! Stopping with an error first sends the dialect's clean-up request when it has one (a playbook
//! task that is still going is cancelled); that request's answer never changes the outcome.

use super::poll::{Pacing, RunClock, Timing, CANCEL_TIMEOUT_MS};
use super::reply::{classify, with_attempts, Verdict};
use super::{already_finished, fail, Call, Input, Machine, ProgressEvent, Step};
use crate::error::GuardError;
use crate::profile::{Credentials, HttpRequest};

/// What a dialect decides after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Next<P, T> {
    /// Sleep until the next status poll, then send the current phase's request again.
    WaitToPoll,
    /// Enter `P` (its retries start over) and send its request now.
    Enter(P),
    /// Enter `P` and send its request after one poll interval.
    EnterLater(P),
    /// Send the current phase's request again now (the next page of a list).
    SendAgain,
    /// A transient failure: retry after the phase's backoff, within the budget.
    Retry(GuardError),
    /// The run is over.
    Done(Result<T, GuardError>),
    /// End with this error, after the clean-up request when the dialect has one.
    Stop(GuardError),
}

/// An answer's parts, for [`Dialect::on_success`].
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: &'a [(String, String)],
    /// Body text.
    pub body: &'a str,
}

/// What the dialect may touch while it decides: the run's pace and its progress events.
pub struct Ctx<'a> {
    /// The run's pace (polls, clock, error streak).
    pub pacing: &'a mut Pacing,
    /// Progress events to report.
    pub progress: &'a mut Vec<ProgressEvent>,
    /// The current time (epoch ms).
    pub now: f64,
}

/// One platform's run: its phases, requests and answers.
pub trait Dialect {
    /// The phases of a run.
    type Phase: Copy + PartialEq + std::fmt::Debug;
    /// What a finished run produces.
    type Output;

    /// The phase a run starts in; an error when the run cannot start.
    fn first_phase(&self) -> Result<Self::Phase, GuardError>;

    /// The request of `phase`.
    fn call(&self, phase: Self::Phase) -> Call;

    /// Whether `phase`'s request is a status poll (counted as one, paced by the poll schedule).
    fn polls(&self, phase: Self::Phase) -> bool;

    /// A 2xx answer in `phase`.
    fn on_success(
        &mut self,
        phase: Self::Phase,
        answer: Answer<'_>,
        ctx: Ctx<'_>,
    ) -> Next<Self::Phase, Self::Output>;

    /// Whether a transient failure of `phase` may be retried (a request that may have had its
    /// effect is not).
    fn retries(&self, _phase: Self::Phase, _error: &GuardError) -> bool {
        true
    }

    /// A refusal (or a transient failure that may not be retried) in `phase`.
    fn refused(
        &mut self,
        _phase: Self::Phase,
        error: GuardError,
        _ctx: Ctx<'_>,
    ) -> Next<Self::Phase, Self::Output> {
        Next::Stop(error)
    }

    /// The retries of `phase` are spent (budget or deadline), ending with `error`.
    fn exhausted(
        &mut self,
        _phase: Self::Phase,
        error: GuardError,
        _ctx: Ctx<'_>,
    ) -> Next<Self::Phase, Self::Output> {
        Next::Stop(error)
    }

    /// The request to send before ending with an error, if any.
    fn clean_up(&self) -> Option<Call> {
        None
    }

    /// Builds the request for `call`.
    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError>;

    /// Longest body accepted in the answer to `call`.
    fn max_body_bytes(&self, _call: Call) -> u64 {
        crate::protocol::DEFAULT_MAX_BODY_BYTES
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Stage<P> {
    Ready,
    Running(P),
    /// The clean-up request is out; the run then ends with this error.
    CleaningUp(GuardError),
    Finished,
}

/// A run of dialect `D` (see the module documentation).
#[derive(Debug, Clone)]
pub struct Poller<D: Dialect> {
    dialect: D,
    stage: Stage<D::Phase>,
    pacing: Pacing,
    progress: Vec<ProgressEvent>,
}

impl<D: Dialect> Poller<D> {
    /// A run of `dialect` paced by `timing`, ending within `deadline_ms` of its start.
    pub fn from_dialect(dialect: D, timing: Timing, deadline_ms: u64) -> Self {
        Poller {
            dialect,
            stage: Stage::Ready,
            pacing: Pacing::new(timing, deadline_ms),
            progress: Vec::new(),
        }
    }

    /// The dialect.
    pub fn dialect(&self) -> &D {
        &self.dialect
    }

    /// The dialect, to adjust it before the run starts.
    pub fn dialect_mut(&mut self) -> &mut D {
        &mut self.dialect
    }

    /// The run's clock (start and deadline).
    pub fn clock(&self) -> &RunClock {
        self.pacing.clock()
    }

    fn send(&mut self, phase: D::Phase, now: f64) -> Step<D::Output> {
        let call = self.dialect.call(phase);
        match self.pacing.send(now, self.dialect.polls(phase)) {
            Ok(timeout_ms) => Step::Send { call, timeout_ms },
            Err(error) => self.stop(error),
        }
    }

    fn enter(&mut self, phase: D::Phase, now: f64) -> Step<D::Output> {
        self.stage = Stage::Running(phase);
        self.pacing.enter_phase();
        self.send(phase, now)
    }

    fn finish(&mut self, result: Result<D::Output, GuardError>) -> Step<D::Output> {
        self.stage = Stage::Finished;
        Step::Done(result)
    }

    /// Ends with `error`, after the dialect's clean-up request when it has one.
    fn stop(&mut self, error: GuardError) -> Step<D::Output> {
        match self.dialect.clean_up() {
            Some(call) if !matches!(self.stage, Stage::CleaningUp(_)) => {
                self.stage = Stage::CleaningUp(error);
                Step::Send {
                    call,
                    timeout_ms: CANCEL_TIMEOUT_MS,
                }
            }
            _ => self.finish(Err(error)),
        }
    }

    fn retry(
        &mut self,
        phase: D::Phase,
        error: GuardError,
        retry_after_ms: Option<u64>,
        now: f64,
        random: f64,
    ) -> Step<D::Output> {
        let polling = self.dialect.polls(phase);
        match self
            .pacing
            .retry_wait(polling, error, retry_after_ms, now, random)
        {
            Ok(ms) => Step::Sleep { ms },
            Err(error) => {
                let ctx = Ctx {
                    pacing: &mut self.pacing,
                    progress: &mut self.progress,
                    now,
                };
                let next = self.dialect.exhausted(phase, error, ctx);
                self.follow(phase, next, now, random)
            }
        }
    }

    fn follow(
        &mut self,
        phase: D::Phase,
        next: Next<D::Phase, D::Output>,
        now: f64,
        random: f64,
    ) -> Step<D::Output> {
        match next {
            Next::WaitToPoll => Step::Sleep {
                ms: self.pacing.poll_wait(now, random),
            },
            Next::Enter(phase) => self.enter(phase, now),
            Next::EnterLater(phase) => {
                self.stage = Stage::Running(phase);
                self.pacing.enter_phase();
                Step::Sleep {
                    ms: self.pacing.poll_wait(now, random),
                }
            }
            Next::SendAgain => self.send(phase, now),
            Next::Retry(error) => self.retry(phase, error, None, now, random),
            Next::Done(result) => self.finish(result),
            Next::Stop(error) => self.stop(error),
        }
    }

    /// The reason a clean-up was started for: the run ends with it.
    fn cleaned_up(&mut self) -> Step<D::Output> {
        let reason = match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::CleaningUp(reason) => reason,
            _ => GuardError::Cancelled,
        };
        self.finish(Err(reason))
    }
}

impl<D: Dialect> Machine for Poller<D> {
    type Output = D::Output;

    fn start(&mut self, now: f64) -> Step<D::Output> {
        if self.stage != Stage::Ready {
            return fail(already_finished());
        }
        self.pacing.start(now);
        match self.dialect.first_phase() {
            Ok(phase) => self.enter(phase, now),
            Err(error) => self.finish(Err(error)),
        }
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<D::Output> {
        let phase = match &self.stage {
            Stage::Running(phase) => *phase,
            // Whatever the clean-up request got, the run ends with the reason it was sent for.
            Stage::CleaningUp(_) => return self.cleaned_up(),
            Stage::Ready | Stage::Finished => return fail(already_finished()),
        };
        let attempts = self.pacing.attempts();
        let ctx = Ctx {
            pacing: &mut self.pacing,
            progress: &mut self.progress,
            now,
        };
        let next = match classify(input, now) {
            Verdict::Success {
                status,
                headers,
                body,
            } => {
                let answer = Answer {
                    status,
                    headers: &headers,
                    body: &body,
                };
                self.dialect.on_success(phase, answer, ctx)
            }
            Verdict::Transient {
                error,
                retry_after_ms,
            } if self.dialect.retries(phase, &error) => {
                return self.retry(phase, error, retry_after_ms, now, random)
            }
            Verdict::Transient { error, .. } | Verdict::Fatal(error) => {
                self.dialect
                    .refused(phase, with_attempts(error, attempts), ctx)
            }
        };
        self.follow(phase, next, now, random)
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<D::Output> {
        match &self.stage {
            Stage::Running(phase) => {
                let phase = *phase;
                self.send(phase, now)
            }
            Stage::CleaningUp(_) => self.cleaned_up(),
            Stage::Ready | Stage::Finished => fail(already_finished()),
        }
    }

    fn cancel(&mut self, _now: f64) -> Step<D::Output> {
        match &self.stage {
            Stage::Running(_) => self.stop(GuardError::Cancelled),
            // A second cancel while the clean-up is out: it is sent again.
            Stage::CleaningUp(_) => match self.dialect.clean_up() {
                Some(call) => Step::Send {
                    call,
                    timeout_ms: CANCEL_TIMEOUT_MS,
                },
                None => self.cleaned_up(),
            },
            Stage::Ready => self.finish(Err(GuardError::Cancelled)),
            Stage::Finished => fail(already_finished()),
        }
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        self.dialect.request(call, credentials)
    }

    fn max_body_bytes(&self, call: Call) -> u64 {
        self.dialect.max_body_bytes(call)
    }

    fn deadline_at(&self) -> f64 {
        self.pacing.clock().deadline_at()
    }

    fn take_progress(&mut self) -> Vec<ProgressEvent> {
        std::mem::take(&mut self.progress)
    }
}
