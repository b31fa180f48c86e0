//! `TestSuiteRunner` and the pure `aggregateResults` / `toJUnitXml` exports (API.md
//! "TestSuiteRunner"). Each run owns its state machine; runs share only the HTTP client, the
//! authenticator and the concurrency limiter.

use crate::auth::Authenticator;
use crate::convert::{json_text, string_of, to_js};
use crate::drive::{drive, Hooks, Io};
use crate::error::{to_js_error, to_js_error_redacted};
use crate::http::HttpClient;
use crate::limiter::Limiter;
use cognigy_guard_core::aggregate::{aggregate, AggregateOptions, SuiteReport};
use cognigy_guard_core::auth::AuthConfig;
use cognigy_guard_core::json::{parse_borrowed_within, parse_untrusted, MAX_RESULTS_BYTES};
use cognigy_guard_core::junit::to_junit_xml as render_junit;
use cognigy_guard_core::profile::{ApiProfile, BaseUrl, TargetUrl};
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::suite_run::finish::{RunReport, SuiteRun};
use cognigy_guard_core::suite_run::playbook::{PlaybookRun, PlaybookSpec};
use cognigy_guard_core::suite_run::poll::{
    Timing, DEFAULT_MAX_POLL_INTERVAL_MS, DEFAULT_POLL_INTERVAL_MS,
};
use cognigy_guard_core::suite_run::seed::{SeedGoal, SeedOutcome, SeedRun};
use cognigy_guard_core::suite_run::Machine;
use cognigy_guard_core::validation::validate_test_execution_json;
use cognigy_guard_core::{GuardError, Issue};
use js_sys::{Function, Promise, Reflect};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

/// OAuth scopes requested by default with `seed-v1`.
const SEED_SCOPES: [&str; 3] = ["test:execute", "test:read", "webhook:write"];
/// Default limit of concurrent runs (Cognigy's limit of concurrent playbook runs).
const DEFAULT_MAX_CONCURRENT_RUNS: usize = 10;

struct Shared {
    profile: ApiProfile,
    base: BaseUrl,
    io: Io,
    timing: Timing,
    allow_insecure_http: bool,
    on_audit: Option<Function>,
    limiter: Rc<Limiter>,
}

/// Runs bot test suites: seed-v1 executions (`run`) and cognigy-v2 playbooks (`runPlaybook`).
#[wasm_bindgen]
pub struct TestSuiteRunner {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl TestSuiteRunner {
    /// Creates a runner; throws `GuardError` (`CONFIG`) for bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TestSuiteRunnerOptions")] options: JsValue,
    ) -> Result<TestSuiteRunner, JsValue> {
        Shared::from_options(&options)
            .map(|shared| TestSuiteRunner {
                shared: Rc::new(shared),
            })
            .map_err(|e| to_js_error(&e))
    }

    /// The API profile in use (`'cognigy-v2'` or `'seed-v1'`).
    #[wasm_bindgen(getter)]
    pub fn api(&self) -> String {
        self.shared.profile.as_str().to_owned()
    }

    /// Validates `payload` (never submits an invalid one), submits it, waits, aggregates, sends
    /// the CI webhook and writes the audit record (`seed-v1`).
    #[wasm_bindgen(unchecked_return_type = "Promise<SuiteReport>")]
    pub fn run(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TestExecutionInput")] payload: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: Option<JsValue>,
    ) -> Promise {
        let shared = Rc::clone(&self.shared);
        let prepared = (|| {
            shared.require(ApiProfile::SeedV1, "run")?;
            let execution = validated(&payload)?;
            let run_options =
                RunOptions::read(&options.unwrap_or_default(), shared.allow_insecure_http)?;
            let machine = SeedRun::run(
                shared.base.clone(),
                execution,
                idempotency_key(shared.io.http.now()),
                shared.timing,
            );
            let suite = SuiteRun::new(machine, run_options.aggregate, run_options.webhook_url)?;
            Ok((suite, run_options.hooks))
        })();
        launch_suite(shared, prepared)
    }

