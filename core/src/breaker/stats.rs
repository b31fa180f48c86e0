//! Counters a breaker keeps for metrics pages, and the stats view built from them.

use super::BreakerState;
use crate::json::read::{self, Read};
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// Running totals since the breaker was created (kept in snapshots).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase", default)]
pub struct Counters {
    /// Outcomes reported (`successes + failures`).
    pub calls: u64,
    /// Successes reported (slow ones included).
    pub successes: u64,
    /// Failures reported.
    pub failures: u64,
    /// Successes slower than `slowCallMs` (counted as failures by the trip rules).
    pub slow_calls: u64,
    /// Acquisitions refused.
    pub rejections: u64,
    /// Probes that expired unreported.
    pub expired_probes: u64,
    /// Transitions to open.
    pub opens: u64,
    /// Transitions back to closed after an outage.
    pub recoveries: u64,
    /// Sum of the recovery latencies, in ms.
    pub recovery_latency_sum_ms: f64,
    /// The most recent recovery latency, in ms.
    pub last_recovery_latency_ms: Option<f64>,
    /// The longest recovery latency, in ms.
    pub max_recovery_latency_ms: Option<f64>,
}

impl Counters {
    /// Reads the counters of a snapshot; every field may be absent (fields in key order, see
    /// [`read::Fields`]).
    pub fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "Counters")?;
        let calls = f.or_default("calls", read::u64)?;
        let expired_probes = f.or_default("expiredProbes", read::u64)?;
        let failures = f.or_default("failures", read::u64)?;
        let last_recovery_latency_ms = f.optional("lastRecoveryLatencyMs", read::f64)?;
        let max_recovery_latency_ms = f.optional("maxRecoveryLatencyMs", read::f64)?;
        let opens = f.or_default("opens", read::u64)?;
        let recoveries = f.or_default("recoveries", read::u64)?;
        let recovery_latency_sum_ms = f.or_default("recoveryLatencySumMs", read::f64)?;
        let rejections = f.or_default("rejections", read::u64)?;
        let slow_calls = f.or_default("slowCalls", read::u64)?;
        let successes = f.or_default("successes", read::u64)?;
        Ok(Counters {
            calls,
            successes,
            failures,
            slow_calls,
            rejections,
            expired_probes,
            opens,
            recoveries,
            recovery_latency_sum_ms,
            last_recovery_latency_ms,
            max_recovery_latency_ms,
        })
    }

    /// Records one recovery that took `latency_ms`.
    pub fn record_recovery(&mut self, latency_ms: f64) {
        self.recoveries = self.recoveries.saturating_add(1);
        self.recovery_latency_sum_ms += latency_ms;
        self.last_recovery_latency_ms = Some(latency_ms);
        self.max_recovery_latency_ms = Some(
            self.max_recovery_latency_ms
                .map_or(latency_ms, |max| max.max(latency_ms)),
        );
    }

    /// The counters with negative or non-finite latencies (from a tampered snapshot)
    /// replaced by sane values.
    pub fn sanitized(self) -> Self {
        let latency = |v: Option<f64>| v.filter(|x| x.is_finite() && *x >= 0.0);
        Counters {
            recovery_latency_sum_ms: latency(Some(self.recovery_latency_sum_ms)).unwrap_or(0.0),
            last_recovery_latency_ms: latency(self.last_recovery_latency_ms),
            max_recovery_latency_ms: latency(self.max_recovery_latency_ms),
            ..self
        }
    }
}

/// What a metrics page needs about one breaker (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakerStats {
    /// Current state.
    pub state: BreakerState,
    /// Outcomes reported (`successes + failures`).
    pub calls: u64,
    /// Successes reported (slow ones included).
    pub successes: u64,
    /// Failures reported.
    pub failures: u64,
    /// Acquisitions refused.
    pub rejections: u64,
    /// Current run of consecutive failures.
    pub consecutive_failures: u32,
    /// Successes slower than `slowCallMs`.
    pub slow_calls: u64,
    /// Probes that expired unreported.
    pub expired_probes: u64,
    /// Transitions to open.
    pub opens: u64,
    /// Transitions back to closed after an outage.
    pub recoveries: u64,
    /// The most recent recovery latency, in ms.
    pub last_recovery_latency_ms: Option<f64>,
    /// Mean recovery latency, in ms.
    pub mean_recovery_latency_ms: Option<f64>,
    /// The longest recovery latency, in ms.
    pub max_recovery_latency_ms: Option<f64>,
}

impl BreakerStats {
    /// Builds the view from the counters and the live state.
    pub fn new(state: BreakerState, consecutive_failures: u32, c: &Counters) -> Self {
        BreakerStats {
            state,
            calls: c.calls,
            successes: c.successes,
            failures: c.failures,
            rejections: c.rejections,
            consecutive_failures,
            slow_calls: c.slow_calls,
            expired_probes: c.expired_probes,
            opens: c.opens,
            recoveries: c.recoveries,
            last_recovery_latency_ms: c.last_recovery_latency_ms,
            mean_recovery_latency_ms: (c.recoveries > 0)
                .then(|| c.recovery_latency_sum_ms / c.recoveries as f64),
            max_recovery_latency_ms: c.max_recovery_latency_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_latency_aggregates() {
        let mut c = Counters::default();
        c.record_recovery(30_000.0);
        c.record_recovery(10_000.0);
        let s = BreakerStats::new(BreakerState::Closed, 0, &c);
        assert_eq!(s.recoveries, 2);
        assert_eq!(s.last_recovery_latency_ms, Some(10_000.0));
        assert_eq!(s.mean_recovery_latency_ms, Some(20_000.0));
        assert_eq!(s.max_recovery_latency_ms, Some(30_000.0));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["meanRecoveryLatencyMs"], 20_000.0);
        assert_eq!(json["state"], "closed");
    }

    #[test]
    fn no_recovery_means_null_latencies() {
        let s = BreakerStats::new(BreakerState::Open, 3, &Counters::default());
        assert_eq!(s.mean_recovery_latency_ms, None);
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["lastRecoveryLatencyMs"].is_null());
        assert_eq!(json["consecutiveFailures"], 3);
    }

    #[test]
    fn sanitizes_tampered_latencies() {
        let c = Counters {
            recovery_latency_sum_ms: -5.0,
            last_recovery_latency_ms: Some(-1.0),
            max_recovery_latency_ms: Some(7.0),
            ..Counters::default()
        }
        .sanitized();
        assert_eq!(c.recovery_latency_sum_ms, 0.0);
        assert_eq!(c.last_recovery_latency_ms, None);
        assert_eq!(c.max_recovery_latency_ms, Some(7.0));
    }
}
