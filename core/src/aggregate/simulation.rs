//! The cases of a Cognigy Simulator batch: one case per run, `passed` when the run met its
//! success criteria (`metrics.success`), `failed` with the unmet criteria as reasons, `errored` when
//! the run could not play (`metrics.errorInfo`) or never ran.

use super::{
    build_report, clip, sort_by_index, AggregateOptions, CaseResult, CaseStatus, SuiteReport,
    NEVER_RAN,
};
use serde_json::Value;

/// Most runs read from one batch.
pub const MAX_SIMULATION_CASES: usize = 10_000;

/// The report of `runs` (the batch's run objects) when the batch held `expected` runs (the missing
/// ones are `errored`). A run's index is its `sequence` minus 1 (its position when absent).
pub fn simulation_report(
    runs: &[Value],
    expected: Option<u64>,
    opts: &AggregateOptions,
) -> SuiteReport {
    let mut cases: Vec<CaseResult> = runs
        .iter()
        .take(MAX_SIMULATION_CASES)
        .enumerate()
        .map(|(position, run)| run_case(run, position))
        .collect();
    sort_by_index(&mut cases);
    cases.dedup_by_key(|c| c.index);
    let expected = expected
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(MAX_SIMULATION_CASES);
    for index in 0..expected {
        if !cases.iter().any(|c| c.index == index) {
            cases.push(CaseResult {
                index,
                input_text: run_name(index),
                status: CaseStatus::Errored,
                reasons: vec![NEVER_RAN.to_owned()],
                ..CaseResult::default()
            });
        }
    }
    sort_by_index(&mut cases);
    build_report(cases, opts)
}

fn run_name(index: usize) -> String {
    format!("run {}", index.saturating_add(1))
}

fn run_case(run: &Value, position: usize) -> CaseResult {
    let index = run
        .get("sequence")
        .and_then(Value::as_u64)
        .and_then(|s| usize::try_from(s).ok())
        .and_then(|s| s.checked_sub(1))
        .unwrap_or(position);
    let metrics = run.get("metrics");
    let mut case = CaseResult {
        index,
        input_text: run_name(index),
        latency_ms: run
            .get("duration")
            .and_then(Value::as_f64)
            .filter(|d| d.is_finite() && *d >= 0.0),
        ..CaseResult::default()
    };
    let error = metrics
        .and_then(|m| m.get("errorInfo"))
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str);
    if let Some(message) = error {
        case.status = CaseStatus::Errored;
        case.add_reason(clip(&format!("the run could not play: {message}")));
        return case;
    }
    if metrics
        .and_then(|m| m.get("success"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        case.status = CaseStatus::Passed;
        return case;
    }
    case.status = CaseStatus::Failed;
    let unmet = metrics
        .and_then(|m| m.get("results"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("success").and_then(Value::as_bool) != Some(true));
    for result in unmet {
        let reason = result
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("success criterion not met: {result}"));
        case.add_reason(clip(&format!("criterion: {reason}")));
    }
    if case.reasons.is_empty() {
        case.add_reason("the run did not meet its success criteria".to_owned());
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_become_cases() {
        let runs = [
            json!({ "sequence": 2, "duration": 1500, "metrics": { "success": false,
                "results": [{ "success": true }, { "success": false, "reason": "the bot never said \"sunny\"" }] } }),
            json!({ "sequence": 1, "metrics": { "success": true, "results": [] } }),
            json!({ "sequence": 4, "metrics": { "success": false, "errorInfo": { "message": "flow f not found" } } }),
            json!(7),
        ];
        let report = simulation_report(&runs, Some(5), &AggregateOptions::default());
        assert_eq!(report.total, 5);
        assert_eq!((report.passed, report.failed, report.errored), (1, 1, 3));
        let statuses: Vec<_> = report.cases.iter().map(|c| (c.index, c.status)).collect();
        assert_eq!(
            statuses,
            [
                (0, CaseStatus::Passed),
                (1, CaseStatus::Failed),
                (2, CaseStatus::Errored),
                (3, CaseStatus::Errored),
                (4, CaseStatus::Errored),
            ]
        );
        assert_eq!(
            report.cases[1].reasons,
            ["criterion: the bot never said \"sunny\""]
        );
        assert_eq!(report.cases[1].latency_ms, Some(1500.0));
        assert_eq!(report.cases[1].input_text, "run 2");
        assert!(report.cases[3].reasons[0].contains("flow f not found"));
        assert_eq!(report.cases[2].reasons, [NEVER_RAN]);
    }
}