    /// Schedules a playbook, waits for its run, reads the flow's intents for coverage, then
    /// aggregates, notifies and audits like `run` (`cognigy-v2`). Aborting `signal` cancels the
    /// platform task and rejects with `CANCELLED`.
    #[wasm_bindgen(js_name = runPlaybook, unchecked_return_type = "Promise<SuiteReport>")]
    pub fn run_playbook(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlaybookSpec")] playbook: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RunOptions")] options: Option<JsValue>,
    ) -> Promise {
        let shared = Rc::clone(&self.shared);
        let prepared = (|| {
            shared.require(ApiProfile::CognigyV2, "runPlaybook")?;
            let spec = PlaybookSpec::from_json(&json_value(&playbook)?)?;
            let run_options =
                RunOptions::read(&options.unwrap_or_default(), shared.allow_insecure_http)?;
            let want_intents = run_options.aggregate.known_intents.is_none();
            let machine = PlaybookRun::new(shared.base.clone(), spec, want_intents, shared.timing);
            let suite = SuiteRun::new(machine, run_options.aggregate, run_options.webhook_url)?;
            Ok((suite, run_options.hooks))
        })();
        launch_suite(shared, prepared)
    }

    /// Validates and submits `payload`; resolves `{ executionId }` (`seed-v1`).
    #[wasm_bindgen(unchecked_return_type = "Promise<SubmittedExecution>")]
    pub fn submit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TestExecutionInput")] payload: JsValue,
    ) -> Promise {
        let shared = Rc::clone(&self.shared);
        let prepared = (|| {
            shared.require(ApiProfile::SeedV1, "submit")?;
            let execution = validated(&payload)?;
            let key = idempotency_key(shared.io.http.now());
            Ok(SeedRun::submit(
                shared.base.clone(),
                execution,
                key,
                shared.timing,
            ))
        })();
        spawn(Rc::clone(&shared.io.auth), async move {
            let outcome = drive(prepared?, &shared.io, &Hooks::default()).await?;
            js(&json!({ "executionId": outcome.execution_id, "status": "queued" }))
        })
    }

    /// Polls execution `id` until it is `completed`, `failed` or `timeout`; resolves
    /// `{ executionId, status, progress?, polls }` (`seed-v1`).
    #[wasm_bindgen(js_name = waitForCompletion, unchecked_return_type = "Promise<ExecutionStatusResult>")]
    pub fn wait_for_completion(
        &self,
        id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: Option<JsValue>,
    ) -> Promise {
        let shared = Rc::clone(&self.shared);
        let prepared = (|| {
            shared.require(ApiProfile::SeedV1, "waitForCompletion")?;
            let hooks = Hooks::read(&options.unwrap_or_default())?;
            let machine = SeedRun::existing(shared.base.clone(), id, shared.timing, SeedGoal::Wait);
            Ok((machine, hooks))
        })();
        spawn(Rc::clone(&shared.io.auth), async move {
            let (machine, hooks) = prepared?;
            let outcome = drive(machine, &shared.io, &hooks).await?;
            status_answer(&outcome)
        })
    }

    /// Reads the raw results of execution `id` (`seed-v1`).
    #[wasm_bindgen(js_name = fetchResults, unchecked_return_type = "Promise<SeedResults>")]
    pub fn fetch_results(&self, id: String) -> Promise {
        let shared = Rc::clone(&self.shared);
        let prepared = shared
            .require(ApiProfile::SeedV1, "fetchResults")
            .map(|()| SeedRun::existing(shared.base.clone(), id, shared.timing, SeedGoal::Results));
        spawn(Rc::clone(&shared.io.auth), async move {
            let outcome = drive(prepared?, &shared.io, &Hooks::default()).await?;
            js(&outcome.results.unwrap_or(Value::Null))
        })
    }
}

/// Aggregates raw results (seed-v1 `{ test_results }` or a playbook run `{ stepResults }`), given
/// as an object or as its JSON text, into a SuiteReport. Pure; throws `GuardError`
/// (`BAD_RESPONSE` for unrecognised results, `VALIDATION` for text that is not JSON, `CONFIG` for
/// bad options).
#[wasm_bindgen(js_name = aggregateResults, unchecked_return_type = "SuiteReport")]
pub fn aggregate_results(
    #[wasm_bindgen(unchecked_param_type = "unknown")] raw: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "AggregateOptionsInput")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        // JSON text is read as given; an object goes through `JSON.stringify` first.
        let text = match string_of(&raw) {
            Some(text) => text,
            None => json_text(&raw).map_err(|issue| GuardError::Validation(vec![issue]))?,
        };
        let raw = parse_borrowed_within(&text, MAX_RESULTS_BYTES)
            .map_err(|issue| GuardError::Validation(vec![issue]))?;
        let opts = match options.filter(|o| !o.is_undefined() && !o.is_null()) {
            None => AggregateOptions::default(),
            Some(options) => AggregateOptions::from_json(&json_value(&options)?)?,
        };
        aggregate(&raw, &opts)
    })();
    result
        .map_err(|e| to_js_error(&e))
        .and_then(|report| to_js(&report))
}

