//! Comparing a run's report with a baseline (an earlier report, read as untrusted JSON): the cases
//! that regressed (passed in the baseline, failed now) and those fixed (failed in the baseline,
//! passed now), matched by input text, and the pass-rate, intent-coverage and macro-F1 deltas.

use super::clip;
use crate::error::GuardError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};

/// Most cases read from one report.
pub const MAX_COMPARED_CASES: usize = 10_000;

/// A case whose outcome changed between the baseline and now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedCase {
    /// The input text both reports share (clipped to 200 characters).
    pub input_text: String,
    /// The case's index in the current report.
    pub index: usize,
    /// Its status in the baseline (`passed`, `failed`, `unverified`).
    pub baseline_status: String,
    /// Its status now.
    pub status: String,
    /// Why it fails now (empty for a fixed case).
    pub reasons: Vec<String>,
}

/// The `comparison` member of a report (`compareReports(current, baseline)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportComparison {
    /// Cases that passed in the baseline and fail now, in current case order.
    pub regressions: Vec<ChangedCase>,
    /// Cases that failed in the baseline and pass now, in current case order.
    pub fixed: Vec<ChangedCase>,
    /// Current `passRate` minus the baseline's.
    pub pass_rate_delta: f64,
    /// Current `coverage.intentCoverage` minus the baseline's.
    pub coverage_delta: f64,
    /// Current `nlu.macroF1` minus the baseline's; `None` unless both reports have one.
    pub macro_f1_delta: Option<f64>,
    /// Current cases matched with a baseline case.
    pub matched: usize,
    /// Current cases whose input text the baseline does not have (as often).
    pub unmatched: usize,
}

/// One case as a report's JSON holds it.
struct ReadCase<'a> {
    index: usize,
    input_text: &'a str,
    status: &'a str,
    reasons: Vec<String>,
}

/// Compares `current` with `baseline`, both SuiteReport JSON (`{ passRate, coverage: {
/// intentCoverage }, nlu?: { macroF1 }, cases: [{ index, inputText, status, reasons }] }`). Cases are
/// matched by input text; when a text occurs several times, its n-th occurrence now matches its n-th
/// occurrence in the baseline; cases without a string `inputText` and `status` are skipped. A report
/// that is not an object with a `cases` array and a numeric `passRate` is a [`GuardError::Config`]
/// whose message starts with `baseline` or `current report`. A delta whose number is missing from
/// either report is 0 (`macroF1Delta`: `None`).
pub fn compare_reports(current: &Value, baseline: &Value) -> Result<ReportComparison, GuardError> {
    let (now, now_cases) = read_report(current, "current report")?;
    let (before, before_cases) = read_report(baseline, "baseline")?;
    let mut by_text: BTreeMap<&str, VecDeque<&ReadCase<'_>>> = BTreeMap::new();
    for case in &before_cases {
        by_text.entry(case.input_text).or_default().push_back(case);
    }
    let (mut regressions, mut fixed) = (Vec::new(), Vec::new());
    let (mut matched, mut unmatched) = (0usize, 0usize);
    for case in &now_cases {
        let Some(earlier) = by_text
            .get_mut(case.input_text)
            .and_then(VecDeque::pop_front)
        else {
            unmatched = unmatched.saturating_add(1);
            continue;
        };
        matched = matched.saturating_add(1);
        let changed = || ChangedCase {
            input_text: clip(case.input_text),
            index: case.index,
            baseline_status: earlier.status.to_owned(),
            status: case.status.to_owned(),
            reasons: case.reasons.clone(),
        };
        match (earlier.status, case.status) {
            ("passed", "failed") => regressions.push(changed()),
            ("failed", "passed") => fixed.push(changed()),
            _ => {}
        }
    }
    let delta = |path: &[&str]| {
        number_at(now, path)
            .zip(number_at(before, path))
            .map(|(a, b)| a - b)
    };
    Ok(ReportComparison {
        regressions,
        fixed,
        pass_rate_delta: delta(&["passRate"]).unwrap_or(0.0),
        coverage_delta: delta(&["coverage", "intentCoverage"]).unwrap_or(0.0),
        macro_f1_delta: delta(&["nlu", "macroF1"]),
        matched,
        unmatched,
    })
}

