//! The `TimeoutManager` operations as [`Machine`]s over one shared [`GuardEngine`]: a guarded call
//! ([`GuardedOp`]), the configuration of an endpoint ([`ConfigureOp`], with the seed-v1 `PUT`) and
//! the dashboard sync ([`SyncOp`]). The driver runs them through
//! [`crate::protocol::operation::Operation`]; they share the engine through an `Rc<RefCell<_>>`
//! that is borrowed only inside one step (nothing outside the core runs during a step).

use super::call::GuardedCall;
use super::engine::GuardEngine;
use super::outcome::CallResult;
use super::policy::configure_retry;
use crate::error::GuardError;
use crate::model::TimeoutConfig;
use crate::profile::custom::with_credentials;
use crate::profile::{
    is_success, parse_error, seed_v1, webhook, BaseUrl, Credentials, HttpRequest,
};
use crate::protocol::{Call, Input, Machine, Step};
use crate::retry::{parse_retry_after, RetryDecision};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The engine shared by one manager's operations.
pub type SharedEngine = Rc<RefCell<GuardEngine>>;

/// Time allowed for one dashboard request.
pub const SYNC_TIMEOUT_MS: u64 = 15_000;

/// Runs `f` on the engine; a `CONFIG` error when it is borrowed elsewhere (cannot happen: steps
/// run one at a time).
fn with_engine<T>(
    engine: &SharedEngine,
    f: impl FnOnce(&mut GuardEngine) -> Result<T, GuardError>,
) -> Result<T, GuardError> {
    match engine.try_borrow_mut() {
        Ok(mut engine) => f(&mut engine),
        Err(_) => Err(GuardError::Config(
            "the manager is in use by another step".to_owned(),
        )),
    }
}

/// What one guarded call goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A caller-described request; credentials are attached only when it targets the API.
    Custom {
        /// The resolved request, without credentials.
        request: HttpRequest,
        /// Whether its URL is under the API base URL.
        targets_api: bool,
    },
    /// seed-v1 `POST {base}/api/v1/externalServices/{id}/invoke`.
    Invoke {
        /// The API base URL.
        base: BaseUrl,
        /// The endpoint to invoke.
        endpoint_id: String,
    },
}

/// A guarded call (`call`, `invokeExternalService`).
pub struct GuardedOp {
    engine: SharedEngine,
    call: GuardedCall,
    target: Target,
    credentials: bool,
    max_body_bytes: u64,
}

impl GuardedOp {
    /// A call to `target` by `call`; credentials are attached when `credentials` holds and the
    /// target wants them. Bodies longer than `max_body_bytes` fail the attempt.
    pub fn new(
        engine: SharedEngine,
        call: GuardedCall,
        target: Target,
        credentials: bool,
        max_body_bytes: u64,
    ) -> Self {
        let credentials = credentials
            && match &target {
                Target::Custom { targets_api, .. } => *targets_api,
                Target::Invoke { .. } => true,
            };
        GuardedOp {
            engine,
            call,
            target,
            credentials,
            max_body_bytes,
        }
    }

    fn step(
        &mut self,
        f: impl FnOnce(&mut GuardedCall, &mut GuardEngine) -> Step<CallResult>,
    ) -> Step<CallResult> {
        let call = &mut self.call;
        with_engine(&self.engine, |engine| Ok(f(call, engine)))
            .unwrap_or_else(|e| Step::Done(Err(e)))
    }
}

impl Machine for GuardedOp {
    type Output = CallResult;

    fn start(&mut self, now: f64) -> Step<CallResult> {
        self.step(|call, engine| call.start(engine, now))
    }