/// Renders a SuiteReport as JUnit XML. Throws `GuardError` (`VALIDATION`) for something that is
/// not a report.
#[wasm_bindgen(js_name = toJUnitXml)]
pub fn to_junit_xml(
    #[wasm_bindgen(unchecked_param_type = "SuiteReport")] report: JsValue,
) -> Result<String, JsValue> {
    let value = json_value(&report).map_err(|e| to_js_error(&e))?;
    let report = report_from_json(&value).map_err(|e| to_js_error(&e))?;
    Ok(render_junit(&report))
}

/// A report read back from JSON (unknown fields ignored, missing ones defaulted).
fn report_from_json(value: &Value) -> Result<SuiteReport, GuardError> {
    if !value.is_object() {
        return Err(invalid("report", "a SuiteReport object is required"));
    }
    serde::Deserialize::deserialize(value)
        .map_err(|e| invalid("report", &format!("not a SuiteReport: {e}")))
}

impl Shared {
    fn from_options(options: &JsValue) -> Result<Self, GuardError> {
        if !options.is_object() {
            return Err(config("TestSuiteRunner options must be an object"));
        }
        let profile = match string(options, "api")? {
            Some(name) => ApiProfile::parse(&name)?,
            None => ApiProfile::default(),
        };
        let allow_insecure_http = get(options, "allowInsecureHttp").as_bool().unwrap_or(false);
        let base_url = string(options, "baseUrl")?.ok_or_else(|| config("baseUrl is required"))?;
        let base = BaseUrl::new(&base_url, allow_insecure_http)?;
        let default_scopes: &[&str] = match profile {
            ApiProfile::SeedV1 => &SEED_SCOPES,
            ApiProfile::CognigyV2 => &[],
        };
        let auth_value = get(options, "auth");
        let auth_json = if auth_value.is_undefined() || auth_value.is_null() {
            Value::Null
        } else {
            json_value(&auth_value).map_err(|_| config("auth must be a plain object"))?
        };
        let auth = AuthConfig::from_json(&auth_json, default_scopes, allow_insecure_http)?;
        if auth == AuthConfig::None {
            return Err(config(
                "TestSuiteRunner needs auth: { apiKey } or { clientId, clientSecret }",
            ));
        }
        let timing = Timing {
            poll_interval_ms: number(options, "pollIntervalMs")?
                .unwrap_or(DEFAULT_POLL_INTERVAL_MS),
            max_poll_interval_ms: number(options, "maxPollIntervalMs")?
                .unwrap_or(DEFAULT_MAX_POLL_INTERVAL_MS),
            deadline_ms: number(options, "deadlineMs")?,
        };
        timing.validate()?;
        let max_runs = number(options, "maxConcurrentRuns")?
            .map_or(DEFAULT_MAX_CONCURRENT_RUNS, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            });
        if max_runs == 0 {
            return Err(config("maxConcurrentRuns must be at least 1"));
        }
        let http = Rc::new(HttpClient::new(
            function(options, "fetch")?,
            function(options, "now")?,
        ));
        let auth = Authenticator::new(profile, base.clone(), auth, Rc::clone(&http));
        Ok(Shared {
            profile,
            base,
            io: Io { http, auth },
            timing,
            allow_insecure_http,
            on_audit: function(options, "onAudit")?,
            limiter: Limiter::new(max_runs),
        })
    }

    fn require(&self, profile: ApiProfile, method: &str) -> Result<(), GuardError> {
        if self.profile == profile {
            Ok(())
        } else {
            Err(config(&format!(
                "{method} needs api '{}'; this runner uses '{}'",
                profile.as_str(),
                self.profile.as_str()
            )))
        }
    }

    /// The report as JS, after handing its audit record to `onAudit`.
    fn finish(&self, report: &RunReport) -> Result<JsValue, GuardError> {
        if let (Some(callback), Some(audit)) = (&self.on_audit, &report.report.audit) {
            if let Ok(record) = to_js(audit) {
                // A throwing audit sink must not lose the report.
                let _ = callback.call1(&JsValue::UNDEFINED, &record);
            }
        }
        js(report)
    }
}

/// Per-run options: aggregation, webhook and hooks.
struct RunOptions {
    aggregate: AggregateOptions,
    webhook_url: Option<TargetUrl>,
    hooks: Hooks,
}

