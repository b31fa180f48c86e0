//! The JS `CircuitBreaker` class (API.md "CircuitBreaker"): the core state machine with time
//! from `Date.now()` or an injected `now()`. The hot path (`tryAcquire`, `recordSuccess`,
//! `recordFailure`, `release`, `state`) takes one borrow and no serde: results are built with
//! `Reflect` or returned as plain values.

use crate::convert::{function_option, options_json, set, to_js};
use crate::error::to_js_error;
use crate::platform::Clock;
use cognigy_guard_core::breaker::config::BreakerConfig;
use cognigy_guard_core::breaker::{BreakerState, CircuitBreaker as Core};
use cognigy_guard_core::GuardError;
use js_sys::{Function, Object, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// The wire name of a state.
pub fn state_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

/// A circuit breaker for any async work (see API.md).
#[wasm_bindgen]
pub struct CircuitBreaker {
    core: Rc<RefCell<Core>>,
    clock: Rc<Clock>,
}

fn config_from(options: &JsValue) -> Result<BreakerConfig, JsValue> {
    let json = options_json(options, "circuit breaker options").map_err(|e| to_js_error(&e))?;
    BreakerConfig::from_json(&json).map_err(|e| to_js_error(&e))
}

#[wasm_bindgen]
impl CircuitBreaker {
    /// A closed breaker. Throws `GuardError(CONFIG)` for invalid options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CircuitBreakerOptions")] options: JsValue,
    ) -> Result<CircuitBreaker, JsValue> {
        let config = config_from(&options)?;
        let core = Core::new(config).map_err(|e| to_js_error(&e))?;
        Ok(CircuitBreaker::wrap(core, &options))
    }

    /// Rebuilds a breaker from `snapshot()` output with (possibly new) options.
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(
        #[wasm_bindgen(unchecked_param_type = "CircuitBreakerSnapshot")] snapshot: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CircuitBreakerOptions")] options: JsValue,
    ) -> Result<CircuitBreaker, JsValue> {
        let config = config_from(&options)?;
        let snap =
            options_json(&snapshot, "circuit breaker snapshot").map_err(|e| to_js_error(&e))?;
        let core = Core::from_snapshot(&snap, config).map_err(|e| to_js_error(&e))?;
        Ok(CircuitBreaker::wrap(core, &options))
    }

    /// `'closed' | 'open' | 'half_open'`, with due timers applied.
    #[wasm_bindgen(getter, unchecked_return_type = "CircuitState")]
    pub fn state(&self) -> String {
        let now = self.clock.now();
        state_name(self.core.borrow_mut().state_at(now)).to_owned()
    }

    /// Asks to make one call: `{ allowed, state, retryAfterMs }`.
    #[wasm_bindgen(js_name = tryAcquire, unchecked_return_type = "Admission")]
    pub fn try_acquire(&self) -> JsValue {
        let now = self.clock.now();
        let a = self.core.borrow_mut().try_acquire(now);
        let obj = Object::new();
        set(&obj, "allowed", &JsValue::from_bool(a.allowed));
        set(&obj, "state", &JsValue::from_str(state_name(a.state)));
        set(
            &obj,
            "retryAfterMs",
            &JsValue::from_f64(a.retry_after_ms as f64),
        );
        obj.into()
    }

    /// Reports a successful call that took `latencyMs`.
    #[wasm_bindgen(js_name = recordSuccess)]
    pub fn record_success(&self, latency_ms: Option<f64>) {
        let now = self.clock.now();
        self.core
            .borrow_mut()
            .record_success(now, latency_ms.unwrap_or(0.0));
    }

    /// Reports a failed call.
    #[wasm_bindgen(js_name = recordFailure)]
    pub fn record_failure(&self) {
        let now = self.clock.now();
        self.core.borrow_mut().record_failure(now);
    }

    /// Returns a permit that was not used.
    pub fn release(&self) {
        let now = self.clock.now();
        self.core.borrow_mut().release(now);
    }

    /// Opens the breaker now.
    #[wasm_bindgen(js_name = forceOpen)]
    pub fn force_open(&self) {
        let now = self.clock.now();
        self.core.borrow_mut().force_open(now);
    }

    /// Closes the breaker now and forgets failures.
    pub fn reset(&self) {
        let now = self.clock.now();
        self.core.borrow_mut().reset(now);
    }

    /// The recorded transitions, oldest first.
    #[wasm_bindgen(unchecked_return_type = "BreakerTransition[]")]
    pub fn history(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.borrow().history())
    }

    /// Counters and recovery latencies.
    #[wasm_bindgen(unchecked_return_type = "CircuitBreakerStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let now = self.clock.now();
        let mut core = self.core.borrow_mut();
        core.state_at(now);
        to_js(&core.stats())
    }

    /// A versioned JSON-safe snapshot (restore with `CircuitBreaker.fromSnapshot`).
    #[wasm_bindgen(unchecked_return_type = "CircuitBreakerSnapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.borrow().snapshot())
    }

    /// Runs `fn()` under the breaker: rejects `GuardError(CIRCUIT_OPEN)` without calling it when
    /// refused; otherwise records its success (with latency) or failure and settles like it.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn execute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "() => unknown")] work: Function,
    ) -> Promise {
        let (core, clock) = (Rc::clone(&self.core), Rc::clone(&self.clock));
        future_to_promise(async move {
            let started = clock.now();
            let admission = core.borrow_mut().try_acquire(started);
            if !admission.allowed {
                return Err(to_js_error(&GuardError::CircuitOpen {
                    endpoint_id: None,
                    retry_after_ms: admission.retry_after_ms,
                }));
            }
            let outcome = match work.call0(&JsValue::UNDEFINED) {
                Ok(value) => JsFuture::from(Promise::resolve(&value)).await,
                Err(thrown) => Err(thrown),
            };
            let now = clock.now();
            match &outcome {
                Ok(_) => core.borrow_mut().record_success(now, now - started),
                Err(_) => core.borrow_mut().record_failure(now),
            }
            outcome
        })
    }
}

impl CircuitBreaker {
    fn wrap(core: Core, options: &JsValue) -> Self {
        CircuitBreaker {
            core: Rc::new(RefCell::new(core)),
            clock: Rc::new(Clock::new(function_option(options, "now"))),
        }
    }
}
