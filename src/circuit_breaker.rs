//! The JS `CircuitBreaker` class (docs/API.md "CircuitBreaker"): the core state machine with time
//! from `Date.now()` or an injected `now()`. The hot path (`tryAcquire`, `recordSuccess`,
//! `recordFailure`, `release`, `state`) takes one borrow and no serde: results are built with
//! `Reflect` or returned as plain values.

use crate::convert::{function_option, options_json, set, to_js};
use crate::error::to_js_error;
use crate::platform::Clock;
use cognigy_guard_core::breaker::config::BreakerConfig;
use cognigy_guard_core::breaker::shared::{self, FleetOp, FleetPermit, SharedRecord};
use cognigy_guard_core::breaker::{BreakerState, CircuitBreaker as Core, Outcome, Permit};
use cognigy_guard_core::GuardError;
use js_sys::Object;
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

/// The wire name of a state.
pub fn state_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

/// A circuit breaker for any async work (see docs/API.md).
#[wasm_bindgen]
pub struct CircuitBreaker {
    core: RefCell<Core>,
    clock: Clock,
    /// `retryAfterMs` of the latest call `__admit` refused.
    refused_for_ms: Cell<u64>,
    /// What `execute` shares with this breaker without a crossing (see [`Self::pending_view`]).
    pending: Box<Pending>,
    /// `UNKNOWN_OPTION` warnings about the options.
    warnings: Vec<cognigy_guard_core::Issue>,
    /// `{ store, name, leaseMs }` when a `store` is set (shared state, `cognigy-guard/redis`),
    /// else `undefined`.
    fleet: JsValue,
}

/// Longest `leaseMs`: a process trusts a closed record read this long ago.
const MAX_LEASE_MS: f64 = 10_000.0;
/// `leaseMs` when not given.
const DEFAULT_LEASE_MS: f64 = 1_000.0;

/// `{ store, name, leaseMs }` of options with a `store`; `CONFIG` errors for a store without a
/// `name` (1 to 200 characters) or a `leaseMs` outside `[0, 10000]`.
fn fleet_options(options: &JsValue) -> Result<JsValue, GuardError> {
    let get = |key: &str| {
        if options.is_object() {
            js_sys::Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    };
    let store = get("store");
    if store.is_undefined() || store.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    let error = |m: &str| GuardError::Config(format!("circuit breaker options: {m}"));
    if !store.is_object() {
        return Err(error("`store` must be a store from `cognigy-guard/redis`"));
    }
    let name = get("name").as_string().unwrap_or_default();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(error("a breaker with a `store` needs a `name` of 1 to 200 characters (the breaker shared under it)"));
    }
    let lease = get("leaseMs");
    let lease_ms = if lease.is_undefined() {
        DEFAULT_LEASE_MS
    } else {
        match lease.as_f64() {
            Some(ms) if (0.0..=MAX_LEASE_MS).contains(&ms) => ms,
            _ => return Err(error("`leaseMs` must be a number of ms in [0, 10000]")),
        }
    };
    let obj = Object::new();
    set(&obj, "store", &store);
    set(&obj, "name", &JsValue::from_str(&name));
    set(&obj, "leaseMs", &JsValue::from_f64(lease_ms));
    Ok(obj.into())
}

/// The error of a breaker method called from inside one of its own callbacks.
fn busy() -> JsValue {
    to_js_error(&GuardError::Config(
        "the circuit breaker is busy: called back from inside itself".to_owned(),
    ))
}

/// The `permit` argument of a record call: `None` when absent (`undefined` or `null`), else a
/// whole number from `tryAcquire`; anything else is a `GuardError(CONFIG)`.
fn permit_arg(permit: &JsValue) -> Result<Option<Permit>, JsValue> {
    if permit.is_undefined() || permit.is_null() {
        return Ok(None);
    }
    match permit.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_PERMIT => {
            Ok(Some(Permit(n as u64)))
        }
        _ => Err(to_js_error(&GuardError::Config(
            "permit: expected the whole number tryAcquire() gave, or nothing".to_owned(),
        ))),
    }
}

thread_local! {
    /// The start instant of the call [`CircuitBreaker::admit`] admitted last, read by JS right
    /// after the call through [`CircuitBreaker::admitted_view`].
    static ADMITTED_AT: Cell<f64> = const { Cell::new(0.0) };
}

/// Successes [`Pending`] holds; JS settles with a crossing when it is full.
const CAPACITY: usize = 32;

