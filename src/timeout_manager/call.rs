//! The Rust half of `TimeoutManager.call` and `invokeExternalService`, whose waiting is done in
//! JavaScript (`js/call.mjs`): JS performs `fetch`, reads the body and runs the timers; every
//! decision (breaker permits, retries, deadline, cache, fallback, metrics, audit) is the core's
//! `GuardedCall`, stepped here through synchronous calls that take and return plain values.
//!
//! A call is a handle into [`Shared::calls`]. Each step function feeds one input and answers with
//! a code for the next step (see [`Next`]): `code > 0` sends an attempt with a timeout of `code`
//! ms (the request is `__callRequest`), `code == 0` means finished (`__callResult` settles it),
//! `code < 0` sleeps `-code - 1` ms (then `__callSlept`), NaN fetches credentials first
//! (`__callAuthorize`, which resolves to the next code). On the success path a call crosses into
//! wasm five times and allocates no wasm-bindgen closure, promise or timer.

use super::{config, parse_call_request, template_map, Shared, Target, TimeoutManager};
use crate::convert::{error_message, options_json};
use cognigy_guard_core::auth::AuthConfig;
use cognigy_guard_core::cache::request_key;
use cognigy_guard_core::guard::{CallOptions, CallOutcome, GuardedCall, Input, Step};
use cognigy_guard_core::profile::custom::{custom_request, with_credentials};
use cognigy_guard_core::profile::{seed_v1, ApiProfile, Credentials, HttpRequest};
use cognigy_guard_core::GuardError;
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A guarded call between two step functions.
pub(super) enum Pending {
    /// Parsed when `call` was made; starts on the first step.
    Opened {
        endpoint_id: String,
        start: Result<(Target, CallOptions), GuardError>,
    },
    /// The core's state machine is running.
    Running(Box<Running>),
    /// The outcome, waiting for `__callResult`.
    Finished(CallOutcome),
}

/// A started call.
pub(super) struct Running {
    call: GuardedCall,
    target: Target,
    needs_credentials: bool,
    /// The attempt to send (credentials attached) once the step said `Send`.
    request: Option<HttpRequest>,
    /// The timeout of the attempt waiting for credentials.
    timeout_ms: u64,
}

/// What the JS loop does next; see the module documentation for its numeric form.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Next {
    Send { timeout_ms: u64 },
    Sleep { ms: u64 },
    Authorize,
    Finished,
}

impl Next {
    fn code(self) -> f64 {
        match self {
            // `timeout_ms` is at least 1 (the core's guarantee); kept positive regardless.
            Next::Send { timeout_ms } => timeout_ms.max(1) as f64,
            Next::Sleep { ms } => -(ms as f64) - 1.0,
            Next::Authorize => f64::NAN,
            Next::Finished => 0.0,
        }
    }
}

#[wasm_bindgen]
impl TimeoutManager {
    /// Opens a `call` (its JS half is `js/call.mjs`): parses the request now, as the call is
    /// made; errors surface when the call is settled.
    #[wasm_bindgen(js_name = __callOpen, skip_typescript)]
    pub fn call_open(&self, endpoint_id: String, request: JsValue) -> u32 {
        let start = parse_call_request(&request).and_then(|(spec, mut options)| {
            let resolved =
                custom_request(&spec, &self.shared.base, self.shared.allow_insecure_http)?;
            options.cache_key = request_key(
                options.cache_key.as_deref(),
                resolved.request.method().as_str(),
                resolved.request.url(),
            );
            let target = Target::Custom {
                request: resolved.request,
                targets_api: resolved.targets_api,
            };
            Ok((target, options))
        });
        self.shared.open(Pending::Opened { endpoint_id, start })
    }

    /// Opens an `invokeExternalService` call (seed-v1 only), like [`Self::call_open`].
    #[wasm_bindgen(js_name = __invokeOpen, skip_typescript)]
    pub fn invoke_open(&self, endpoint_id: String, fallback_template: JsValue) -> u32 {
        let template = options_json(&fallback_template, "fallbackTemplate").and_then(template_map);
        let start = if self.shared.profile != ApiProfile::SeedV1 {
            Err(config(
                "invokeExternalService needs api: 'seed-v1'; use call() on cognigy-v2",
            ))
        } else {
            template.map(|fallback_template| {
                // The same request every time: one cache entry per endpoint.
                let options = CallOptions {
                    fallback_template,
                    cache_key: Some("invokeExternalService".to_owned()),
                    ..CallOptions::default()
                };
                (Target::SeedInvoke(endpoint_id.clone()), options)
            })
        };
        self.shared.open(Pending::Opened { endpoint_id, start })
    }

