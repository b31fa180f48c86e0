//! The `seed-v1` profile: the REST paths and bodies of the two seed documents (served by the
//! simulator; they do not exist on the real platform). See `docs/WIRE.md`.

use super::problem::clip;
use super::request::{Credentials, HttpRequest};
use super::url::{path_segment, BaseUrl};
use super::{count, parse_json_answer, parse_object_answer, str_member};
use crate::error::GuardError;
use crate::model::{TestCase, TestExecution, TimeoutConfig};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

/// Where degraded answers are routed (the seed's constant).
const ROUTE_TO: &str = "notification_queue";
/// Longest unknown status kept verbatim.
const MAX_STATUS_CHARS: usize = 64;

/// The seed's `build_timeout_payload`: the configuration body the seed `PUT`s. The fallback template
/// travels as a JSON string (compact serialization), retries and backoff come from the config.
pub fn timeout_payload(config: &TimeoutConfig) -> Value {
    json!({
        "endpointId": config.endpoint_id,
        "timeoutConfiguration": {
            "maxWaitTimeMs": config.max_wait_time_ms,
            "retryAttempts": config.retry_attempts,
            "backoffMs": config.backoff_ms,
        },
        "fallbackConfiguration": {
            "template": Value::Object(config.fallback_template.clone()).to_string(),
            "routeTo": ROUTE_TO,
        },
        "slaConfiguration": {
            "thresholdMs": config.sla_threshold_ms,
            "alertEnabled": true,
        },
    })
}

/// `PUT {base}/api/v1/externalServices/{endpointId}/configuration` with [`timeout_payload`].
pub fn configure_timeout(
    base: &BaseUrl,
    credentials: &Credentials,
    config: &TimeoutConfig,
) -> Result<HttpRequest, GuardError> {
    let url = service_url(base, &config.endpoint_id, "configuration")?;
    HttpRequest::put_json(url, &timeout_payload(config)).authorized(credentials)
}

/// `POST {base}/api/v1/externalServices/{endpointId}/invoke` with body `{}`.
pub fn invoke(
    base: &BaseUrl,
    credentials: &Credentials,
    endpoint_id: &str,
) -> Result<HttpRequest, GuardError> {
    let url = service_url(base, endpoint_id, "invoke")?;
    HttpRequest::post_json(url, &json!({})).authorized(credentials)
}

fn service_url(base: &BaseUrl, endpoint_id: &str, action: &str) -> Result<String, GuardError> {
    let id = path_segment("endpointId", endpoint_id)?;
    Ok(base.join(&format!("/api/v1/externalServices/{id}/{action}")))
}

/// `POST {base}/api/v1/test-suites/{suiteId}/executions` with the seed's snake_case body (outcome
/// fields that are absent are left out rather than sent as `null`).
pub fn submit_execution(
    base: &BaseUrl,
    credentials: &Credentials,
    execution: &TestExecution,
) -> Result<HttpRequest, GuardError> {
    let suite = path_segment("suiteId", &execution.suite_id)?;
    let url = base.join(&format!("/api/v1/test-suites/{suite}/executions"));
    HttpRequest::post_json(url, &execution_payload(execution)).authorized(credentials)
}

fn execution_payload(execution: &TestExecution) -> Value {
    json!({
        "suite_id": execution.suite_id,
        "execution_timeout_seconds": execution.execution_timeout_seconds,
        "test_cases": execution.test_cases.iter().map(case_payload).collect::<Vec<_>>(),
    })
}

fn case_payload(case: &TestCase) -> Value {
    let outcome = &case.outcome;
    let mut wire = Map::new();
    if let Some(intent) = &outcome.expected_intent {
        wire.insert("expected_intent".into(), json!(intent));
    }
    if let Some(entities) = &outcome.expected_entities {
        wire.insert("expected_entities".into(), json!(entities));
    }
    if let Some(text) = &outcome.expected_response_contains {
        wire.insert("expected_response_contains".into(), json!(text));
    }
    wire.insert(
        "allowed_latency_ms".into(),
        json!(outcome.allowed_latency_ms),
    );
    json!({
        "input_text": case.input_text,
        "context_variables": case.context_variables,
        "outcome": wire,
    })
}

