//! The JS `TimeoutManager` class (docs/API.md "TimeoutManager", the seed "Managing ... External
//! Service Timeouts"). Its async methods (`call`, `invokeExternalService`, `configureTimeout`,
//! `syncMetrics`, defined in `js/manager.mjs`) open a core operation here ([`crate::ops`]) that the
//! JS driver runs; the synchronous ones read the core's engine. The engine and the credentials
//! are shared with the operations through `Rc<RefCell<...>>`, borrowed only inside one call, and
//! the `onAudit` sink is called with no borrow held (it may call back into the manager).

use crate::convert::{function_option, json_text, options_json, set as set_key, to_js};
use crate::error::{to_js_error, to_js_error_redacted};
use crate::ops;
use crate::platform::Clock;
use cognigy_guard_core::auth::{AuthConfig, Authority};
use cognigy_guard_core::breaker::shared::{self, CallOutcomes, FleetOp, FleetPermit, SharedRecord};
use cognigy_guard_core::guard::call_request::{resolve_call, template, RecentCalls, ResolvedCall};
use cognigy_guard_core::guard::manager_options::ManagerOptions;
use cognigy_guard_core::guard::operation::{ConfigureOp, GuardedOp, SharedEngine, SyncOp, Target};
use cognigy_guard_core::guard::{CallOptions, CallResult, GuardEngine, GuardedCall};
use cognigy_guard_core::profile::{ApiProfile, BaseUrl};
use cognigy_guard_core::protocol::operation::SharedAuthority;
use cognigy_guard_core::protocol::Machine;
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::validation::validate_timeout_config_json;
use cognigy_guard_core::GuardError;
use js_sys::Function;
use serde::Serialize;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

struct Shared {
    engine: SharedEngine,
    authority: SharedAuthority,
    clock: Rc<Clock>,
    profile: ApiProfile,
    base: BaseUrl,
    webhook: Option<BaseUrl>,
    webhook_headers: Vec<(String, String)>,
    allow_insecure_http: bool,
    max_response_bytes: u64,
    fetch: Option<Function>,
    on_audit: Option<Function>,
    /// Every secret the redactor knows (the configured one, each token seen).
    secrets: RefCell<Vec<String>>,
    closed: Cell<bool>,
    /// The `store` option (shared state, `cognigy-guard/redis`), `undefined` without one.
    store: JsValue,
    /// Store operations that failed or timed out.
    store_errors: Cell<u64>,
    /// Whether the latest store operation failed.
    store_down: Cell<bool>,
    /// `UNKNOWN_OPTION` warnings about the constructor's options.
    warnings: Vec<cognigy_guard_core::Issue>,
    /// The call requests resolved lately, by their JSON text.
    recent_calls: RefCell<RecentCalls>,
    /// [`Authority::tokens_accepted`] when the secrets were last learned.
    tokens_learned: Cell<u64>,
}

/// Guarded external calls: per-endpoint timeout policies, circuit breakers, retries, cache and
/// fallback templates, metrics for a dashboard, and a hash-chained audit log (see docs/API.md).
#[wasm_bindgen]
pub struct TimeoutManager {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl TimeoutManager {
    /// Validates the options; throws `GuardError(CONFIG | AUTH)` for bad ones (no request is made).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TimeoutManagerOptions")] options: JsValue,
    ) -> Result<TimeoutManager, JsValue> {
        let shared = Shared::new(&options)?;
        Ok(TimeoutManager {
            shared: Rc::new(shared),
        })
    }