    fn on_reply(&mut self, input: Input, now: f64, _random: f64) -> Step<CallResult> {
        self.step(|call, engine| call.on_reply(engine, input, now))
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<CallResult> {
        self.step(|call, engine| call.on_wake(engine, now))
    }

    fn cancel(&mut self, now: f64) -> Step<CallResult> {
        self.step(|call, engine| call.cancel(engine, now))
    }

    fn request(
        &self,
        _call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        match (&self.target, credentials) {
            (Target::Custom { request, .. }, Some(c)) => with_credentials(request.clone(), c),
            (Target::Custom { request, .. }, None) => Ok(request.clone()),
            (Target::Invoke { base, endpoint_id }, Some(c)) => {
                seed_v1::invoke(base, c, endpoint_id)
            }
            (Target::Invoke { .. }, None) => Err(GuardError::Config(
                "api 'seed-v1' needs auth: { clientId, clientSecret }".to_owned(),
            )),
        }
    }

    fn needs_credentials(&self, _call: Call) -> bool {
        self.credentials
    }

    fn max_body_bytes(&self, _call: Call) -> u64 {
        self.max_body_bytes
    }
}

/// `configureTimeout`: registers a validated policy, after the seed-v1 `PUT` when `remote`.
/// 429 is retried per `Retry-After` ([`configure_retry`]); 401/403 are `AUTH` with an
/// `auth_failure` audit record. Output: `{ endpointId, config, warnings, remote }`.
pub struct ConfigureOp {
    engine: SharedEngine,
    base: BaseUrl,
    config: TimeoutConfig,
    warnings: Value,
    remote: bool,
    deadline_at: f64,
    attempts: u32,
}

impl ConfigureOp {
    /// Configures `config` (with its validation `warnings`), within `engine`'s call deadline.
    pub fn new(
        engine: SharedEngine,
        base: BaseUrl,
        config: TimeoutConfig,
        warnings: Value,
        remote: bool,
    ) -> Self {
        ConfigureOp {
            engine,
            base,
            config,
            warnings,
            remote,
            deadline_at: f64::INFINITY,
            attempts: 0,
        }
    }

    fn send(&mut self, now: f64) -> Step<Value> {
        let left = self.deadline_at - now;
        if left.is_nan() || left < 1.0 {
            return Step::Done(Err(GuardError::Deadline {
                deadline_ms: 0,
                attempts: self.attempts,
                endpoint_id: Some(self.config.endpoint_id.clone()),
            }));
        }
        self.attempts = self.attempts.saturating_add(1);
        Step::Send {
            call: Call::ConfigureTimeout,
            timeout_ms: left.floor() as u64,
        }
    }

    fn register(&mut self, remote: Value, now: f64) -> Step<Value> {
        let config = self.config.clone();
        let registered = with_engine(&self.engine, |engine| engine.configure(config, now));
        Step::Done(registered.map(|()| {
            json!({
                "endpointId": self.config.endpoint_id,
                "config": self.config,
                "warnings": self.warnings,
                "remote": remote,
            })
        }))
    }

    /// Audits a refused credential and ends with it as `AUTH`.
    fn refused(&mut self, err: GuardError, now: f64) -> Step<Value> {
        let id = self.config.endpoint_id.clone();
        let err = match err {
            GuardError::Auth { .. } => err,
            other => GuardError::Auth {
                message: format!("authentication failed: {}", other.fields().message),
                status: other.fields().status,
                problem: None,
            },
        };
        let _ = with_engine(&self.engine, |engine| {
            engine.record_auth_failure(&id, &err, now);
            Ok(())
        });
        Step::Done(Err(err))
    }
}

impl Machine for ConfigureOp {
    type Output = Value;

    fn start(&mut self, now: f64) -> Step<Value> {
        if !self.remote {
            return self.register(Value::Null, now);
        }
        let deadline_ms = with_engine(&self.engine, |engine| Ok(engine.deadline_ms())).unwrap_or(0);
        self.deadline_at = now + deadline_ms as f64;
        self.send(now)
    }

