//! One guarded call as a sans-IO state machine.
//!
//! It speaks the one protocol ([`crate::protocol`]) with the [`GuardEngine`] as an extra argument
//! ([`super::operation::GuardedOp`] makes it a [`crate::protocol::Machine`]): each attempt is a
//! [`Step::Send`] of [`Call::Guarded`] with a per-attempt timeout, each wait a [`Step::Sleep`].
//! Every step consults the endpoint's breaker through the engine: each attempt needs a permit (a
//! refused permit ends retrying and degrades), each outcome is reported. Retries follow the
//! endpoint's policy (`retryAttempts`, jittered `backoffMs`, `Retry-After` honoured); everything
//! is bounded by the call's deadline (no attempt runs past it, no wait ends after it). The one
//! retry after a 401 with a fresh token is the operation's ([`crate::protocol::operation`]).

use super::engine::{Finished, GuardEngine};
use super::outcome::CallResult;
use super::policy::{attempt_timeout_ms, retry_policy};
use crate::breaker::{Outcome, Permit};
use crate::error::GuardError;
use crate::profile::{header, is_success, parse_error, retry_after_header};
use crate::protocol::{Call, Input, Step};
use crate::retry::{
    is_retryable, parse_retry_after, AttemptOutcome, GiveUpReason, RetryDecision, RetryPolicy,
};
use serde_json::{Map, Value};

/// Per-call options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// Per-attempt timeout instead of the policy's `maxWaitTimeMs`.
    pub timeout_ms: Option<u64>,
    /// A fallback template instead of the policy's.
    pub fallback_template: Option<Map<String, Value>>,
    /// The request's key in the last-known-good cache ([`crate::cache::request_key`]); `None`:
    /// the answer is not cached and a failure serves the fallback template.
    pub cache_key: Option<String>,
}

/// One guarded call in progress; see the module documentation.
#[derive(Debug, Clone)]
pub struct GuardedCall {
    endpoint_id: String,
    started_at: f64,
    deadline_at: f64,
    deadline_ms: u64,
    attempt_timeout_ms: u64,
    policy: RetryPolicy,
    retries_done: u32,
    attempts: u32,
    attempt_started_at: f64,
    /// The breaker permit of the attempt in flight.
    permit: Option<Permit>,
    options: CallOptions,
    last_error: Option<GuardError>,
    finished: bool,
}

impl GuardedCall {
    /// A call to `endpoint_id` (registered in `engine`) starting at `now`; fails with
    /// [`GuardError::Config`] for an unknown endpoint. Counts the call in the metrics.
    pub fn new(
        engine: &mut GuardEngine,
        endpoint_id: &str,
        options: CallOptions,
        now: f64,
    ) -> Result<Self, GuardError> {
        let policy = engine.policy(endpoint_id)?;
        let attempt_timeout_ms = attempt_timeout_ms(policy, options.timeout_ms);
        let policy = retry_policy(policy);
        engine.count_call(endpoint_id);
        let deadline_ms = engine.deadline_ms();
        Ok(GuardedCall {
            endpoint_id: endpoint_id.to_owned(),
            started_at: now,
            deadline_at: now + deadline_ms as f64,
            deadline_ms,
            attempt_timeout_ms,
            policy,
            retries_done: 0,
            attempts: 0,
            attempt_started_at: now,
            permit: None,
            options,
            last_error: None,
            finished: false,
        })
    }

