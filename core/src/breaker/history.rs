//! Bounded log of the breaker's state transitions.

use super::BreakerState;
use crate::json::read::{self, missing, Read};
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use std::collections::VecDeque;

/// Transitions kept; older ones are dropped.
pub const HISTORY_CAPACITY: usize = 100;

/// Why the breaker changed state. Serialized in snake_case (`failure_threshold`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum TransitionReason {
    /// `failureThreshold` consecutive failures (closed → open).
    FailureThreshold,
    /// The failure rate over the sliding window reached `failureRateThreshold`.
    FailureRate,
    /// A rule tripped and the call that tipped it was a success slower than `slowCallMs`
    /// (closed → open, or half-open → open for a slow probe).
    SlowCalls,
    /// The open time elapsed (open → half-open).
    ResetTimeoutElapsed,
    /// A probe failed (half-open → open).
    ProbeFailed,
    /// A probe was not reported within `halfOpenTimeoutMs` (half-open → open).
    ProbeExpired,
    /// `successThreshold` probes succeeded (half-open → closed).
    SuccessThreshold,
    /// `forceOpen()` was called.
    ForcedOpen,
    /// `reset()` was called.
    Reset,
}

/// One state transition, in the camelCase shape docs/API.md gives JS.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When, as ISO-8601 UTC text.
    pub at: String,
    /// When, in ms since the epoch.
    pub at_ms: f64,
    /// State before.
    pub from: BreakerState,
    /// State after.
    pub to: BreakerState,
    /// Why.
    pub reason: TransitionReason,
    /// Consecutive failures (slow calls and expired probes included) at that moment.
    pub failure_count: u32,
    /// On a transition to closed: ms since the breaker first opened in this outage (across
    /// any reopenings). `null` otherwise.
    pub recovery_latency_ms: Option<f64>,
}

impl TransitionReason {
    /// Reads the snake_case name.
    pub fn read(value: &Value) -> Read<Self> {
        use TransitionReason::*;
        read::variant(
            value,
            &[
                ("failure_threshold", FailureThreshold),
                ("failure_rate", FailureRate),
                ("slow_calls", SlowCalls),
                ("reset_timeout_elapsed", ResetTimeoutElapsed),
                ("probe_failed", ProbeFailed),
                ("probe_expired", ProbeExpired),
                ("success_threshold", SuccessThreshold),
                ("forced_open", ForcedOpen),
                ("reset", Reset),
            ],
        )
    }
}

impl HistoryEntry {
    /// Reads an entry of a snapshot or record (fields in key order, see [`read::Fields`]).
    pub fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "HistoryEntry")?;
        let at = f.present("at", read::string)?;
        let at_ms = f.present("atMs", read::f64)?;
        let failure_count = f.present("failureCount", read::u32)?;
        let from = f.present("from", BreakerState::read)?;
        let reason = f.present("reason", TransitionReason::read)?;
        let recovery_latency_ms = f.optional("recoveryLatencyMs", read::f64)?;
        let to = f.present("to", BreakerState::read)?;
        Ok(HistoryEntry {
            at: missing(at, "at")?,
            at_ms: missing(at_ms, "atMs")?,
            from: missing(from, "from")?,
            to: missing(to, "to")?,
            reason: missing(reason, "reason")?,
            failure_count: missing(failure_count, "failureCount")?,
            recovery_latency_ms,
        })
    }

    /// The entry with `at_ms` clamped to the JS date range, `at` rewritten from it and a
    /// negative or non-finite recovery latency dropped (for entries read from a snapshot).
    pub fn sanitized(self) -> Self {
        let at_ms = super::clock::clamp_instant(self.at_ms);
        HistoryEntry {
            at: crate::time::iso8601(at_ms),
            at_ms,
            recovery_latency_ms: self
                .recovery_latency_ms
                .filter(|v| v.is_finite() && *v >= 0.0),
            ..self
        }
    }
}

/// The last [`HISTORY_CAPACITY`] transitions, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    entries: VecDeque<HistoryEntry>,
}

impl History {
    /// Appends an entry, dropping the oldest beyond the capacity.
    pub fn push(&mut self, entry: HistoryEntry) {
        if self.entries.len() >= HISTORY_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<HistoryEntry> {
        self.entries.iter().cloned().collect()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<&HistoryEntry> {
        self.entries.back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: f64) -> HistoryEntry {
        HistoryEntry {
            at: crate::time::iso8601(at_ms),
            at_ms,
            from: BreakerState::HalfOpen,
            to: BreakerState::Closed,
            reason: TransitionReason::SuccessThreshold,
            failure_count: 0,
            recovery_latency_ms: Some(30_000.0),
        }
    }

    #[test]
    fn keeps_the_newest_entries() {
        let mut h = History::default();
        for i in 0..(HISTORY_CAPACITY + 5) {
            h.push(entry(i as f64));
        }
        let entries = h.entries();
        assert_eq!(entries.len(), HISTORY_CAPACITY);
        assert_eq!(entries.first().map(|e| e.at_ms), Some(5.0));
        assert_eq!(
            entries.last().map(|e| e.at_ms),
            Some((HISTORY_CAPACITY + 4) as f64)
        );
    }

    #[test]
    fn serializes_camel_case() {
        let json = serde_json::to_value(entry(0.0)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "at": "1970-01-01T00:00:00.000Z", "atMs": 0.0, "from": "half_open",
                "to": "closed", "reason": "success_threshold", "failureCount": 0,
                "recoveryLatencyMs": 30000.0
            })
        );
    }
}
