//! The JS `TimeoutManager` class (API.md "TimeoutManager", the seed "Managing ... External Service
//! Timeouts"): drives the core's `GuardedCall` state machine with real `fetch`, timers and
//! credentials. `call` and `invokeExternalService` are a JS loop (`js/call.mjs`) around the
//! synchronous step functions of [`call`]; the rest is here. All state lives in `Rc<RefCell<...>>`; no borrow is held across an await, and the
//! `onAudit` sink is called with no borrow held (it may call back into the manager).

use crate::auth::Authenticator;
use crate::convert::{function_option, json_text, options_json, to_js};
use crate::error::{to_js_error, to_js_error_redacted};
use crate::http::HttpClient;
use crate::platform::sleep;
use cognigy_guard_core::auth::AuthConfig;
use cognigy_guard_core::breaker::config::BreakerConfig;
use cognigy_guard_core::guard::policy::configure_retry;
use cognigy_guard_core::guard::{CallOptions, EngineConfig, GuardEngine};
use cognigy_guard_core::profile::custom::CustomRequest;
use cognigy_guard_core::profile::{
    is_success, parse_error, seed_v1, webhook, ApiProfile, BaseUrl, Credentials, HttpRequest,
};
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::retry::RetryDecision;
use cognigy_guard_core::validation::validate_timeout_config_json;
use cognigy_guard_core::GuardError;
use js_sys::{Function, Promise};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod call;

/// Scopes requested on `seed-v1` when `auth.scopes` is not given (the seed's list).
const SEED_SCOPES: [&str; 4] = [
    "externalService:write",
    "bot:read",
    "metrics:write",
    "audit:write",
];
/// Scopes a `seed-v1` OAuth client must have (configuration upload and metrics).
const SEED_REQUIRED_SCOPES: [&str; 2] = ["externalService:write", "metrics:write"];
/// Time allowed for one dashboard request.
const SYNC_TIMEOUT_MS: u64 = 15_000;

struct Shared {
    engine: RefCell<GuardEngine>,
    http: Rc<HttpClient>,
    auth: Rc<Authenticator>,
    profile: ApiProfile,
    base: BaseUrl,
    webhook: Option<BaseUrl>,
    webhook_headers: Vec<(String, String)>,
    allow_insecure_http: bool,
    on_audit: Option<Function>,
    secrets: RefCell<Vec<String>>,
    closed: Cell<bool>,
    /// The calls in progress, driven by `js/call.mjs` (see [`call`]).
    calls: RefCell<BTreeMap<u32, call::Pending>>,
    /// The next call handle.
    next_call: Cell<u32>,
}

/// Guarded external calls: per-endpoint timeout policies, circuit breakers, retries, cache and
/// fallback templates, metrics for a dashboard, and a hash-chained audit log (see API.md).
#[wasm_bindgen]
pub struct TimeoutManager {
    shared: Rc<Shared>,
    /// `UNKNOWN_OPTION` warnings about the constructor's options.
    warnings: Vec<cognigy_guard_core::Issue>,
}

/// What one call goes to.
enum Target {
    /// A user-described request; credentials only when it targets the API.
    Custom {
        request: HttpRequest,
        targets_api: bool,
    },
    /// `seed-v1` invoke of an external service.
    SeedInvoke(String),
}

