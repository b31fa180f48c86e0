//! Validation of a per-endpoint timeout policy into [`TimeoutConfig`].

use super::reader::{
    bounded_object, identifier, integer, optional, read_fields, required, type_error,
    validate_root, validate_text, Collector, FieldName, Segment,
};
use super::{Validated, EXTENSION_BUDGET_MS, MAX_BACKOFF_MS};
use crate::json::{parse_borrowed_within, Json, Object, MAX_INPUT_BYTES};
use crate::model::{TimeoutConfig, DEFAULT_BACKOFF_MS, DEFAULT_RETRY_ATTEMPTS};
use serde_json::{Map, Value};

/// Largest fallback template, in bytes of JSON (the string as given, or the compact
/// serialization of an object).
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

const MAX_WAIT_RANGE: (u32, u32) = (1000, 30_000);
const SLA_RANGE: (u32, u32) = (500, 25_000);
const RETRY_RANGE: (u32, u32) = (0, 5);
const BACKOFF_RANGE: (u32, u32) = (0, 10_000);

const FIELDS: [FieldName; 6] = [
    FieldName {
        camel: "endpointId",
        snake: Some("endpoint_id"),
    },
    FieldName {
        camel: "maxWaitTimeMs",
        snake: Some("max_wait_time_ms"),
    },
    FieldName {
        camel: "slaThresholdMs",
        snake: Some("sla_threshold_ms"),
    },
    FieldName {
        camel: "fallbackTemplate",
        snake: Some("fallback_template"),
    },
    FieldName {
        camel: "retryAttempts",
        snake: Some("retry_attempts"),
    },
    FieldName {
        camel: "backoffMs",
        snake: Some("backoff_ms"),
    },
];

/// Validates a timeout policy given as a JSON value.
pub fn validate_timeout_config(input: &Value) -> Validated<TimeoutConfig> {
    validate_root(&Json::from(input), read_config)
}

/// Validates a timeout policy given as JSON text (bounded parse; a parse failure is one error at
/// the root).
pub fn validate_timeout_config_json(text: &str) -> Validated<TimeoutConfig> {
    validate_text(text, |tree| validate_root(tree, read_config))
}

/// The longest a guarded call with this policy can take: every attempt times out, and before
/// each retry the policy waits its maximum backoff, `min(backoffMs * 2^(n-1), MAX_BACKOFF_MS)`
/// before retry `n`.
pub fn worst_case_ms(config: &TimeoutConfig) -> u64 {
    worst_case(
        config.max_wait_time_ms,
        config.retry_attempts,
        config.backoff_ms,
    )
}

fn worst_case(max_wait_ms: u32, retry_attempts: u32, backoff_ms: u32) -> u64 {
    let attempts = u64::from(retry_attempts).saturating_add(1);
    attempts
        .saturating_mul(u64::from(max_wait_ms))
        .saturating_add(total_backoff(retry_attempts, backoff_ms))
}

/// Sum of the maximum backoffs before retries `1..=retry_attempts`, in O(log) steps: once the
/// doubling reaches [`MAX_BACKOFF_MS`], every later delay is the cap.
fn total_backoff(retry_attempts: u32, backoff_ms: u32) -> u64 {
    if backoff_ms == 0 {
        return 0;
    }
    let mut total = 0u64;
    for n in 1..=retry_attempts {
        let delay = max_backoff_before_retry(backoff_ms, n);
        if delay >= MAX_BACKOFF_MS {
            let remaining = u64::from(retry_attempts.saturating_sub(n)).saturating_add(1);
            return total.saturating_add(remaining.saturating_mul(MAX_BACKOFF_MS));
        }
        total = total.saturating_add(delay);
    }
    total
}

/// `min(backoff_ms * 2^(n-1), MAX_BACKOFF_MS)` without overflow, for retry `n >= 1`.
fn max_backoff_before_retry(backoff_ms: u32, n: u32) -> u64 {
    let factor = 1u64.checked_shl(n.saturating_sub(1)).unwrap_or(u64::MAX);
    u64::from(backoff_ms)
        .saturating_mul(factor)
        .min(MAX_BACKOFF_MS)
}

