//! `TestSuiteRunner` and the pure `aggregateResults` / `toJUnitXml` exports (docs/API.md
//! "TestSuiteRunner"). Each run owns its state machine; runs share only the HTTP client, the
//! authenticator and the concurrency limiter.

use crate::convert::{
    function_option, json_input, json_text, json_text_within, options_json, to_js,
};
use crate::error::{to_js_error, to_js_error_redacted};
use crate::ops;
use crate::platform::Clock;
use cognigy_guard_core::aggregate::{
    aggregate, endpoint_chunks_report, AggregateOptions, EndpointCaseOutcome, EndpointChunk,
    SuiteReport,
};
use cognigy_guard_core::auth::{AuthConfig, Authority};
use cognigy_guard_core::json::{
    parse_borrowed_within, parse_untrusted, MAX_INPUT_BYTES, MAX_RESULTS_BYTES,
};
use cognigy_guard_core::junit::to_junit_xml as render_junit;
use cognigy_guard_core::profile::simulator::SimulationSpec;
use cognigy_guard_core::profile::{ApiProfile, BaseUrl};
use cognigy_guard_core::protocol::operation::SharedAuthority;
use cognigy_guard_core::protocol::Machine;
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::suite_run::baseline::BaselineOptions;
use cognigy_guard_core::suite_run::endpoint_run::{EndpointOptions, EndpointRun, Ready};
use cognigy_guard_core::suite_run::finish::{IntoReport, RunReport, SuiteRun};
use cognigy_guard_core::suite_run::list::{ListKind, ListRun};
use cognigy_guard_core::suite_run::playbook::{PlaybookRun, PlaybookSpec};
use cognigy_guard_core::suite_run::poll::Timing;
use cognigy_guard_core::suite_run::runner_options::{auth_needed, RunOptions, RunnerOptions};
use cognigy_guard_core::suite_run::seed::{SeedGoal, SeedOutcome, SeedRun};
use cognigy_guard_core::suite_run::simulation::SimulationRun;
use cognigy_guard_core::validation::validate_test_execution_json;
use cognigy_guard_core::{GuardError, Issue};
use js_sys::{Function, Reflect};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

struct Shared {
    profile: ApiProfile,
    base: BaseUrl,
    authority: SharedAuthority,
    /// Whether the options gave `auth` (platform requests need it).
    has_auth: bool,
    clock: Rc<Clock>,
    timing: Timing,
    allow_insecure_http: bool,
    fetch: Option<Function>,
    on_audit: Option<Function>,
    max_concurrent_runs: usize,
    /// `UNKNOWN_OPTION` warnings about the constructor's options.
    warnings: Vec<Issue>,
    /// Endpoint runs in progress, by plan id.
    plans: RefCell<BTreeMap<u32, EndpointPlan>>,
    next_plan: Cell<u32>,
}

/// An endpoint run in progress: the core plan and the options of its report.
struct EndpointPlan {
    run: EndpointRun,
    suite: SuiteOptions,
}

/// The options of every whole run: aggregation and CI webhook, and the baseline comparison.
struct SuiteOptions {
    run: RunOptions,
    baseline: BaselineOptions,
}

impl SuiteOptions {
    fn read(options: &JsValue, allow_insecure_http: bool) -> Result<Self, GuardError> {
        Self::from_json(&options_json(options, "run options")?, allow_insecure_http)
    }

    fn from_json(options: &Value, allow_insecure_http: bool) -> Result<Self, GuardError> {
        Ok(SuiteOptions {
            run: RunOptions::from_json(options, allow_insecure_http)?,
            baseline: BaselineOptions::from_json(options)?,
        })
    }

    /// `machine` as a whole run: aggregated, compared, notified and audited.
    fn wrap<M>(self, machine: M) -> Result<SuiteRun<M>, GuardError>
    where
        M: Machine,
        M::Output: IntoReport,
    {
        SuiteRun::new(machine, self.run.aggregate, self.run.webhook_url)
            .map(|run| run.with_baseline(self.baseline))
    }
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