    /// `[{ path, code: 'UNKNOWN_OPTION', message }]`: option keys the constructor ignored.
    #[wasm_bindgen(getter, unchecked_return_type = "Issue[]")]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.warnings)
    }

    /// Opens a guarded call (`call`, run by `js/manager.mjs`); bad arguments settle as errors.
    #[wasm_bindgen(js_name = __call, skip_typescript)]
    pub fn open_call(&self, endpoint_id: JsValue, request: JsValue) -> u32 {
        let shared = &self.shared;
        let opened = endpoint_text(&endpoint_id).and_then(|endpoint_id| {
            let call = shared.custom_call(&request)?;
            shared.guarded(&endpoint_id, call.target.clone(), call.options.clone())
        });
        self.shared.open_guarded(opened)
    }

    /// Opens an `invokeExternalService` call (seed-v1 only), like `__call`.
    #[wasm_bindgen(js_name = __invoke, skip_typescript)]
    pub fn open_invoke(&self, endpoint_id: JsValue, fallback_template: JsValue) -> u32 {
        let shared = &self.shared;
        let opened = endpoint_text(&endpoint_id).and_then(|endpoint_id| {
            if !shared.profile.spec().invoke {
                return Err(config(&format!(
                    "invokeExternalService needs api: 'seed-v1' (this manager uses '{}'); use call()",
                    shared.profile.as_str()
                )));
            }
            let fallback_template =
                template(&options_json(&fallback_template, "fallbackTemplate")?)?;
            // The same request every time: one cache entry per endpoint.
            let options = CallOptions {
                fallback_template,
                cache_key: Some("invokeExternalService".to_owned()),
                ..CallOptions::default()
            };
            let target = Target::Invoke {
                base: shared.base.clone(),
                endpoint_id: endpoint_id.clone(),
            };
            shared.guarded(&endpoint_id, target, options)
        });
        self.shared.open_guarded(opened)
    }

    /// Opens `configureTimeout`: validates `config`, then registers it (after the seed-v1 `PUT`,
    /// 429 retried per `Retry-After`, 3 attempts at most, within `deadlineMs`).
    #[wasm_bindgen(js_name = __configure, skip_typescript)]
    pub fn open_configure(&self, config: JsValue) -> u32 {
        let shared = &self.shared;
        let opened = (|| {
            shared.ensure_open()?;
            let text = json_text(&config).map_err(|issue| GuardError::Validation(vec![issue]))?;
            let (config, warnings) = validate_timeout_config_json(&text).into_result()?;
            let warnings = serde_json::to_value(warnings).unwrap_or(Value::Null);
            Ok(ConfigureOp::new(
                Rc::clone(&shared.engine),
                shared.base.clone(),
                config,
                warnings,
                shared.profile.spec().remote_configure,
            ))
        })();
        shared.open(opened, true)
    }

    /// Opens `syncMetrics`: delivers the pending metric events to
    /// `{webhookUrl}/metrics/timeout-sync` (with `Idempotency-Key`); events leave only on a 2xx.
    #[wasm_bindgen(js_name = __sync, skip_typescript)]
    pub fn open_sync(&self) -> u32 {
        let shared = &self.shared;
        let opened = shared.ensure_open().and_then(|()| {
            let webhook = shared
                .webhook
                .clone()
                .ok_or_else(|| config("syncMetrics needs the webhookUrl option"))?;
            Ok(SyncOp::new(
                Rc::clone(&shared.engine),
                webhook,
                shared.webhook_headers.clone(),
            ))
        });
        shared.open(opened, false)
    }

    /// The injected `fetch` option, if any (the driver calls `globalThis.fetch` otherwise).
    #[wasm_bindgen(js_name = __fetchOption, skip_typescript)]
    pub fn fetch_option(&self) -> Option<Function> {
        self.shared.fetch.clone()
    }

    /// Removes and returns the queued notifications about degraded answers, oldest first.
    #[wasm_bindgen(js_name = flushNotifications, unchecked_return_type = "Notification[]")]
    pub fn flush_notifications(&self) -> Result<JsValue, JsValue> {
        let drained = self.shared.engine().map(|mut e| e.drain_notifications())?;
        to_js(&drained)
    }

    /// Per-endpoint metrics: `{ endpoints: { [id]: EndpointMetrics }, outbox, notifications }`.
    #[wasm_bindgen(unchecked_return_type = "ManagerMetrics")]
    pub fn metrics(&self) -> Result<JsValue, JsValue> {
        let now = self.shared.clock.now();
        let mut value = self.shared.engine().map(|mut e| e.metrics(now))?;
        if !self.shared.store.is_undefined() {
            if let Value::Object(map) = &mut value {
                map.insert(
                    "storeErrors".to_owned(),
                    self.shared.store_errors.get().into(),
                );
            }
        }
        self.shared.emit_audit();
        to_js(&value)
    }

    /// The metrics in Prometheus text exposition format.
    pub fn prometheus(&self) -> Result<String, JsValue> {
        let now = self.shared.clock.now();
        let text = self.shared.engine().map(|mut e| e.prometheus(now))?;
        self.shared.emit_audit();
        Ok(text)
    }

    /// The breaker transitions of one endpoint, oldest first (bounded): `{ at, atMs, from, to,
    /// reason, failureCount, recoveryLatencyMs }`. Throws `GuardError(CONFIG)` for an unknown
    /// endpoint.
    #[wasm_bindgen(unchecked_return_type = "BreakerTransition[]")]
    pub fn history(
        &self,
        #[wasm_bindgen(js_name = endpointId, unchecked_param_type = "string")] endpoint_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = endpoint_text(&endpoint_id).map_err(|e| to_js_error(&e))?;
        let engine = self.shared.engine()?;
        let endpoint = engine.endpoint(&id).map_err(|e| to_js_error(&e))?;
        to_js(&endpoint.breaker.history())
    }

    /// The hash-chained audit records kept in memory, oldest first.
    #[wasm_bindgen(js_name = auditLog, unchecked_return_type = "AuditRecord[]")]
    pub fn audit_log(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.engine()?.audit_log())
    }

    /// `{ seq, hash }` of the last audit record: keep it apart from the log and pass it to
    /// `verifyAuditLog(records, { head })`.
    #[wasm_bindgen(js_name = auditHead, unchecked_return_type = "AuditHead")]
    pub fn audit_head(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.engine.borrow().audit_head())
    }

    /// A versioned JSON-safe snapshot (breakers, cache, pending outbox, policies; no secrets) to
    /// pass as `state` to a new `TimeoutManager`.
    #[wasm_bindgen(unchecked_return_type = "ManagerSnapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.engine()?.snapshot())
    }

    /// Refuses further calls (they reject `GuardError(CANCELLED)`).
    pub fn close(&self) {
        self.shared.closed.set(true);
    }
}