/// What `execute` shares with a breaker without a crossing, as consecutive f64 slots (see
/// [`CircuitBreaker::pending_view`]).
#[repr(C)]
#[derive(Default)]
struct Pending {
    /// 1 while JS may admit calls and leave their successes (the breaker is quiet), else 0.
    quiet: Cell<f64>,
    /// Successes left, their permits in `permits`.
    successes: Cell<f64>,
    /// Admissions JS made.
    admitted: Cell<f64>,
    /// The permit of the first admission JS makes (the next ones count up from it).
    next_permit: Cell<f64>,
    /// The clock's last reading: the instant of what JS admits and leaves.
    instant: Cell<f64>,
    permits: [Cell<f64>; CAPACITY],
}

/// The f64 slots of [`Pending`].
const PENDING_LEN: usize = 5 + CAPACITY;

/// The largest permit JS can hold exactly (2^53 - 1).
const MAX_PERMIT: f64 = 9_007_199_254_740_991.0;

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
        CircuitBreaker::wrap(core, &options).map_err(|e| to_js_error(&e))
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
        CircuitBreaker::wrap(core, &options).map_err(|e| to_js_error(&e))
    }

    /// `'closed' | 'open' | 'half_open'`, with due timers applied.
    #[wasm_bindgen(getter, unchecked_return_type = "CircuitState")]
    pub fn state(&self) -> String {
        let now = self.now();
        let state = self.with_core(|core| core.state_at(now));
        state_name(state.unwrap_or(BreakerState::Closed)).to_owned()
    }

    /// `[{ path, code: 'UNKNOWN_OPTION', message }]`: option keys the constructor ignored.
    #[wasm_bindgen(getter, unchecked_return_type = "Issue[]")]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.warnings)
    }

    /// Asks to make one call: `{ allowed, state, retryAfterMs, permit? }`; an admitted call's
    /// `permit` (a whole number) names it in `recordSuccess`, `recordFailure` and `release`.
    #[wasm_bindgen(js_name = tryAcquire, unchecked_return_type = "Admission")]
    pub fn try_acquire(&self) -> JsValue {
        let now = self.now();
        let Ok((a, permit)) = self.with_core(|core| core.acquire(now)) else {
            return busy();
        };
        let obj = Object::new();
        set(&obj, "allowed", &JsValue::from_bool(a.allowed));
        set(&obj, "state", &JsValue::from_str(state_name(a.state)));
        set(
            &obj,
            "retryAfterMs",
            &JsValue::from_f64(a.retry_after_ms as f64),
        );
        if let Some(Permit(permit)) = permit {
            // Permits count admissions: far below 2^53.
            set(&obj, "permit", &JsValue::from_f64(permit as f64));
        }
        obj.into()
    }

    /// Reports a successful call that took `latencyMs`, admitted with `permit` (without one: as
    /// the current period's call). Throws `GuardError(CONFIG)` for a `permit` that is not one.
    #[wasm_bindgen(js_name = recordSuccess)]
    pub fn record_success(
        &self,
        latency_ms: Option<f64>,
        #[wasm_bindgen(unchecked_param_type = "number")] permit: JsValue,
    ) -> Result<(), JsValue> {
        let permit = permit_arg(&permit)?;
        let latency_ms = latency_ms.unwrap_or(0.0);
        self.settle_manual(permit, Outcome::Success { latency_ms })
    }

    /// Reports a failed call admitted with `permit` (see `recordSuccess`).
    #[wasm_bindgen(js_name = recordFailure)]
    pub fn record_failure(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] permit: JsValue,
    ) -> Result<(), JsValue> {
        let permit = permit_arg(&permit)?;
        let failure = Outcome::Failure {
            retry_after_ms: None,
        };
        self.settle_manual(permit, failure)
    }

    /// Returns the unused `permit` (without one: the oldest probe's, when half-open).
    pub fn release(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] permit: JsValue,
    ) -> Result<(), JsValue> {
        let permit = permit_arg(&permit)?;
        self.settle_manual(permit, Outcome::Release)
    }

    /// Opens the breaker now.
    #[wasm_bindgen(js_name = forceOpen)]
    pub fn force_open(&self) {
        let now = self.now();
        let _ = self.with_core(|core| core.force_open(now));
    }

    /// Closes the breaker now and forgets failures.
    pub fn reset(&self) {
        let now = self.now();
        let _ = self.with_core(|core| core.reset(now));
    }

    /// The recorded transitions, oldest first.
    #[wasm_bindgen(unchecked_return_type = "BreakerTransition[]")]
    pub fn history(&self) -> Result<JsValue, JsValue> {
        to_js(
            &self
                .with_core(|core| core.history().to_vec())
                .map_err(|()| busy())?,
        )
    }

    /// Counters and recovery latencies.
    #[wasm_bindgen(unchecked_return_type = "CircuitBreakerStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let now = self.now();
        let stats = self.with_core(|core| {
            core.state_at(now);
            core.stats()
        });
        to_js(&stats.map_err(|()| busy())?)
    }

    /// A versioned JSON-safe snapshot (restore with `CircuitBreaker.fromSnapshot`).
    #[wasm_bindgen(unchecked_return_type = "CircuitBreakerSnapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(
            &self
                .with_core(|core| core.snapshot())
                .map_err(|()| busy())?,
        )
    }

    /// First half of `execute` (whose async part is JS, `js/execute.mjs`, so a guarded call
    /// crosses into wasm twice and allocates nothing here): admits one call and returns its
    /// permit (a whole number), its start instant written to the slot of
    /// [`Self::admitted_view`]; or -1 when refused (the rejection is then
    /// [`Self::refused_for_ms`]).
    #[wasm_bindgen(js_name = __admit, skip_typescript)]
    pub fn admit(&self) -> f64 {
        // One borrow when the core needs no fresh time (see `Core::needs_time`); else the clock
        // is read with no borrow held (an injected `now` may call back into the breaker).
        let last = self.clock.last();
        let quick = self.with_core(|core| (!core.needs_time()).then(|| core.acquire(last)));
        let acquired = match quick {
            Ok(Some(acquired)) => Ok((acquired, last)),
            Ok(None) => {
                let now = self.clock.now();
                self.with_core(|core| (core.acquire(now), now))
            }
            Err(()) => Err(()),
        };
        let Ok((acquired, now)) = acquired else {
            self.refused_for_ms.set(0);
            return -1.0;
        };
        match acquired {
            (_, Some(Permit(permit))) => {
                ADMITTED_AT.with(|slot| slot.set(now));
                // Permits count admissions: far below 2^53.
                permit as f64
            }
            (admission, None) => {
                self.refused_for_ms.set(admission.retry_after_ms);
                -1.0
            }
        }
    }

    /// A one-element `Float64Array` over the slot where [`Self::admit`] writes the start
    /// instant of the call it admitted. It is detached (length 0) once the wasm memory grows;
    /// JS then asks for a new one.
    #[wasm_bindgen(js_name = __admittedView, skip_typescript)]
    pub fn admitted_view() -> js_sys::Float64Array {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        // The wasm32 address of the slot: a byte offset into the memory's buffer.
        let offset = ADMITTED_AT.with(|slot| slot.as_ptr() as usize) as u32;
        js_sys::Float64Array::new_with_byte_offset_and_length(&memory.buffer(), offset, 1)
    }

    /// A `Float64Array` over this breaker's [`Pending`] slots, in field order, for `execute`
    /// (js/execute.mjs). While the breaker is quiet (`Core::needs_time` is false: closed, with
    /// no slow-call and no failure-rate rule; an admission is then always granted the next
    /// permit, and neither it nor a success needs a clock reading or can change the state), JS
    /// admits a call itself (the permit `next_permit + admitted`, then `admitted + 1`) and leaves
    /// a success (its permit at `permits[successes]`, then `successes + 1`). Every method first
    /// applies them, admissions then successes, at `instant` (the instant the crossings would
    /// have used; no clock is read in between, as every reading goes through a method). Detached
    /// (length 0) once the wasm memory grows.
    #[wasm_bindgen(js_name = __pendingView, skip_typescript)]
    pub fn pending_view(&self) -> js_sys::Float64Array {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        // The wasm32 address of the slots: a byte offset into the memory's buffer.
        let offset = std::ptr::from_ref::<Pending>(&self.pending) as usize as u32;
        let length = PENDING_LEN as u32;
        js_sys::Float64Array::new_with_byte_offset_and_length(&memory.buffer(), offset, length)
    }

    /// The `retryAfterMs` of the call [`Self::admit`] just refused (JS builds its
    /// `GuardError(CIRCUIT_OPEN)`, js/execute.mjs, without a crossing or a stack trace per refusal).
    #[wasm_bindgen(js_name = __refusedForMs, skip_typescript)]
    pub fn refused_for_ms(&self) -> f64 {
        // Bounded by `maxResetTimeoutMs`: far below 2^53.
        self.refused_for_ms.get() as f64
    }

    /// Second half of `execute`: the call admitted at `started` with `permit` settled (`ok` when
    /// it fulfilled); records its success with its latency, or its failure. A permit of an
    /// earlier state period counts in the stats only.
    #[wasm_bindgen(js_name = __settle, skip_typescript)]
    pub fn settle(&self, started: f64, ok: bool, permit: f64) {
        // A permit JS did not get from `__admit` (not a whole number) is settled without one.
        let permit = (permit.is_finite() && permit >= 0.0 && permit.fract() == 0.0)
            .then_some(Permit(permit as u64));
        if ok {
            let now = self.hot_path_now();
            let latency_ms = now - started;
            let _ =
                self.with_core(|core| core.settle(permit, Outcome::Success { latency_ms }, now));
        } else {
            let failure = Outcome::Failure {
                retry_after_ms: None,
            };
            let now = self.now();
            let _ = self.with_core(|core| core.settle(permit, failure, now));
        }
    }
}

