//! Drives a core `suite_run` state machine: performs its requests with fresh credentials (a 401
//! invalidates the token and is retried once), sleeps when it says so, forwards the caller's
//! `AbortSignal` as a cancellation, and reports progress events.

use crate::auth::Authenticator;
use crate::convert::to_js;
use crate::http::HttpClient;
use cognigy_guard_core::suite_run::{Call, Input, Machine, Step};
use cognigy_guard_core::GuardError;
use js_sys::{Function, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// What every run shares: the HTTP client (with the clock) and the authenticator.
pub struct Io {
    /// Performs requests and reads the clock.
    pub http: Rc<HttpClient>,
    /// Hands out credentials.
    pub auth: Rc<Authenticator>,
}

/// Per-run hooks: the caller's cancellation signal and progress callback.
#[derive(Default)]
pub struct Hooks {
    /// Cancels the run when it aborts.
    pub signal: Option<AbortSignal>,
    /// Called with each progress event (exceptions are ignored).
    pub on_progress: Option<Function>,
}

/// Runs `machine` to its end.
pub async fn drive<M: Machine>(
    mut machine: M,
    io: &Io,
    hooks: &Hooks,
) -> Result<M::Output, GuardError> {
    let mut cancelled = false;
    let mut step = machine.start(io.http.now());
    loop {
        report_progress(&mut machine, hooks);
        let live_signal = hooks.signal.as_ref().filter(|_| !cancelled);
        step = match step {
            Step::Done(result) => return result,
            Step::Sleep { ms } => {
                let aborted = sleep_or_abort(ms, live_signal).await;
                if aborted {
                    cancelled = true;
                    machine.cancel(io.http.now())
                } else {
                    machine.on_wake(io.http.now(), js_sys::Math::random())
                }
            }
            Step::Send { call, timeout_ms } => {
                if live_signal.is_some_and(AbortSignal::aborted) {
                    cancelled = true;
                    machine.cancel(io.http.now())
                } else {
                    let input = exchange(&machine, call, timeout_ms, io, live_signal).await;
                    if live_signal.is_some() && input == Input::Failed(GuardError::Cancelled) {
                        cancelled = true;
                        machine.cancel(io.http.now())
                    } else {
                        machine.on_reply(input, io.http.now(), js_sys::Math::random())
                    }
                }
            }
        };
    }
}

fn report_progress<M: Machine>(machine: &mut M, hooks: &Hooks) {
    let events = machine.take_progress();
    let Some(callback) = &hooks.on_progress else {
        return;
    };
    for event in events {
        if let Ok(value) = to_js(&event) {
            // A throwing progress callback must not break the run.
            let _ = callback.call1(&JsValue::UNDEFINED, &value);
        }
    }
}

/// One exchange for `call`: credentials fetched just before, a 401 answered by refreshing the
/// token and retrying once.
async fn exchange<M: Machine>(
    machine: &M,
    call: Call,
    timeout_ms: u64,
    io: &Io,
    signal: Option<&AbortSignal>,
) -> Input {
    let mut refreshed = false;
    loop {
        let credentials = if call.needs_credentials() {
            match io.auth.credentials().await {
                Ok(credentials) => credentials,
                Err(error) => return Input::Failed(error),
            }
        } else {
            None
        };
        let request = match machine.request(call, credentials.as_ref()) {
            Ok(request) => request,
            Err(error) => return Input::Failed(error),
        };
        match io.http.send(&request, timeout_ms, signal).await {
            Ok(response) => {
                let retry_with_new_token = response.status == 401
                    && call.needs_credentials()
                    && io.auth.can_refresh()
                    && !refreshed;
                if retry_with_new_token {
                    io.auth.invalidate();
                    refreshed = true;
                    continue;
                }
                return Input::Response {
                    status: response.status,
                    headers: response.headers(),
                    body: response.body,
                };
            }
            Err(error) => return Input::Failed(error.into_guard_error(timeout_ms, 1, None)),
        }
    }
}

/// Waits `ms`, or less when `signal` aborts; returns whether it aborted. The timer and the
/// listener are removed either way.
async fn sleep_or_abort(ms: u64, signal: Option<&AbortSignal>) -> bool {
    let Some(signal) = signal else {
        crate::platform::sleep(ms).await;
        return false;
    };
    if signal.aborted() {
        return true;
    }
    let resolver: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let promise = {
        let resolver = Rc::clone(&resolver);
        Promise::new(&mut move |resolve, _reject| {
            *resolver.borrow_mut() = Some(resolve);
        })
    };
    let wake = {
        let resolver = Rc::clone(&resolver);
        move || {
            if let Some(resolve) = resolver.borrow_mut().take() {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    };
    let _timer = {
        let wake = wake.clone();
        gloo_timers::callback::Timeout::new(u32::try_from(ms).unwrap_or(u32::MAX), wake)
    };
    let listener = Closure::<dyn FnMut()>::new(wake);
    let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
    let _ = JsFuture::from(promise).await;
    let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
    signal.aborted()
}