/// Checks a chain of audit records: `{ ok, brokenAt?, index?, reason? }`; anything but an array
/// is `reason: 'NOT_A_LOG'`. With `{ head }` (from `auditHead()` or a snapshot's `audit`) a
/// removed or forged tail is detected too.
#[wasm_bindgen(js_name = verifyAuditLog, unchecked_return_type = "AuditVerification")]
pub fn verify_audit_log(
    #[wasm_bindgen(unchecked_param_type = "AuditRecord[]")] records: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ head?: AuditHead }")] options: JsValue,
) -> Result<JsValue, JsValue> {
    // Records that cannot even be read as JSON are no log either.
    let value = options_json(&records, "records").unwrap_or(Value::Null);
    let options = options_json(&options, "verifyAuditLog options").map_err(|e| to_js_error(&e))?;
    to_js(&cognigy_guard_core::audit::verify_log(
        &value,
        options.get("head"),
    ))
}

/// The shared-state methods `js/manager.mjs` calls around an operation when a `store` is set
/// (decisions in `cognigy_guard_core::breaker::shared`; the store's I/O is JS).
#[wasm_bindgen]
impl TimeoutManager {
    /// The `store` option (`undefined` without one).
    #[wasm_bindgen(js_name = __fleetStore, skip_typescript)]
    pub fn fleet_store(&self) -> JsValue {
        self.shared.store.clone()
    }

    /// The cache key of a `call(endpointId, request)` (`undefined` when not cached or invalid:
    /// the call itself then reports the error).
    #[wasm_bindgen(js_name = __fleetCacheKey, skip_typescript)]
    pub fn fleet_cache_key(&self, request: JsValue) -> Option<String> {
        self.shared
            .custom_call(&request)
            .ok()?
            .options
            .cache_key
            .clone()
    }

    /// Before a call of `endpointId`: takes the record text read from the store (`null`: none;
    /// a malformed one counts as none) as its breaker's shared state and decides an admission on
    /// it. Returns `undefined` for an unknown endpoint, else `{ changed, record, allowed, period,
    /// probe, counters }` (`record`: to write by compare-and-set when `changed`, a fleet probe;
    /// `counters`: `[successes, failures, slowCalls]` now, for `__fleetEnd`).
    #[wasm_bindgen(js_name = __fleetBegin, skip_typescript)]
    pub fn fleet_begin(
        &self,
        endpoint_id: String,
        record: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let now = self.shared.clock.now();
        let read = parse_shared(record);
        let mut engine = self.shared.engine()?;
        let Some(breaker) = engine.breaker_mut(&endpoint_id) else {
            return Ok(JsValue::UNDEFINED);
        };
        shared::adopt(breaker, read.as_ref()).map_err(|e| to_js_error(&e))?;
        let applied = shared::apply(read.as_ref(), breaker.config(), FleetOp::Acquire, now)
            .map_err(|e| to_js_error(&e))?;
        let stats = breaker.stats();
        let obj = crate::convert::applied_object(&applied, now);
        let counters = js_sys::Array::of3(
            &JsValue::from_f64(stats.successes as f64),
            &JsValue::from_f64(stats.failures as f64),
            &JsValue::from_f64(stats.slow_calls as f64),
        );
        set_key(&obj, "counters", &counters);
        Ok(obj.into())
    }