/// A fleet operation code of [`CircuitBreaker::fleet_apply`]: 0 acquire, 1 success, 2 failure,
/// 3 release.
fn fleet_op(op: u32, latency_ms: f64, permit: FleetPermit) -> FleetOp {
    let outcome = match op {
        0 => return FleetOp::Acquire,
        1 => Outcome::Success { latency_ms },
        2 => Outcome::Failure {
            retry_after_ms: None,
        },
        _ => Outcome::Release,
    };
    FleetOp::Settle { permit, outcome }
}

/// The shared-state methods JS calls around a guarded call when a `store` is set
/// (js/execute.mjs; decisions in `cognigy_guard_core::breaker::shared`).
#[wasm_bindgen]
impl CircuitBreaker {
    /// `{ store, name, leaseMs }` when the breaker has a `store`, else `undefined`.
    #[wasm_bindgen(js_name = __fleet, skip_typescript)]
    pub fn fleet(&self) -> JsValue {
        self.fleet.clone()
    }

    /// Applies one operation (`op`, see [`fleet_op`]; `started`: the admission instant, for the
    /// latency; `period`/`probe`: the permit, `probe` -1 for none) to the record text read from
    /// the store (`null`: none yet), or, when `local`, to this breaker's own state (the store is
    /// unreachable), which then takes the result. Returns `{ changed, record, allowed,
    /// retryAfterMs, period, probe }` (`record`: the text to write when `changed`). A refusal's
    /// error is then built from `__refusedForMs()`. Throws `GuardError(BAD_RESPONSE)` for a malformed record.
    #[wasm_bindgen(js_name = __fleetApply, skip_typescript)]
    pub fn fleet_apply(
        &self,
        record: Option<String>,
        local: bool,
        op: u32,
        started: f64,
        period: f64,
        probe: f64,
    ) -> Result<JsValue, JsValue> {
        let now = self.now();
        let op = fleet_op(op, now - started, FleetPermit::from_numbers(period, probe));
        let applied = self
            .with_core(|core| {
                let read = if local {
                    Some(shared::record_of(core))
                } else {
                    SharedRecord::from_text(record.as_deref())?
                };
                let applied = shared::apply(read.as_ref(), core.config(), op, now)?;
                if local {
                    shared::adopt(core, Some(&applied.record))?;
                }
                Ok(applied)
            })
            .map_err(|()| busy())?
            .map_err(|e: GuardError| to_js_error(&e))?;
        if let Some(a) = applied.admission.filter(|a| !a.allowed) {
            self.refused_for_ms.set(a.retry_after_ms);
        }
        Ok(crate::convert::applied_object(&applied, now).into())
    }