impl RunOptions {
    fn read(options: &JsValue, allow_insecure_http: bool) -> Result<Self, GuardError> {
        if options.is_undefined() || options.is_null() {
            return Ok(RunOptions {
                aggregate: AggregateOptions::default(),
                webhook_url: None,
                hooks: Hooks::default(),
            });
        }
        if !options.is_object() {
            return Err(config("run options must be an object"));
        }
        let mut picked = Map::new();
        for key in [
            "passThreshold",
            "baselineIntentCoverage",
            "knownIntents",
            "knownEntities",
        ] {
            let value = get(options, key);
            if !value.is_undefined() && !value.is_null() {
                picked.insert(key.to_owned(), json_value(&value)?);
            }
        }
        let webhook_url = string(options, "webhookUrl")?
            .map(|url| TargetUrl::new(&url, allow_insecure_http))
            .transpose()?;
        Ok(RunOptions {
            aggregate: AggregateOptions::from_json(&Value::Object(picked))?,
            webhook_url,
            hooks: Hooks::read(options)?,
        })
    }
}

impl Hooks {
    fn read(options: &JsValue) -> Result<Self, GuardError> {
        if options.is_undefined() || options.is_null() {
            return Ok(Hooks::default());
        }
        let signal = get(options, "signal");
        let signal = if signal.is_undefined() || signal.is_null() {
            None
        } else {
            Some(
                signal
                    .dyn_into::<AbortSignal>()
                    .map_err(|_| config("signal must be an AbortSignal"))?,
            )
        };
        Ok(Hooks {
            signal,
            on_progress: function(options, "onProgress")?,
        })
    }
}

fn status_answer(outcome: &SeedOutcome) -> Result<JsValue, GuardError> {
    let mut answer = json!({
        "executionId": outcome.execution_id,
        "polls": outcome.polls,
    });
    if let (Some(status), Some(map)) = (&outcome.status, answer.as_object_mut()) {
        map.insert("status".into(), json!(status.status));
        if let Some(progress) = status.progress {
            map.insert("progress".into(), json!(progress));
        }
    }
    js(&answer)
}

/// Runs a prepared whole-suite machine (seed run or playbook) under the concurrency limit, then
/// hands its report to `onAudit` and JS.
fn launch_suite<M>(
    shared: Rc<Shared>,
    prepared: Result<(SuiteRun<M>, Hooks), GuardError>,
) -> Promise
where
    SuiteRun<M>: Machine<Output = RunReport> + 'static,
{
    let auth = Rc::clone(&shared.io.auth);
    spawn(auth, async move {
        let (suite, hooks) = prepared?;
        let _permit = shared.limiter.acquire().await;
        let report = drive(suite, &shared.io, &hooks).await?;
        shared.finish(&report)
    })
}

/// Runs `future` as a Promise, rejecting with a `GuardError` JS error from which every secret
/// `auth` knows (API key, client secret, current token) is redacted, in case a server echoed one.
fn spawn<F>(auth: Rc<Authenticator>, future: F) -> Promise
where
    F: Future<Output = Result<JsValue, GuardError>> + 'static,
{
    future_to_promise(async move {
        future
            .await
            .map_err(|e| to_js_error_redacted(&e, &Redactor::new(auth.secrets())))
    })
}

fn js<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, GuardError> {
    to_js(value).map_err(|_| GuardError::BadResponse("the answer has no JS form".to_owned()))
}

/// A validated payload, or `VALIDATION` with every issue.
fn validated(payload: &JsValue) -> Result<cognigy_guard_core::model::TestExecution, GuardError> {
    let text = json_text(payload).map_err(|issue| GuardError::Validation(vec![issue]))?;
    validate_test_execution_json(&text)
        .into_result()
        .map(|(execution, _warnings)| execution)
}

/// A JS value as untrusted JSON (size and depth bounded).
fn json_value(value: &JsValue) -> Result<Value, GuardError> {
    let text = json_text(value).map_err(|issue| GuardError::Validation(vec![issue]))?;
    parse_untrusted(&text).map_err(|issue| GuardError::Validation(vec![issue]))
}

/// A unique `Idempotency-Key` for one submission.
fn idempotency_key(now: f64) -> String {
    let random = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let millis = if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    };
    format!("cg-submit-{millis:x}-{random:x}")
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(object: &JsValue, key: &str) -> Result<Option<String>, GuardError> {
    let value = get(object, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| config(&format!("{key} must be a string")))
}

fn number(object: &JsValue, key: &str) -> Result<Option<u64>, GuardError> {
    let value = get(object, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9.0e15 => {
            Ok(Some(n as u64))
        }
        _ => Err(config(&format!("{key} must be a non-negative integer"))),
    }
}

fn function(object: &JsValue, key: &str) -> Result<Option<Function>, GuardError> {
    let value = get(object, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| config(&format!("{key} must be a function")))
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

fn invalid(path: &str, message: &str) -> GuardError {
    GuardError::Validation(vec![Issue::new(path, "TYPE", message)])
}