fn read_config<'a>(c: &mut Collector<'a>, map: &'a Object<'a>) -> Option<TimeoutConfig> {
    let [endpoint_id, max_wait, sla, template, retries, backoff] = read_fields(c, map, &FIELDS);
    let endpoint_id = required(c, "endpointId", endpoint_id, identifier);
    let max_wait = required(c, "maxWaitTimeMs", max_wait, |c, v| {
        integer(c, v, MAX_WAIT_RANGE.0, MAX_WAIT_RANGE.1)
    });
    let mut sla = required(c, "slaThresholdMs", sla, |c, v| {
        integer(c, v, SLA_RANGE.0, SLA_RANGE.1)
    });
    let template = required(c, "fallbackTemplate", template, fallback_template);
    let retries = optional(c, "retryAttempts", retries, |c, v| {
        integer(c, v, RETRY_RANGE.0, RETRY_RANGE.1)
    })
    .map(|r| r.unwrap_or(DEFAULT_RETRY_ATTEMPTS));
    let backoff = optional(c, "backoffMs", backoff, |c, v| {
        integer(c, v, BACKOFF_RANGE.0, BACKOFF_RANGE.1)
    })
    .map(|b| b.unwrap_or(DEFAULT_BACKOFF_MS));

    if let (Some(max_wait), Some(sla_ms)) = (max_wait, sla) {
        if sla_ms > max_wait {
            c.within(Segment::Key("slaThresholdMs"), |c| {
                c.error(
                    "SLA_ABOVE_MAX_WAIT",
                    format_args!("must not be above maxWaitTimeMs ({max_wait}), got {sla_ms}"),
                );
            });
            sla = None;
        }
    }
    if let (Some(max_wait), Some(retries), Some(backoff)) = (max_wait, retries, backoff) {
        let worst = worst_case(max_wait, retries, backoff);
        if worst > EXTENSION_BUDGET_MS {
            c.warning(
                "BUDGET_EXCEEDED",
                format_args!(
                    "worst case {worst} ms ({} attempts of {max_wait} ms plus backoffs) exceeds \
                     the {EXTENSION_BUDGET_MS} ms budget of a Cognigy Extension node; lower \
                     maxWaitTimeMs or retryAttempts, or guard the call with a shorter deadline",
                    u64::from(retries).saturating_add(1)
                ),
            );
        }
    }

    Some(TimeoutConfig {
        endpoint_id: endpoint_id?.to_owned(),
        max_wait_time_ms: max_wait?,
        sla_threshold_ms: sla?,
        fallback_template: template?,
        retry_attempts: retries?,
        backoff_ms: backoff?,
    })
}

