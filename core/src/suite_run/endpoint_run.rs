//! An endpoint run (`runEndpoint`): its options ([`EndpointOptions`]), the plan that hands out
//! one [`EndpointCase`] per case and attempt and records each outcome ([`EndpointRun`]), and the
//! report built from the outcomes ([`EndpointCollected`], aggregated by
//! [`crate::aggregate::endpoint_report`] and finished like every run by
//! [`super::finish::SuiteRun`] around a [`Ready`] machine).
//!
//! The driver runs the cases, at most [`EndpointRun::concurrency`] at once, then the reruns
//! [`EndpointRun::reruns`] names (up to `retryFailed` rounds), then the finish operation.

use super::endpoint_case::{EndpointCase, EndpointSettings, NluSettings};
use super::finish::{Collected, IntoReport};
use super::{already_finished, fail, Call, Input, Machine, Step};
use crate::aggregate::{endpoint_report, AggregateOptions, CaseStatus, EndpointCaseOutcome, Gate};
use crate::error::GuardError;
use crate::model::{TestCase, TestExecution};
use crate::profile::{BaseUrl, Credentials, HttpRequest, SecretUrl};
use crate::redact::Redactor;
use serde::Serialize;
use serde_json::{Map, Value};
use std::rc::Rc;

/// Cases in flight at once by default.
pub const DEFAULT_CONCURRENCY: u64 = 4;
/// Most cases in flight at once.
pub const MAX_CONCURRENCY: u64 = 32;
/// Most rerun rounds of failed cases.
pub const MAX_RETRY_FAILED: u64 = 5;
/// Where entity names are read in an answer's `data` by default.
pub const DEFAULT_ENTITIES_PATH: &str = "slots";
/// The `userId` of the messages by default.
pub const DEFAULT_USER_ID: &str = "cognigy-guard";

/// The options of `runEndpoint` besides the common run options.
#[derive(Debug)]
pub struct EndpointOptions {
    /// The REST Endpoint URL (secret).
    pub url: SecretUrl,
    /// The `userId` of every message (1..=256 characters).
    pub user_id: String,
    /// Cases in flight at once, 1..=[`MAX_CONCURRENCY`].
    pub concurrency: u64,
    /// NLU scores, when configured.
    pub nlu: Option<NluSettings>,
    /// Dot-separated path of the entity names in the answer's `data` (at most 200 characters).
    pub entities_path: String,
    /// Rerun rounds of failed cases, 0..=[`MAX_RETRY_FAILED`].
    pub retry_failed: u64,
}

impl EndpointOptions {
    /// Reads `{ endpointUrl, userId?, concurrency?, nlu?: { projectId, flowReferenceId,
    /// localeReferenceId, minScore? }, entitiesPath?, retryFailed? }` (other members are ignored).
    /// A missing or bad value is a [`GuardError::Config`] naming it; no message quotes the URL.
    pub fn from_json(value: &Value, allow_insecure_http: bool) -> Result<Self, GuardError> {
        let empty = Map::new();
        let object = match value {
            Value::Object(object) => object,
            Value::Null => &empty,
            _ => return Err(config("runEndpoint options must be an object")),
        };
        let url = match object.get("endpointUrl") {
            Some(Value::String(url)) => SecretUrl::new(url, allow_insecure_http)
                .map_err(|e| config(&format!("endpointUrl: {e}")))?,
            None | Some(Value::Null) => return Err(config("endpointUrl is required")),
            Some(_) => return Err(config("endpointUrl must be a string")),
        };
        let user_id = text(object, "userId", 256)?.unwrap_or_else(|| DEFAULT_USER_ID.to_owned());
        let entities_path =
            text(object, "entitiesPath", 200)?.unwrap_or_else(|| DEFAULT_ENTITIES_PATH.to_owned());
        let nlu = match object.get("nlu") {
            None | Some(Value::Null) => None,
            Some(Value::Object(nlu)) => Some(NluSettings {
                project_id: required(nlu, "nlu.projectId")?,
                flow_reference_id: required(nlu, "nlu.flowReferenceId")?,
                locale_reference_id: required(nlu, "nlu.localeReferenceId")?,
                min_score: match nlu.get("minScore") {
                    None | Some(Value::Null) => 0.0,
                    Some(n) => n
                        .as_f64()
                        .filter(|n| (0.0..=1.0).contains(n))
                        .ok_or_else(|| config("nlu.minScore must be a number from 0 to 1"))?,
                },
            }),
            Some(_) => return Err(config("nlu must be an object")),
        };
        Ok(EndpointOptions {
            url,
            user_id,
            concurrency: integer(object, "concurrency", 1, MAX_CONCURRENCY)?
                .unwrap_or(DEFAULT_CONCURRENCY),
            nlu,
            entities_path,
            retry_failed: integer(object, "retryFailed", 0, MAX_RETRY_FAILED)?.unwrap_or(0),
        })
    }
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

/// An optional string member of 1..=`max` characters.
fn text(object: &Map<String, Value>, key: &str, max: usize) -> Result<Option<String>, GuardError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(config(&format!(
            "{key} must be a string of 1 to {max} characters"
        ))),
    }
}

