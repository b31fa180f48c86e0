//! Performs the requests the core builds: `fetch` with a per-attempt timeout through an
//! `AbortController`, and cancellation forwarded from a caller's `AbortSignal`.

use crate::convert::error_message;
use crate::platform::{
    abort_controller, Clock, FetchFailure, FetchRequest, FetchResponse, Fetcher,
};
use cognigy_guard_core::profile::HttpRequest;
use cognigy_guard_core::GuardError;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

/// Why one exchange produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The per-attempt timeout fired first.
    Timeout,
    /// The caller's signal aborted.
    Cancelled,
    /// No HTTP answer (refused, reset, DNS, CORS, a body that broke off).
    Network(String),
}

impl SendError {
    /// The `GuardError` for this failure of attempt number `attempts`.
    pub fn into_guard_error(
        self,
        timeout_ms: u64,
        attempts: u32,
        endpoint_id: Option<&str>,
    ) -> GuardError {
        let endpoint_id = endpoint_id.map(str::to_owned);
        match self {
            SendError::Timeout => GuardError::Timeout {
                timeout_ms,
                attempts,
                endpoint_id,
            },
            SendError::Cancelled => GuardError::Cancelled,
            SendError::Network(message) => GuardError::Network {
                message,
                attempts,
                endpoint_id,
            },
        }
    }
}

/// `fetch` plus the clock every caller reads time from.
pub struct HttpClient {
    fetcher: Fetcher,
    clock: Clock,
}

impl HttpClient {
    /// Uses the injected `fetch` and `now` functions when given, the globals otherwise.
    pub fn new(fetch: Option<js_sys::Function>, now: Option<js_sys::Function>) -> Self {
        HttpClient {
            fetcher: Fetcher::new(fetch),
            clock: Clock::new(now),
        }
    }

    /// The injected `fetch`, if one was given.
    pub fn custom_fetch(&self) -> Option<js_sys::Function> {
        self.fetcher.custom()
    }

    /// Milliseconds since the epoch, never going backwards.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Sends `req`; gives up after `timeout_ms` or when `cancel` aborts.
    pub async fn send(
        &self,
        req: &HttpRequest,
        timeout_ms: u64,
        cancel: Option<&AbortSignal>,
    ) -> Result<FetchResponse, SendError> {
        if cancel.is_some_and(AbortSignal::aborted) {
            return Err(SendError::Cancelled);
        }
        let controller = abort_controller().map_err(|e| SendError::Network(error_message(&e)))?;
        let timed_out = Rc::new(Cell::new(false));
        let _timer = {
            let (controller, timed_out) = (controller.clone(), timed_out.clone());
            let ms = u32::try_from(timeout_ms).unwrap_or(u32::MAX);
            gloo_timers::callback::Timeout::new(ms, move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let _forward = cancel.map(|signal| AbortForward::new(signal, &controller));
        let request = FetchRequest {
            method: req.method().as_str(),
            url: req.url(),
            headers: req.headers(),
            body: req.body(),
        };
        match self.fetcher.send(&request, &controller.signal()).await {
            Ok(response) => Ok(response),
            Err(FetchFailure::Aborted) if timed_out.get() => Err(SendError::Timeout),
            Err(FetchFailure::Aborted) => Err(SendError::Cancelled),
            Err(FetchFailure::Network(message)) => Err(SendError::Network(message)),
        }
    }
}

/// Aborts `target` when `source` aborts, for as long as it lives.
struct AbortForward {
    source: AbortSignal,
    listener: Closure<dyn FnMut()>,
}

impl AbortForward {
    fn new(source: &AbortSignal, target: &AbortController) -> Self {
        let target = target.clone();
        let listener = Closure::<dyn FnMut()>::new(move || target.abort());
        // Adding a listener to a live AbortSignal does not throw.
        let _ = source.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        AbortForward {
            source: source.clone(),
            listener,
        }
    }
}

impl Drop for AbortForward {
    fn drop(&mut self) {
        let _ = self
            .source
            .remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}
