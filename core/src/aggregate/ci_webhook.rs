//! The body of the seed's CI webhook (`POST {webhookUrl}`, docs/WIRE.md). It keeps the seed's
//! snake_case wire names; `status` follows the report's gate (so an empty suite is `failed`,
//! unlike the seed's bare `pass_rate >= 0.95`).

use super::SuiteReport;
use crate::time::iso8601_seconds;
use serde_json::{json, Value};

/// `{ execution_id, status: "passed"|"failed", pass_rate, coverage: { intent_coverage,
/// entity_coverage }, timestamp: "YYYY-MM-DDTHH:MM:SSZ" }` for `report` at `now_ms`.
pub fn ci_webhook_body(report: &SuiteReport, execution_id: &str, now_ms: f64) -> Value {
    json!({
        "execution_id": execution_id,
        "status": report.gate.as_str(),
        "pass_rate": report.pass_rate,
        "coverage": {
            "intent_coverage": report.coverage.intent_coverage,
            "entity_coverage": report.coverage.entity_coverage,
        },
        "timestamp": iso8601_seconds(now_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{aggregate_seed_v1, AggregateOptions};
    use crate::json::Json;

    #[test]
    fn body_in_seed_wire_shape() {
        let results = json!({"test_results": [
            {"assertions": [{"type": "intent", "expected": "a", "actual": "a", "passed": true},
                            {"type": "entity", "expected": "x", "actual": [], "passed": false}]},
            {"assertions": [{"type": "intent", "expected": "b", "actual": "b", "passed": true}]}
        ]});
        let report =
            aggregate_seed_v1(&Json::from(&results), &AggregateOptions::default()).unwrap();
        let body = ci_webhook_body(&report, "exec_9", 1_700_000_000_999.0);
        assert_eq!(
            body,
            json!({
                "execution_id": "exec_9",
                "status": "failed",
                "pass_rate": 0.5,
                "coverage": {"intent_coverage": 1.0, "entity_coverage": 0.0},
                "timestamp": "2023-11-14T22:13:20Z"
            })
        );
    }

    #[test]
    fn empty_suite_is_failed() {
        let body = ci_webhook_body(&SuiteReport::default(), "e", 0.0);
        assert_eq!(body["status"], "failed");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
    }
}