/// A required non-empty string member of `nlu` (`path` names it).
fn required(object: &Map<String, Value>, path: &str) -> Result<String, GuardError> {
    let key = path.rsplit('.').next().unwrap_or(path);
    match object.get(key) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => Ok(s.clone()),
        _ => Err(config(&format!(
            "{path} is required (a string of 1 to 256 characters)"
        ))),
    }
}

/// An optional integer member in `min..=max`.
fn integer(
    object: &Map<String, Value>,
    key: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, GuardError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| config(&format!("{key} must be an integer from {min} to {max}"))),
    }
}

/// A case finished (the value `onProgress` gets for each case attempt).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseProgress {
    /// Always `"case"`.
    pub phase: &'static str,
    /// The case's index.
    pub index: usize,
    /// Its outcome: `passed`, `failed`, `unverified` or `errored`.
    pub status: CaseStatus,
    /// Which attempt this was (1 for the first run, more for reruns).
    pub attempt: usize,
    /// Cases run at least once so far.
    pub completed: usize,
    /// Cases in the suite.
    pub total: usize,
    /// Milliseconds since the run started.
    pub elapsed_ms: f64,
}

/// The plan of one endpoint run (see the module documentation).
#[derive(Debug)]
pub struct EndpointRun {
    settings: Rc<EndpointSettings>,
    cases: Vec<TestCase>,
    run_id: String,
    started_ms: f64,
    deadline_at: f64,
    attempts: Vec<Vec<EndpointCaseOutcome>>,
    concurrency: u64,
    retry_failed: u64,
}

impl EndpointRun {
    /// Plans `execution` with `options`, NLU scores read under `base`, session ids starting with
    /// `run_id`, started at `now` and bounded by `deadline_ms` (default: the payload's
    /// `executionTimeoutSeconds`). A case that expects an intent while `nlu` is not configured is a
    /// [`GuardError::Config`] naming the case.
    pub fn new(
        execution: TestExecution,
        options: EndpointOptions,
        base: BaseUrl,
        run_id: String,
        now: f64,
        deadline_ms: Option<u64>,
    ) -> Result<Self, GuardError> {
        if options.nlu.is_none() {
            if let Some(i) = execution
                .test_cases
                .iter()
                .position(|c| c.outcome.expected_intent.is_some())
            {
                return Err(config(&format!(
                    "testCases[{i}].outcome.expectedIntent: checking an intent needs the nlu option \
                     ({{ projectId, flowReferenceId, localeReferenceId }}); nothing was sent"
                )));
            }
        }
        let whole = options.url.as_str().to_owned();
        let token = whole
            .strip_prefix(options.url.redacted().trim_end_matches('…'))
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned();
        // The whole URL, its path and its last path segment (Cognigy's URL token).
        let last = token
            .split(['?', '#'])
            .next()
            .and_then(|path| path.rsplit('/').find(|s| !s.is_empty()))
            .unwrap_or_default()
            .to_owned();
        let secrets = vec![whole, token, last];
        let deadline_ms = deadline_ms
            .unwrap_or_else(|| u64::from(execution.execution_timeout_seconds).saturating_mul(1000));
        let total = execution.test_cases.len();
        Ok(EndpointRun {
            settings: Rc::new(EndpointSettings {
                url: options.url,
                base,
                user_id: options.user_id,
                nlu: options.nlu,
                entities_path: options.entities_path,
                redactor: Redactor::new(secrets),
            }),
            cases: execution.test_cases,
            run_id,
            started_ms: now,
            deadline_at: now + deadline_ms as f64,
            attempts: vec![Vec::new(); total],
            concurrency: options.concurrency,
            retry_failed: options.retry_failed,
        })
    }

    /// Cases in flight at once.
    pub fn concurrency(&self) -> u64 {
        self.concurrency
    }

