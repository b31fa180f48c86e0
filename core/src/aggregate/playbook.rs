//! Parser of cognigy-v2 playbook runs (`GET /new/v2.0/playbooks/{id}/runs/{runId}`,
//! docs/WIRE.md). Each step is one case.
//!
//! Step status: failed if the step's `status` is `failed` or any assert's `status` is not
//! `successful`; else unverified if the step has no asserts; else passed. Intents come from
//! `assertIntent` `params.intent`, entities from `assertSlot` `params.slot` (a negated assert
//! still decides the status but expects nothing for coverage). The latency is the simulator's
//! `latencyMs` extension, the budget the step's `timeout`. A malformed step is failed with a
//! reason; only a missing or non-array `stepResults` rejects the whole run.

use super::layout::Layout;
use super::{
    clip, fields, non_negative_number, reasons, AggregateOptions, CaseResult, CaseStatus,
    SuiteReport,
};
use crate::error::GuardError;
use crate::json::Json;

/// Where a playbook run keeps its steps and id.
const LAYOUT: Layout = Layout {
    what: "a playbook run",
    list: "stepResults",
    id: "_id",
    case: parse_step,
};

/// Aggregates a playbook run `{ _id, status, stepResults: [...] }`.
pub fn aggregate_playbook_run(
    run: &Json<'_>,
    opts: &AggregateOptions,
) -> Result<SuiteReport, GuardError> {
    LAYOUT.aggregate(run, opts)
}

/// Parses one step; never fails (malformed steps become failed cases).
fn parse_step(index: usize, step: &Json<'_>) -> CaseResult {
    let mut case = CaseResult {
        index,
        ..CaseResult::default()
    };
    let Some(step) = step.as_object() else {
        case.status = CaseStatus::Failed;
        case.add_reason(reasons::malformed("the step", step, "an object"));
        return case;
    };
    let [text, latency_ms, timeout, step_status, asserts] =
        fields(step, ["text", "latencyMs", "timeout", "status", "asserts"]);
    case.input_text = text.and_then(Json::as_str).map(clip).unwrap_or_default();
    case.latency_ms = latency_ms.and_then(non_negative_number);
    case.allowed_latency_ms = timeout.and_then(non_negative_number);
    let asserts: &[Json<'_>] = match asserts {
        None | Some(Json::Null) => &[],
        Some(Json::Array(list)) => list,
        Some(other) => {
            case.status = CaseStatus::Failed;
            case.add_reason(reasons::malformed("asserts", other, "an array"));
            return case;
        }
    };
    let mut any_failed = false;
    for (position, assert) in asserts.iter().enumerate() {
        let Some(assert) = assert.as_object() else {
            any_failed = true;
            let what = format!("assert {position}");
            case.add_reason(reasons::malformed(&what, assert, "an object"));
            continue;
        };
        let [kind, status, negate, params, actual] =
            fields(assert, ["type", "status", "negate", "params", "actual"]);
        let kind = kind.and_then(Json::as_str).unwrap_or("");
        let verdict = status.and_then(Json::as_str);
        let passed = verdict == Some("successful");
        let negated = negate.and_then(Json::as_bool) == Some(true);
        if !negated {
            record(&mut case, kind, params, actual, passed);
        }
        if !passed {
            any_failed = true;
            let reason = match (verdict, kind) {
                (Some("failed"), "assertIntent") => {
                    reasons::intent(param(params, "intent"), actual, negated)
                }
                (Some("failed"), "assertSlot") => reasons::entity(param(params, "slot"), negated),
                (Some("failed"), "assertText") => reasons::response(param(params, "text"), negated),
                (Some("failed"), other) => reasons::other(other),
                _ => reasons::no_verdict(position, kind, "status", status),
            };
            case.add_reason(reason);
        }
    }
    let step_failed = step_status.and_then(Json::as_str) == Some("failed");
    if step_failed && !any_failed {
        case.add_reason("step failed".to_owned());
    }
    case.status = CaseStatus::from_checks(step_failed || any_failed, !asserts.is_empty());
    case
}