    /// Takes the record text read from (or written to) the store as this breaker's shared
    /// state (`null`: none yet, closed); keeps the counters. Returns whether it is then closed
    /// with no failure recorded (a short lease may then skip the store). Throws
    /// `GuardError(BAD_RESPONSE)` for a malformed record.
    #[wasm_bindgen(js_name = __fleetAdopt, skip_typescript)]
    pub fn fleet_adopt(&self, record: Option<String>) -> Result<bool, JsValue> {
        let read = SharedRecord::from_text(record.as_deref()).map_err(|e| to_js_error(&e))?;
        self.with_core(|core| {
            shared::adopt(core, read.as_ref())?;
            Ok(shared::quiet(core))
        })
        .map_err(|()| busy())?
        .map_err(|e: GuardError| to_js_error(&e))
    }

    /// Counts one call in this process's own stats: `kind` 0 refused, 1 succeeded after
    /// `now - started` ms, 2 failed.
    #[wasm_bindgen(js_name = __fleetCount, skip_typescript)]
    pub fn fleet_count(&self, kind: u32, started: f64) {
        let now = self.now();
        let _ = self.with_core(|core| match kind {
            0 => shared::count_rejection(core),
            1 => shared::count(
                core,
                Outcome::Success {
                    latency_ms: now - started,
                },
            ),
            _ => shared::count(
                core,
                Outcome::Failure {
                    retry_after_ms: None,
                },
            ),
        });
    }

