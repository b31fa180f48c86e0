//! Validation of untrusted input into the domain values of [`crate::model`].
//!
//! Validators never panic and report every problem at once. Each [`Issue`] has a path such as
//! `testCases[12].outcome.allowedLatencyMs` (root keys plain, array elements `[i]`, nesting with
//! dots; the root itself is `""`). Keys are camelCase; the seed documents' snake_case spellings
//! (`endpoint_id`, `max_wait_time_ms`, `test_cases`, `input_text`, ...) are accepted as aliases,
//! and paths always use the camelCase name. `null` counts as absent.
//!
//! Stable codes of errors:
//! - `REQUIRED`: a required field is absent (or `null`).
//! - `TYPE`: wrong JSON type (also: the root is not an object, a template string that holds no object).
//! - `NOT_INTEGER`: a number with a fractional part where an integer is expected (`15000.0` is fine).
//! - `OUT_OF_RANGE`: an integer outside its range; the message names the bound.
//! - `EMPTY`: an empty identifier, or a blank text.
//! - `TOO_LONG`: a string over its character limit.
//! - `PATTERN`: an identifier with characters outside `[A-Za-z0-9_.-]`, or exactly `.`/`..`.
//! - `INVALID_JSON`: text (the input, or a fallback template string) that is not JSON.
//! - `TOO_LARGE`: input over [`crate::json::MAX_INPUT_BYTES`], or a fallback template over 64 KiB.
//! - `TOO_DEEP`: JSON nested too deeply (input, template or context variables).
//! - `TOO_MANY` / `TOO_FEW`: `testCases` has more than 500 or no elements.
//! - `DUPLICATE_FIELD`: a field given under both its camelCase and snake_case names.
//! - `SLA_ABOVE_MAX_WAIT`: `slaThresholdMs` is above `maxWaitTimeMs`.
//! - `TOO_MANY_ISSUES`: the last entry when more than [`MAX_LISTED_ISSUES`] issues were found.
//! - `INVALID`: a safety net that never appears unless a validator failed to say why it refused.
//!
//! Stable codes of warnings (the input is still accepted):
//! - `UNKNOWN_FIELD`: a key that is not part of the schema; it is ignored.
//! - `BUDGET_EXCEEDED`: the worst case of a timeout policy ([`worst_case_ms`]) exceeds the
//!   [`EXTENSION_BUDGET_MS`] budget of a Cognigy Extension node.
//! - `NO_ASSERTIONS`: a test case that asserts nothing but latency (it will be reported
//!   unverified, never passed).
//! - `TOO_MANY_ISSUES`: as above, for warnings.

mod reader;
mod test_execution;
mod timeout_config;

pub use reader::{MAX_IDENTIFIER_CHARS, MAX_LISTED_ISSUES, MAX_NESTING};
pub use test_execution::{
    validate_test_execution, validate_test_execution_json, MAX_INPUT_TEXT_CHARS, MAX_TEST_CASES,
};
pub use timeout_config::{
    validate_timeout_config, validate_timeout_config_json, worst_case_ms, MAX_TEMPLATE_BYTES,
};

use crate::error::GuardError;
use crate::issue::Issue;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Upper bound of one backoff delay of the retry policy, in milliseconds.
pub const MAX_BACKOFF_MS: u64 = 10_000;
/// Time a Cognigy Extension node may take in total, in milliseconds.
pub const EXTENSION_BUDGET_MS: u64 = 20_000;

/// The outcome of a validation: the value when there is no error, and every issue found.
///
/// Serializes to `{ ok: true, value, warnings }` or `{ ok: false, errors, warnings }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<T> {
    /// The validated value; `Some` exactly when `errors` is empty.
    pub value: Option<T>,
    /// Problems that make the input unusable.
    pub errors: Vec<Issue>,
    /// Problems worth fixing that do not prevent use.
    pub warnings: Vec<Issue>,
}

impl<T> Validated<T> {
    /// Whether the input was valid.
    pub fn is_ok(&self) -> bool {
        self.value.is_some() && self.errors.is_empty()
    }

    /// The value and its warnings, or `GuardError::Validation` with every error.
    pub fn into_result(self) -> Result<(T, Vec<Issue>), GuardError> {
        match self.value {
            Some(value) if self.errors.is_empty() => Ok((value, self.warnings)),
            _ => Err(GuardError::Validation(self.errors)),
        }
    }
}