/// The finite number at `path` (member names) in `report`.
fn number_at(report: &Map<String, Value>, path: &[&str]) -> Option<f64> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(report.get(*first)?, |value, key| value.get(*key))
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite())
}

fn read_report<'a>(
    report: &'a Value,
    what: &str,
) -> Result<(&'a Map<String, Value>, Vec<ReadCase<'a>>), GuardError> {
    let not_a_report =
        |why: &str| GuardError::Config(format!("{what} is not a SuiteReport: {why}"));
    let object = report
        .as_object()
        .ok_or_else(|| not_a_report("not a JSON object"))?;
    if !object.get("passRate").is_some_and(Value::is_number) {
        return Err(not_a_report("no numeric passRate"));
    }
    let cases = object
        .get("cases")
        .and_then(Value::as_array)
        .ok_or_else(|| not_a_report("no cases array"))?;
    let read = cases
        .iter()
        .take(MAX_COMPARED_CASES)
        .enumerate()
        .filter_map(|(position, case)| {
            let case = case.as_object()?;
            let text = |key: &str| case.get(key).and_then(Value::as_str);
            Some(ReadCase {
                index: case
                    .get("index")
                    .and_then(Value::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .unwrap_or(position),
                input_text: text("inputText")?,
                status: text("status")?,
                reasons: case
                    .get("reasons")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .take(super::MAX_REASONS_PER_CASE)
                    .map(clip)
                    .collect(),
            })
        })
        .collect();
    Ok((object, read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{build_report, AggregateOptions, CaseResult, CaseStatus};
    use crate::ErrorCode;
    use proptest::prelude::*;
    use serde_json::json;

    fn report(cases: &[(&str, &str)], macro_f1: Option<f64>, coverage: f64) -> Value {
        let list: Vec<Value> = cases
            .iter()
            .enumerate()
            .map(|(i, (text, status))| {
                let reasons = if *status == "failed" {
                    json!(["intent: expected x"])
                } else {
                    json!([])
                };
                json!({ "index": i, "inputText": text, "status": status, "reasons": reasons })
            })
            .collect();
        let passed = cases.iter().filter(|(_, s)| *s == "passed").count();
        let mut value = json!({
            "passRate": super::super::ratio(passed, cases.len()),
            "coverage": { "intentCoverage": coverage },
            "cases": list,
        });
        if let Some(f1) = macro_f1 {
            value["nlu"] = json!({ "macroF1": f1 });
        }
        value
    }

    #[test]
    fn regressions_fixes_and_deltas() {
        let baseline = report(
            &[
                ("hi", "passed"),
                ("pizza", "failed"),
                ("refund", "passed"),
                ("hours", "unverified"),
                ("gone", "passed"),
            ],
            Some(0.5),
            0.5,
        );
        let current = report(
            &[
                ("pizza", "passed"),
                ("hi", "failed"),
                ("refund", "passed"),
                ("hours", "failed"),
                ("new", "failed"),
            ],
            Some(0.75),
            0.75,
        );
        let diff = compare_reports(&current, &baseline).unwrap();
        assert_eq!(diff.regressions.len(), 1);
        let hi = &diff.regressions[0];
        assert_eq!(
            (
                hi.input_text.as_str(),
                hi.index,
                hi.baseline_status.as_str(),
                hi.status.as_str()
            ),
            ("hi", 1, "passed", "failed")
        );
        assert_eq!(hi.reasons, ["intent: expected x"]);
        assert_eq!(
            diff.fixed
                .iter()
                .map(|c| c.input_text.as_str())
                .collect::<Vec<_>>(),
            ["pizza"]
        );
        assert!(diff.fixed[0].reasons.is_empty());
        assert!((diff.pass_rate_delta - (0.4 - 0.6)).abs() < 1e-12);
        assert!((diff.coverage_delta - 0.25).abs() < 1e-12);
        assert_eq!(diff.macro_f1_delta, Some(0.25));
        assert_eq!((diff.matched, diff.unmatched), (4, 1));
        let json = serde_json::to_value(&diff).unwrap();
        assert_eq!(json["regressions"][0]["baselineStatus"], "passed");
        assert!(json["passRateDelta"].is_number() && json["macroF1Delta"].is_number());
    }

    #[test]
    fn repeated_texts_match_in_order_and_macro_f1_needs_both_reports() {
        let baseline = report(&[("hi", "passed"), ("hi", "failed")], None, 0.0);
        let current = report(
            &[("hi", "failed"), ("hi", "passed"), ("hi", "failed")],
            Some(0.9),
            0.0,
        );
        let diff = compare_reports(&current, &baseline).unwrap();
        assert_eq!(
            diff.regressions.iter().map(|c| c.index).collect::<Vec<_>>(),
            [0]
        );
        assert_eq!(diff.fixed.iter().map(|c| c.index).collect::<Vec<_>>(), [1]);
        assert_eq!(
            (diff.matched, diff.unmatched, diff.macro_f1_delta),
            (2, 1, None)
        );
    }

    #[test]
    fn a_report_from_build_report_compares_with_itself() {
        let cases = vec![
            CaseResult {
                index: 0,
                input_text: "hi".into(),
                status: CaseStatus::Passed,
                ..CaseResult::default()
            },
            CaseResult {
                index: 1,
                input_text: "pizza".into(),
                status: CaseStatus::Failed,
                ..CaseResult::default()
            },
        ];
        let value =
            serde_json::to_value(build_report(cases, &AggregateOptions::default())).unwrap();
        let diff = compare_reports(&value, &value).unwrap();
        assert!(diff.regressions.is_empty() && diff.fixed.is_empty());
        assert_eq!(
            (diff.matched, diff.pass_rate_delta, diff.coverage_delta),
            (2, 0.0, 0.0)
        );
    }

    #[test]
    fn what_is_not_a_report_is_refused() {
        let good = report(&[("hi", "passed")], None, 1.0);
        for bad in [
            json!(null),
            json!([]),
            json!({ "cases": [] }),
            json!({ "passRate": 1, "cases": {} }),
        ] {
            let err = compare_reports(&good, &bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config);
            assert!(
                err.to_string().starts_with("baseline is not a SuiteReport"),
                "{err}"
            );
            assert!(compare_reports(&bad, &good)
                .unwrap_err()
                .to_string()
                .starts_with("current report"));
        }
        // Malformed cases are skipped, not fatal.
        let odd = json!({ "passRate": 0.5, "cases": [7, { "inputText": "hi" }, { "inputText": "hi", "status": "failed", "index": -1 }] });
        let diff = compare_reports(&odd, &good).unwrap();
        assert_eq!(diff.regressions.len(), 1);
        assert_eq!(diff.regressions[0].index, 2);
        assert_eq!(diff.coverage_delta, 0.0);
    }

    fn status() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just("passed"), Just("failed"), Just("unverified")]
    }

    fn cases() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        proptest::collection::vec(
            (prop_oneof![Just("a"), Just("b"), Just("c")], status()),
            0..12,
        )
    }

    proptest! {
        #[test]
        fn swapping_the_reports_swaps_regressions_and_fixes(now in cases(), before in cases()) {
            let (current, baseline) = (report(&now, Some(0.3), 0.2), report(&before, Some(0.6), 0.7));
            let forward = compare_reports(&current, &baseline).unwrap();
            let backward = compare_reports(&baseline, &current).unwrap();
            prop_assert_eq!(forward.regressions.len(), backward.fixed.len());
            prop_assert_eq!(forward.fixed.len(), backward.regressions.len());
            prop_assert!((forward.pass_rate_delta + backward.pass_rate_delta).abs() < 1e-12);
            prop_assert_eq!(forward.matched + forward.unmatched, now.len());
            prop_assert!(forward.regressions.iter().all(|c| c.status == "failed" && c.baseline_status == "passed"));
            prop_assert!(forward.fixed.iter().all(|c| c.status == "passed" && c.baseline_status == "failed"));
            let same = compare_reports(&current, &current).unwrap();
            prop_assert!(same.regressions.is_empty() && same.fixed.is_empty());
            prop_assert_eq!(same.macro_f1_delta, Some(0.0));
        }
    }
}