    /// The endpoint.
    pub fn endpoint_id(&self) -> &str {
        &self.endpoint_id
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The first attempt, at `now`.
    pub fn start(&mut self, engine: &mut GuardEngine, now: f64) -> Step<CallResult> {
        self.next(engine, now)
    }

    /// The requested sleep is over: the next attempt.
    pub fn on_wake(&mut self, engine: &mut GuardEngine, now: f64) -> Step<CallResult> {
        self.next(engine, now)
    }

    /// The caller gave up: the permit is returned and the call ends `CANCELLED`.
    pub fn cancel(&mut self, engine: &mut GuardEngine, now: f64) -> Step<CallResult> {
        if self.finished {
            return already_finished();
        }
        self.finished = true;
        self.settle(engine, now, Settle::Release);
        Step::Done(Err(GuardError::Cancelled))
    }

    /// How the attempt ended, at `now`. Never panics: an answer without an attempt out is read as
    /// the answer of the last attempt; anything after the finish ends in a `CONFIG` error.
    pub fn on_reply(
        &mut self,
        engine: &mut GuardEngine,
        input: Input,
        now: f64,
    ) -> Step<CallResult> {
        if self.finished {
            return already_finished();
        }
        match input {
            Input::Response {
                status,
                headers,
                body,
            } => self.on_response(engine, status, &headers, body, now),
            Input::Failed(GuardError::Timeout { .. }) => {
                self.settle(engine, now, Settle::Failure(None));
                engine.record_timeout(
                    &self.endpoint_id,
                    self.attempts,
                    self.attempt_timeout_ms,
                    now,
                );
                let err = GuardError::Timeout {
                    timeout_ms: self.attempt_timeout_ms,
                    attempts: self.attempts,
                    endpoint_id: Some(self.endpoint_id.clone()),
                };
                self.retry_or_finish(engine, AttemptOutcome::Timeout, None, err, now)
            }
            Input::Failed(GuardError::Network { message, .. }) => {
                self.settle(engine, now, Settle::Failure(None));
                let err = GuardError::Network {
                    message,
                    attempts: self.attempts,
                    endpoint_id: Some(self.endpoint_id.clone()),
                };
                self.retry_or_finish(engine, AttemptOutcome::Network, None, err, now)
            }
            Input::Failed(err @ (GuardError::BadResponse(_) | GuardError::TooLarge { .. })) => {
                // The upstream answered with something unusable: a failure, retried like one.
                self.settle(engine, now, Settle::Failure(None));
                self.retry_or_finish(engine, AttemptOutcome::Network, None, err, now)
            }
            Input::Failed(GuardError::Cancelled) => self.cancel(engine, now),
            Input::Failed(err) => {
                // Credentials could not be had, or the request could not be built: not sent.
                self.settle(engine, now, Settle::Release);
                if err.code() == crate::ErrorCode::Auth {
                    engine.record_auth_failure(&self.endpoint_id, &err, now);
                }
                self.finish_failed(engine, err, now)
            }
        }
    }

    fn next(&mut self, engine: &mut GuardEngine, now: f64) -> Step<CallResult> {
        if self.finished {
            return already_finished();
        }
        self.attempt(engine, now)
    }

    /// Asks the breaker for a permit and sends the next attempt, within the deadline.
    fn attempt(&mut self, engine: &mut GuardEngine, now: f64) -> Step<CallResult> {
        let remaining = self.deadline_at - now;
        if remaining.is_nan() || remaining < 1.0 {
            let err = GuardError::Deadline {
                deadline_ms: self.deadline_ms,
                attempts: self.attempts,
                endpoint_id: Some(self.endpoint_id.clone()),
            };
            return self.finish_failed(engine, err, now);
        }
        let (admission, permit) = engine.acquire(&self.endpoint_id, now);
        let Some(permit) = permit else {
            if self.attempts == 0 {
                engine.count_rejection(&self.endpoint_id);
            }
            let err = self.last_error.take().unwrap_or(GuardError::CircuitOpen {
                endpoint_id: Some(self.endpoint_id.clone()),
                retry_after_ms: admission.retry_after_ms,
            });
            return self.finish_failed(engine, err, now);
        };
        self.permit = Some(permit);
        self.attempts = self.attempts.saturating_add(1);
        self.attempt_started_at = now;
        // `remaining` is at least 1 here; the float-to-int conversion saturates.
        let timeout_ms = self.attempt_timeout_ms.min(remaining.floor() as u64).max(1);
        Step::Send {
            call: Call::Guarded,
            timeout_ms,
        }
    }

    fn on_response(
        &mut self,
        engine: &mut GuardEngine,
        status: u16,
        headers: &[(String, String)],
        body: String,
        now: f64,
    ) -> Step<CallResult> {
        if is_success(status) {
            match parse_body(headers, &body) {
                Ok(Body::Json(data)) => {
                    self.settle(engine, now, Settle::Success);
                    return self.finish_live(engine, status, data, Some(body), now);
                }
                Ok(Body::Other(data)) => {
                    self.settle(engine, now, Settle::Success);
                    return self.finish_live(engine, status, data, None, now);
                }
                Err(err) => {
                    // Retried like a lost answer; never cached.
                    self.settle(engine, now, Settle::Failure(None));
                    return self.retry_or_finish(engine, AttemptOutcome::Network, None, err, now);
                }
            }
        }
        let outcome = AttemptOutcome::Status(status);
        let retry_after_ms = retry_after_header(headers).and_then(|v| parse_retry_after(v, now));
        let err = with_context(
            parse_error(status, headers, &body),
            self.attempts,
            &self.endpoint_id,
            retry_after_ms,
        );
        if is_retryable(outcome) {
            self.settle(engine, now, Settle::Failure(retry_after_ms));
        } else {
            // The upstream is up; the request itself was refused. Not a health signal.
            self.settle(engine, now, Settle::Release);
            if matches!(status, 401 | 403) {
                engine.record_auth_failure(&self.endpoint_id, &err, now);
            }
        }
        self.retry_or_finish(engine, outcome, retry_after_ms, err, now)
    }

    fn retry_or_finish(
        &mut self,
        engine: &mut GuardEngine,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        err: GuardError,
        now: f64,
    ) -> Step<CallResult> {
        let decision = self.policy.decide(
            self.retries_done,
            outcome,
            retry_after_ms,
            now,
            self.deadline_at,
            engine.random(),
        );
        match decision {
            RetryDecision::RetryAfter { delay_ms } => {
                self.retries_done = self.retries_done.saturating_add(1);
                self.last_error = Some(err);
                Step::Sleep { ms: delay_ms }
            }
            RetryDecision::GiveUp {
                reason:
                    GiveUpReason::DeadlineWouldPass {
                        server_requested: false,
                        ..
                    },
            } => {
                let deadline = GuardError::Deadline {
                    deadline_ms: self.deadline_ms,
                    attempts: self.attempts,
                    endpoint_id: Some(self.endpoint_id.clone()),
                };
                // A timeout or network error says more than "the deadline would pass".
                let err = match err {
                    GuardError::Timeout { .. } | GuardError::Network { .. } => err,
                    _ => deadline,
                };
                self.finish_failed(engine, err, now)
            }
            RetryDecision::GiveUp { .. } => self.finish_failed(engine, err, now),
        }
    }

    /// Reports the held permit's outcome to the breaker.
    fn settle(&mut self, engine: &mut GuardEngine, now: f64, how: Settle) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let outcome = match how {
            Settle::Success => Outcome::Success {
                latency_ms: now - self.attempt_started_at,
            },
            Settle::Failure(retry_after_ms) => Outcome::Failure { retry_after_ms },
            Settle::Release => Outcome::Release,
        };
        engine.breaker_settle(&self.endpoint_id, permit, outcome, now);
    }

