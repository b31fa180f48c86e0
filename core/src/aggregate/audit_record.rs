//! The audit record of a suite run (the seed's `generate_audit_log`), with its bugs fixed:
//!
//! - the seed labelled `1 - pass_rate` a "false positive rate"; it is the share of cases that did
//!   not pass, here split honestly into `failureRate` and `unverifiedRate`;
//! - its "submission time" was the time the log was written; here it is the run's start;
//! - the 0.80 coverage baseline was hard-coded; here it comes from the options;
//! - compliance ignored an empty suite; here it follows the gate (at least one case).
//!
//! Times come in as arguments (epoch milliseconds); a clock that went backwards yields a latency
//! of 0, never a negative one.

use super::{ratio, AggregateOptions, Gate, SuiteReport};
use crate::time::iso8601;
use serde::{Deserialize, Serialize};

/// Whether the suite met the pass threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceStatus {
    /// The gate passed.
    Compliant,
    /// The gate failed.
    NonCompliant,
}

/// The two coverage ratios, as recorded in the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageAnalysis {
    /// See [`super::Coverage::intent_coverage`].
    pub intent_coverage: f64,
    /// See [`super::Coverage::entity_coverage`].
    pub entity_coverage: f64,
}

/// Quality trend metrics of the run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MlopsMetrics {
    /// `failed / total` (0 for an empty suite).
    pub failure_rate: f64,
    /// `unverified / total` (0 for an empty suite).
    pub unverified_rate: f64,
    /// `intentCoverage - baselineIntentCoverage`.
    pub coverage_delta: f64,
    /// The baseline the delta is measured against.
    pub baseline_intent_coverage: f64,
}

/// The audit record of one suite run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteAuditRecord {
    /// `AUD-{executionId}-{finish time in epoch seconds}`.
    pub audit_id: String,
    /// The execution (or playbook run / task) id.
    pub execution_id: String,
    /// When the run was submitted (ISO-8601, UTC).
    pub submission_time: String,
    /// Seconds from submission to the end of aggregation, rounded to 2 decimals, never negative.
    pub execution_latency_seconds: f64,
    /// The report's pass rate.
    pub pass_rate: f64,
    /// The report's coverage ratios.
    pub coverage_analysis: CoverageAnalysis,
    /// Compliant when the gate (at `opts.pass_threshold`) passed.
    pub governance_status: GovernanceStatus,
    /// Failure, unverified and coverage trend metrics.
    pub mlops_metrics: MlopsMetrics,
}

/// Builds the audit record of `report` for a run that started at `started_ms` and finished at
/// `finished_ms` (epoch milliseconds).
pub fn suite_audit_record(
    report: &SuiteReport,
    execution_id: &str,
    started_ms: f64,
    finished_ms: f64,
    opts: &AggregateOptions,
) -> SuiteAuditRecord {
    let governance_status = match Gate::decide(report.passed, report.pass_rate, opts.pass_threshold)
    {
        Gate::Passed => GovernanceStatus::Compliant,
        Gate::Failed => GovernanceStatus::NonCompliant,
    };
    let intent_coverage = report.coverage.intent_coverage;
    SuiteAuditRecord {
        audit_id: format!("AUD-{execution_id}-{}", epoch_seconds(finished_ms)),
        execution_id: execution_id.to_owned(),
        submission_time: iso8601(started_ms),
        execution_latency_seconds: latency_seconds(started_ms, finished_ms),
        pass_rate: report.pass_rate,
        coverage_analysis: CoverageAnalysis {
            intent_coverage,
            entity_coverage: report.coverage.entity_coverage,
        },
        governance_status,
        mlops_metrics: MlopsMetrics {
            failure_rate: ratio(report.failed, report.total),
            unverified_rate: ratio(report.unverified, report.total),
            coverage_delta: intent_coverage - opts.baseline_intent_coverage,
            baseline_intent_coverage: opts.baseline_intent_coverage,
        },
    }
}

/// Whole seconds since the epoch (0 for non-finite or pre-epoch instants).
fn epoch_seconds(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        // Float-to-int `as` saturates; the value is finite and positive.
        (ms / 1000.0).floor() as u64
    } else {
        0
    }
}

/// `(finished - started) / 1000` rounded to 2 decimals; 0 when negative or not finite.
fn latency_seconds(started_ms: f64, finished_ms: f64) -> f64 {
    let seconds = (finished_ms - started_ms) / 1000.0;
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 100.0).round() / 100.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::aggregate_seed_v1;
    use crate::json::Json;
    use serde_json::json;

    fn report() -> SuiteReport {
        // 4 cases: 2 passed, 1 failed, 1 unverified; intents a (verified) and b (not).
        let ok = |i: &str, p: bool| json!({"assertions": [{"type": "intent", "expected": i, "actual": i, "passed": p}]});
        let results = json!({"test_results": [ok("a", true), ok("a", true), ok("b", false), {}]});
        aggregate_seed_v1(&Json::from(&results), &AggregateOptions::default()).unwrap()
    }

    #[test]
    fn record_by_hand() {
        let opts = AggregateOptions::default();
        let rec = suite_audit_record(
            &report(),
            "exec_1",
            1_700_000_000_000.0,
            1_700_000_012_345.0,
            &opts,
        );
        assert_eq!(rec.audit_id, "AUD-exec_1-1700000012");
        assert_eq!(rec.submission_time, "2023-11-14T22:13:20.000Z");
        assert_eq!(rec.execution_latency_seconds, 12.35);
        assert_eq!(rec.pass_rate, 0.5);
        assert_eq!(rec.governance_status, GovernanceStatus::NonCompliant);
        assert_eq!(rec.coverage_analysis.intent_coverage, 0.5);
        assert_eq!(rec.mlops_metrics.failure_rate, 0.25);
        assert_eq!(rec.mlops_metrics.unverified_rate, 0.25);
        assert!((rec.mlops_metrics.coverage_delta - (0.5 - 0.8)).abs() < 1e-12);
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(json["governanceStatus"], "non_compliant");
        assert_eq!(json["mlopsMetrics"]["failureRate"], 0.25);
        assert_eq!(json["coverageAnalysis"]["intentCoverage"], 0.5);
        assert!(json["mlopsMetrics"].get("falsePositiveRate").is_none());
    }

    #[test]
    fn threshold_and_baseline_are_configurable() {
        let opts = AggregateOptions {
            pass_threshold: 0.5,
            baseline_intent_coverage: 0.25,
            ..AggregateOptions::default()
        };
        let rec = suite_audit_record(&report(), "e", 0.0, 1000.0, &opts);
        assert_eq!(rec.governance_status, GovernanceStatus::Compliant);
        assert_eq!(rec.mlops_metrics.coverage_delta, 0.25);
        assert_eq!(rec.mlops_metrics.baseline_intent_coverage, 0.25);
    }

    #[test]
    fn backwards_and_broken_clocks() {
        let opts = AggregateOptions::default();
        let rec = suite_audit_record(&report(), "e", 5000.0, 1000.0, &opts);
        assert_eq!(rec.execution_latency_seconds, 0.0);
        assert_eq!(rec.audit_id, "AUD-e-1");
        let rec = suite_audit_record(&report(), "e", f64::NAN, f64::INFINITY, &opts);
        assert_eq!(rec.execution_latency_seconds, 0.0);
        assert_eq!(rec.audit_id, "AUD-e-0");
        let empty = suite_audit_record(&SuiteReport::default(), "e", 0.0, 0.0, &opts);
        assert_eq!(empty.governance_status, GovernanceStatus::NonCompliant);
        assert_eq!(empty.mlops_metrics.failure_rate, 0.0);
    }
}