    /// Takes `record` (the text read or written) as the breaker state of `endpointId`.
    #[wasm_bindgen(js_name = __fleetAdopt, skip_typescript)]
    pub fn fleet_adopt(&self, endpoint_id: String, record: Option<String>) -> Result<(), JsValue> {
        let read = parse_shared(record);
        let mut engine = self.shared.engine()?;
        if let Some(breaker) = engine.breaker_mut(&endpoint_id) {
            shared::adopt(breaker, read.as_ref()).map_err(|e| to_js_error(&e))?;
        }
        Ok(())
    }

    /// After a call of `endpointId` admitted with permit `period`/`probe` (-1: none) when its
    /// counters were `counters`: the record `record` (text read; `null`: none) with the call's
    /// outcomes applied: `{ changed, record }` (`undefined` for an unknown endpoint).
    #[wasm_bindgen(js_name = __fleetEnd, skip_typescript)]
    pub fn fleet_end(
        &self,
        endpoint_id: String,
        record: Option<String>,
        period: f64,
        probe: f64,
        counters: Vec<f64>,
    ) -> Result<JsValue, JsValue> {
        let now = self.shared.clock.now();
        let read = parse_shared(record);
        let mut engine = self.shared.engine()?;
        let Some(breaker) = engine.breaker_mut(&endpoint_id) else {
            return Ok(JsValue::UNDEFINED);
        };
        let stats = breaker.stats();
        let before = |i: usize| counters.get(i).copied().unwrap_or(0.0);
        let delta = |now: u64, i: usize| (now as f64 - before(i)).max(0.0);
        let successes = delta(stats.successes, 0);
        let slow = delta(stats.slow_calls, 2) > 0.0;
        let config = breaker.config().clone();
        let outcomes = CallOutcomes {
            // At most one attempt per ms of deadline: far below u32::MAX.
            failures: delta(stats.failures, 1).min(f64::from(u32::MAX)) as u32,
            success_latency_ms: (successes > 0.0).then(|| {
                // A slow success counts as a failure for the rules: any latency beyond the limit.
                config
                    .slow_call_ms
                    .filter(|_| slow)
                    .map_or(0.0, |limit| limit as f64 + 1.0)
            }),
        };
        let permit = FleetPermit::from_numbers(period, probe);
        let applied = shared::apply_call(read.as_ref(), &config, permit, outcomes, now)
            .map_err(|e| to_js_error(&e))?;
        Ok(crate::convert::applied_object(&applied, now).into())
    }

    /// The fresh cached answer body for request `key` of `endpointId`, as JSON text, to share.
    #[wasm_bindgen(js_name = __fleetCached, skip_typescript)]
    pub fn fleet_cached(&self, endpoint_id: String, key: String) -> Option<String> {
        let now = self.shared.clock.now();
        let value = self.shared.engine().ok()?.cached(&endpoint_id, &key, now)?;
        serde_json::to_string(&value).ok()
    }

    /// Caches the answer body text another process shared for request `key` of `endpointId`
    /// (ignored when not JSON).
    #[wasm_bindgen(js_name = __fleetCache, skip_typescript)]
    pub fn fleet_cache(&self, endpoint_id: String, key: String, body: String) {
        let now = self.shared.clock.now();
        let Ok(value) = serde_json::from_str::<Value>(&body) else {
            return;
        };
        if let Ok(mut engine) = self.shared.engine() {
            engine.cache_shared(&endpoint_id, &key, &value, now);
        }
    }

    /// The cache TTL in ms (the shared entries' expiry).
    #[wasm_bindgen(js_name = __fleetCacheTtl, skip_typescript)]
    pub fn fleet_cache_ttl(&self) -> f64 {
        self.shared
            .engine()
            .map_or(0.0, |e| e.cache_ttl_ms() as f64)
    }