    fn finish_live(
        &mut self,
        engine: &mut GuardEngine,
        status: u16,
        data: Value,
        body: Option<String>,
        now: f64,
    ) -> Step<CallResult> {
        self.finished = true;
        let result = engine.finish_live(self.finished_call(), status, data, body, now);
        Step::Done(Ok(result))
    }

    fn finished_call(&self) -> Finished<'_> {
        Finished {
            id: &self.endpoint_id,
            cache_key: self.options.cache_key.as_deref(),
            attempts: self.attempts,
            started_at: self.started_at,
        }
    }

    fn finish_failed(
        &mut self,
        engine: &mut GuardEngine,
        err: GuardError,
        now: f64,
    ) -> Step<CallResult> {
        self.finished = true;
        self.settle(engine, now, Settle::Release);
        let outcome = engine.finish_degraded(
            self.finished_call(),
            err,
            self.options.fallback_template.as_ref(),
            now,
        );
        Step::Done(outcome)
    }
}

/// The step of a call driven after it finished (a bug in the driver, never a panic).
fn already_finished() -> Step<CallResult> {
    Step::Done(Err(GuardError::Config(
        "the guarded call is already finished".to_owned(),
    )))
}

/// How a permit is settled.
#[derive(Debug, Clone, Copy)]
enum Settle {
    Success,
    Failure(Option<u64>),
    Release,
}

/// A success's body as data.
enum Body {
    /// Parsed from the body's JSON text.
    Json(Value),
    /// `null` for an empty body, else the text itself.
    Other(Value),
}

/// The body as JSON when it is JSON, as text otherwise, `null` when empty; `BAD_RESPONSE` when
/// the `content-type` says JSON (`application/json`, `+json`) and the body is not.
fn parse_body(headers: &[(String, String)], body: &str) -> Result<Body, GuardError> {
    if body.trim().is_empty() {
        return Ok(Body::Other(Value::Null));
    }
    match crate::json::parse_untrusted(body) {
        Ok(value) => Ok(Body::Json(value)),
        Err(_) if says_json(headers) => Err(GuardError::BadResponse(
            "the response says it is JSON but its body is not valid JSON".to_owned(),
        )),
        Err(_) => Ok(Body::Other(Value::String(body.to_owned()))),
    }
}

/// Whether the `content-type` names a JSON media type.
fn says_json(headers: &[(String, String)]) -> bool {
    header(headers, "content-type").is_some_and(|value| {
        let media = value.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/json")
            || media
                .get(media.len().saturating_sub(5)..)
                .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
    })
}

/// Sets the attempt count, endpoint and `Retry-After` on an error from [`parse_error`].
fn with_context(
    err: GuardError,
    attempts: u32,
    endpoint: &str,
    retry_after_ms: Option<u64>,
) -> GuardError {
    let endpoint_id = Some(endpoint.to_owned());
    match err {
        GuardError::RateLimited { .. } => GuardError::RateLimited {
            retry_after_ms,
            attempts,
            endpoint_id,
        },
        GuardError::Http {
            status,
            message,
            problem,
            ..
        } => GuardError::Http {
            status,
            message,
            problem,
            attempts,
            endpoint_id,
        },
        other => other,
    }
}