    /// Rerun rounds of failed cases.
    pub fn retry_failed(&self) -> u64 {
        self.retry_failed
    }

    /// Cases in the suite.
    pub fn total(&self) -> usize {
        self.cases.len()
    }

    /// The run's id (the session ids start with it; the report's `executionId`).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The next attempt at case `index`, with a session id no other attempt uses
    /// (`{runId}-{index}-{attempt}`); a `CONFIG` error for an index out of range.
    pub fn case(&self, index: usize) -> Result<EndpointCase, GuardError> {
        let (case, tries) = self
            .cases
            .get(index)
            .zip(self.attempts.get(index))
            .ok_or_else(|| config(&format!("there is no case {index} in this run")))?;
        let session_id = format!("{}-{index}-{}", self.run_id, tries.len().saturating_add(1));
        Ok(EndpointCase::new(
            Rc::clone(&self.settings),
            index,
            case.clone(),
            session_id,
            self.deadline_at,
        ))
    }

    /// Records an attempt's outcome at `now`; answers its progress event.
    pub fn record(&mut self, outcome: EndpointCaseOutcome, now: f64) -> CaseProgress {
        let index = outcome.case.index;
        let status = outcome.case.status;
        let attempt = match self.attempts.get_mut(index) {
            Some(tries) => {
                tries.push(outcome);
                tries.len()
            }
            None => 0,
        };
        CaseProgress {
            phase: "case",
            index,
            status,
            attempt,
            completed: self.attempts.iter().filter(|t| !t.is_empty()).count(),
            total: self.cases.len(),
            elapsed_ms: (now - self.started_ms).max(0.0),
        }
    }

