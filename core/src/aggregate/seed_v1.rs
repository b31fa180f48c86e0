//! Parser of seed-v1 execution results (`GET /api/v1/executions/{id}/results`, docs/WIRE.md).
//!
//! Case status: failed if any assertion failed (the `latency` assertion included) or has no
//! boolean `passed`; else unverified if the case has no assertion other than `latency` (an empty
//! or missing `assertions` array included: the seed's `all([])` counted it as passed); else passed.
//! A malformed case (not an object, `assertions` not an array, an assertion not an object) is
//! failed with a reason; only a missing or non-array `test_results` rejects the whole answer.

use super::layout::Layout;
use super::{
    clip, fields, non_negative_number, reasons, str_field, AggregateOptions, CaseResult,
    CaseStatus, SuiteReport,
};
use crate::error::GuardError;
use crate::json::Json;

/// Where seed-v1 results keep their cases and id.
const LAYOUT: Layout = Layout {
    what: "seed-v1 results",
    list: "test_results",
    id: "execution_id",
    case: parse_case,
};

/// Aggregates seed-v1 results `{ execution_id, suite_id?, status, test_results: [...] }`.
pub fn aggregate_seed_v1(
    results: &Json<'_>,
    opts: &AggregateOptions,
) -> Result<SuiteReport, GuardError> {
    let mut report = LAYOUT.aggregate(results, opts)?;
    report.suite_id = str_field(results, "suite_id");
    Ok(report)
}

/// Parses one entry of `test_results`; never fails (malformed entries become failed cases).
fn parse_case(pos: usize, entry: &Json<'_>) -> CaseResult {
    let mut case = CaseResult {
        index: pos,
        ..CaseResult::default()
    };
    let Some(entry) = entry.as_object() else {
        return failed(case, reasons::malformed("the entry", entry, "an object"));
    };
    let [case_index, input_text, matched_intent, latency_ms, assertions] = fields(
        entry,
        [
            "case_index",
            "input_text",
            "matched_intent",
            "latency_ms",
            "assertions",
        ],
    );
    if let Some(index) = case_index
        .and_then(Json::as_u64)
        .and_then(|i| usize::try_from(i).ok())
    {
        case.index = index;
    }
    case.input_text = input_text
        .and_then(Json::as_str)
        .map(clip)
        .unwrap_or_default();
    case.matched_intent = matched_intent.and_then(Json::as_str).map(clip);
    case.latency_ms = latency_ms.and_then(non_negative_number);
    let assertions: &[Json<'_>] = match assertions {
        None | Some(Json::Null) => &[],
        Some(Json::Array(list)) => list,
        Some(other) => return failed(case, reasons::malformed("assertions", other, "an array")),
    };
    let mut any_failed = false;
    let mut verifies_behaviour = false;
    for (position, assertion) in assertions.iter().enumerate() {
        let Some(assertion) = assertion.as_object() else {
            any_failed = true;
            let what = format!("assertion {position}");
            case.add_reason(reasons::malformed(&what, assertion, "an object"));
            continue;
        };
        let [kind, verdict_value, expected, actual] =
            fields(assertion, ["type", "passed", "expected", "actual"]);
        let kind = kind.and_then(Json::as_str).unwrap_or("");
        let verdict = verdict_value.and_then(Json::as_bool);
        let passed = verdict == Some(true);
        verifies_behaviour |= kind != "latency";
        record(&mut case, kind, expected, actual, passed);
        if !passed {
            any_failed = true;
            let reason = match (verdict, kind) {
                (None, _) => reasons::no_verdict(position, kind, "passed", verdict_value),
                (Some(_), "latency") => reasons::latency(case.latency_ms, case.allowed_latency_ms),
                (Some(_), "intent") => reasons::intent(expected, actual.or(matched_intent), false),
                (Some(_), "entity") => reasons::entity(expected, false),
                (Some(_), "response_contains") => reasons::response(expected, false),
                (Some(_), other) => reasons::other(other),
            };
            case.add_reason(reason);
        }
    }
    case.status = CaseStatus::from_checks(any_failed, verifies_behaviour);
    case
}

