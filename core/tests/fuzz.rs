//! Fuzzing at scale with proptest: every entry point that reads untrusted input (validation, the
//! profiles' response parsers, aggregation, audit verification, snapshot restores) is fed random
//! JSON and random text and must return, never panic. Bounded: `FUZZ_CASES` cases per target
//! (default 5000), run by `cargo test` in the test command.

use cognigy_guard_core::aggregate::{aggregate, AggregateOptions};
use cognigy_guard_core::audit::{verify, AuditLog};
use cognigy_guard_core::breaker::{config::BreakerConfig, CircuitBreaker};
use cognigy_guard_core::cache::FallbackCache;
use cognigy_guard_core::json::{parse_borrowed_within, Json, MAX_RESULTS_BYTES};
use cognigy_guard_core::outbox::Outbox;
use cognigy_guard_core::profile::{cognigy_v2, oauth, parse_error, seed_v1};
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::retry::parse_retry_after;
use cognigy_guard_core::validation::{validate_test_execution_json, validate_timeout_config_json};
use proptest::prelude::*;
use serde_json::Value;

fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Field names the parsers and validators look for, so random objects hit real code paths.
const KEYS: &[&str] = &[
    "endpointId",
    "endpoint_id",
    "maxWaitTimeMs",
    "slaThresholdMs",
    "fallbackTemplate",
    "metadata",
    "suiteId",
    "suite_id",
    "testCases",
    "test_cases",
    "inputText",
    "outcome",
    "allowedLatencyMs",
    "expectedIntent",
    "expectedEntities",
    "execution_id",
    "status",
    "progress",
    "completed",
    "total",
    "test_results",
    "assertions",
    "type",
    "passed",
    "expected",
    "actual",
    "latency_ms",
    "matched_intent",
    "stepResults",
    "asserts",
    "params",
    "intent",
    "slot",
    "negate",
    "timeout",
    "_id",
    "data",
    "playbookRunId",
    "failReason",
    "items",
    "name",
    "nextCursor",
    "access_token",
    "token_type",
    "expires_in",
    "error",
    "error_description",
    "title",
    "detail",
    "v",
    "state",
    "entries",
    "storedAtMs",
    "value",
    "queue",
    "batch",
    "seq",
    "event",
    "hash",
    "prevHash",
    "eventType",
    "timestamp",
    "details",
    "openedAtMs",
    "window",
    "counters",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0u32..6000).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_owned())),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![json_value().prop_map(|v| v.to_string()), ".{0,64}"]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(401), Just(429), Just(500), 100u16..600]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn validation_never_panics(input in text()) {
        let a = validate_timeout_config_json(&input);
        prop_assert_eq!(a.value.is_some(), a.errors.is_empty());
        let b = validate_test_execution_json(&input);
        prop_assert_eq!(b.value.is_some(), b.errors.is_empty());
    }

    #[test]
    fn response_parsers_never_panic(code in status(), body in text(), retry in ".{0,32}") {
        let headers = vec![
            ("retry-after".to_owned(), retry.clone()),
            ("content-type".to_owned(), "application/problem+json".to_owned()),
        ];
        let _ = parse_error(code, &headers, &body);
        let _ = oauth::parse_token_answer(code, &headers, &body, "secret-value");
        let _ = seed_v1::parse_configure(code, &headers, &body);
        let _ = seed_v1::parse_invoke(code, &headers, &body);
        let _ = seed_v1::parse_submit(code, &headers, &body);
        let _ = seed_v1::parse_status(code, &headers, &body);
        let _ = cognigy_v2::parse_task(code, &headers, &body);
        let _ = cognigy_v2::parse_intents_page(code, &headers, &body);
        let _ = parse_retry_after(&retry, 1.7e12);
    }

    #[test]
    fn aggregation_and_audit_verification_never_panic(value in json_value(), opts in json_value()) {
        let options = AggregateOptions::from_json(&opts).unwrap_or_default();
        let _ = aggregate(&Json::from(&value), &options);
        let text = value.to_string();
        let tree = parse_borrowed_within(&text, MAX_RESULTS_BYTES).unwrap();
        let _ = aggregate(&tree, &options);
        if let Value::Array(records) = &value {
            let _ = verify(records, None);
        }
        let _ = verify(std::slice::from_ref(&value), None);
    }

    #[test]
    fn snapshot_restores_never_panic(value in json_value()) {
        let _ = CircuitBreaker::from_snapshot(&value, BreakerConfig::default());
        let _ = FallbackCache::from_snapshot(&value, 300_000, 100, 1.7e12);
        let _ = Outbox::from_snapshot(&value, "fuzz", 100);
        let _ = AuditLog::from_snapshot(Redactor::default(), 100, &value);
    }
}