    fn on_reply(&mut self, input: Input, now: f64, _random: f64) -> Step<Value> {
        let (status, headers, body) = match input {
            Input::Response {
                status,
                headers,
                body,
            } => (status, headers, body),
            Input::Failed(err) if err.code() == crate::ErrorCode::Auth => {
                return self.refused(err, now)
            }
            Input::Failed(err) => return Step::Done(Err(err)),
        };
        match status {
            status if is_success(status) => {
                match seed_v1::parse_configure(status, &headers, &body) {
                    Ok(remote) => self.register(remote, now),
                    Err(err) => Step::Done(Err(err)),
                }
            }
            401 | 403 => self.refused(parse_error(status, &headers, &body), now),
            429 => {
                let retry_after = crate::profile::header(&headers, "retry-after");
                match configure_retry(self.attempts, 429, retry_after, now, self.deadline_at) {
                    RetryDecision::RetryAfter { delay_ms } => Step::Sleep { ms: delay_ms },
                    RetryDecision::GiveUp { .. } => Step::Done(Err(GuardError::RateLimited {
                        retry_after_ms: retry_after.and_then(|v| parse_retry_after(v, now)),
                        attempts: self.attempts,
                        endpoint_id: Some(self.config.endpoint_id.clone()),
                    })),
                }
            }
            status => Step::Done(Err(parse_error(status, &headers, &body))),
        }
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<Value> {
        self.send(now)
    }

    fn cancel(&mut self, _now: f64) -> Step<Value> {
        Step::Done(Err(GuardError::Cancelled))
    }

    fn request(
        &self,
        _call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let credentials = credentials.ok_or_else(|| {
            GuardError::Config("api 'seed-v1' needs auth: { clientId, clientSecret }".to_owned())
        })?;
        seed_v1::configure_timeout(&self.base, credentials, &self.config)
    }

    fn deadline_at(&self) -> f64 {
        self.deadline_at
    }
}

/// `syncMetrics`: delivers outbox batches to `{webhookUrl}/metrics/timeout-sync` until the outbox
/// is empty or a delivery fails; events leave only on a 2xx. Output: `{ delivered, pending,
/// dropped, ok, status, error? }` (the error redacted). Never fails for a dashboard failure.
pub struct SyncOp {
    engine: SharedEngine,
    webhook: BaseUrl,
    headers: Vec<(String, String)>,
    batch: Option<(String, Vec<Value>)>,
    delivered: usize,
    status: Option<u16>,
}

impl SyncOp {
    /// A sync to `webhook` sending the dashboard's own `headers`.
    pub fn new(engine: SharedEngine, webhook: BaseUrl, headers: Vec<(String, String)>) -> Self {
        SyncOp {
            engine,
            webhook,
            headers,
            batch: None,
            delivered: 0,
            status: None,
        }
    }

    fn next_batch(&mut self, failure: Option<GuardError>) -> Step<Value> {
        if failure.is_none() {
            let batch = with_engine(&self.engine, |engine| Ok(engine.begin_sync()))
                .ok()
                .flatten();
            if let Some(batch) = batch {
                self.batch = Some((batch.idempotency_key, batch.events));
                return Step::Send {
                    call: Call::DashboardSync,
                    timeout_ms: SYNC_TIMEOUT_MS,
                };
            }
        }
        let delivered = self.delivered;
        let status = self.status;
        Step::Done(with_engine(&self.engine, |engine| {
            let mut answer = json!({
                "delivered": delivered,
                "pending": engine.outbox_pending(),
                "dropped": engine.outbox_dropped(),
                "ok": failure.is_none(),
                "status": status,
            });
            if let (Some(err), Some(obj)) = (&failure, answer.as_object_mut()) {
                obj.insert("error".to_owned(), engine.error_value(err));
            }
            Ok(answer)
        }))
    }
}

impl Machine for SyncOp {
    type Output = Value;

    fn start(&mut self, _now: f64) -> Step<Value> {
        self.next_batch(None)
    }

    fn on_reply(&mut self, input: Input, now: f64, _random: f64) -> Step<Value> {
        let Some((key, _)) = self.batch.take() else {
            return self.next_batch(Some(GuardError::Config("no batch was sent".to_owned())));
        };
        let (ok, status, failure) = match input {
            Input::Response { status, .. } if is_success(status) => (true, Some(status), None),
            Input::Response {
                status,
                headers,
                body,
            } => (
                false,
                Some(status),
                Some(parse_error(status, &headers, &body)),
            ),
            Input::Failed(err) => (false, None, Some(err)),
        };
        self.status = status;
        let count = with_engine(&self.engine, |engine| {
            Ok(engine.end_sync(&key, ok, status, now))
        })
        .unwrap_or(0);
        self.delivered = self.delivered.saturating_add(count);
        self.next_batch(failure)
    }

    fn on_wake(&mut self, _now: f64, _random: f64) -> Step<Value> {
        self.next_batch(None)
    }

    fn cancel(&mut self, _now: f64) -> Step<Value> {
        self.next_batch(Some(GuardError::Cancelled))
    }

    fn request(
        &self,
        _call: Call,
        _credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let Some((key, events)) = &self.batch else {
            return Err(GuardError::Config("no batch to send".to_owned()));
        };
        webhook::dashboard_sync(&self.webhook, events, key)?.with_headers(&self.headers)
    }

    fn redirect_scope(&self, _call: Call) -> Option<String> {
        Some(self.webhook.scope())
    }
}

#[cfg(test)]
mod tests;