/// A JSON object, given as an object or as a string holding one, of at most
/// [`MAX_TEMPLATE_BYTES`].
fn fallback_template(c: &mut Collector<'_>, value: &Json<'_>) -> Option<Map<String, Value>> {
    match value {
        Json::Object(map) => bounded_object(c, map, Some(MAX_TEMPLATE_BYTES)).then(|| map.to_map()),
        Json::String(text) => {
            if text.len() > MAX_TEMPLATE_BYTES {
                c.error(
                    "TOO_LARGE",
                    format_args!(
                        "is {} bytes; at most {MAX_TEMPLATE_BYTES} are allowed",
                        text.len()
                    ),
                );
                return None;
            }
            match parse_borrowed_within(text, MAX_INPUT_BYTES) {
                Ok(Json::Object(map)) => bounded_object(c, &map, None).then(|| map.to_map()),
                Ok(other) => {
                    type_error(c, "a string holding a JSON object", &other);
                    None
                }
                Err(issue) => {
                    c.error(
                        &issue.code,
                        format_args!("template string: {}", issue.message),
                    );
                    None
                }
            }
        }
        other => {
            type_error(c, "an object or a string holding one", other);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEED_TEMPLATE: &str =
        r#"{"message": "Service temporarily unavailable. Please try again.", "metadata": {}}"#;

    fn seed() -> Value {
        json!({
            "endpoint_id": "ext_svc_weather_01",
            "max_wait_time_ms": 15000,
            "fallback_template": SEED_TEMPLATE,
            "sla_threshold_ms": 10000
        })
    }

    fn valid() -> Value {
        json!({
            "endpointId": "weather",
            "maxWaitTimeMs": 4000,
            "slaThresholdMs": 2000,
            "fallbackTemplate": { "message": "later" },
            "retryAttempts": 1,
            "backoffMs": 200
        })
    }

    fn with(mut base: Value, key: &str, value: Value) -> Value {
        base[key] = value;
        base
    }

    fn without(mut base: Value, key: &str) -> Value {
        if let Some(map) = base.as_object_mut() {
            map.remove(key);
        }
        base
    }

    /// (path, code) of every error.
    fn errors(input: &Value) -> Vec<(String, String)> {
        let v = validate_timeout_config(input);
        assert_eq!(v.value.is_some(), v.errors.is_empty());
        v.errors.into_iter().map(|i| (i.path, i.code)).collect()
    }

    fn one_error(input: &Value) -> (String, String) {
        let e = errors(input);
        assert_eq!(e.len(), 1, "{e:?}");
        e.into_iter().next().unwrap()
    }

    fn pc(path: &str, code: &str) -> (String, String) {
        (path.to_owned(), code.to_owned())
    }

    #[test]
    fn seed_example_is_valid_with_budget_warning() {
        let v = validate_timeout_config(&seed());
        assert!(v.errors.is_empty(), "{:?}", v.errors);
        let config = v.value.unwrap();
        assert_eq!(config.endpoint_id, "ext_svc_weather_01");
        assert_eq!(config.max_wait_time_ms, 15000);
        assert_eq!(config.sla_threshold_ms, 10000);
        assert_eq!(config.retry_attempts, DEFAULT_RETRY_ATTEMPTS);
        assert_eq!(config.backoff_ms, DEFAULT_BACKOFF_MS);
        assert_eq!(
            Value::Object(config.fallback_template.clone()),
            json!({ "message": "Service temporarily unavailable. Please try again.", "metadata": {} })
        );
        assert_eq!(v.warnings.len(), 1);
        assert_eq!(v.warnings[0].path, "");
        assert_eq!(v.warnings[0].code, "BUDGET_EXCEEDED");
        assert!(v.warnings[0].message.contains("46500"));
        assert!(v.warnings[0].message.contains("20000"));
        assert_eq!(worst_case_ms(&config), 3 * 15000 + 500 + 1000);
    }

    #[test]
    fn seed_example_as_json_text_and_camel_case_agree() {
        let text = serde_json::to_string(&seed()).unwrap();
        let from_text = validate_timeout_config_json(&text).value.unwrap();
        let camel = json!({
            "endpointId": "ext_svc_weather_01",
            "maxWaitTimeMs": 15000,
            "fallbackTemplate": SEED_TEMPLATE,
            "slaThresholdMs": 10000
        });
        assert_eq!(validate_timeout_config(&camel).value.unwrap(), from_text);
    }

    #[test]
    fn valid_camel_case_config_without_warnings() {
        let v = validate_timeout_config(&valid());
        assert!(v.is_ok());
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
        let config = v.value.unwrap();
        assert_eq!(config.retry_attempts, 1);
        assert_eq!(config.backoff_ms, 200);
        assert_eq!(worst_case_ms(&config), 8200);
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            json!({
                "endpointId": "weather", "maxWaitTimeMs": 4000, "slaThresholdMs": 2000,
                "fallbackTemplate": { "message": "later" }, "retryAttempts": 1, "backoffMs": 200
            })
        );
    }

    #[test]
    fn snake_case_aliases_for_every_field() {
        let input = json!({
            "endpoint_id": "weather",
            "max_wait_time_ms": 4000,
            "sla_threshold_ms": 2000,
            "fallback_template": { "message": "later" },
            "retry_attempts": 1,
            "backoff_ms": 200
        });
        let v = validate_timeout_config(&input);
        assert!(v.warnings.is_empty());
        assert_eq!(v.value, validate_timeout_config(&valid()).value);
    }

    #[test]
    fn duplicates_are_errors_reported_at_the_camel_case_path() {
        let input = with(valid(), "max_wait_time_ms", json!(5000));
        assert_eq!(one_error(&input), pc("maxWaitTimeMs", "DUPLICATE_FIELD"));
        let input = with(valid(), "endpoint_id", json!("weather"));
        assert_eq!(one_error(&input), pc("endpointId", "DUPLICATE_FIELD"));
        // null on one spelling means absent: no duplicate.
        let input = with(valid(), "backoff_ms", Value::Null);
        assert!(validate_timeout_config(&input).is_ok());
    }

    #[test]
    fn unknown_fields_are_warnings() {
        let input = with(valid(), "timeout", json!(3));
        let v = validate_timeout_config(&input);
        assert!(v.is_ok());
        assert_eq!(v.warnings.len(), 1);
        assert_eq!(v.warnings[0].path, "timeout");
        assert_eq!(v.warnings[0].code, "UNKNOWN_FIELD");
    }

    #[test]
    fn required_fields() {
        for key in [
            "endpointId",
            "maxWaitTimeMs",
            "slaThresholdMs",
            "fallbackTemplate",
        ] {
            assert_eq!(one_error(&without(valid(), key)), pc(key, "REQUIRED"));
            assert_eq!(
                one_error(&with(valid(), key, Value::Null)),
                pc(key, "REQUIRED")
            );
        }
    }

    #[test]
    fn optional_fields_default() {
        let input = without(without(valid(), "retryAttempts"), "backoffMs");
        let config = validate_timeout_config(&input).value.unwrap();
        assert_eq!(config.retry_attempts, 2);
        assert_eq!(config.backoff_ms, 500);
        let input = with(
            with(valid(), "retryAttempts", Value::Null),
            "backoffMs",
            Value::Null,
        );
        assert_eq!(validate_timeout_config(&input).value.unwrap(), config);
    }

    #[test]
    fn integer_ranges_and_types() {
        let cases = [
            ("maxWaitTimeMs", json!(999), "OUT_OF_RANGE", "at least 1000"),
            (
                "maxWaitTimeMs",
                json!(30001),
                "OUT_OF_RANGE",
                "at most 30000",
            ),
            ("slaThresholdMs", json!(499), "OUT_OF_RANGE", "at least 500"),
            ("retryAttempts", json!(6), "OUT_OF_RANGE", "at most 5"),
            ("retryAttempts", json!(-1), "OUT_OF_RANGE", "at least 0"),
            ("backoffMs", json!(10001), "OUT_OF_RANGE", "at most 10000"),
            ("maxWaitTimeMs", json!(4000.5), "NOT_INTEGER", "integer"),
            ("maxWaitTimeMs", json!("4000"), "TYPE", "got a string"),
            ("backoffMs", json!(true), "TYPE", "got a boolean"),
        ];
        for (key, value, code, text) in cases {
            let v = validate_timeout_config(&with(valid(), key, value.clone()));
            assert_eq!(v.errors.len(), 1, "{key}={value}: {:?}", v.errors);
            assert_eq!(v.errors[0].path, key);
            assert_eq!(v.errors[0].code, code, "{key}={value}");
            assert!(
                v.errors[0].message.contains(text),
                "{}",
                v.errors[0].message
            );
        }
        // Bounds themselves and integral floats are fine.
        let input = with(
            with(valid(), "maxWaitTimeMs", json!(30000.0)),
            "slaThresholdMs",
            json!(500),
        );
        let config = validate_timeout_config(&input).value.unwrap();
        assert_eq!(config.max_wait_time_ms, 30000);
        assert_eq!(config.sla_threshold_ms, 500);
        let input = with(valid(), "retryAttempts", json!(0));
        assert_eq!(
            validate_timeout_config(&input)
                .value
                .unwrap()
                .retry_attempts,
            0
        );
    }

    #[test]
    fn sla_must_not_exceed_max_wait() {
        let input = with(valid(), "slaThresholdMs", json!(4001));
        let v = validate_timeout_config(&input);
        assert_eq!(v.errors.len(), 1);
        assert_eq!(v.errors[0].path, "slaThresholdMs");
        assert_eq!(v.errors[0].code, "SLA_ABOVE_MAX_WAIT");
        assert!(v.errors[0].message.contains("4000"));
        assert!(validate_timeout_config(&with(valid(), "slaThresholdMs", json!(4000))).is_ok());
    }

    #[test]
    fn endpoint_id_rules() {
        for (id, code) in [
            (json!(""), "EMPTY"),
            (json!("a b"), "PATTERN"),
            (json!("../etc"), "PATTERN"),
            (json!(".."), "PATTERN"),
            (json!("."), "PATTERN"),
            (json!("a?x=1"), "PATTERN"),
            (json!("x".repeat(129)), "TOO_LONG"),
            (json!(12), "TYPE"),
        ] {
            assert_eq!(
                one_error(&with(valid(), "endpointId", id)),
                pc("endpointId", code)
            );
        }
        assert!(validate_timeout_config(&with(valid(), "endpointId", json!("a..b"))).is_ok());
    }

    #[test]
    fn fallback_template_rules() {
        let bad = [
            (json!("not json"), "INVALID_JSON"),
            (json!("[1, 2]"), "TYPE"),
            (json!("\"text\""), "TYPE"),
            (json!([1]), "TYPE"),
            (json!(42), "TYPE"),
            (
                json!(format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_TEMPLATE_BYTES))),
                "TOO_LARGE",
            ),
            (json!({ "a": "x".repeat(MAX_TEMPLATE_BYTES) }), "TOO_LARGE"),
            (json!("[".repeat(200) + &"]".repeat(200)), "TOO_DEEP"),
        ];
        for (template, code) in bad {
            let (path, got) = one_error(&with(valid(), "fallbackTemplate", template));
            assert_eq!(path, "fallbackTemplate");
            assert_eq!(got, code);
        }
        // A template without `metadata` is fine (the seed crashed on it).
        let input = with(valid(), "fallbackTemplate", json!("{\"message\": \"x\"}"));
        assert!(validate_timeout_config(&input).is_ok());
        // Exactly at the limit is fine: {"a":"…"} is 8 bytes of overhead.
        let input = with(
            valid(),
            "fallbackTemplate",
            json!({ "a": "x".repeat(MAX_TEMPLATE_BYTES - 8) }),
        );
        assert!(validate_timeout_config(&input).is_ok());
        let input = with(
            valid(),
            "fallbackTemplate",
            json!({ "a": "x".repeat(MAX_TEMPLATE_BYTES - 7) }),
        );
        assert_eq!(one_error(&input), pc("fallbackTemplate", "TOO_LARGE"));
    }

    #[test]
    fn all_errors_at_once() {
        let input = json!({
            "endpointId": "bad id",
            "maxWaitTimeMs": 50000,
            "slaThresholdMs": 100.5,
            "fallbackTemplate": "{",
            "retryAttempts": "2",
            "backoffMs": -5
        });
        assert_eq!(
            errors(&input),
            vec![
                pc("endpointId", "PATTERN"),
                pc("maxWaitTimeMs", "OUT_OF_RANGE"),
                pc("slaThresholdMs", "NOT_INTEGER"),
                pc("fallbackTemplate", "INVALID_JSON"),
                pc("retryAttempts", "TYPE"),
                pc("backoffMs", "OUT_OF_RANGE"),
            ]
        );
        assert_eq!(
            errors(&json!({})),
            vec![
                pc("endpointId", "REQUIRED"),
                pc("maxWaitTimeMs", "REQUIRED"),
                pc("slaThresholdMs", "REQUIRED"),
                pc("fallbackTemplate", "REQUIRED"),
            ]
        );
    }

    #[test]
    fn root_must_be_an_object() {
        for input in [json!(null), json!([]), json!("x"), json!(1)] {
            assert_eq!(one_error(&input), pc("", "TYPE"));
        }
    }

    #[test]
    fn json_text_failures_are_root_errors() {
        let v = validate_timeout_config_json("{\"endpointId\": ");
        assert_eq!(v.value, None);
        assert_eq!(v.errors.len(), 1);
        assert_eq!(v.errors[0].path, "");
        assert_eq!(v.errors[0].code, "INVALID_JSON");
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert_eq!(
            validate_timeout_config_json(&deep).errors[0].code,
            "TOO_DEEP"
        );
        assert_eq!(validate_timeout_config_json("[]").errors[0].code, "TYPE");
    }

    #[test]
    fn worst_case_follows_the_retry_policy() {
        assert_eq!(worst_case(1000, 0, 10_000), 1000);
        // Backoffs 500, 1000, 2000, 4000, 8000.
        assert_eq!(worst_case(1000, 5, 500), 6000 + 15_500);
        // Capped at MAX_BACKOFF_MS: 8000, 10000, 10000.
        assert_eq!(worst_case(1000, 3, 8000), 4000 + 8000 + 10_000 + 10_000);
        assert_eq!(max_backoff_before_retry(u32::MAX, 200), MAX_BACKOFF_MS);
        assert_eq!(worst_case(1000, 2, 0), 3000);
        // Large counts finish at once and do not overflow.
        let huge = u64::from(u32::MAX);
        assert_eq!(worst_case(u32::MAX, u32::MAX, u32::MAX), u64::MAX);
        assert_eq!(
            worst_case(1, u32::MAX, 1),
            huge + 1
                + (1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 512 + 1024 + 2048 + 4096 + 8192)
                + (huge - 14) * MAX_BACKOFF_MS
        );
        assert_eq!(worst_case(1, u32::MAX, 0), huge + 1);
    }

    #[test]
    fn budget_warning_is_given_only_above_the_budget() {
        // 2 attempts of 9900 + 200 backoff = 20000: at the budget, no warning.
        let input = with(
            with(valid(), "maxWaitTimeMs", json!(9900)),
            "backoffMs",
            json!(200),
        );
        assert!(validate_timeout_config(&input).warnings.is_empty());
        let input = with(input, "backoffMs", json!(201));
        let v = validate_timeout_config(&input);
        assert!(v.is_ok());
        assert_eq!(v.warnings[0].code, "BUDGET_EXCEEDED");
        assert!(v.warnings[0].message.contains("20001"));
    }
}