    /// `[{ path, code: 'UNKNOWN_OPTION', message }]`: option keys the constructor ignored.
    #[wasm_bindgen(getter, unchecked_return_type = "Issue[]")]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.shared.warnings)
    }

    /// The API profile in use (`'cognigy-v2'` or `'seed-v1'`).
    #[wasm_bindgen(getter)]
    pub fn api(&self) -> String {
        self.shared.profile.as_str().to_owned()
    }

    /// Most runs (`run`, `runPlaybook`) in flight at once; further ones wait in a queue.
    #[wasm_bindgen(js_name = __maxConcurrentRuns, skip_typescript)]
    pub fn max_concurrent_runs(&self) -> u32 {
        u32::try_from(self.shared.max_concurrent_runs).unwrap_or(u32::MAX)
    }

    /// The injected `fetch` option, if any (the driver calls `globalThis.fetch` otherwise).
    #[wasm_bindgen(js_name = __fetchOption, skip_typescript)]
    pub fn fetch_option(&self) -> Option<Function> {
        self.shared.fetch.clone()
    }

    /// Opens `run` (`js/runner.mjs`): validates `payload` (never submits an invalid one),
    /// submits it, waits, aggregates, sends the CI webhook and writes the audit record
    /// (`seed-v1`).
    #[wasm_bindgen(js_name = __run, skip_typescript)]
    pub fn open_run(&self, payload: JsValue, options: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(shared.profile.spec().executions, "run", "seed-v1")?;
            let execution = validated(&payload)?;
            let suite = SuiteOptions::read(&options, shared.allow_insecure_http)?;
            let machine = SeedRun::run(
                shared.base.clone(),
                execution,
                idempotency_key(shared.clock.now()),
                shared.timing,
            );
            suite.wrap(machine)
        })();
        shared.open_suite(prepared)
    }

    /// Opens `runPlaybook`: schedules a playbook, waits for its run, reads the flow's intents
    /// for coverage, then aggregates, notifies and audits like `run` (`cognigy-v2`). Aborting
    /// the signal cancels the platform task and rejects with `CANCELLED`.
    #[wasm_bindgen(js_name = __runPlaybook, skip_typescript)]
    pub fn open_run_playbook(&self, playbook: JsValue, options: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(shared.profile.spec().playbooks, "runPlaybook", "cognigy-v2")?;
            let spec = PlaybookSpec::from_json(&json_value(&playbook)?)?;
            let suite = SuiteOptions::read(&options, shared.allow_insecure_http)?;
            let want_intents = suite.run.aggregate.known_intents.is_none();
            let machine = PlaybookRun::new(shared.base.clone(), spec, want_intents, shared.timing);
            suite.wrap(machine)
        })();
        shared.open_suite(prepared)
    }

    /// Opens `runSimulation`: schedules a Cognigy Simulator batch of a scenario, polls it until it
    /// ends, reads its runs (one case each), then aggregates, notifies and audits like `run`
    /// (`cognigy-v2`).
    #[wasm_bindgen(js_name = __runSimulation, skip_typescript)]
    pub fn open_run_simulation(&self, simulation: JsValue, options: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(
                shared.profile.spec().playbooks,
                "runSimulation",
                "cognigy-v2",
            )?;
            let spec = SimulationSpec::from_json(&json_value(&simulation)?)?;
            let suite = SuiteOptions::read(&options, shared.allow_insecure_http)?;
            suite.wrap(SimulationRun::new(shared.base.clone(), spec, shared.timing))
        })();
        shared.open_suite(prepared)
    }

    /// Opens `listPlaybooks`: the tenant's playbooks, read page by page (`cognigy-v2`); resolves
    /// the items as the API answered them.
    #[wasm_bindgen(js_name = __listPlaybooks, skip_typescript)]
    pub fn open_list_playbooks(&self) -> u32 {
        let shared = &self.shared;
        let prepared = shared
            .require(
                shared.profile.spec().playbooks,
                "listPlaybooks",
                "cognigy-v2",
            )
            .map(|()| ListRun::new(shared.base.clone(), ListKind::Playbooks, shared.timing));
        shared.open(prepared, |_, items| to_js(&items))
    }

    /// Opens `listSimulations`: the Simulator scenarios of project `projectId`, read page by page
    /// (`cognigy-v2`); resolves the items as the API answered them.
    #[wasm_bindgen(js_name = __listSimulations, skip_typescript)]
    pub fn open_list_simulations(&self, project_id: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(
                shared.profile.spec().playbooks,
                "listSimulations",
                "cognigy-v2",
            )?;
            let project = project_id.as_string().map_or(Value::Null, Value::String);
            Ok(ListRun::new(
                shared.base.clone(),
                ListKind::simulations(&project)?,
                shared.timing,
            ))
        })();
        shared.open(prepared, |_, items| to_js(&items))
    }

    /// Plans `runEndpoint` (`js/runner.mjs`): validates `payload` and `options` (nothing is sent
    /// for invalid ones) and answers `{ plan, concurrency }`; throws `GuardError`.
    #[wasm_bindgen(js_name = __endpointPlan, skip_typescript)]
    pub fn endpoint_plan(&self, payload: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let shared = &self.shared;
        let planned = (|| {
            let execution = validated(&payload)?;
            let options = options_json(&options, "runEndpoint options")?;
            let suite = SuiteOptions::from_json(&options, shared.allow_insecure_http)?;
            let endpoint = EndpointOptions::from_json(&options, shared.allow_insecure_http)?;
            if endpoint.nlu.is_some() {
                shared.require_auth("runEndpoint with nlu")?;
            }
            let now = shared.clock.now();
            let run = EndpointRun::new(
                execution,
                endpoint,
                shared.base.clone(),
                run_id(now),
                now,
                shared.timing.deadline_ms,
            )?;
            Ok(EndpointPlan { run, suite })
        })();
        let plan = planned.map_err(|e| shared.error(&e))?;
        let answer = json!({ "concurrency": plan.run.concurrency() });
        let id = shared.next_plan.get();
        shared.next_plan.set(id.wrapping_add(1).max(1));
        shared.plans.borrow_mut().insert(id, plan);
        let answer = to_js(&answer)?;
        Reflect::set(&answer, &JsValue::from_str("plan"), &JsValue::from(id))?;
        Ok(answer)
    }

    /// The cases endpoint run `plan` runs next (never run, then the reruns), as an array of
    /// indices; empty when the run is over.
    #[wasm_bindgen(js_name = __endpointNext, skip_typescript)]
    pub fn endpoint_next(&self, plan: u32) -> Vec<u32> {
        let now = self.shared.clock.now();
        self.shared
            .plans
            .borrow()
            .get(&plan)
            .map(|p| p.run.reruns(now))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| u32::try_from(i).ok())
            .collect()
    }

    /// Opens the next attempt at case `index` of endpoint run `plan`; resolves its progress event.
    #[wasm_bindgen(js_name = __endpointCase, skip_typescript)]
    pub fn endpoint_case(&self, plan: u32, index: u32) -> u32 {
        let shared = Rc::clone(&self.shared);
        let machine = shared
            .plans
            .borrow()
            .get(&plan)
            .ok_or_else(|| config("this endpoint run is over"))
            .and_then(|p| p.run.case(index as usize));
        let machine = match machine {
            Ok(machine) => machine,
            Err(err) => return ops::failed(shared.error(&err)),
        };
        let owner = Rc::clone(&shared);
        let finish: ops::Finish<EndpointCaseOutcome> = Box::new(move |outcome| match outcome {
            Ok(outcome) => {
                let now = owner.clock.now();
                let progress = owner
                    .plans
                    .borrow_mut()
                    .get_mut(&plan)
                    .map(|p| p.run.record(outcome, now));
                to_js(&progress)
            }
            Err(err) => Err(owner.error(&err)),
        });
        ops::open(
            machine,
            Some(Rc::clone(&shared.authority)),
            Rc::clone(&shared.clock),
            finish,
        )
    }

    /// Opens the end of endpoint run `plan`: its report (aggregation, baseline, CI webhook, audit
    /// record), after which the plan is gone.
    #[wasm_bindgen(js_name = __endpointFinish, skip_typescript)]
    pub fn endpoint_finish(&self, plan: u32) -> u32 {
        let shared = &self.shared;
        let now = shared.clock.now();
        let prepared = shared
            .plans
            .borrow_mut()
            .remove(&plan)
            .ok_or_else(|| config("this endpoint run is over"))
            .and_then(|p| p.suite.wrap(Ready::new(p.run.collect(now))));
        shared.open_suite(prepared)
    }

    /// Forgets endpoint run `plan` (it was aborted or broke off).
    #[wasm_bindgen(js_name = __endpointDrop, skip_typescript)]
    pub fn endpoint_drop(&self, plan: u32) {
        self.shared.plans.borrow_mut().remove(&plan);
    }

    /// Opens `submit`: validates and submits `payload`; resolves `{ executionId, status }`
    /// (`seed-v1`).
    #[wasm_bindgen(js_name = __submit, skip_typescript)]
    pub fn open_submit(&self, payload: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(shared.profile.spec().executions, "submit", "seed-v1")?;
            let execution = validated(&payload)?;
            let key = idempotency_key(shared.clock.now());
            Ok(SeedRun::submit(
                shared.base.clone(),
                execution,
                key,
                shared.timing,
            ))
        })();
        shared.open_seed(
            prepared,
            |outcome| json!({ "executionId": outcome.execution_id, "status": "queued" }),
        )
    }

    /// Opens `waitForCompletion`: polls execution `id` until it is `completed`, `failed` or
    /// `timeout`; resolves `{ executionId, status, progress?, polls }` (`seed-v1`).
    #[wasm_bindgen(js_name = __wait, skip_typescript)]
    pub fn open_wait(&self, id: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(
                shared.profile.spec().executions,
                "waitForCompletion",
                "seed-v1",
            )?;
            let id = id_text(&id)?;
            Ok(SeedRun::existing(
                shared.base.clone(),
                id,
                shared.timing,
                SeedGoal::Wait,
            ))
        })();
        shared.open_seed(prepared, status_answer)
    }

    /// Opens `fetchResults`: reads the raw results of execution `id` (`seed-v1`).
    #[wasm_bindgen(js_name = __fetchResults, skip_typescript)]
    pub fn open_fetch_results(&self, id: JsValue) -> u32 {
        let shared = &self.shared;
        let prepared = (|| {
            shared.require(shared.profile.spec().executions, "fetchResults", "seed-v1")?;
            let id = id_text(&id)?;
            Ok(SeedRun::existing(
                shared.base.clone(),
                id,
                shared.timing,
                SeedGoal::Results,
            ))
        })();
        shared.open_seed(prepared, |outcome| outcome.results.unwrap_or(Value::Null))
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
        // JSON text or its UTF-8 bytes are read as given; an object goes through
        // `JSON.stringify` first.
        let text = results_text(&raw)?;
        let raw = parse_borrowed_within(&text, MAX_RESULTS_BYTES)
            .map_err(|issue| GuardError::Validation(vec![issue]))?;
        let (opts, with_cases) = aggregation_options(options)?;
        let report = aggregate(&raw, &opts)?;
        Ok(with_or_without_cases(report, with_cases))
    })();
    result
        .map_err(|e| to_js_error(&e))
        .and_then(|report| to_js(&report))
}