    /// Reports a store operation's result: a failure counts in `storeErrors`; the first
    /// failure after a success audits `store_unavailable`, the first success after a failure
    /// `store_recovered` (with `message`, which names no secret: the store's own error text).
    #[wasm_bindgen(js_name = __fleetStoreResult, skip_typescript)]
    pub fn fleet_store_result(&self, ok: bool, message: Option<String>) {
        let shared = &self.shared;
        if !ok {
            shared
                .store_errors
                .set(shared.store_errors.get().saturating_add(1));
        }
        if shared.store_down.get() == ok {
            shared.store_down.set(!ok);
            let now = shared.clock.now();
            let (event, details) = if ok {
                (
                    "store_recovered",
                    serde_json::json!({ "storeErrors": shared.store_errors.get() }),
                )
            } else {
                let message: String = message.unwrap_or_default().chars().take(200).collect();
                (
                    "store_unavailable",
                    serde_json::json!({ "message": message }),
                )
            };
            if let Ok(mut engine) = shared.engine() {
                engine.audit(event, &details, now);
            }
            shared.emit_audit();
        }
    }
}

/// A record text read from the store; a malformed one counts as none (it is overwritten).
fn parse_shared(text: Option<String>) -> Option<SharedRecord> {
    SharedRecord::from_text(text.as_deref()).ok().flatten()
}

impl Shared {
    /// The target and options of a `call` request, its cache key resolved (method + URL unless
    /// `cacheKey` is given).
    ///
    /// The request's JSON text is the key of the instance's [`RecentCalls`]: a repeated request
    /// is parsed and validated once.
    fn custom_call(&self, request: &JsValue) -> Result<Rc<ResolvedCall>, GuardError> {
        let resolve = |value: &Value| resolve_call(value, &self.base, self.allow_insecure_http);
        if request.is_undefined() || request.is_null() {
            return resolve(&Value::Null).map(Rc::new);
        }
        let text = json_text(request).map_err(|issue| call_request_error(&issue.message))?;
        let mut recent = self
            .recent_calls
            .try_borrow_mut()
            .map_err(|_| config("the manager is busy"))?;
        recent.get_or_resolve(text, |text| {
            let value = serde_json::from_str(text).map_err(|_| call_request_error("not JSON"))?;
            resolve(&value)
        })
    }

    fn new(options: &JsValue) -> Result<Shared, JsValue> {
        Shared::read(options).map_err(|e| to_js_error(&e))
    }

    fn read(options: &JsValue) -> Result<Shared, GuardError> {
        let o = ManagerOptions::from_json(&options_json(options, "TimeoutManager options")?)?;
        let clock = Rc::new(Clock::new(function_option(options, "now")?));
        let secrets = o.auth.secrets();
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let mut engine = GuardEngine::new(
            o.engine_config(format!("tm-{}", random_id()), seed),
            Redactor::new(secrets.clone()),
        )?;
        if let Some(state) = &o.state {
            engine.restore(state, clock.now())?;
        }
        Ok(Shared {
            engine: Rc::new(RefCell::new(engine)),
            authority: Rc::new(RefCell::new(Authority::new(
                o.profile,
                o.base.clone(),
                o.auth,
            ))),
            clock,
            profile: o.profile,
            base: o.base,
            webhook: o.webhook,
            webhook_headers: o.webhook_headers,
            allow_insecure_http: o.allow_insecure_http,
            max_response_bytes: o.max_response_bytes,
            fetch: function_option(options, "fetch")?,
            on_audit: function_option(options, "onAudit")?,
            secrets: RefCell::new(secrets),
            closed: Cell::new(false),
            store: match js_sys::Reflect::get(options, &JsValue::from_str("store")) {
                Ok(store) if store.is_object() => store,
                _ => JsValue::UNDEFINED,
            },
            store_errors: Cell::new(0),
            store_down: Cell::new(false),
            warnings: o.warnings,
            recent_calls: RefCell::new(RecentCalls::default()),
            tokens_learned: Cell::new(0),
        })
    }

