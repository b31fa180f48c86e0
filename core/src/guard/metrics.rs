//! Per-endpoint call metrics: counters, a bounded window of call latencies with percentiles, and
//! the breaker's recovery latencies.

use crate::breaker::stats::BreakerStats;
use crate::breaker::BreakerState;
use serde::Serialize;
use std::collections::VecDeque;

/// Latencies kept per endpoint for the percentiles (the most recent ones).
pub const LATENCY_WINDOW: usize = 1024;

/// Running call counters of one endpoint (flattened into its report's JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallCounters {
    /// Guarded calls started.
    pub calls: u64,
    /// Calls answered live.
    pub successes: u64,
    /// Calls whose live answer failed (served degraded or rejected with an error).
    pub failures: u64,
    /// Attempts that exceeded their timeout.
    pub timeouts: u64,
    /// Calls the breaker refused before any attempt.
    pub rejections: u64,
    /// Calls answered from the fallback template.
    pub fallbacks: u64,
    /// Calls answered from the cache.
    pub cache_hits: u64,
    /// Live calls slower than the SLA threshold.
    pub sla_breaches: u64,
}

/// Running counters and recent latencies of one endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointMetrics {
    /// The call counters.
    pub counters: CallCounters,
    latencies: VecDeque<f64>,
    latency_sum_ms: f64,
    latency_count: u64,
}

impl EndpointMetrics {
    /// Records the latency of one finished call (live or not).
    pub fn record_latency(&mut self, latency_ms: f64) {
        let latency = if latency_ms.is_finite() {
            latency_ms.max(0.0)
        } else {
            0.0
        };
        if self.latencies.len() >= LATENCY_WINDOW {
            self.latencies.pop_front();
        }
        self.latencies.push_back(latency);
        self.latency_sum_ms += latency;
        self.latency_count = self.latency_count.saturating_add(1);
    }

    /// Percentiles over the window, with the all-time count and sum.
    pub fn latency(&self) -> LatencySummary {
        let mut sorted: Vec<f64> = self.latencies.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        LatencySummary {
            count: self.latency_count,
            sum_ms: self.latency_sum_ms,
            p50: percentile(&sorted, 0.50),
            p95: percentile(&sorted, 0.95),
            p99: percentile(&sorted, 0.99),
            max: sorted.last().copied(),
        }
    }

    /// The JSON report of this endpoint, with the breaker's state and recovery latencies.
    pub fn report(&self, breaker: &BreakerStats) -> EndpointReport {
        EndpointReport {
            state: breaker.state,
            counters: self.counters,
            latency: self.latency(),
            recovery_latency: RecoveryLatency {
                recoveries: breaker.recoveries,
                last: breaker.last_recovery_latency_ms,
                mean: breaker.mean_recovery_latency_ms,
                max: breaker.max_recovery_latency_ms,
            },
            opens: breaker.opens,
        }
    }
}

/// Nearest-rank percentile of sorted values (`None` when empty).
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}

/// Latency percentiles in ms (`null` before the first call).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencySummary {
    /// Calls measured since creation.
    pub count: u64,
    /// Sum of their latencies.
    pub sum_ms: f64,
    /// Median over the window.
    pub p50: Option<f64>,
    /// 95th percentile over the window.
    pub p95: Option<f64>,
    /// 99th percentile over the window.
    pub p99: Option<f64>,
    /// Largest latency in the window.
    pub max: Option<f64>,
}

/// Time from a breaker opening to it closing again, in ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryLatency {
    /// Outages that ended.
    pub recoveries: u64,
    /// The latest outage's.
    pub last: Option<f64>,
    /// Mean over all outages.
    pub mean: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

/// One endpoint's metrics as `metrics()` reports them (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointReport {
    /// Breaker state at the time of the report.
    pub state: BreakerState,
    /// The call counters.
    #[serde(flatten)]
    pub counters: CallCounters,
    /// Call latencies.
    pub latency: LatencySummary,
    /// Outage durations.
    pub recovery_latency: RecoveryLatency,
    /// Times the breaker opened.
    pub opens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank_over_a_bounded_window() {
        let mut m = EndpointMetrics::default();
        assert_eq!(m.latency().p50, None);
        for i in 1..=100 {
            m.record_latency(f64::from(i));
        }
        let l = m.latency();
        assert_eq!(
            (l.p50, l.p95, l.p99, l.max),
            (Some(50.0), Some(95.0), Some(99.0), Some(100.0))
        );
        for _ in 0..LATENCY_WINDOW {
            m.record_latency(1.0);
        }
        assert_eq!(m.latency().max, Some(1.0));
        assert_eq!(m.latency().count, 100 + LATENCY_WINDOW as u64);
        m.record_latency(f64::NAN);
        m.record_latency(-5.0);
    }
}
