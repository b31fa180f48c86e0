//! What a guarded call ends with: a [`CallResult`] (live or degraded, with its [`Source`]) or the
//! error when no degraded answer exists.

use crate::breaker::BreakerState;
use crate::error::GuardError;
use serde::Serialize;
use serde_json::Value;

/// Where the answer of a call came from (`live | cache | fallback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The upstream answered.
    Live,
    /// A last-known-good response.
    Cache,
    /// The endpoint's fallback template.
    Fallback,
}

/// Why a degraded answer was served: the error the live call ended with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DegradedReason {
    /// The error code (`TIMEOUT`, `CIRCUIT_OPEN`, ...).
    pub code: String,
    /// The (redacted) message.
    pub message: String,
    /// The HTTP status, when the upstream answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// A successful call result (camelCase JSON): `{ attempts, circuit, data, degraded, error?,
/// latencyMs, slaBreached, source, status }`.
///
/// The fields are declared in the alphabetical order of their JSON names, so serializing a result
/// directly gives the same text as serializing it through a `serde_json::Value` (whose maps are
/// sorted), which is what callers saw before the boundary stopped taking that detour.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// Attempts sent.
    pub attempts: u32,
    /// The breaker state when the call ended.
    pub circuit: BreakerState,
    /// The answer body (JSON, or text when the upstream sent no JSON; `null` when empty).
    pub data: Value,
    /// Whether `data` is not a live answer.
    pub degraded: bool,
    /// For a degraded answer: why the live call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<DegradedReason>,
    /// Time from start to finish, in ms.
    pub latency_ms: f64,
    /// Whether a live answer came slower than the SLA threshold.
    pub sla_breached: bool,
    /// Where `data` came from.
    pub source: Source,
    /// The upstream status of a live answer; `null` for degraded answers.
    pub status: Option<u16>,
}

/// A call result, or the error when no degraded answer exists.
pub type CallOutcome = Result<CallResult, GuardError>;