#[wasm_bindgen]
impl TimeoutManager {
    /// Validates the options; throws `GuardError(CONFIG | AUTH)` for bad ones (no request is made).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TimeoutManagerOptions")] options: JsValue,
    ) -> Result<TimeoutManager, JsValue> {
        let warnings = options_json(&options, "TimeoutManager options")
            .map(|o| cognigy_guard_core::guard::options::manager_option_warnings(&o))
            .unwrap_or_default();
        Shared::new(&options)
            .map(|shared| TimeoutManager {
                shared: Rc::new(shared),
                warnings,
            })
            .map_err(|e| to_js_error(&e))
    }

    /// `[{ path, code: 'UNKNOWN_OPTION', message }]`: option keys the constructor ignored.
    #[wasm_bindgen(getter, unchecked_return_type = "Issue[]")]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.warnings)
    }

    /// Validates `config` and registers the endpoint's policy; with `seed-v1` also `PUT`s it
    /// (429 retried per `Retry-After`, 3 attempts at most, within `deadlineMs`).
    #[wasm_bindgen(js_name = configureTimeout, unchecked_return_type = "Promise<ConfigureResult>")]
    pub fn configure_timeout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TimeoutConfigInput | TimeoutConfig")]
        config: JsValue,
    ) -> Promise {
        let shared = Rc::clone(&self.shared);
        let text = json_text(&config);
        future_to_promise(async move {
            let result = async {
                let text = text.map_err(|issue| GuardError::Validation(vec![issue]))?;
                shared.configure(&text).await
            }
            .await;
            shared.settle(result)
        })
    }

    /// Removes and returns the queued notifications about degraded answers, oldest first.
    #[wasm_bindgen(js_name = flushNotifications, unchecked_return_type = "Notification[]")]
    pub fn flush_notifications(&self) -> Result<JsValue, JsValue> {
        let drained = self.shared.engine.borrow_mut().drain_notifications();
        to_js(&drained)
    }

    /// Delivers the pending metric events to `{webhookUrl}/metrics/timeout-sync` (with
    /// `Idempotency-Key`); events leave only on a 2xx. Resolves `{ delivered, pending, dropped,
    /// ok, status?, error? }`; never rejects for a dashboard failure.
    #[wasm_bindgen(js_name = syncMetrics, unchecked_return_type = "Promise<SyncResult>")]
    pub fn sync_metrics(&self) -> Promise {
        let shared = Rc::clone(&self.shared);
        future_to_promise(async move {
            let result = shared.sync().await;
            shared.settle(result)
        })
    }

    /// Per-endpoint metrics: `{ endpoints: { [id]: EndpointMetrics }, outbox, notifications }`.
    #[wasm_bindgen(unchecked_return_type = "ManagerMetrics")]
    pub fn metrics(&self) -> Result<JsValue, JsValue> {
        let now = self.shared.http.now();
        let value = self.shared.engine.borrow_mut().metrics(now);
        self.shared.emit_audit();
        to_js(&value)
    }

    /// The metrics in Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let now = self.shared.http.now();
        let text = self.shared.engine.borrow_mut().prometheus(now);
        self.shared.emit_audit();
        text
    }

    /// The breaker transitions of one endpoint, oldest first (bounded): `{ at, atMs, from, to,
    /// reason, failureCount, recoveryLatencyMs }`. Throws `GuardError(CONFIG)` for an unknown
    /// endpoint.
    #[wasm_bindgen(unchecked_return_type = "BreakerTransition[]")]
    pub fn history(
        &self,
        #[wasm_bindgen(js_name = endpointId)] endpoint_id: &str,
    ) -> Result<JsValue, JsValue> {
        let engine = self.shared.engine.borrow();
        let endpoint = engine.endpoint(endpoint_id).map_err(|e| to_js_error(&e))?;
        to_js(&endpoint.breaker.history())
    }

    /// The hash-chained audit records kept in memory, oldest first.
    #[wasm_bindgen(js_name = auditLog, unchecked_return_type = "AuditRecord[]")]
    pub fn audit_log(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.engine.borrow().audit_log())
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
        to_js(&self.shared.engine.borrow().snapshot())
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