/// `GET {base}/api/v1/executions/{executionId}/status`.
pub fn execution_status(
    base: &BaseUrl,
    credentials: &Credentials,
    execution_id: &str,
) -> Result<HttpRequest, GuardError> {
    execution_get(base, credentials, execution_id, "status")
}

/// `GET {base}/api/v1/executions/{executionId}/results` (read the answer with
/// [`parse_json_answer`] and hand it to the aggregation).
pub fn execution_results(
    base: &BaseUrl,
    credentials: &Credentials,
    execution_id: &str,
) -> Result<HttpRequest, GuardError> {
    execution_get(base, credentials, execution_id, "results")
}

fn execution_get(
    base: &BaseUrl,
    credentials: &Credentials,
    execution_id: &str,
    what: &str,
) -> Result<HttpRequest, GuardError> {
    let id = path_segment("executionId", execution_id)?;
    HttpRequest::get(base.join(&format!("/api/v1/executions/{id}/{what}"))).authorized(credentials)
}

/// Reads the configuration answer `{ endpointId, status: "configured", configuration, updatedAt }`
/// and returns it whole (an empty 2xx body is `null`). A `status` other than `configured` is a
/// [`GuardError::BadResponse`].
pub fn parse_configure(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Value, GuardError> {
    let answer = parse_json_answer(status, headers, body)?;
    match answer.get("status").and_then(Value::as_str) {
        Some(state) if state != "configured" => Err(GuardError::BadResponse(format!(
            "configuration answer has status {:?}, expected \"configured\"",
            clip(state)
        ))),
        _ => Ok(answer),
    }
}

/// Reads an invoke answer (`{ endpointId, data, latencyMs }`) and returns it whole, as the seed
/// caches and returns it.
pub fn parse_invoke(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Value, GuardError> {
    parse_json_answer(status, headers, body)
}

/// Reads the submission answer `{ execution_id, status: "queued" }` and returns the execution id
/// (a number is converted to its decimal text).
pub fn parse_submit(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<String, GuardError> {
    let answer = parse_object_answer(status, headers, body, "submission answer")?;
    match answer.get("execution_id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        Some(Value::Number(id)) => Ok(id.to_string()),
        _ => Err(GuardError::BadResponse(
            "submission answer has no execution_id".to_owned(),
        )),
    }
}

/// State of a seed execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionState {
    /// Waiting to run.
    Queued,
    /// Running.
    Running,
    /// Finished; results are available.
    Completed,
    /// Finished unsuccessfully.
    Failed,
    /// Ran out of its execution timeout.
    Timeout,
    /// A status this library does not know (kept, at most 64 characters); not terminal.
    Unknown(String),
}

impl ExecutionState {
    /// Reads a wire status (case-insensitive).
    pub fn from_wire(status: &str) -> Self {
        match status.trim().to_ascii_lowercase().as_str() {
            "queued" => ExecutionState::Queued,
            "running" => ExecutionState::Running,
            "completed" => ExecutionState::Completed,
            "failed" => ExecutionState::Failed,
            "timeout" => ExecutionState::Timeout,
            _ => ExecutionState::Unknown(status.chars().take(MAX_STATUS_CHARS).collect()),
        }
    }

    /// The wire spelling (unknown statuses as received).
    pub fn as_str(&self) -> &str {
        match self {
            ExecutionState::Queued => "queued",
            ExecutionState::Running => "running",
            ExecutionState::Completed => "completed",
            ExecutionState::Failed => "failed",
            ExecutionState::Timeout => "timeout",
            ExecutionState::Unknown(status) => status,
        }
    }

    /// Whether polling can stop: `completed`, `failed` or `timeout`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ExecutionState::Completed | ExecutionState::Failed | ExecutionState::Timeout
        )
    }
}

