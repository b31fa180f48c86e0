//! Latency statistics of a suite: nearest-rank percentiles over the cases that reported a
//! latency, and the number of cases over their budget.

use super::CaseResult;
use serde::{Deserialize, Serialize};

/// Latency statistics; the percentiles are `null` when no case reported a latency.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LatencyStats {
    /// Median latency (nearest rank), in milliseconds.
    pub p50: Option<f64>,
    /// 95th percentile latency (nearest rank), in milliseconds.
    pub p95: Option<f64>,
    /// Largest latency, in milliseconds.
    pub max: Option<f64>,
    /// Cases whose latency exceeded their allowed latency.
    pub over_budget: usize,
}

impl LatencyStats {
    /// Computes the statistics; sorts the collected latencies once (`O(n log n)`).
    pub fn compute(cases: &[CaseResult]) -> Self {
        let mut latencies: Vec<f64> = cases.iter().filter_map(|c| c.latency_ms).collect();
        // The same sort as the breaker's and the metrics' (one in the binary); equal values under
        // `total_cmp` are the same bits, so stability changes nothing.
        latencies.sort_by(f64::total_cmp);
        LatencyStats {
            p50: nearest_rank(&latencies, 50),
            p95: nearest_rank(&latencies, 95),
            max: latencies.last().copied(),
            over_budget: cases.iter().filter(|c| c.over_budget()).count(),
        }
    }
}

/// The nearest-rank `percent`-th percentile of ascending `sorted` values: the value at rank
/// `ceil(percent / 100 * n)` (1-based, at least 1). `None` for no values.
pub fn nearest_rank(sorted: &[f64], percent: u8) -> Option<f64> {
    let n = sorted.len();
    // ceil(percent * n / 100) in integers, so 95% of 20 is exactly rank 19.
    let rank = usize::from(percent)
        .checked_mul(n)
        .map_or(n, |x| x.div_ceil(100))
        .clamp(1, n.max(1));
    sorted.get(rank.saturating_sub(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_latency(latency: Option<f64>, allowed: Option<f64>) -> CaseResult {
        CaseResult {
            latency_ms: latency,
            allowed_latency_ms: allowed,
            ..CaseResult::default()
        }
    }

    #[test]
    fn nearest_rank_by_hand() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 50), Some(10.0));
        assert_eq!(nearest_rank(&v, 95), Some(19.0));
        assert_eq!(nearest_rank(&v, 100), Some(20.0));
        assert_eq!(nearest_rank(&v, 0), Some(1.0));
        assert_eq!(nearest_rank(&[7.0], 95), Some(7.0));
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0], 50), Some(2.0));
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 50), Some(2.0));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn stats_over_unsorted_cases() {
        let cases = [
            with_latency(Some(900.0), Some(800.0)),
            with_latency(Some(100.0), Some(800.0)),
            with_latency(None, Some(800.0)),
            with_latency(Some(500.0), None),
            with_latency(Some(300.0), Some(300.0)), // equal to budget: not over
        ];
        let s = LatencyStats::compute(&cases);
        // Sorted: 100 300 500 900. p50 rank 2 → 300; p95 rank ceil(3.8) = 4 → 900.
        assert_eq!(s.p50, Some(300.0));
        assert_eq!(s.p95, Some(900.0));
        assert_eq!(s.max, Some(900.0));
        assert_eq!(s.over_budget, 1);
    }

    #[test]
    fn no_latencies_serialize_as_null() {
        let s = LatencyStats::compute(&[with_latency(None, None)]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"p50": null, "p95": null, "max": null, "overBudget": 0})
        );
    }
}
