//! What a guarded call ends with: a [`CallResult`] (live or degraded, with its [`Source`]) or the
//! error when no degraded answer exists.

use crate::breaker::BreakerState;
use crate::error::GuardError;
use crate::json::write;
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
    /// The JSON text `data` was parsed from (a live answer's body), which [`Self::to_json`]
    /// writes as it came instead of serializing `data` again.
    #[serde(skip)]
    pub body: Option<String>,
}

impl CallResult {
    /// The result's JSON text: its serialization, with `data` written as [`Self::body`] when
    /// that is set (then the keys of `data` keep the body's order).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let Some(body) = &self.body else {
            return serde_json::to_string(self);
        };
        let mut out = String::with_capacity(body.len() + 160);
        out.push_str("{\"attempts\":");
        write::uint(&mut out, u64::from(self.attempts));
        out.push_str(",\"circuit\":\"");
        out.push_str(match self.circuit {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        });
        out.push_str("\",\"data\":");
        out.push_str(body);
        out.push_str(",\"degraded\":");
        write::boolean(&mut out, self.degraded);
        if let Some(error) = &self.error {
            out.push_str(",\"error\":");
            out.push_str(&serde_json::to_string(error)?);
        }
        out.push_str(",\"latencyMs\":");
        out.push_str(&serde_json::to_string(&self.latency_ms)?);
        out.push_str(",\"slaBreached\":");
        write::boolean(&mut out, self.sla_breached);
        out.push_str(",\"source\":\"");
        out.push_str(match self.source {
            Source::Live => "live",
            Source::Cache => "cache",
            Source::Fallback => "fallback",
        });
        out.push_str("\",\"status\":");
        match self.status {
            Some(status) => write::uint(&mut out, u64::from(status)),
            None => out.push_str("null"),
        }
        out.push('}');
        Ok(out)
    }
}

/// A call result, or the error when no degraded answer exists.
pub type CallOutcome = Result<CallResult, GuardError>;