    /// The engine, borrowed for one synchronous method (a `CONFIG` error while an `onAudit` or
    /// `now` callback re-enters during a borrow, which the methods avoid).
    fn engine(&self) -> Result<std::cell::RefMut<'_, GuardEngine>, JsValue> {
        self.engine.try_borrow_mut().map_err(|_| {
            to_js_error(&config(
                "the manager is busy: called back from inside itself",
            ))
        })
    }

    /// A guarded call to `target`, counted in the metrics.
    fn guarded(
        &self,
        endpoint_id: &str,
        target: Target,
        options: CallOptions,
    ) -> Result<GuardedOp, GuardError> {
        self.ensure_open()?;
        let now = self.clock.now();
        let call = {
            let mut engine = self
                .engine
                .try_borrow_mut()
                .map_err(|_| config("the manager is busy"))?;
            GuardedCall::new(&mut engine, endpoint_id, options, now)?
        };
        let credentials = !self
            .authority
            .try_borrow()
            .is_ok_and(|a| matches!(a.config(), AuthConfig::None));
        Ok(GuardedOp::new(
            Rc::clone(&self.engine),
            call,
            target,
            credentials,
            self.max_response_bytes,
        ))
    }

    /// Opens `opened` (with the API credentials when `authorized`), settling as [`Self::finisher`]
    /// says with values converted by [`to_js`]; a preparation error settles at once.
    fn open<M>(self: &Rc<Self>, opened: Result<M, GuardError>, authorized: bool) -> u32
    where
        M: Machine + 'static,
        M::Output: Serialize + 'static,
    {
        self.open_with(opened, authorized, to_js)
    }

    /// Opens a guarded call (with the API credentials); its result reaches JS as the text of
    /// [`CallResult::to_json`] read by `JSON.parse` (a live body is not serialized again).
    fn open_guarded(self: &Rc<Self>, opened: Result<GuardedOp, GuardError>) -> u32 {
        self.open_with(opened, true, |result: &CallResult| {
            let text = result.to_json().map_err(|e| {
                JsValue::from(js_sys::Error::new(&format!("cannot serialize: {e}")))
            })?;
            js_sys::JSON::parse(&text)
        })
    }

    fn open_with<M>(
        self: &Rc<Self>,
        opened: Result<M, GuardError>,
        authorized: bool,
        convert: fn(&M::Output) -> Result<JsValue, JsValue>,
    ) -> u32
    where
        M: Machine + 'static,
    {
        match opened {
            Ok(op) => ops::open(
                op,
                authorized.then(|| Rc::clone(&self.authority)),
                Rc::clone(&self.clock),
                self.finisher(convert),
            ),
            Err(err) => ops::failed(self.error(&err)),
        }
    }

    /// How an operation's outcome settles: values to JS by `convert`, errors to a redacted
    /// `GuardError`, after fresh audit records went to `onAudit`.
    fn finisher<T: 'static>(
        self: &Rc<Self>,
        convert: fn(&T) -> Result<JsValue, JsValue>,
    ) -> ops::Finish<T> {
        let shared = Rc::clone(self);
        Box::new(move |outcome| {
            shared.learn_secrets();
            shared.emit_audit();
            match outcome {
                Ok(value) => convert(&value),
                Err(err) => Err(shared.error(&err)),
            }
        })
    }

    /// `err` as a JS `GuardError` with every known secret removed.
    fn error(&self, err: &GuardError) -> JsValue {
        match self.engine.try_borrow() {
            Ok(engine) => to_js_error_redacted(err, engine.redactor()),
            Err(_) => to_js_error(err),
        }
    }

    /// Calls `onAudit` with each record appended since the last delivery; a throwing sink is
    /// ignored.
    fn emit_audit(&self) {
        let records = match self.engine.try_borrow_mut() {
            Ok(mut engine) => engine.take_fresh_audit(),
            Err(_) => return,
        };
        let Some(sink) = &self.on_audit else {
            return;
        };
        for record in records {
            if let Ok(value) = to_js(&record) {
                let _ = sink.call1(&JsValue::UNDEFINED, &value);
            }
        }
    }

    /// Adds any new token to the redactor (nothing to do while no new token was accepted).
    fn learn_secrets(&self) {
        let (Ok(authority), Ok(mut engine)) =
            (self.authority.try_borrow(), self.engine.try_borrow_mut())
        else {
            return;
        };
        let tokens = authority.tokens_accepted();
        if self.tokens_learned.get() == tokens {
            return;
        }
        let Ok(mut known) = self.secrets.try_borrow_mut() else {
            return;
        };
        let before = known.len();
        for secret in authority.secrets() {
            if !known.contains(&secret) {
                known.push(secret);
            }
        }
        if known.len() != before {
            engine.set_redactor(Redactor::new(known.clone()));
        }
        self.tokens_learned.set(tokens);
    }

    fn ensure_open(&self) -> Result<(), GuardError> {
        if self.closed.get() {
            Err(GuardError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// An endpoint id argument: a string, else `CONFIG`.
fn endpoint_text(value: &JsValue) -> Result<String, GuardError> {
    value
        .as_string()
        .ok_or_else(|| config("endpointId must be a string"))
}

fn random_id() -> String {
    let n = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let m = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{n:08x}{m:08x}")
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

/// The `CONFIG` error of a call request that has no JSON form (as [`options_json`] words it).
fn call_request_error(reason: &str) -> GuardError {
    GuardError::Config(format!("call request: {reason}"))
}