impl Shared {
    fn new(options: &JsValue) -> Result<Shared, GuardError> {
        let o = options_json(options, "TimeoutManager options")?;
        if !o.is_object() {
            return Err(GuardError::Config(
                "TimeoutManager options must be an object with baseUrl".to_owned(),
            ));
        }
        let allow_insecure_http = match o.get("allowInsecureHttp") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(config("allowInsecureHttp must be a boolean")),
        };
        let profile = match o.get("api") {
            None | Some(Value::Null) => ApiProfile::CognigyV2,
            Some(Value::String(name)) => ApiProfile::parse(name)?,
            Some(_) => return Err(config("api must be 'cognigy-v2' or 'seed-v1'")),
        };
        let base_text = o
            .get("baseUrl")
            .and_then(Value::as_str)
            .ok_or_else(|| config("baseUrl is required (a string)"))?;
        let base = BaseUrl::new(base_text, allow_insecure_http)?;
        let default_scopes: &[&str] = match profile {
            ApiProfile::SeedV1 => &SEED_SCOPES,
            ApiProfile::CognigyV2 => &[],
        };
        let auth_config = AuthConfig::from_json(
            o.get("auth").unwrap_or(&Value::Null),
            default_scopes,
            allow_insecure_http,
        )?;
        if profile == ApiProfile::SeedV1 {
            if matches!(auth_config, AuthConfig::ApiKey(_)) {
                return Err(config(
                    "api 'seed-v1' authenticates with OAuth: auth { clientId, clientSecret }",
                ));
            }
            auth_config.check_scopes(&SEED_REQUIRED_SCOPES)?;
        }
        let webhook = match o.get("webhookUrl") {
            None | Some(Value::Null) => None,
            Some(Value::String(url)) => Some(BaseUrl::new(url, allow_insecure_http)?),
            Some(_) => return Err(config("webhookUrl must be a string")),
        };
        let webhook_headers = string_pairs(o.get("webhookHeaders"), "webhookHeaders")?;
        // Checks names and values once, so a sync never fails on them.
        webhook::dashboard_sync(
            &BaseUrl::new("https://example.invalid", false)?,
            &[],
            "check",
        )?
        .with_headers(&webhook_headers)?;
        let number = |key: &str, default: u64, min: u64, max: u64| -> Result<u64, GuardError> {
            match o.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_u64()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        GuardError::Config(format!("{key} must be an integer {min}..={max}"))
                    }),
            }
        };
        let cache_ttl_ms = number("cacheTtlMs", 300_000, 0, 365 * 86_400_000)?;
        let cache_max_entries = number("cacheMaxEntries", 1000, 0, 1_000_000)?;
        let deadline_ms = number("deadlineMs", 20_000, 1, 3_600_000)?;
        let breaker = BreakerConfig::from_json(o.get("breaker").unwrap_or(&Value::Null))?;

        let http = Rc::new(HttpClient::new(
            function_option(options, "fetch"),
            function_option(options, "now"),
        ));
        let secrets = auth_config.secrets();
        let auth = Authenticator::new(profile, base.clone(), auth_config, Rc::clone(&http));
        let prefix = format!("tm-{}", random_id());
        let mut engine = GuardEngine::new(
            EngineConfig {
                breaker,
                cache_ttl_ms,
                cache_max_entries: usize::try_from(cache_max_entries).unwrap_or(usize::MAX),
                deadline_ms,
                outbox_prefix: prefix,
                seed: (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64,
            },
            Redactor::new(secrets.clone()),
        )?;
        if let Some(state) = o.get("state").filter(|s| !s.is_null()) {
            engine.restore(state, http.now())?;
        }
        Ok(Shared {
            engine: RefCell::new(engine),
            http,
            auth,
            profile,
            base,
            webhook,
            webhook_headers,
            allow_insecure_http,
            on_audit: function_option(options, "onAudit"),
            secrets: RefCell::new(secrets),
            closed: Cell::new(false),
            calls: RefCell::new(BTreeMap::new()),
            next_call: Cell::new(1),
        })
    }

    /// Turns a result into the promise outcome: values to JS, errors to a redacted `GuardError`.
    /// Delivers fresh audit records to `onAudit` first.
    fn settle<T: Serialize>(&self, result: Result<T, GuardError>) -> Result<JsValue, JsValue> {
        self.emit_audit();
        match result {
            Ok(value) => to_js(&value),
            Err(err) => Err(to_js_error_redacted(&err, self.engine.borrow().redactor())),
        }
    }

    /// Calls `onAudit` with each record appended since the last delivery; a throwing sink is
    /// ignored.
    fn emit_audit(&self) {
        let records = self.engine.borrow_mut().take_fresh_audit();
        let Some(sink) = &self.on_audit else {
            return;
        };
        for record in records {
            if let Ok(value) = to_js(&record) {
                let _ = sink.call1(&JsValue::UNDEFINED, &value);
            }
        }
    }

    /// Adds any new token to the redactor.
    fn learn_secrets(&self) {
        let current = self.auth.secrets();
        let mut known = self.secrets.borrow_mut();
        let before = known.len();
        for secret in current {
            if !known.contains(&secret) {
                known.push(secret);
            }
        }
        if known.len() != before {
            self.engine
                .borrow_mut()
                .set_redactor(Redactor::new(known.clone()));
        }
    }

    fn ensure_open(&self) -> Result<(), GuardError> {
        if self.closed.get() {
            Err(GuardError::Cancelled)
        } else {
            Ok(())
        }
    }

    async fn credentials(&self) -> Result<Option<Credentials>, GuardError> {
        let credentials = self.auth.credentials().await;
        self.learn_secrets();
        credentials
    }

    async fn configure(&self, text: &str) -> Result<Value, GuardError> {
        self.ensure_open()?;
        let (config, warnings) = validate_timeout_config_json(text).into_result()?;
        let remote = if self.profile == ApiProfile::SeedV1 {
            self.put_configuration(&config).await?
        } else {
            Value::Null
        };
        let now = self.http.now();
        self.engine.borrow_mut().configure(config.clone(), now)?;
        Ok(json!({
            "endpointId": config.endpoint_id,
            "config": config,
            "warnings": warnings,
            "remote": remote,
        }))
    }

    /// The seed's `configure_timeout` PUT with its 429 loop, bounded by the deadline.
    async fn put_configuration(
        &self,
        policy: &cognigy_guard_core::model::TimeoutConfig,
    ) -> Result<Value, GuardError> {
        let deadline_ms = self.engine.borrow().deadline_ms();
        let deadline_at = self.http.now() + deadline_ms as f64;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let credentials = match self.credentials().await {
                Ok(Some(c)) => c,
                Ok(None) => return Err(config("api 'seed-v1' needs auth")),
                Err(err) => return Err(self.auth_failure(&policy.endpoint_id, err)),
            };
            let request = seed_v1::configure_timeout(&self.base, &credentials, policy)?;
            let remaining = (deadline_at - self.http.now()).max(1.0) as u64;
            let response = self
                .http
                .send(&request, remaining, None)
                .await
                .map_err(|e| e.into_guard_error(remaining, attempt, Some(&policy.endpoint_id)))?;
            let headers = response.headers();
            match response.status {
                status if is_success(status) => {
                    return seed_v1::parse_configure(status, &headers, &response.body)
                }
                401 | 403 => {
                    let err = parse_error(response.status, &headers, &response.body);
                    return Err(self.auth_failure(&policy.endpoint_id, err));
                }
                429 => {
                    let now = self.http.now();
                    match configure_retry(
                        attempt,
                        429,
                        response.retry_after.as_deref(),
                        now,
                        deadline_at,
                    ) {
                        RetryDecision::RetryAfter { delay_ms } => sleep(delay_ms).await,
                        RetryDecision::GiveUp { .. } => {
                            return Err(GuardError::RateLimited {
                                retry_after_ms: response.retry_after.as_deref().and_then(|v| {
                                    cognigy_guard_core::retry::parse_retry_after(v, now)
                                }),
                                attempts: attempt,
                                endpoint_id: Some(policy.endpoint_id.clone()),
                            })
                        }
                    }
                }
                status => return Err(parse_error(status, &headers, &response.body)),
            }
        }
    }

    /// Audits an auth failure and returns the error as `AUTH`.
    fn auth_failure(&self, endpoint_id: &str, err: GuardError) -> GuardError {
        let fields = err.fields();
        let now = self.http.now();
        self.engine.borrow_mut().audit(
            "auth_failure",
            &json!({ "endpointId": endpoint_id, "code": fields.code, "status": fields.status }),
            now,
        );
        match err {
            GuardError::Auth { .. } => err,
            other => GuardError::Auth {
                message: format!("authentication failed: {}", other.fields().message),
                status: fields.status,
                problem: None,
            },
        }
    }

    /// Delivers outbox batches until it is empty or a delivery fails.
    async fn sync(&self) -> Result<Value, GuardError> {
        self.ensure_open()?;
        let webhook_base = self
            .webhook
            .as_ref()
            .ok_or_else(|| config("syncMetrics needs the webhookUrl option"))?;
        let mut delivered = 0usize;
        let mut failure: Option<Value> = None;
        let mut status = None;
        loop {
            let Some(batch) = self.engine.borrow_mut().begin_sync() else {
                break;
            };
            let request =
                webhook::dashboard_sync(webhook_base, &batch.events, &batch.idempotency_key)
                    .and_then(|r| r.with_headers(&self.webhook_headers));
            let outcome = match request {
                Ok(request) => self
                    .http
                    .send(&request, SYNC_TIMEOUT_MS, None)
                    .await
                    .map_err(|e| e.into_guard_error(SYNC_TIMEOUT_MS, 1, None)),
                Err(err) => Err(err),
            };
            let now = self.http.now();
            let (ok, code, err) = match outcome {
                Ok(r) if is_success(r.status) => (true, Some(r.status), None),
                Ok(r) => (
                    false,
                    Some(r.status),
                    Some(parse_error(r.status, &r.headers(), &r.body)),
                ),
                Err(err) => (false, None, Some(err)),
            };
            status = code;
            let count = self
                .engine
                .borrow_mut()
                .end_sync(&batch.idempotency_key, ok, code, now);
            delivered = delivered.saturating_add(count);
            if let Some(err) = err {
                failure = Some(self.engine.borrow().error_value(&err));
                break;
            }
        }
        let engine = self.engine.borrow();
        let mut answer = json!({
            "delivered": delivered,
            "pending": engine.outbox_pending(),
            "dropped": engine.outbox_dropped(),
            "ok": failure.is_none(),
            "status": status,
        });
        if let (Some(err), Some(obj)) = (failure, answer.as_object_mut()) {
            obj.insert("error".to_owned(), err);
        }
        Ok(answer)
    }
}