impl Serialize for ExecutionState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How many cases of an execution are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Cases finished.
    pub completed: u64,
    /// Cases in the execution.
    pub total: u64,
}

/// A status poll's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatus {
    /// The execution's state.
    pub status: ExecutionState,
    /// Progress, when the server reported a well-formed one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// The answer's `error.message` (clipped to 300 characters), when it gives one: why a
    /// `failed` or `timeout` execution ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ExecutionStatus {
    /// Whether polling can stop.
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

/// Reads `{ execution_id, status, progress: { completed, total }, error?: { message } }`; a missing
/// `status` is a [`GuardError::BadResponse`], a malformed `progress` or `error` is ignored.
pub fn parse_status(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<ExecutionStatus, GuardError> {
    let answer = parse_object_answer(status, headers, body, "status answer")?;
    let state = str_member(&answer, "status")
        .ok_or_else(|| GuardError::BadResponse("status answer has no status".to_owned()))?;
    let progress = answer
        .get("progress")
        .and_then(Value::as_object)
        .and_then(|p| {
            Some(Progress {
                completed: count(p.get("completed")?)?,
                total: count(p.get("total")?)?,
            })
        });
    Ok(ExecutionStatus {
        status: ExecutionState::from_wire(state),
        progress,
        error: error_message(&answer),
    })
}

/// The `error.message` of a status or results answer (`{ error: { code, message } }`, or `error`
/// as a plain string), clipped to 300 characters; `None` when absent or blank.
pub fn error_message(answer: &Map<String, Value>) -> Option<String> {
    let error = answer.get("error")?;
    let message = match error {
        Value::String(text) => text.as_str(),
        Value::Object(fields) => str_member(fields, "message")?,
        _ => return None,
    };
    let message = message.trim();
    (!message.is_empty()).then(|| clip(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome;
    use crate::profile::Method;
    use crate::ErrorCode;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api.example.com/prefix/", false).unwrap()
    }

    fn bearer() -> Credentials {
        Credentials::Bearer("tok".into())
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn seed_config() -> TimeoutConfig {
        let template = json!({
            "message": "Service temporarily unavailable. Please try again.",
            "metadata": {}
        });
        TimeoutConfig {
            endpoint_id: "ext_svc_weather_01".into(),
            max_wait_time_ms: 15000,
            sla_threshold_ms: 10000,
            fallback_template: template.as_object().unwrap().clone(),
            retry_attempts: 2,
            backoff_ms: 500,
        }
    }

    #[test]
    fn seed_example_configuration_payload() {
        assert_eq!(
            timeout_payload(&seed_config()),
            json!({
                "endpointId": "ext_svc_weather_01",
                "timeoutConfiguration": { "maxWaitTimeMs": 15000, "retryAttempts": 2, "backoffMs": 500 },
                "fallbackConfiguration": {
                    "template": "{\"message\":\"Service temporarily unavailable. Please try again.\",\"metadata\":{}}",
                    "routeTo": "notification_queue"
                },
                "slaConfiguration": { "thresholdMs": 10000, "alertEnabled": true }
            })
        );
        let mut config = seed_config();
        config.retry_attempts = 0;
        config.backoff_ms = 1234;
        let payload = timeout_payload(&config);
        assert_eq!(payload["timeoutConfiguration"]["retryAttempts"], 0);
        assert_eq!(payload["timeoutConfiguration"]["backoffMs"], 1234);
    }

    #[test]
    fn configure_request() {
        let req = configure_timeout(&base(), &bearer(), &seed_config()).unwrap();
        assert_eq!(req.method(), Method::Put);
        assert_eq!(
            req.url(),
            "https://api.example.com/prefix/api/v1/externalServices/ext_svc_weather_01/configuration"
        );
        assert_eq!(
            req.headers(),
            pairs(&[
                ("Accept", "application/json"),
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer tok")
            ])
        );
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(body, timeout_payload(&seed_config()));
    }

    #[test]
    fn invoke_request_and_hostile_ids() {
        let req = invoke(&base(), &Credentials::ApiKey("k".into()), "a/b").unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url(),
            "https://api.example.com/prefix/api/v1/externalServices/a%2Fb/invoke"
        );
        assert_eq!(req.body(), Some("{}"));
        assert_eq!(req.header("x-api-key"), Some("k"));
        assert_eq!(
            invoke(&base(), &bearer(), "..").unwrap_err().code(),
            ErrorCode::Config
        );
    }

    fn execution() -> TestExecution {
        TestExecution {
            suite_id: "suite_prod_v2".into(),
            execution_timeout_seconds: 900,
            test_cases: vec![
                TestCase {
                    input_text: "I need to reset my password".into(),
                    context_variables: json!({"user_role": "customer"})
                        .as_object()
                        .unwrap()
                        .clone(),
                    outcome: Outcome {
                        expected_intent: Some("intent_password_reset".into()),
                        expected_entities: Some(vec!["user_id".into()]),
                        expected_response_contains: Some("password reset link".into()),
                        allowed_latency_ms: 800,
                    },
                },
                TestCase {
                    input_text: "What are your business hours?".into(),
                    context_variables: Map::new(),
                    outcome: Outcome {
                        expected_intent: None,
                        expected_entities: None,
                        expected_response_contains: None,
                        allowed_latency_ms: 500,
                    },
                },
            ],
        }
    }

    #[test]
    fn submit_request_uses_the_seed_snake_case_body() {
        let req = submit_execution(&base(), &bearer(), &execution()).unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url(),
            "https://api.example.com/prefix/api/v1/test-suites/suite_prod_v2/executions"
        );
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "suite_id": "suite_prod_v2",
                "execution_timeout_seconds": 900,
                "test_cases": [
                    { "input_text": "I need to reset my password",
                      "context_variables": { "user_role": "customer" },
                      "outcome": { "expected_intent": "intent_password_reset",
                                   "expected_entities": ["user_id"],
                                   "expected_response_contains": "password reset link",
                                   "allowed_latency_ms": 800 } },
                    { "input_text": "What are your business hours?",
                      "context_variables": {},
                      "outcome": { "allowed_latency_ms": 500 } }
                ]
            })
        );
        let mut hostile = execution();
        hostile.suite_id = "../admin".into();
        let req = submit_execution(&base(), &bearer(), &hostile).unwrap();
        assert!(req.url().ends_with("/test-suites/..%2Fadmin/executions"));
    }

    #[test]
    fn status_and_results_are_bodiless_gets() {
        let status = execution_status(&base(), &bearer(), "exec 1").unwrap();
        assert_eq!(status.method(), Method::Get);
        assert_eq!(
            status.url(),
            "https://api.example.com/prefix/api/v1/executions/exec%201/status"
        );
        assert_eq!(status.body(), None);
        assert_eq!(status.header("content-type"), None);
        assert_eq!(status.header("accept"), Some("application/json"));
        let results = execution_results(&base(), &bearer(), "%2e%2e").unwrap();
        assert_eq!(
            results.url(),
            "https://api.example.com/prefix/api/v1/executions/%252e%252e/results"
        );
        assert_eq!(results.body(), None);
        assert!(execution_status(&base(), &bearer(), "").is_err());
    }

    #[test]
    fn parses_submission_answers() {
        assert_eq!(
            parse_submit(202, &[], r#"{"execution_id":"exec_1","status":"queued"}"#).unwrap(),
            "exec_1"
        );
        assert_eq!(
            parse_submit(202, &[], r#"{"execution_id":42}"#).unwrap(),
            "42"
        );
        for body in [
            r#"{"status":"queued"}"#,
            r#"{"execution_id":""}"#,
            r#"{"execution_id":null}"#,
            "",
            "{",
            "[]",
        ] {
            assert_eq!(
                parse_submit(202, &[], body).unwrap_err().code(),
                ErrorCode::BadResponse,
                "{body}"
            );
        }
        let err = parse_submit(
            400,
            &[],
            r#"{"error":"validation_error","message":"too many cases"}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "HTTP 400: validation_error: too many cases"
        );
        assert_eq!(
            parse_submit(403, &[], "").unwrap_err().code(),
            ErrorCode::Auth
        );
    }

    #[test]
    fn parses_status_answers() {
        let status = parse_status(
            200,
            &[],
            r#"{"execution_id":"e","status":"running","progress":{"completed":3,"total":10}}"#,
        )
        .unwrap();
        assert_eq!(
            status,
            ExecutionStatus {
                status: ExecutionState::Running,
                progress: Some(Progress {
                    completed: 3,
                    total: 10
                }),
                error: None,
            }
        );
        assert!(!status.is_terminal());
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            json!({"status": "running", "progress": {"completed": 3, "total": 10}})
        );
        for (wire, terminal) in [
            ("queued", false),
            ("COMPLETED", true),
            ("failed", true),
            ("timeout", true),
            ("paused", false),
        ] {
            let body = format!(r#"{{"status":"{wire}","progress":"bad"}}"#);
            let status = parse_status(200, &[], &body).unwrap();
            assert_eq!(status.is_terminal(), terminal, "{wire}");
            assert_eq!(status.progress, None);
        }
        assert_eq!(
            parse_status(200, &[], r#"{"status":"paused"}"#)
                .unwrap()
                .status,
            ExecutionState::Unknown("paused".into())
        );
        let long = format!(r#"{{"status":"{}"}}"#, "z".repeat(500));
        let ExecutionState::Unknown(kept) = parse_status(200, &[], &long).unwrap().status else {
            panic!("expected unknown")
        };
        assert_eq!(kept.len(), MAX_STATUS_CHARS);
        assert_eq!(
            parse_status(200, &[], r#"{"execution_id":"e"}"#)
                .unwrap_err()
                .code(),
            ErrorCode::BadResponse
        );
        let limited = pairs(&[("Retry-After", "2")]);
        assert_eq!(
            parse_status(429, &limited, "")
                .unwrap_err()
                .fields()
                .retry_after_ms,
            Some(2000)
        );
    }

    #[test]
    fn parses_configure_and_invoke_answers() {
        let answer = parse_configure(
            200,
            &[],
            r#"{"endpointId":"x","status":"configured","updatedAt":"2024-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(answer["endpointId"], "x");
        assert_eq!(parse_configure(204, &[], "").unwrap(), Value::Null);
        assert_eq!(
            parse_configure(200, &[], r#"{"status":"rejected"}"#)
                .unwrap_err()
                .code(),
            ErrorCode::BadResponse
        );
        let err = parse_configure(
            403,
            &[],
            r#"{"error":"forbidden","message":"needs externalService:write"}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Auth);
        let answer = parse_invoke(
            200,
            &[],
            r#"{"endpointId":"x","data":{"t":1},"latencyMs":12}"#,
        )
        .unwrap();
        assert_eq!(answer["data"], json!({"t": 1}));
        let err = parse_invoke(
            404,
            &[],
            r#"{"error":"not_found","message":"never configured"}"#,
        )
        .unwrap_err();
        assert_eq!(err.fields().status, Some(404));
        assert_eq!(
            parse_invoke(200, &[], "{\"data\":").unwrap_err().code(),
            ErrorCode::BadResponse
        );
    }

    proptest::proptest! {
        #[test]
        fn seed_parsers_never_panic(status in 0u16..700, body in ".{0,200}") {
            let _ = parse_submit(status, &[], &body);
            let _ = parse_status(status, &[], &body);
            let _ = parse_configure(status, &[], &body);
            let _ = parse_invoke(status, &[], &body);
        }

        #[test]
        fn seed_parsers_never_panic_on_json_shapes(
            id in proptest::option::of(".{0,10}"), n in proptest::num::i64::ANY, s in ".{0,10}"
        ) {
            let body = json!({"execution_id": id, "status": s, "progress": {"completed": n, "total": s}});
            let text = body.to_string();
            let _ = parse_submit(200, &[], &text);
            let _ = parse_status(200, &[], &text);
        }
    }
}