/// Merges the reports of an endpoint run made in chunks (each a `runEndpoint` report of a slice of
/// consecutive cases, in order, or a compact copy: `EndpointChunk`; an array of objects or its JSON
/// text) into the one report of the
/// run: counts, gate, coverage, latency, `nlu` and `flaky` over every case, cases numbered across
/// the chunks. Pure; throws `GuardError` (`CONFIG` for no chunks, a chunk that is no report or
/// lists fewer cases than its total, or bad options; `VALIDATION` for text that is not JSON).
#[wasm_bindgen(js_name = aggregateEndpointChunks, unchecked_return_type = "SuiteReport")]
pub fn aggregate_endpoint_chunks(
    #[wasm_bindgen(unchecked_param_type = "(SuiteReport | EndpointChunk)[] | string")]
    chunks: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "AggregateResultsOptions")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        let text = results_text(&chunks)?;
        let value = parse_untrusted(&text).map_err(|issue| GuardError::Validation(vec![issue]))?;
        let Value::Array(items) = value else {
            return Err(GuardError::Config(
                "chunks must be an array of endpoint reports".to_owned(),
            ));
        };
        let chunks = items
            .into_iter()
            .enumerate()
            .map(|(at, item)| {
                let report = item
                    .is_object()
                    .then(|| serde_json::from_value::<EndpointChunk>(item).ok())
                    .flatten();
                report.ok_or_else(|| {
                    GuardError::Config(format!("chunks[{at}] is not an endpoint report"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (opts, with_cases) = aggregation_options(options)?;
        let report = endpoint_chunks_report(&chunks, &opts)?;
        Ok(with_or_without_cases(report, with_cases))
    })();
    result
        .map_err(|e| to_js_error(&e))
        .and_then(|report| to_js(&report))
}

/// The JSON text of a results argument: JSON text or its UTF-8 bytes as given, an object through
/// `JSON.stringify` (at most [`MAX_RESULTS_BYTES`]).
fn results_text(value: &JsValue) -> Result<String, GuardError> {
    let invalid = |issue| GuardError::Validation(vec![issue]);
    match json_input(value, MAX_RESULTS_BYTES).map_err(invalid)? {
        Some(text) => Ok(text),
        None => json_text_within(value, MAX_RESULTS_BYTES).map_err(invalid),
    }
}

/// The aggregation options and `cases` of a pure aggregation (absent: the defaults, with cases).
fn aggregation_options(options: Option<JsValue>) -> Result<(AggregateOptions, bool), GuardError> {
    match options.filter(|o| !o.is_undefined() && !o.is_null()) {
        None => Ok((AggregateOptions::default(), true)),
        Some(options) => Ok((
            AggregateOptions::from_json(&json_value(&options)?)?,
            wants_cases(&options)?,
        )),
    }
}

/// `report`, its `cases` emptied unless `with_cases`.
fn with_or_without_cases(mut report: SuiteReport, with_cases: bool) -> SuiteReport {
    if !with_cases {
        report.cases = Vec::new();
    }
    report
}

/// `options.cases` of `aggregateResults` (default true: the report lists every case).
fn wants_cases(options: &JsValue) -> Result<bool, GuardError> {
    match js_sys::Reflect::get(options, &JsValue::from_str("cases")) {
        Ok(value) if value.is_undefined() => Ok(true),
        Ok(value) => value.as_bool().ok_or_else(|| {
            GuardError::Config("aggregation option cases must be a boolean".to_owned())
        }),
        Err(_) => Err(GuardError::Config(
            "aggregation options could not be read".to_owned(),
        )),
    }
}

/// Compares a SuiteReport with a baseline (an earlier report), each an object or its JSON text:
/// regressions and fixes matched by input text, and the pass-rate, coverage and macro-F1 deltas.
/// Pure; throws `GuardError` (`CONFIG`) for something that is not a report.
#[wasm_bindgen(js_name = compareReports, unchecked_return_type = "ReportComparison")]
pub fn compare_reports(
    #[wasm_bindgen(unchecked_param_type = "SuiteReport | string")] current: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SuiteReport | string")] baseline: JsValue,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        let current = report_value(&current)?;
        let baseline = report_value(&baseline)?;
        cognigy_guard_core::aggregate::compare_reports(&current, &baseline)
    })();
    result
        .map_err(|e| to_js_error(&e))
        .and_then(|comparison| to_js(&comparison))
}

/// A report argument: its JSON text, or an object read as JSON.
fn report_value(value: &JsValue) -> Result<Value, GuardError> {
    let invalid = |issue| GuardError::Validation(vec![issue]);
    match json_input(value, MAX_INPUT_BYTES).map_err(invalid)? {
        Some(text) => parse_untrusted(&text).map_err(invalid),
        None => json_value(value),
    }
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
        let o = RunnerOptions::from_json(&options_json(options, "TestSuiteRunner options")?)?;
        Ok(Shared {
            profile: o.profile,
            has_auth: o.auth != AuthConfig::None,
            authority: Rc::new(RefCell::new(Authority::new(
                o.profile,
                o.base.clone(),
                o.auth,
            ))),
            base: o.base,
            clock: Rc::new(Clock::new(function_option(options, "now")?)),
            timing: o.timing,
            allow_insecure_http: o.allow_insecure_http,
            fetch: function_option(options, "fetch")?,
            on_audit: function_option(options, "onAudit")?,
            max_concurrent_runs: o.max_concurrent_runs,
            warnings: o.warnings,
            plans: RefCell::new(BTreeMap::new()),
            next_plan: Cell::new(1),
        })
    }

    /// `method` makes platform requests: `CONFIG` ([`auth_needed`]) without `auth`.
    fn require_auth(&self, method: &str) -> Result<(), GuardError> {
        if self.has_auth {
            Ok(())
        } else {
            Err(auth_needed(method))
        }
    }

    /// `method` needs the `needs` API profile and (like every profile method) `auth`.
    fn require(&self, offered: bool, method: &str, needs: &str) -> Result<(), GuardError> {
        if !offered {
            return Err(config(&format!(
                "{method} needs api '{needs}'; this runner uses '{}'",
                self.profile.as_str()
            )));
        }
        self.require_auth(method)
    }

    /// `err` as a JS `GuardError` without any secret the credentials know (API key, client
    /// secret, current token), in case a server echoed one.
    fn error(&self, err: &GuardError) -> JsValue {
        let secrets = self
            .authority
            .try_borrow()
            .map(|a| a.secrets())
            .unwrap_or_default();
        to_js_error_redacted(err, &Redactor::new(secrets))
    }

    /// Opens a whole-suite run (seed run or playbook): its report goes to `onAudit`, then JS.
    fn open_suite<M>(self: &Rc<Self>, prepared: Result<SuiteRun<M>, GuardError>) -> u32
    where
        M: Machine + 'static,
        SuiteRun<M>: Machine<Output = RunReport>,
    {
        self.open(prepared, |shared, report| {
            shared.audit(&report);
            to_js(&report)
        })
    }

    /// Opens a single seed-v1 step whose outcome `answer` turns into the resolved value.
    fn open_seed(
        self: &Rc<Self>,
        prepared: Result<SeedRun, GuardError>,
        answer: fn(SeedOutcome) -> Value,
    ) -> u32 {
        self.open(prepared, move |_, outcome| to_js(&answer(outcome)))
    }

    /// Opens `prepared` with this runner's credentials and clock: its output settles through
    /// `resolve`, its error as a redacted `GuardError`; a preparation error settles at once.
    fn open<M: Machine + 'static>(
        self: &Rc<Self>,
        prepared: Result<M, GuardError>,
        resolve: impl Fn(&Shared, M::Output) -> Result<JsValue, JsValue> + 'static,
    ) -> u32 {
        let machine = match prepared {
            Ok(machine) => machine,
            Err(err) => return ops::failed(self.error(&err)),
        };
        let shared = Rc::clone(self);
        let finish: ops::Finish<M::Output> = Box::new(move |outcome| match outcome {
            Ok(output) => resolve(&shared, output),
            Err(err) => Err(shared.error(&err)),
        });
        ops::open(
            machine,
            Some(Rc::clone(&self.authority)),
            Rc::clone(&self.clock),
            finish,
        )
    }

    /// Hands the report's audit record to `onAudit` (a throwing sink must not lose the report).
    fn audit(&self, report: &RunReport) {
        if let (Some(callback), Some(audit)) = (&self.on_audit, &report.report.audit) {
            if let Ok(record) = to_js(audit) {
                let _ = callback.call1(&JsValue::UNDEFINED, &record);
            }
        }
    }
}

fn status_answer(outcome: SeedOutcome) -> Value {
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
    answer
}

/// An execution id argument: a non-empty string, else `CONFIG`.
fn id_text(value: &JsValue) -> Result<String, GuardError> {
    value
        .as_string()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| config("the execution id must be a non-empty string"))
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

/// A unique id for one endpoint run (its session ids start with it).
fn run_id(now: f64) -> String {
    let random = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let millis = if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    };
    format!("cg-endpoint-{millis:x}-{random:08x}")
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

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

fn invalid(path: &str, message: &str) -> GuardError {
    GuardError::Validation(vec![Issue::new(path, "TYPE", message)])
}
