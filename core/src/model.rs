//! Validated domain values shared by the core modules. They are produced by `validation` from
//! untrusted input and serialize to the camelCase shape docs/API.md shows to JS users.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Default number of retries after the first attempt (seed value).
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 2;
/// Default base backoff between attempts, in milliseconds (seed value).
pub const DEFAULT_BACKOFF_MS: u32 = 500;

/// A per-endpoint timeout policy (seed "Managing ... External Service Timeouts").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutConfig {
    /// 1..=128 chars of `[A-Za-z0-9_.-]`; safe to place in a URL path.
    pub endpoint_id: String,
    /// Per-attempt timeout, 1000..=30000 ms.
    pub max_wait_time_ms: u32,
    /// SLA threshold, 500..=25000 ms and not above `max_wait_time_ms`.
    pub sla_threshold_ms: u32,
    /// The fallback answer, always a JSON object once validated.
    pub fallback_template: Map<String, Value>,
    /// Retries after the first attempt, 0..=5.
    pub retry_attempts: u32,
    /// Base backoff between attempts, 0..=10000 ms.
    pub backoff_ms: u32,
}

/// A test suite execution request (seed "Executing ... Bot Test Suites").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestExecution {
    /// Non-empty suite identifier.
    pub suite_id: String,
    /// 1..=500 cases.
    pub test_cases: Vec<TestCase>,
    /// 30..=1800 seconds.
    pub execution_timeout_seconds: u32,
}

/// One test case of a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    /// Non-empty user utterance.
    pub input_text: String,
    /// Context variables set before the input (default `{}`).
    pub context_variables: Map<String, Value>,
    /// What the bot is expected to do.
    pub outcome: Outcome,
}

/// The expected outcome of a test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Intent the NLU must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_intent: Option<String>,
    /// Entities that must be extracted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_entities: Option<Vec<String>>,
    /// Text the response must contain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_response_contains: Option<String>,
    /// Latency budget, 100..=5000 ms.
    pub allowed_latency_ms: u32,
}

impl Outcome {
    /// Whether the case asserts anything besides latency.
    pub fn has_assertions(&self) -> bool {
        self.expected_intent.is_some()
            || self
                .expected_entities
                .as_ref()
                .is_some_and(|e| !e.is_empty())
            || self.expected_response_contains.is_some()
    }
}