    /// Starts the call: the first step code.
    #[wasm_bindgen(js_name = __callStart, skip_typescript)]
    pub fn call_start(&self, handle: u32) -> f64 {
        self.shared
            .with_call(handle, |shared, pending| match pending {
                Pending::Opened { endpoint_id, start } => match shared.start(&endpoint_id, start) {
                    Ok(mut running) => {
                        let step = shared.step(&mut running, Input::Start);
                        shared.advance(running, step)
                    }
                    Err(err) => (Pending::Finished(Err(err)), Next::Finished),
                },
                other => misuse(other),
            })
    }

    /// The request of the attempt to send, as JSON text `{ method, url, headers: [[name,
    /// value], ...], body? }` (credentials included); `undefined` when no attempt is due.
    #[wasm_bindgen(js_name = __callRequest, skip_typescript)]
    pub fn call_request(&self, handle: u32) -> Option<String> {
        match self.shared.calls.borrow().get(&handle) {
            Some(Pending::Running(running)) => running
                .request
                .as_ref()
                .and_then(|r| serde_json::to_string(r).ok()),
            _ => None,
        }
    }

    /// The injected `fetch` option, if any (the JS half calls `globalThis.fetch` otherwise).
    #[wasm_bindgen(js_name = __customFetch, skip_typescript)]
    pub fn custom_fetch(&self) -> Option<Function> {
        self.shared.http.custom_fetch()
    }

    /// The attempt got an HTTP answer: its status, `Retry-After`, body text and `Content-Type`.
    #[wasm_bindgen(js_name = __callResponse, skip_typescript)]
    pub fn call_response(
        &self,
        handle: u32,
        status: u16,
        retry_after: Option<String>,
        body: String,
        content_type: Option<String>,
    ) -> f64 {
        let headers = [("retry-after", retry_after), ("content-type", content_type)]
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?)))
            .collect();
        self.feed(
            handle,
            Input::Response {
                status,
                headers,
                body,
            },
        )
    }

    /// The attempt got no answer: `fetch` or the body read threw `error`; `aborted` tells
    /// whether the attempt's signal had aborted by then, `timed_out` whether its timer fired.
    #[wasm_bindgen(js_name = __callFailed, skip_typescript)]
    pub fn call_failed(&self, handle: u32, aborted: bool, timed_out: bool, error: JsValue) -> f64 {
        let input = match (aborted, timed_out) {
            (true, true) => Input::Timeout,
            (true, false) => Input::Network("cancelled".to_owned()),
            (false, _) => Input::Network(error_message(&error)),
        };
        self.feed(handle, input)
    }

    /// The requested sleep is over.
    #[wasm_bindgen(js_name = __callSlept, skip_typescript)]
    pub fn call_slept(&self, handle: u32) -> f64 {
        self.feed(handle, Input::Slept)
    }

    /// Fetches the credentials the next attempt needs (an OAuth token request, shared with
    /// every caller waiting for one); resolves to the next step code.
    #[wasm_bindgen(js_name = __callAuthorize, skip_typescript)]
    pub fn call_authorize(&self, handle: u32) -> Promise {
        let shared = Rc::clone(&self.shared);
        future_to_promise(async move {
            let credentials = shared.credentials().await;
            let code = shared.with_call(handle, |shared, pending| match pending {
                Pending::Running(mut running) => {
                    let timeout_ms = running.timeout_ms;
                    match shared.prepare(&mut running, timeout_ms, credentials) {
                        Ok(next) => (Pending::Running(running), next),
                        Err(input) => {
                            let step = shared.step(&mut running, input);
                            shared.advance(running, step)
                        }
                    }
                }
                other => misuse(other),
            });
            Ok(JsValue::from_f64(code))
        })
    }

    /// Ends the call: its result, or throws its (redacted) `GuardError`. Delivers fresh audit
    /// records to `onAudit` first.
    #[wasm_bindgen(js_name = __callResult, skip_typescript)]
    pub fn call_result(&self, handle: u32) -> Result<JsValue, JsValue> {
        let pending = self.shared.calls.borrow_mut().remove(&handle);
        let outcome = match pending {
            Some(Pending::Finished(outcome)) => outcome,
            _ => Err(unfinished()),
        };
        self.shared.settle(outcome)
    }

    /// Forgets a call the JS half could not finish (an exception escaped its loop).
    #[wasm_bindgen(js_name = __callDrop, skip_typescript)]
    pub fn call_drop(&self, handle: u32) {
        self.shared.calls.borrow_mut().remove(&handle);
    }
}

impl TimeoutManager {
    fn feed(&self, handle: u32, input: Input) -> f64 {
        self.shared
            .with_call(handle, |shared, pending| match pending {
                Pending::Running(mut running) => {
                    let step = shared.step(&mut running, input);
                    shared.advance(running, step)
                }
                other => misuse(other),
            })
    }
}

impl Shared {
    /// Stores a new call and returns its handle.
    fn open(&self, pending: Pending) -> u32 {
        let mut calls = self.calls.borrow_mut();
        let mut handle = self.next_call.get();
        while calls.contains_key(&handle) {
            handle = handle.wrapping_add(1);
        }
        self.next_call.set(handle.wrapping_add(1));
        calls.insert(handle, pending);
        handle
    }