/// Copies what an assertion tells about the case (latency, intent, entities) into `case`.
fn record(
    case: &mut CaseResult,
    kind: &str,
    expected: Option<&Json<'_>>,
    actual: Option<&Json<'_>>,
    passed: bool,
) {
    match kind {
        "latency" => {
            if case.latency_ms.is_none() {
                case.latency_ms = actual.and_then(non_negative_number);
            }
            if case.allowed_latency_ms.is_none() {
                case.allowed_latency_ms = expected.and_then(non_negative_number);
            }
        }
        "intent" => {
            if case.expected_intent.is_none() {
                if let Some(name) = expected.and_then(Json::as_str) {
                    case.expected_intent = Some(clip(name));
                    case.intent_verified = passed;
                }
            }
            if case.matched_intent.is_none() {
                case.matched_intent = actual.and_then(Json::as_str).map(clip);
            }
        }
        "entity" => {
            if let Some(name) = expected.and_then(Json::as_str).map(clip) {
                if passed {
                    case.entities_extracted.push(name.clone());
                }
                case.entities_expected.push(name);
            }
        }
        _ => {}
    }
}

/// Marks `case` failed for a malformed input.
fn failed(mut case: CaseResult, reason: String) -> CaseResult {
    case.status = CaseStatus::Failed;
    case.add_reason(reason);
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Gate, NameStats};
    use serde_json::{json, Value};

    fn opts() -> AggregateOptions {
        AggregateOptions::default()
    }

    fn assertion(kind: &str, expected: Value, actual: Value, passed: bool) -> Value {
        json!({"type": kind, "expected": expected, "actual": actual, "passed": passed})
    }

    /// The seed's two example cases as the simulator reports them: the password reset case
    /// misses the `user_id` entity, the business hours case passes.
    fn seed_example() -> Value {
        json!({
            "execution_id": "exec_42",
            "status": "completed",
            "test_results": [
                {
                    "case_index": 0, "input_text": "I need to reset my password",
                    "matched_intent": "intent_password_reset", "intent_confidence": 0.93,
                    "extracted_entities": [], "response_text": "Here is your password reset link",
                    "latency_ms": 420,
                    "assertions": [
                        assertion("intent", json!("intent_password_reset"), json!("intent_password_reset"), true),
                        assertion("entity", json!("user_id"), json!([]), false),
                        assertion("response_contains", json!("password reset link"), json!("Here is your password reset link"), true),
                        assertion("latency", json!(800), json!(420), true)
                    ]
                },
                {
                    "case_index": 1, "input_text": "What are your business hours?",
                    "matched_intent": "intent_business_hours", "latency_ms": 310,
                    "assertions": [
                        assertion("intent", json!("intent_business_hours"), json!("intent_business_hours"), true),
                        assertion("response_contains", json!("open from"), json!("We are open from 9 to 5"), true),
                        assertion("latency", json!(500), json!(310), true)
                    ]
                }
            ]
        })
    }

    #[test]
    fn seed_example_suite() {
        let r = aggregate_seed_v1(&Json::from(&seed_example()), &opts()).unwrap();
        assert_eq!(r.execution_id.as_deref(), Some("exec_42"));
        assert_eq!(r.status.as_deref(), Some("completed"));
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (2, 1, 1, 0));
        assert_eq!(r.pass_rate, 0.5);
        assert_eq!(r.gate, Gate::Failed);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].index, 0);
        assert_eq!(r.failures[0].input_text, "I need to reset my password");
        assert_eq!(r.failures[0].reasons, vec!["entity user_id not extracted"]);
        // Both expected intents verified; the one expected entity never extracted.
        assert_eq!(r.coverage.intent_coverage, 1.0);
        assert_eq!(r.coverage.entity_coverage, 0.0);
        assert_eq!(
            r.coverage.entities,
            vec![NameStats {
                name: "user_id".into(),
                cases: 1,
                passed: 0,
                failed: 1,
                known: true
            }]
        );
        // Latencies 310, 420: p50 rank 1 → 310, p95 rank 2 → 420.
        assert_eq!(r.latency.p50, Some(310.0));
        assert_eq!(r.latency.p95, Some(420.0));
        assert_eq!(r.latency.max, Some(420.0));
        assert_eq!(r.latency.over_budget, 0);
        assert_eq!(r.cases[1].allowed_latency_ms, Some(500.0));
        assert_eq!(
            r.cases[0].matched_intent.as_deref(),
            Some("intent_password_reset")
        );
    }

    #[test]
    fn the_seeds_intent_coverage_is_reported_beside_ours() {
        let mut results = seed_example();
        results["test_results"][1]["matched_intent"] = Value::Null;
        results["test_results"][1]["assertions"][0]["actual"] = Value::Null;
        results["test_results"][1]["assertions"][0]["passed"] = json!(false);
        results["test_results"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "matched_intent": "intent_wrong", "assertions": [] }));
        let r = aggregate_seed_v1(&Json::from(&results), &opts()).unwrap();
        // Seed: cases with any matched intent, 2 of 3. Ours: expected intents verified, 1 of 2.
        assert_eq!(r.coverage.seed_intent_coverage, 2.0 / 3.0);
        assert_eq!(r.coverage.intent_coverage, 0.5);
        let json = serde_json::to_value(&r.coverage).unwrap();
        assert_eq!(json["seedIntentCoverage"], json!(2.0 / 3.0));
    }

    #[test]
    fn nothing_verified_never_passes_the_gate_whatever_the_threshold() {
        let zero = AggregateOptions {
            pass_threshold: 0.0,
            ..opts()
        };
        let unverified = json!({"test_results": [{"assertions": []}, {"assertions": []}]});
        let r = aggregate_seed_v1(&Json::from(&unverified), &zero).unwrap();
        assert_eq!((r.unverified, r.gate), (2, Gate::Failed));
        let failing = json!({"test_results": [
            {"assertions": [assertion("intent", json!("a"), json!("b"), false)]},
            {"assertions": []}
        ]});
        let r = aggregate_seed_v1(&Json::from(&failing), &zero).unwrap();
        assert_eq!((r.failed, r.gate), (1, Gate::Failed));
        let one = json!({"test_results": [
            {"assertions": [assertion("intent", json!("a"), json!("a"), true)]},
            {"assertions": []}
        ]});
        assert_eq!(
            aggregate_seed_v1(&Json::from(&one), &zero).unwrap().gate,
            Gate::Passed
        );
    }

    #[test]
    fn known_intents_widen_the_denominator() {
        let o = AggregateOptions {
            known_intents: Some(vec![
                "intent_password_reset".into(),
                "intent_business_hours".into(),
                "intent_refund".into(),
                "intent_cancel".into(),
            ]),
            known_entities: Some(vec!["user_id".into(), "order_id".into()]),
            ..opts()
        };
        let r = aggregate_seed_v1(&Json::from(&seed_example()), &o).unwrap();
        assert_eq!(r.coverage.intent_coverage, 0.5);
        assert_eq!(r.coverage.entity_coverage, 0.0);
        assert_eq!(r.coverage.intents.len(), 4);
    }

    #[test]
    fn zero_and_latency_only_assertions_are_unverified() {
        let results = json!({"test_results": [
            {"input_text": "empty", "assertions": []},
            {"input_text": "missing"},
            {"input_text": "null", "assertions": null},
            {"input_text": "latency only", "latency_ms": 100,
             "assertions": [assertion("latency", json!(800), json!(100), true)]},
            {"input_text": "slow and nothing else", "latency_ms": 900,
             "assertions": [assertion("latency", json!(800), json!(900), false)]}
        ]});
        let r = aggregate_seed_v1(&Json::from(&results), &opts()).unwrap();
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (5, 0, 1, 4));
        assert_eq!(r.pass_rate, 0.0);
        assert_eq!(r.gate, Gate::Failed);
        assert_eq!(r.failures[0].index, 4);
        assert_eq!(r.failures[0].reasons, vec!["latency 900 ms over 800 ms"]);
        assert_eq!(r.latency.over_budget, 1);
        // Index falls back to the position when case_index is absent.
        let indexes: Vec<usize> = r.cases.iter().map(|c| c.index).collect();
        assert_eq!(indexes, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn unverified_cases_lower_the_pass_rate() {
        let pass = json!({"assertions": [assertion("intent", json!("a"), json!("a"), true)]});
        let mut list = vec![pass; 19];
        list.push(json!({"assertions": []}));
        let r = aggregate_seed_v1(&Json::from(&json!({ "test_results": list })), &opts()).unwrap();
        assert_eq!((r.total, r.passed, r.unverified), (20, 19, 1));
        assert_eq!(r.pass_rate, 0.95);
        assert_eq!(r.gate, Gate::Passed);
        let strict = AggregateOptions {
            pass_threshold: 1.0,
            ..opts()
        };
        let r = aggregate_seed_v1(&Json::from(&json!({ "test_results": list })), &strict).unwrap();
        assert_eq!(r.gate, Gate::Failed);
    }

    #[test]
    fn every_reason_kind() {
        let results = json!({"test_results": [{
            "input_text": "x", "latency_ms": 900, "matched_intent": "intent_y",
            "assertions": [
                assertion("intent", json!("intent_x"), json!("intent_y"), false),
                assertion("entity", json!("user_id"), json!([]), false),
                assertion("response_contains", json!("reset"), json!("nope"), false),
                assertion("latency", json!(800), json!(900), false),
                assertion("sentiment", json!("positive"), json!("negative"), false),
                {"type": "intent", "expected": "intent_x"},
                "garbage"
            ]
        }]});
        let r = aggregate_seed_v1(&Json::from(&results), &opts()).unwrap();
        assert_eq!(
            r.failures[0].reasons,
            vec![
                "intent: expected intent_x, got intent_y",
                "entity user_id not extracted",
                "response does not contain \"reset\"",
                "latency 900 ms over 800 ms",
                "assertion \"sentiment\" failed",
                "assertion 5 (intent) has no verdict: \"passed\" is none",
                "malformed case: assertion 6 is a string, expected an object",
            ]
        );
        let case = &r.cases[0];
        assert_eq!(case.expected_intent.as_deref(), Some("intent_x"));
        assert!(!case.intent_verified);
        assert_eq!(case.entities_expected, vec!["user_id"]);
        assert!(case.entities_extracted.is_empty());
    }

    #[test]
    fn malformed_cases_fail_alone() {
        let results = json!({"test_results": [
            42,
            {"input_text": "bad assertions", "assertions": "all good"},
            {"input_text": 7, "latency_ms": "fast", "case_index": -1,
             "assertions": [assertion("intent", json!("a"), json!("a"), true)]}
        ]});
        let r = aggregate_seed_v1(&Json::from(&results), &opts()).unwrap();
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (3, 1, 2, 0));
        assert_eq!(
            r.failures[0].reasons,
            vec!["malformed case: the entry is a number, expected an object"]
        );
        assert_eq!(
            r.failures[1].reasons,
            vec!["malformed case: assertions is a string, expected an array"]
        );
        assert_eq!(r.cases[2].input_text, "");
        assert_eq!(r.cases[2].index, 2);
        assert_eq!(r.cases[2].latency_ms, None);
        assert_eq!(r.latency.p50, None);
    }

    #[test]
    fn unusable_results_are_bad_responses() {
        for bad in [
            json!({"test_results": {"0": {}}}),
            json!({"test_results": null}),
            json!({"execution_id": "x"}),
            json!([]),
        ] {
            let err = aggregate_seed_v1(&Json::from(&bad), &opts()).unwrap_err();
            assert!(matches!(err, GuardError::BadResponse(_)), "{bad}");
        }
        let bad_opts = AggregateOptions {
            pass_threshold: 2.0,
            ..opts()
        };
        let err = aggregate_seed_v1(&Json::from(&seed_example()), &bad_opts).unwrap_err();
        assert!(matches!(err, GuardError::Config(_)));
    }

    #[test]
    fn long_text_is_clipped() {
        let long = "y".repeat(5000);
        let results = json!({"test_results": [{
            "input_text": long,
            "assertions": [assertion("response_contains", json!(long), json!(""), false)]
        }]});
        let r = aggregate_seed_v1(&Json::from(&results), &opts()).unwrap();
        assert!(r.failures[0].input_text.chars().count() <= 201);
        assert!(r.failures[0].reasons[0].chars().count() < 260);
    }
}