/// Reads `{ url, method?, headers?, body?, timeoutMs?, fallbackTemplate? }`.
fn parse_call_request(request: &JsValue) -> Result<(CustomRequest, CallOptions), GuardError> {
    let o = options_json(request, "call request")?;
    let url = o
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| config("call request needs url (a string)"))?;
    let method = match o.get("method") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(config("method must be a string")),
    };
    let timeout_ms = match o.get("timeoutMs") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| (1..=3_600_000).contains(n))
                .ok_or_else(|| config("timeoutMs must be an integer 1..=3600000"))?,
        ),
    };
    let fallback_template =
        template_map(o.get("fallbackTemplate").cloned().unwrap_or(Value::Null))?;
    let cache_key = match o.get("cacheKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => Some(key.clone()),
        Some(_) => return Err(config("cacheKey must be a string")),
    };
    Ok((
        CustomRequest {
            method,
            url: url.to_owned(),
            headers: string_pairs(o.get("headers"), "headers")?,
            body: o.get("body").cloned(),
        },
        CallOptions {
            timeout_ms,
            fallback_template,
            can_refresh_auth: false,
            cache_key,
        },
    ))
}

/// A fallback template given as an object or a string holding one.
fn template_map(value: Value) -> Result<Option<Map<String, Value>>, GuardError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(config(
                "fallbackTemplate must be a JSON object (or a string holding one)",
            )),
        },
        _ => Err(config(
            "fallbackTemplate must be a JSON object (or a string holding one)",
        )),
    }
}

/// `{ name: value }` of strings as ordered pairs.
fn string_pairs(value: Option<&Value>, what: &str) -> Result<Vec<(String, String)>, GuardError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(GuardError::Config(format!("{what}.{k} must be a string"))),
            })
            .collect(),
        Some(_) => Err(GuardError::Config(format!(
            "{what} must be an object of strings"
        ))),
    }
}

fn random_id() -> String {
    let n = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let m = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{n:08x}{m:08x}")
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}