    /// The cases to run next: those never run, then (once every case ran) those whose last
    /// attempt failed or errored and that have had at most `retryFailed` attempts; none once the
    /// deadline passed.
    pub fn reruns(&self, now: f64) -> Vec<usize> {
        if now >= self.deadline_at {
            return Vec::new();
        }
        let never: Vec<usize> = (0..self.attempts.len())
            .filter(|&i| self.attempts.get(i).is_some_and(Vec::is_empty))
            .collect();
        if !never.is_empty() {
            return never;
        }
        let limit = usize::try_from(self.retry_failed).unwrap_or(usize::MAX);
        self.attempts
            .iter()
            .enumerate()
            .filter(|(_, tries)| {
                tries.len() <= limit
                    && tries.last().is_some_and(|t| {
                        matches!(t.case.status, CaseStatus::Failed | CaseStatus::Errored)
                    })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The outcomes so far, ready to be reported at `now`: a case never run is `errored`; the
    /// status is `timeout` when the deadline passed with a case errored, else `completed`.
    pub fn collect(&self, now: f64) -> EndpointCollected {
        let mut attempts = self.attempts.clone();
        for (index, tries) in attempts.iter_mut().enumerate() {
            if tries.is_empty() {
                if let Ok(case) = self.case(index) {
                    let mut result = case.unrun();
                    result.case.reasons = vec![crate::aggregate::NEVER_RAN.to_owned()];
                    tries.push(result);
                }
            }
        }
        let errored = attempts
            .iter()
            .filter_map(|t| t.last())
            .any(|t| t.case.status == CaseStatus::Errored);
        let status = if errored && now >= self.deadline_at {
            "timeout"
        } else {
            "completed"
        };
        EndpointCollected {
            attempts,
            run_id: self.run_id.clone(),
            status: status.to_owned(),
            started_ms: self.started_ms,
            nlu: self.settings.nlu.is_some(),
        }
    }
}

/// The outcomes of an endpoint run, to be aggregated.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointCollected {
    attempts: Vec<Vec<EndpointCaseOutcome>>,
    run_id: String,
    status: String,
    started_ms: f64,
    nlu: bool,
}

impl IntoReport for EndpointCollected {
    fn into_report(self, opts: &AggregateOptions) -> Result<Collected, GuardError> {
        let mut report = endpoint_report(&self.attempts, opts, self.nlu);
        report.execution_id = Some(self.run_id.clone());
        report.status = Some(self.status.clone());
        report.polls = Some(0);
        if self.status != "completed" {
            report.gate = Gate::Failed;
        }
        Ok(Collected {
            report,
            execution_id: self.run_id,
            started_ms: self.started_ms,
            fail_reason: None,
        })
    }
}

/// A machine whose output is ready at once (the finish of an endpoint run: aggregation, webhook
/// and audit record come from [`super::finish::SuiteRun`] around it).
#[derive(Debug)]
pub struct Ready<T>(Option<T>);

impl<T> Ready<T> {
    /// A machine that ends with `value` when started.
    pub fn new(value: T) -> Self {
        Ready(Some(value))
    }
}

impl<T> Machine for Ready<T> {
    type Output = T;

    fn start(&mut self, _now: f64) -> Step<T> {
        match self.0.take() {
            Some(value) => Step::Done(Ok(value)),
            None => fail(already_finished()),
        }
    }

    fn on_reply(&mut self, _input: Input, _now: f64, _random: f64) -> Step<T> {
        fail(already_finished())
    }

    fn on_wake(&mut self, _now: f64, _random: f64) -> Step<T> {
        fail(already_finished())
    }

    fn cancel(&mut self, _now: f64) -> Step<T> {
        fail(GuardError::Cancelled)
    }

    fn request(
        &self,
        call: Call,
        _credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        Err(config(&format!("a finished run does not send {call:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome;
    use crate::suite_run::testkit::{drive, drive_until, ok, status, too_many, EXCHANGE_MS};
    use crate::ErrorCode;
    use serde_json::json;

    const TOKEN: &str = "tok-9f8e7d6c5b4a";

    fn case(
        text: &str,
        intent: Option<&str>,
        entities: &[&str],
        contains: Option<&str>,
    ) -> TestCase {
        TestCase {
            input_text: text.to_owned(),
            context_variables: json!({ "channel": "ci" }).as_object().cloned().unwrap(),
            outcome: Outcome {
                expected_intent: intent.map(str::to_owned),
                expected_entities: Some(entities.iter().map(|e| (*e).to_owned()).collect()),
                expected_response_contains: contains.map(str::to_owned),
                allowed_latency_ms: 1000,
            },
        }
    }

    fn plan(cases: Vec<TestCase>, options: Value) -> Result<EndpointRun, GuardError> {
        let mut value =
            json!({ "endpointUrl": format!("https://endpoint-trial.cognigy.ai/{TOKEN}") });
        if let (Some(o), Value::Object(extra)) = (value.as_object_mut(), options) {
            o.extend(extra);
        }
        let execution = TestExecution {
            suite_id: "s".into(),
            test_cases: cases,
            execution_timeout_seconds: 60,
        };
        EndpointRun::new(
            execution,
            EndpointOptions::from_json(&value, false)?,
            BaseUrl::new("https://api-trial.cognigy.ai", false)?,
            "run1".into(),
            1_000.0,
            None,
        )
    }

    fn nlu() -> Value {
        json!({ "nlu": { "projectId": "p1", "flowReferenceId": "f1", "localeReferenceId": "l1", "minScore": 0.5 } })
    }

    fn answer(text: &str, slots: Value) -> Input {
        ok(&json!({ "text": text, "data": { "slots": slots }, "outputStack": [] }).to_string())
    }

    fn scores(name: &str, score: f64) -> Input {
        ok(&json!({ "scores": [{ "name": name, "score": score }, { "name": "other", "score": 0.1 }] }).to_string())
    }

    #[test]
    fn a_case_sends_the_message_then_the_scores_and_checks_everything() {
        let run = plan(
            vec![case(
                "a large pizza",
                Some("order"),
                &["size"],
                Some("PIZZA"),
            )],
            nlu(),
        )
        .unwrap();
        let mut machine = run.case(0).unwrap();
        let (outcome, log) = drive(
            &mut machine,
            1_000.0,
            vec![
                answer("Your pizza is coming", json!({ "size": "large" })),
                scores("order", 0.9),
            ],
        );
        let outcome = outcome.unwrap();
        assert_eq!(
            outcome.case.status,
            CaseStatus::Passed,
            "{:?}",
            outcome.case.reasons
        );
        assert!(outcome.scored);
        assert_eq!(outcome.case.matched_intent.as_deref(), Some("order"));
        assert_eq!(outcome.case.entities_extracted, ["size"]);
        assert_eq!(outcome.case.latency_ms, Some(EXCHANGE_MS));
        assert_eq!(log.requests.len(), 2);
        let body: Value = serde_json::from_str(log.requests[0].body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({ "userId": "cognigy-guard", "sessionId": "run1-0-1", "text": "a large pizza", "data": { "channel": "ci" } })
        );
        assert!(log.requests[1]
            .url()
            .ends_with("/new/v2.0/projects/p1/nlu/scores"));
        assert_eq!(log.requests[1].header("X-API-Key"), Some("test-key-0000"));
    }

    #[test]
    fn failed_checks_give_their_reasons_and_min_score_predicts_none() {
        let run = plan(
            vec![case("hi", Some("greet"), &["city"], Some("hello"))],
            nlu(),
        )
        .unwrap();
        let (outcome, _) = drive(
            &mut run.case(0).unwrap(),
            0.0,
            vec![answer("Bye", json!({})), scores("greet", 0.4)],
        );
        let outcome = outcome.unwrap();
        assert_eq!(outcome.case.status, CaseStatus::Failed);
        assert_eq!(outcome.case.matched_intent, None);
        let reasons = outcome.case.reasons.join("\n");
        for part in [
            "response: expected to contain \"hello\"",
            "intent: expected \"greet\", predicted \"none\"",
            "entities: missing city",
        ] {
            assert!(reasons.contains(part), "{reasons}");
        }
    }

    #[test]
    fn transient_failures_are_retried_and_retry_after_is_honoured() {
        let run = plan(vec![case("hi", None, &[], Some("hello"))], Value::Null).unwrap();
        let (outcome, log) = drive(
            &mut run.case(0).unwrap(),
            0.0,
            vec![too_many(2), status(503), answer("hello", json!({}))],
        );
        assert_eq!(outcome.unwrap().case.status, CaseStatus::Passed);
        assert_eq!(log.requests.len(), 3);
        assert_eq!(log.sleeps.first(), Some(&2000));
        let (outcome, log) = drive(&mut run.case(0).unwrap(), 0.0, vec![status(500); 4]);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.case.status, CaseStatus::Errored);
        assert!(
            outcome.case.reasons[0].contains("after 4 attempts"),
            "{:?}",
            outcome.case.reasons
        );
        assert_eq!(log.requests.len(), 4);
        let (outcome, log) = drive(&mut run.case(0).unwrap(), 0.0, vec![status(404)]);
        assert_eq!(outcome.unwrap().case.status, CaseStatus::Errored);
        assert_eq!(log.requests.len(), 1, "a 404 is not retried");
    }

    #[test]
    fn the_deadline_bounds_waits_and_starts() {
        let run = plan(vec![case("hi", None, &[], Some("hello"))], Value::Null).unwrap();
        // A Retry-After past the deadline (60 s) ends the case at once.
        let (outcome, log) = drive(&mut run.case(0).unwrap(), 1_000.0, vec![too_many(120)]);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.case.status, CaseStatus::Errored);
        assert!(log.sleeps.is_empty());
        assert!(outcome.case.reasons[0].contains("deadline"));
        // A case started after the deadline sends nothing.
        let (outcome, log) = drive(&mut run.case(0).unwrap(), 61_000.0, vec![]);
        assert_eq!(outcome.unwrap().case.status, CaseStatus::Errored);
        assert!(log.requests.is_empty());
        assert!(log.timeouts.iter().all(|t| *t <= 60_000));
    }

    #[test]
    fn cancelling_ends_with_cancelled() {
        let run = plan(vec![case("hi", None, &[], Some("x"))], Value::Null).unwrap();
        let (outcome, log) =
            drive_until(&mut run.case(0).unwrap(), 0.0, vec![status(503)], Some(1));
        assert_eq!(outcome.unwrap_err().code(), ErrorCode::Cancelled);
        assert_eq!(log.requests.len(), 1);
    }

    #[test]
    fn reruns_sessions_flaky_and_the_collected_report() {
        let mut run = plan(
            vec![
                case("a", None, &[], Some("yes")),
                case("b", None, &[], Some("yes")),
            ],
            json!({ "retryFailed": 1 }),
        )
        .unwrap();
        assert_eq!(run.reruns(0.0), [0, 1]);
        let first = |run: &EndpointRun, i, text: &str| {
            drive(
                &mut run.case(i).unwrap(),
                0.0,
                vec![answer(text, json!({}))],
            )
            .0
            .unwrap()
        };
        let a = first(&run, 0, "no");
        let event = run.record(a, 1_500.0);
        assert_eq!(
            (event.index, event.attempt, event.completed, event.total),
            (0, 1, 1, 2)
        );
        assert_eq!(run.reruns(0.0), [1], "cases never run come first");
        let b = first(&run, 1, "yes");
        run.record(b, 1_600.0);
        assert_eq!(run.reruns(0.0), [0]);
        let mut again = run.case(0).unwrap();
        let (retry, log) = drive(&mut again, 0.0, vec![answer("yes", json!({}))]);
        let body: Value = serde_json::from_str(log.requests[0].body().unwrap()).unwrap();
        assert_eq!(body["sessionId"], "run1-0-2", "a rerun has its own session");
        run.record(retry.unwrap(), 1_700.0);
        assert!(run.reruns(0.0).is_empty());
        let report = run
            .collect(2_000.0)
            .into_report(&AggregateOptions::default())
            .unwrap()
            .report;
        assert_eq!((report.passed, report.total), (2, 2));
        assert_eq!(report.status.as_deref(), Some("completed"));
        assert_eq!(report.flaky.as_ref().map(Vec::len), Some(1));
        assert!(report.nlu.is_none());
        // Past the deadline nothing more runs, and cases never run are errored: status timeout.
        let unrun = plan(vec![case("c", None, &[], Some("x"))], Value::Null).unwrap();
        assert!(unrun.reruns(61_000.0).is_empty());
        let report = unrun
            .collect(61_000.0)
            .into_report(&AggregateOptions::default())
            .unwrap()
            .report;
        assert_eq!((report.errored, report.gate), (1, Gate::Failed));
        assert_eq!(report.status.as_deref(), Some("timeout"));
        assert_eq!(report.cases[0].reasons, [crate::aggregate::NEVER_RAN]);
    }

    #[test]
    fn options_and_the_intent_without_nlu_are_config_errors() {
        let err = plan(vec![case("a", Some("i"), &[], None)], Value::Null).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Config);
        assert!(err
            .to_string()
            .contains("testCases[0].outcome.expectedIntent"));
        for bad in [
            json!({ "concurrency": 0 }),
            json!({ "concurrency": 33 }),
            json!({ "retryFailed": 6 }),
            json!({ "userId": "" }),
            json!({ "entitiesPath": 3 }),
            json!({ "nlu": { "projectId": "p" } }),
            json!({ "nlu": { "projectId": "p", "flowReferenceId": "f", "localeReferenceId": "l", "minScore": -1 } }),
            json!({ "nlu": [] }),
            json!({ "endpointUrl": format!("http://example.com/{TOKEN}") }),
            json!({ "endpointUrl": null }),
        ] {
            let err = plan(vec![case("a", None, &[], Some("x"))], bad.clone()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config, "{bad}");
            assert!(!err.to_string().contains(TOKEN), "{err}");
        }
        let run = plan(
            vec![case("a", None, &[], Some("x"))],
            json!({ "concurrency": 7 }),
        )
        .unwrap();
        assert_eq!(
            (
                run.concurrency(),
                run.retry_failed(),
                run.total(),
                run.run_id()
            ),
            (7, 0, 1, "run1")
        );
        assert_eq!(run.case(1).unwrap_err().code(), ErrorCode::Config);
    }

    #[test]
    fn the_token_is_redacted_from_reasons() {
        let run = plan(vec![case("hi", None, &[], Some("x"))], Value::Null).unwrap();
        let echo = Input::Failed(GuardError::Network {
            message: format!("cannot reach https://endpoint-trial.cognigy.ai/{TOKEN}"),
            attempts: 1,
            endpoint_id: None,
        });
        let replies = vec![echo.clone(), echo.clone(), echo.clone(), echo];
        let (outcome, _) = drive(&mut run.case(0).unwrap(), 0.0, replies);
        let reasons = outcome.unwrap().case.reasons.join(" ");
        assert!(
            reasons.contains("cannot reach") && !reasons.contains(TOKEN),
            "{reasons}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x14),
            ..proptest::prelude::ProptestConfig::default()
        })]
        #[test]
        fn any_answers_end_a_case_with_an_outcome_within_bounded_requests(
            replies in proptest::collection::vec(
                crate::suite_run::testkit::any_input(
                    vec![200, 404, 429, 500, 503],
                    vec![
                        String::new(),
                        "{".to_owned(),
                        json!({ "text": "yes", "data": { "slots": { "size": "s" } } }).to_string(),
                        json!({ "scores": [{ "name": "order", "score": 0.7 }] }).to_string(),
                    ],
                ),
                0..12,
            )
        ) {
            let run = plan(vec![case("a", Some("order"), &["size"], Some("yes"))], nlu()).unwrap();
            let (outcome, log) = drive(&mut run.case(0).unwrap(), 0.0, replies);
            let outcome = outcome.unwrap();
            proptest::prop_assert!(log.requests.len() <= 8);
            proptest::prop_assert!(log.end <= 61_000.0);
            proptest::prop_assert_eq!(outcome.case.index, 0);
        }
    }
}