/// Copies what a non-negated assert tells about the step (intent, slots) into `case`.
fn record(
    case: &mut CaseResult,
    kind: &str,
    params: Option<&Json<'_>>,
    actual: Option<&Json<'_>>,
    passed: bool,
) {
    match kind {
        "assertIntent" => {
            if case.expected_intent.is_none() {
                if let Some(name) = param(params, "intent").and_then(Json::as_str) {
                    case.expected_intent = Some(clip(name));
                    case.intent_verified = passed;
                }
            }
            if case.matched_intent.is_none() {
                case.matched_intent = actual.and_then(Json::as_str).map(clip);
            }
        }
        "assertSlot" => {
            if let Some(name) = param(params, "slot").and_then(Json::as_str).map(clip) {
                if passed {
                    case.entities_extracted.push(name.clone());
                }
                case.entities_expected.push(name);
            }
        }
        _ => {}
    }
}

/// `params[key]` of an assert, when present.
fn param<'a>(params: Option<&'a Json<'a>>, key: &str) -> Option<&'a Json<'a>> {
    params.and_then(|p| p.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Gate, NameStats};
    use serde_json::{json, Value};

    fn assert_(kind: &str, params: Value, status: &str, actual: Value) -> Value {
        json!({"type": kind, "status": status, "params": params, "negate": false, "actual": actual})
    }

    fn run() -> Value {
        json!({
            "_id": "run_1", "playbookId": "pb_1", "status": "failed",
            "stepResults": [
                {"status": "successful", "text": "I want a pizza", "data": {}, "timeout": 20000,
                 "latencyMs": 340,
                 "asserts": [
                     assert_("assertIntent", json!({"intent": "orderPizza"}), "successful", json!("orderPizza")),
                     assert_("assertText", json!({"text": "pizza", "fuzzy": true}), "successful", json!("Which pizza?"))
                 ]},
                {"status": "failed", "text": "a large one", "timeout": 20000, "latencyMs": 25000,
                 "asserts": [
                     assert_("assertIntent", json!({"intent": "orderPizza"}), "successful", json!("orderPizza")),
                     assert_("assertSlot", json!({"slot": "size"}), "failed", Value::Null)
                 ]},
                {"status": "successful", "text": "hello", "timeout": 20000, "latencyMs": 120,
                 "asserts": []},
                {"status": "successful", "text": "cancel", "latencyMs": 200,
                 "asserts": [
                     assert_("assertIntent", json!({"intent": "cancelOrder"}), "failed", json!("orderPizza")),
                     assert_("assertSlot", json!({"slot": "size"}), "successful", json!("large"))
                 ]}
            ]
        })
    }

    #[test]
    fn playbook_run_by_hand() {
        let r = aggregate_playbook_run(&Json::from(&run()), &AggregateOptions::default()).unwrap();
        assert_eq!(r.execution_id.as_deref(), Some("run_1"));
        assert_eq!(r.status.as_deref(), Some("failed"));
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (4, 1, 2, 1));
        assert_eq!(r.pass_rate, 0.25);
        assert_eq!(r.gate, Gate::Failed);
        assert_eq!(r.failures.len(), 2);
        assert_eq!(r.failures[0].index, 1);
        assert_eq!(r.failures[0].reasons, vec!["entity size not extracted"]);
        assert_eq!(
            r.failures[1].reasons,
            vec!["intent: expected cancelOrder, got orderPizza"]
        );
        // Intents: orderPizza verified twice, cancelOrder never → 1/2.
        assert_eq!(r.coverage.intent_coverage, 0.5);
        assert_eq!(
            r.coverage.intents,
            vec![
                NameStats {
                    name: "cancelOrder".into(),
                    cases: 1,
                    passed: 0,
                    failed: 1,
                    known: true
                },
                NameStats {
                    name: "orderPizza".into(),
                    cases: 2,
                    passed: 2,
                    failed: 0,
                    known: true
                },
            ]
        );
        // Slot size: failed in step 1, filled in step 3 → covered.
        assert_eq!(r.coverage.entity_coverage, 1.0);
        assert_eq!(r.coverage.entities[0].cases, 2);
        assert_eq!(r.coverage.entities[0].passed, 1);
        // Latencies 120 200 340 25000: p50 rank 2 → 200, p95 rank 4 → 25000.
        assert_eq!(r.latency.p50, Some(200.0));
        assert_eq!(r.latency.p95, Some(25000.0));
        assert_eq!(r.latency.max, Some(25000.0));
        assert_eq!(r.latency.over_budget, 1);
        assert_eq!(r.cases[3].allowed_latency_ms, None);
        assert_eq!(r.cases[3].matched_intent.as_deref(), Some("orderPizza"));
    }

    #[test]
    fn failed_step_with_passing_asserts_and_odd_statuses() {
        let run = json!({"stepResults": [
            {"status": "failed", "text": "a",
             "asserts": [assert_("assertText", json!({"text": "hi"}), "successful", json!("hi"))]},
            {"status": "failed", "text": "no asserts"},
            {"status": "successful", "text": "pending",
             "asserts": [{"type": "assertData", "status": "pending"}, {"type": "assertState"}]},
            {"status": "successful", "text": "negated",
             "asserts": [
                 {"type": "assertIntent", "status": "failed", "params": {"intent": "x"}, "negate": true, "actual": "x"},
                 {"type": "assertSlot", "status": "successful", "params": {"slot": "s"}, "negate": true},
                 {"type": "assertText", "status": "failed", "params": {"text": "bye"}, "negate": true},
                 {"type": "assertContext", "status": "failed"}
             ]}
        ]});
        let r = aggregate_playbook_run(&Json::from(&run), &AggregateOptions::default()).unwrap();
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (4, 0, 4, 0));
        assert_eq!(r.failures[0].reasons, vec!["step failed"]);
        assert_eq!(r.failures[1].reasons, vec!["step failed"]);
        assert_eq!(
            r.failures[2].reasons,
            vec![
                "assertion 0 (assertData) has no verdict: \"status\" is pending",
                "assertion 1 (assertState) has no verdict: \"status\" is none",
            ]
        );
        assert_eq!(
            r.failures[3].reasons,
            vec![
                "intent: expected not x, got x",
                "response contains \"bye\"",
                "assertion \"assertContext\" failed",
            ]
        );
        // Negated asserts expect nothing.
        assert!(r.coverage.intents.is_empty());
        assert!(r.coverage.entities.is_empty());
    }

    #[test]
    fn malformed_steps_and_runs() {
        let run = json!({"stepResults": [null, {"asserts": {"a": 1}}, {"asserts": [3]}, {"text": ["x"]}]});
        let r = aggregate_playbook_run(&Json::from(&run), &AggregateOptions::default()).unwrap();
        assert_eq!((r.total, r.passed, r.failed, r.unverified), (4, 0, 3, 1));
        assert_eq!(
            r.failures[0].reasons,
            vec!["malformed case: the step is null, expected an object"]
        );
        assert_eq!(
            r.failures[1].reasons,
            vec!["malformed case: asserts is an object, expected an array"]
        );
        assert_eq!(
            r.failures[2].reasons,
            vec!["malformed case: assert 0 is a number, expected an object"]
        );
        assert_eq!(r.cases[3].input_text, "");
        for bad in [json!({"stepResults": "x"}), json!({"_id": "r"}), json!(1)] {
            let err = aggregate_playbook_run(&Json::from(&bad), &AggregateOptions::default())
                .unwrap_err();
            assert!(matches!(err, GuardError::BadResponse(_)), "{bad}");
        }
    }

    #[test]
    fn real_platform_runs_have_no_latency() {
        let run = json!({"status": "successful", "stepResults": [
            {"status": "successful", "text": "hi",
             "asserts": [assert_("assertText", json!({"text": "hello"}), "successful", json!("hello"))]}
        ]});
        let r = aggregate_playbook_run(&Json::from(&run), &AggregateOptions::default()).unwrap();
        assert_eq!((r.total, r.passed), (1, 1));
        assert_eq!(r.pass_rate, 1.0);
        assert_eq!(r.gate, Gate::Passed);
        assert_eq!(r.latency.p50, None);
        assert_eq!(r.latency.over_budget, 0);
    }
}