    /// Takes call `handle` out of the table (no borrow is held while `f` runs: the clock and
    /// `onAudit` are JS and may call back), runs `f` on it and puts back what `f` returns.
    /// An unknown handle ends as a finished `CONFIG` error.
    fn with_call(&self, handle: u32, f: impl FnOnce(&Self, Pending) -> (Pending, Next)) -> f64 {
        let taken = self.calls.borrow_mut().remove(&handle);
        let (pending, next) = match taken {
            Some(pending) => f(self, pending),
            None => (Pending::Finished(Err(unfinished())), Next::Finished),
        };
        self.calls.borrow_mut().insert(handle, pending);
        next.code()
    }

    /// Begins the core's call (counted in the metrics).
    fn start(
        &self,
        endpoint_id: &str,
        start: Result<(Target, CallOptions), GuardError>,
    ) -> Result<Box<Running>, GuardError> {
        let (target, mut options) = start?;
        self.ensure_open()?;
        let needs_credentials = match &target {
            Target::Custom { targets_api, .. } => {
                *targets_api && !matches!(self.auth.config(), AuthConfig::None)
            }
            Target::SeedInvoke(_) => true,
        };
        options.can_refresh_auth = needs_credentials && self.auth.can_refresh();
        let now = self.http.now();
        let call = GuardedCall::new(&mut self.engine.borrow_mut(), endpoint_id, options, now)?;
        Ok(Box::new(Running {
            call,
            target,
            needs_credentials,
            request: None,
            timeout_ms: 0,
        }))
    }

    /// Feeds `input` to the core at the current time.
    fn step(&self, running: &mut Running, input: Input) -> Step {
        let now = self.http.now();
        running.call.step(&mut self.engine.borrow_mut(), input, now)
    }

    /// Performs the steps that need no waiting (a token invalidation, credentials at hand)
    /// until one does.
    fn advance(&self, mut running: Box<Running>, mut step: Step) -> (Pending, Next) {
        loop {
            running.request = None;
            step = match step {
                Step::Finish(outcome) => return (Pending::Finished(*outcome), Next::Finished),
                Step::Sleep { ms } => return (Pending::Running(running), Next::Sleep { ms }),
                Step::RefreshAuth => {
                    self.auth.invalidate();
                    self.step(&mut running, Input::AuthRefreshed)
                }
                Step::Send { timeout_ms, .. } => {
                    let credentials = if running.needs_credentials {
                        match self.auth.credentials_now() {
                            Some(credentials) => {
                                self.learn_secrets();
                                Ok(credentials)
                            }
                            None => {
                                running.timeout_ms = timeout_ms;
                                return (Pending::Running(running), Next::Authorize);
                            }
                        }
                    } else {
                        Ok(None)
                    };
                    match self.prepare(&mut running, timeout_ms, credentials) {
                        Ok(next) => return (Pending::Running(running), next),
                        Err(input) => self.step(&mut running, input),
                    }
                }
            };
        }
    }

    /// Builds the attempt's request with `credentials`; the core's input when that fails.
    fn prepare(
        &self,
        running: &mut Running,
        timeout_ms: u64,
        credentials: Result<Option<Credentials>, GuardError>,
    ) -> Result<Next, Input> {
        let credentials = credentials.map_err(Input::AuthFailed)?;
        let request = match (&running.target, credentials.as_ref()) {
            (Target::Custom { request, .. }, Some(c)) => with_credentials(request.clone(), c),
            (Target::Custom { request, .. }, None) => Ok(request.clone()),
            (Target::SeedInvoke(id), Some(c)) => seed_v1::invoke(&self.base, c, id),
            (Target::SeedInvoke(_), None) => Err(config("api 'seed-v1' needs auth")),
        };
        running.request = Some(request.map_err(Input::AuthFailed)?);
        Ok(Next::Send { timeout_ms })
    }
}

/// A step function called in a state where it makes no sense (a bug of the JS half): the call
/// ends with a `CONFIG` error.
fn misuse(pending: Pending) -> (Pending, Next) {
    match pending {
        Pending::Finished(outcome) => (Pending::Finished(outcome), Next::Finished),
        _ => (Pending::Finished(Err(unfinished())), Next::Finished),
    }
}

fn unfinished() -> GuardError {
    config("the guarded call is unknown or not in this state")
}

#[cfg(test)]
mod tests {
    use super::Next;

    #[test]
    fn step_codes_keep_their_meaning() {
        assert_eq!(Next::Send { timeout_ms: 4000 }.code(), 4000.0);
        assert_eq!(Next::Send { timeout_ms: 0 }.code(), 1.0);
        assert_eq!(Next::Sleep { ms: 0 }.code(), -1.0);
        assert_eq!(Next::Sleep { ms: 250 }.code(), -251.0);
        assert_eq!(Next::Finished.code(), 0.0);
        assert!(Next::Authorize.code().is_nan());
    }
}