    /// The period of this breaker's state (the permit of a call admitted locally while
    /// closed, see `shared::closed_permit`).
    #[wasm_bindgen(js_name = __fleetPeriod, skip_typescript)]
    pub fn fleet_period(&self) -> f64 {
        self.with_core(|core| shared::closed_permit(core).period as f64)
            .unwrap_or(f64::NAN)
    }
}

impl CircuitBreaker {
    /// Settles a call of the manual API with `outcome` at the clock's time.
    fn settle_manual(&self, permit: Option<Permit>, outcome: Outcome) -> Result<(), JsValue> {
        let now = self.now();
        self.with_core(|core| core.settle(permit, outcome, now))
            .map_err(|()| busy())
    }

    /// The time for an admission or a success report: the clock's last reading when the core
    /// does not need a fresh one (see `Core::needs_time`), which saves a clock read per call.
    fn hot_path_now(&self) -> f64 {
        // The clock is read with no borrow held: an injected `now` may call back into the
        // breaker.
        let needs_time = self.with_core(|core| core.needs_time()).unwrap_or(true);
        if needs_time {
            self.clock.now()
        } else {
            self.clock.last()
        }
    }

    /// Runs `f` on the core, after what JS left in `pending`; then tells JS whether the
    /// breaker is quiet. `Err` when the core is borrowed (a callback re-entered).
    fn with_core<T>(&self, f: impl FnOnce(&mut Core) -> T) -> Result<T, ()> {
        self.core
            .try_borrow_mut()
            .map(|mut core| {
                self.apply_pending(&mut core);
                let result = f(&mut core);
                let pending = &self.pending;
                pending.quiet.set(if core.needs_time() { 0.0 } else { 1.0 });
                // Permits count admissions: far below 2^53.
                pending.next_permit.set(core.next_permit().0 as f64);
                pending.instant.set(self.clock.last());
                result
            })
            .map_err(|_| ())
    }

    /// Applies the admissions and then the successes JS left in `pending`, at its `instant`.
    fn apply_pending(&self, core: &mut Core) {
        let pending = &self.pending;
        let admitted = pending.admitted.get();
        let successes = pending.successes.get();
        if admitted > 0.0 || successes > 0.0 {
            let at = pending.instant.get();
            // JS writes whole counts and the permits it admitted (whole numbers below 2^53).
            for _ in 0..admitted as u64 {
                core.acquire(at);
            }
            for slot in pending.permits.iter().take(successes as usize) {
                let permit = Some(Permit(slot.get() as u64));
                core.settle(permit, Outcome::Success { latency_ms: 0.0 }, at);
            }
            pending.admitted.set(0.0);
            pending.successes.set(0.0);
        }
    }

    /// The clock's reading, after what JS left in `pending` (which takes the previous one).
    fn now(&self) -> f64 {
        let _ = self.with_core(|_| ());
        self.clock.now()
    }

    fn wrap(core: Core, options: &JsValue) -> Result<Self, GuardError> {
        let fleet = fleet_options(options)?;
        let warnings = options_json(options, "circuit breaker options")
            .map(|o| cognigy_guard_core::guard::options::breaker_option_warnings(&o))
            .unwrap_or_default();
        Ok(CircuitBreaker {
            core: RefCell::new(core),
            clock: Clock::new(function_option(options, "now")?),
            refused_for_ms: Cell::new(0),
            pending: Box::default(),
            warnings,
            fleet,
        })
    }
}