impl<T: Serialize> Serialize for Validated<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Validated", 3)?;
        match &self.value {
            Some(value) if self.errors.is_empty() => {
                s.serialize_field("ok", &true)?;
                s.serialize_field("value", value)?;
            }
            _ => {
                s.serialize_field("ok", &false)?;
                s.serialize_field("errors", &self.errors)?;
            }
        }
        s.serialize_field("warnings", &self.warnings)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_to_the_api_shape() {
        let ok = Validated {
            value: Some(7),
            errors: vec![],
            warnings: vec![Issue::new("a", "UNKNOWN_FIELD", "m")],
        };
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({ "ok": true, "value": 7,
                    "warnings": [{ "path": "a", "code": "UNKNOWN_FIELD", "message": "m" }] })
        );
        let bad: Validated<u32> = Validated {
            value: None,
            errors: vec![Issue::new("", "TYPE", "x")],
            warnings: vec![],
        };
        assert_eq!(
            serde_json::to_value(&bad).unwrap(),
            json!({ "ok": false, "errors": [{ "path": "", "code": "TYPE", "message": "x" }],
                    "warnings": [] })
        );
    }

    #[test]
    fn into_result_maps_errors_to_a_validation_error() {
        let ok = Validated {
            value: Some(1),
            errors: vec![],
            warnings: vec![Issue::new("", "W", "w")],
        };
        assert!(ok.is_ok());
        let (v, w) = ok.into_result().unwrap();
        assert_eq!(v, 1);
        assert_eq!(w.len(), 1);
        let bad: Validated<u32> = Validated {
            value: None,
            errors: vec![Issue::new("x", "TYPE", "t")],
            warnings: vec![],
        };
        assert!(!bad.is_ok());
        match bad.into_result() {
            Err(GuardError::Validation(errors)) => assert_eq!(errors[0].path, "x"),
            other => panic!("unexpected {other:?}"),
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use serde_json::{json, Value};

        /// Every key the validators know, in both spellings, plus a few near misses.
        const KEYS: &[&str] = &[
            "endpointId",
            "endpoint_id",
            "maxWaitTimeMs",
            "max_wait_time_ms",
            "slaThresholdMs",
            "sla_threshold_ms",
            "fallbackTemplate",
            "fallback_template",
            "retryAttempts",
            "retry_attempts",
            "backoffMs",
            "backoff_ms",
            "suiteId",
            "suite_id",
            "testCases",
            "test_cases",
            "executionTimeoutSeconds",
            "execution_timeout_seconds",
            "inputText",
            "input_text",
            "contextVariables",
            "context_variables",
            "outcome",
            "expectedIntent",
            "expected_intent",
            "expectedEntities",
            "expected_entities",
            "expectedResponseContains",
            "expected_response_contains",
            "allowedLatencyMs",
            "allowed_latency_ms",
            "metadata",
            "",
            "__proto__",
        ];

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
                1 => ".{0,12}",
            ]
        }

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                (0u32..40_000).prop_map(Value::from),
                any::<f64>().prop_map(Value::from), // non-finite becomes null
                (0u32..40_000).prop_map(|n| Value::from(f64::from(n) + 0.5)),
                ".{0,20}".prop_map(Value::from),
                "[A-Za-z0-9_.-]{0,10}".prop_map(Value::from),
                Just(Value::from(r#"{"message": "x", "metadata": {}}"#)),
                Just(Value::from("{")),
            ]
        }

        /// Arbitrary JSON nested up to depth 6.
        fn any_json() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(6, 96, 8, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                    proptest::collection::vec((key(), inner), 0..8)
                        .prop_map(|entries| Value::Object(entries.into_iter().collect())),
                ]
            })
        }

        fn consistent<T: serde::Serialize>(v: &Validated<T>) {
            assert_eq!(v.value.is_some(), v.errors.is_empty());
            assert!(v.errors.len() <= MAX_LISTED_ISSUES + 1);
            assert!(v.warnings.len() <= MAX_LISTED_ISSUES + 1);
            let json = serde_json::to_value(v).unwrap_or(Value::Null);
            assert_eq!(json["ok"], Value::Bool(v.is_ok()));
        }

        fn seed_suite() -> Value {
            json!({
                "suite_id": "suite_prod_v2",
                "execution_timeout_seconds": 900,
                "test_cases": [{
                    "input_text": "I need to reset my password",
                    "context_variables": { "user_role": "customer" },
                    "outcome": { "expected_intent": "intent_password_reset",
                                 "expected_entities": ["user_id"], "allowed_latency_ms": 800 }
                }]
            })
        }

        const SUITE_POINTERS: &[&str] = &[
            "/suite_id",
            "/execution_timeout_seconds",
            "/test_cases",
            "/test_cases/0",
            "/test_cases/0/input_text",
            "/test_cases/0/context_variables",
            "/test_cases/0/outcome",
            "/test_cases/0/outcome/expected_intent",
            "/test_cases/0/outcome/expected_entities",
            "/test_cases/0/outcome/expected_entities/0",
            "/test_cases/0/outcome/allowed_latency_ms",
        ];

        proptest! {
            #[test]
            fn arbitrary_values_never_panic(input in any_json()) {
                consistent(&validate_timeout_config(&input));
                consistent(&validate_test_execution(&input));
            }

            #[test]
            fn arbitrary_objects_with_known_keys_never_panic(
                entries in proptest::collection::vec((key(), any_json()), 0..10)
            ) {
                let input = Value::Object(entries.into_iter().collect());
                consistent(&validate_timeout_config(&input));
                consistent(&validate_test_execution(&input));
                let text = input.to_string();
                consistent(&validate_timeout_config_json(&text));
                consistent(&validate_test_execution_json(&text));
            }

            #[test]
            fn arbitrary_text_never_panics(text in ".{0,200}") {
                consistent(&validate_timeout_config_json(&text));
                consistent(&validate_test_execution_json(&text));
            }

            #[test]
            fn one_field_of_a_valid_suite_replaced(
                pointer in proptest::sample::select(SUITE_POINTERS),
                replacement in any_json(),
            ) {
                let mut input = seed_suite();
                if let Some(slot) = input.pointer_mut(pointer) {
                    *slot = replacement;
                }
                let v = validate_test_execution(&input);
                consistent(&v);
                // Errors, if any, are located under the camelCase spelling of the replaced field.
                for issue in &v.errors {
                    prop_assert!(!issue.path.contains('_'), "{issue:?}");
                }
            }
        }
    }
}
