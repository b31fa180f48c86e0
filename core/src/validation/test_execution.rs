//! Validation of a test suite execution request into [`TestExecution`].
//!
//! The walk first collects borrowed views of the input and copies them into owned values only
//! when the whole request is valid, so invalid input costs no copies.

use super::reader::{
    array, bounded_object, identifier, integer, object, optional, read_fields, required, text,
    validate_root, validate_text, Collector, FieldName, Segment,
};
use super::Validated;
use crate::json::{Json, Object};
use crate::model::{Outcome, TestCase, TestExecution};
use serde_json::Value;

/// Most test cases in one execution (platform limit of the seed).
pub const MAX_TEST_CASES: usize = 500;
/// Longest `inputText`, and longest expected intent, entity or response text, in characters.
pub const MAX_INPUT_TEXT_CHARS: usize = 4096;

const TIMEOUT_SECONDS_RANGE: (u32, u32) = (30, 1800);
const LATENCY_RANGE: (u32, u32) = (100, 5000);

const FIELDS: [FieldName; 3] = [
    FieldName {
        camel: "suiteId",
        snake: Some("suite_id"),
    },
    FieldName {
        camel: "testCases",
        snake: Some("test_cases"),
    },
    FieldName {
        camel: "executionTimeoutSeconds",
        snake: Some("execution_timeout_seconds"),
    },
];

const CASE_FIELDS: [FieldName; 3] = [
    FieldName {
        camel: "inputText",
        snake: Some("input_text"),
    },
    FieldName {
        camel: "contextVariables",
        snake: Some("context_variables"),
    },
    FieldName {
        camel: "outcome",
        snake: None,
    },
];

const OUTCOME_FIELDS: [FieldName; 4] = [
    FieldName {
        camel: "expectedIntent",
        snake: Some("expected_intent"),
    },
    FieldName {
        camel: "expectedEntities",
        snake: Some("expected_entities"),
    },
    FieldName {
        camel: "expectedResponseContains",
        snake: Some("expected_response_contains"),
    },
    FieldName {
        camel: "allowedLatencyMs",
        snake: Some("allowed_latency_ms"),
    },
];

/// Validates a test suite execution request given as a JSON value.
pub fn validate_test_execution(input: &Value) -> Validated<TestExecution> {
    validate_root(&Json::from(input), read_execution)
}

/// Validates a test suite execution request given as JSON text (bounded parse; a parse failure
/// is one error at the root).
pub fn validate_test_execution_json(text: &str) -> Validated<TestExecution> {
    validate_text(text, |tree| validate_root(tree, read_execution))
}

/// A valid test case, still borrowing from the input.
struct CaseView<'a> {
    input_text: &'a str,
    context_variables: Option<&'a Object<'a>>,
    outcome: OutcomeView<'a>,
}

/// A valid outcome, still borrowing from the input.
struct OutcomeView<'a> {
    expected_intent: Option<&'a str>,
    /// Every element was checked to be a valid string.
    expected_entities: Option<&'a [Json<'a>]>,
    expected_response_contains: Option<&'a str>,
    allowed_latency_ms: u32,
}

impl OutcomeView<'_> {
    fn has_assertions(&self) -> bool {
        self.expected_intent.is_some()
            || self.expected_entities.is_some_and(|e| !e.is_empty())
            || self.expected_response_contains.is_some()
    }

    fn to_outcome(&self) -> Outcome {
        Outcome {
            expected_intent: self.expected_intent.map(str::to_owned),
            expected_entities: self.expected_entities.map(|entities| {
                entities
                    .iter()
                    .filter_map(Json::as_str)
                    .map(str::to_owned)
                    .collect()
            }),
            expected_response_contains: self.expected_response_contains.map(str::to_owned),
            allowed_latency_ms: self.allowed_latency_ms,
        }
    }
}

impl CaseView<'_> {
    fn to_case(&self) -> TestCase {
        TestCase {
            input_text: self.input_text.to_owned(),
            context_variables: self
                .context_variables
                .map(Object::to_map)
                .unwrap_or_default(),
            outcome: self.outcome.to_outcome(),
        }
    }
}

fn read_execution<'a>(c: &mut Collector<'a>, map: &'a Object<'a>) -> Option<TestExecution> {
    let [suite_id, test_cases, timeout] = read_fields(c, map, &FIELDS);
    let suite_id = required(c, "suiteId", suite_id, identifier);
    let cases = required(c, "testCases", test_cases, read_cases);
    let timeout = required(c, "executionTimeoutSeconds", timeout, |c, v| {
        integer(c, v, TIMEOUT_SECONDS_RANGE.0, TIMEOUT_SECONDS_RANGE.1)
    });
    let (suite_id, cases, timeout) = (suite_id?, cases?, timeout?);
    Some(TestExecution {
        suite_id: suite_id.to_owned(),
        test_cases: cases.iter().map(CaseView::to_case).collect(),
        execution_timeout_seconds: timeout,
    })
}

/// 1..=[`MAX_TEST_CASES`] cases; every element is validated even when there are too many.
fn read_cases<'a>(c: &mut Collector<'a>, value: &'a Json<'a>) -> Option<Vec<CaseView<'a>>> {
    let items = array(c, value)?;
    let mut cases = Some(Vec::with_capacity(items.len().min(MAX_TEST_CASES)));
    if items.is_empty() {
        c.error("TOO_FEW", format_args!("must contain at least 1 test case"));
        cases = None;
    } else if items.len() > MAX_TEST_CASES {
        c.error(
            "TOO_MANY",
            format_args!(
                "has {} test cases; at most {MAX_TEST_CASES} are allowed",
                items.len()
            ),
        );
        cases = None;
    }
    for (index, item) in items.iter().enumerate() {
        let case = c.within(Segment::Index(index), |c| read_case(c, item));
        match (case, cases.as_mut()) {
            (Some(case), Some(list)) => list.push(case),
            (None, _) => cases = None,
            (Some(_), None) => {}
        }
    }
    cases
}

fn read_case<'a>(c: &mut Collector<'a>, value: &'a Json<'a>) -> Option<CaseView<'a>> {
    let map = object(c, value)?;
    let [input_text, context_variables, outcome] = read_fields(c, map, &CASE_FIELDS);
    let input_text = required(c, "inputText", input_text, |c, v| {
        text(c, v, MAX_INPUT_TEXT_CHARS)
    });
    let context_variables = optional(c, "contextVariables", context_variables, |c, v| {
        let map = object(c, v)?;
        bounded_object(c, map, None).then_some(map)
    });
    let outcome = required(c, "outcome", outcome, read_outcome);
    if outcome.as_ref().is_some_and(|o| !o.has_assertions()) {
        c.warning(
            "NO_ASSERTIONS",
            format_args!(
                "the case asserts nothing but latency; add expectedIntent, expectedEntities or \
                 expectedResponseContains (it will be reported unverified, never passed)"
            ),
        );
    }
    Some(CaseView {
        input_text: input_text?,
        context_variables: context_variables?,
        outcome: outcome?,
    })
}

fn read_outcome<'a>(c: &mut Collector<'a>, value: &'a Json<'a>) -> Option<OutcomeView<'a>> {
    let map = object(c, value)?;
    let [intent, entities, contains, latency] = read_fields(c, map, &OUTCOME_FIELDS);
    let expected_intent = optional(c, "expectedIntent", intent, |c, v| {
        text(c, v, MAX_INPUT_TEXT_CHARS)
    });
    let expected_entities = optional(c, "expectedEntities", entities, read_entities);
    let expected_response_contains = optional(c, "expectedResponseContains", contains, |c, v| {
        text(c, v, MAX_INPUT_TEXT_CHARS)
    });
    let allowed_latency_ms = required(c, "allowedLatencyMs", latency, |c, v| {
        integer(c, v, LATENCY_RANGE.0, LATENCY_RANGE.1)
    });
    Some(OutcomeView {
        expected_intent: expected_intent?,
        expected_entities: expected_entities?,
        expected_response_contains: expected_response_contains?,
        allowed_latency_ms: allowed_latency_ms?,
    })
}

/// An array of non-blank strings.
fn read_entities<'a>(c: &mut Collector<'a>, value: &'a Json<'a>) -> Option<&'a [Json<'a>]> {
    let items = array(c, value)?;
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        let ok = c.within(Segment::Index(index), |c| {
            text(c, item, MAX_INPUT_TEXT_CHARS).is_some()
        });
        valid &= ok;
    }
    valid.then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The second seed's complete example, in its snake_case spelling.
    fn seed() -> Value {
        json!({
            "suite_id": "suite_prod_v2",
            "execution_timeout_seconds": 900,
            "test_cases": [
                {
                    "input_text": "I need to reset my password",
                    "context_variables": { "user_role": "customer" },
                    "outcome": {
                        "expected_intent": "intent_password_reset",
                        "expected_entities": ["user_id"],
                        "expected_response_contains": "password reset link",
                        "allowed_latency_ms": 800
                    }
                },
                {
                    "input_text": "What are your business hours?",
                    "context_variables": {},
                    "outcome": {
                        "expected_intent": "intent_business_hours",
                        "expected_response_contains": "open from",
                        "allowed_latency_ms": 500
                    }
                }
            ]
        })
    }

    fn seed_camel() -> Value {
        json!({
            "suiteId": "suite_prod_v2",
            "executionTimeoutSeconds": 900,
            "testCases": [
                {
                    "inputText": "I need to reset my password",
                    "contextVariables": { "user_role": "customer" },
                    "outcome": {
                        "expectedIntent": "intent_password_reset",
                        "expectedEntities": ["user_id"],
                        "expectedResponseContains": "password reset link",
                        "allowedLatencyMs": 800
                    }
                },
                {
                    "inputText": "What are your business hours?",
                    "contextVariables": {},
                    "outcome": {
                        "expectedIntent": "intent_business_hours",
                        "expectedResponseContains": "open from",
                        "allowedLatencyMs": 500
                    }
                }
            ]
        })
    }

    fn case(latency: u32) -> Value {
        json!({ "inputText": "hi", "outcome": { "expectedIntent": "greet", "allowedLatencyMs": latency } })
    }

    fn suite(cases: Vec<Value>) -> Value {
        json!({ "suiteId": "s1", "testCases": cases, "executionTimeoutSeconds": 60 })
    }

    fn check(input: &Value) -> Validated<TestExecution> {
        let v = validate_test_execution(input);
        assert_eq!(v.value.is_some(), v.errors.is_empty());
        v
    }

    fn codes(issues: &[crate::issue::Issue]) -> Vec<(&str, &str)> {
        issues
            .iter()
            .map(|i| (i.path.as_str(), i.code.as_str()))
            .collect()
    }

    fn case_errors(case: Value) -> Vec<(String, String)> {
        let v = check(&suite(vec![case]));
        v.errors.into_iter().map(|i| (i.path, i.code)).collect()
    }

    fn pc(path: &str, code: &str) -> (String, String) {
        (path.to_owned(), code.to_owned())
    }

    #[test]
    fn seed_example_validates_and_equals_the_camel_case_spelling() {
        let snake = check(&seed());
        assert!(snake.is_ok(), "{:?}", snake.errors);
        assert!(snake.warnings.is_empty(), "{:?}", snake.warnings);
        let camel = check(&seed_camel());
        assert!(camel.warnings.is_empty());
        let value = snake.value.unwrap();
        assert_eq!(Some(&value), camel.value.as_ref());
        assert_eq!(serde_json::to_value(&value).unwrap(), seed_camel());
        assert_eq!(value.test_cases.len(), 2);
        assert_eq!(value.test_cases[1].outcome.expected_entities, None);
        assert_eq!(
            value.test_cases[0].context_variables["user_role"],
            "customer"
        );
        let text = serde_json::to_string(&seed()).unwrap();
        assert_eq!(validate_test_execution_json(&text).value, Some(value));
    }

    #[test]
    fn defaults_and_null_as_absent() {
        let input = suite(vec![json!({
            "inputText": "hi",
            "contextVariables": null,
            "outcome": { "expectedIntent": "greet", "expectedEntities": null,
                         "expectedResponseContains": null, "allowedLatencyMs": 100 }
        })]);
        let value = check(&input).value.unwrap();
        let case = &value.test_cases[0];
        assert!(case.context_variables.is_empty());
        assert_eq!(case.outcome.expected_entities, None);
        assert_eq!(case.outcome.expected_response_contains, None);
        assert_eq!(case.outcome.allowed_latency_ms, 100);
    }

    #[test]
    fn root_fields() {
        assert_eq!(
            codes(&check(&json!({})).errors),
            vec![
                ("suiteId", "REQUIRED"),
                ("testCases", "REQUIRED"),
                ("executionTimeoutSeconds", "REQUIRED")
            ]
        );
        let bad = json!({ "suiteId": "a/b", "testCases": {}, "executionTimeoutSeconds": 1801 });
        assert_eq!(
            codes(&check(&bad).errors),
            vec![
                ("suiteId", "PATTERN"),
                ("testCases", "TYPE"),
                ("executionTimeoutSeconds", "OUT_OF_RANGE")
            ]
        );
        let bad = json!({ "suiteId": "", "testCases": [], "executionTimeoutSeconds": 29 });
        let v = check(&bad);
        assert_eq!(
            codes(&v.errors),
            vec![
                ("suiteId", "EMPTY"),
                ("testCases", "TOO_FEW"),
                ("executionTimeoutSeconds", "OUT_OF_RANGE")
            ]
        );
        assert!(v.errors[2].message.contains("at least 30"));
        let long = json!({ "suiteId": "s".repeat(129), "testCases": [case(100)], "executionTimeoutSeconds": 30.0 });
        assert_eq!(codes(&check(&long).errors), vec![("suiteId", "TOO_LONG")]);
        for root in [json!(null), json!([seed()]), json!("{}")] {
            assert_eq!(codes(&check(&root).errors), vec![("", "TYPE")]);
        }
    }

    #[test]
    fn duplicates_and_unknown_fields_at_every_level() {
        let mut input = seed();
        input["suiteId"] = json!("suite_prod_v2");
        input["test_cases"][1]["inputText"] = json!("again");
        input["test_cases"][0]["outcome"]["allowedLatencyMs"] = json!(800);
        input["test_cases"][0]["outcome"]["expected_intents"] = json!([]);
        input["test_cases"][1]["note"] = json!("x");
        input["extra"] = json!(true);
        let v = check(&input);
        let mut errors = codes(&v.errors);
        errors.sort_unstable();
        assert_eq!(
            errors,
            vec![
                ("suiteId", "DUPLICATE_FIELD"),
                ("testCases[0].outcome.allowedLatencyMs", "DUPLICATE_FIELD"),
                ("testCases[1].inputText", "DUPLICATE_FIELD"),
            ]
        );
        let mut warnings = codes(&v.warnings);
        warnings.sort_unstable();
        assert_eq!(
            warnings,
            vec![
                ("extra", "UNKNOWN_FIELD"),
                ("testCases[0].outcome.expected_intents", "UNKNOWN_FIELD"),
                ("testCases[1].note", "UNKNOWN_FIELD"),
            ]
        );
    }

    #[test]
    fn case_rules_with_exact_paths() {
        let p = "testCases[0]";
        assert_eq!(
            case_errors(json!({})),
            vec![
                pc(&format!("{p}.inputText"), "REQUIRED"),
                pc(&format!("{p}.outcome"), "REQUIRED")
            ]
        );
        assert_eq!(case_errors(json!("case")), vec![pc(p, "TYPE")]);
        let bad = json!({
            "inputText": "   ",
            "contextVariables": [],
            "outcome": {
                "expectedIntent": "",
                "expectedEntities": ["ok", "", 3],
                "expectedResponseContains": 5,
                "allowedLatencyMs": 5001
            }
        });
        assert_eq!(
            case_errors(bad),
            vec![
                pc(&format!("{p}.inputText"), "EMPTY"),
                pc(&format!("{p}.contextVariables"), "TYPE"),
                pc(&format!("{p}.outcome.expectedIntent"), "EMPTY"),
                pc(&format!("{p}.outcome.expectedEntities[1]"), "EMPTY"),
                pc(&format!("{p}.outcome.expectedEntities[2]"), "TYPE"),
                pc(&format!("{p}.outcome.expectedResponseContains"), "TYPE"),
                pc(&format!("{p}.outcome.allowedLatencyMs"), "OUT_OF_RANGE"),
            ]
        );
        let bad = json!({ "inputText": "x".repeat(4097), "outcome": [] });
        assert_eq!(
            case_errors(bad),
            vec![
                pc(&format!("{p}.inputText"), "TOO_LONG"),
                pc(&format!("{p}.outcome"), "TYPE")
            ]
        );
        let bad = json!({ "inputText": "x", "outcome": { "expectedEntities": "user_id", "allowedLatencyMs": 99.5 } });
        assert_eq!(
            case_errors(bad),
            vec![
                pc(&format!("{p}.outcome.expectedEntities"), "TYPE"),
                pc(&format!("{p}.outcome.allowedLatencyMs"), "NOT_INTEGER"),
            ]
        );
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!({ "k": deep });
        }
        let bad = json!({ "inputText": "x", "contextVariables": deep, "outcome": { "expectedIntent": "i", "allowedLatencyMs": 100 } });
        assert_eq!(
            case_errors(bad),
            vec![pc(&format!("{p}.contextVariables"), "TOO_DEEP")]
        );
    }

    #[test]
    fn all_errors_at_once_across_cases() {
        let mut cases: Vec<Value> = (0..20).map(|_| case(800)).collect();
        cases[3] = case(50);
        cases[12]["outcome"]["allowedLatencyMs"] = json!(6000);
        cases[12]["inputText"] = json!(7);
        cases[19]["outcome"] = json!({ "allowed_latency_ms": 100 });
        let v = check(&suite(cases));
        assert_eq!(
            codes(&v.errors),
            vec![
                ("testCases[3].outcome.allowedLatencyMs", "OUT_OF_RANGE"),
                ("testCases[12].inputText", "TYPE"),
                ("testCases[12].outcome.allowedLatencyMs", "OUT_OF_RANGE"),
            ]
        );
        assert_eq!(codes(&v.warnings), vec![("testCases[19]", "NO_ASSERTIONS")]);
        assert!(v.errors[0].message.contains("at least 100"));
        assert!(v.errors[2].message.contains("at most 5000"));
    }

    #[test]
    fn cases_without_assertions_are_warned_about() {
        let only_latency = json!({ "inputText": "hi", "outcome": { "allowedLatencyMs": 300 } });
        let empty_entities = json!({ "inputText": "hi", "outcome": { "expectedEntities": [], "allowedLatencyMs": 300 } });
        let v = check(&suite(vec![case(300), only_latency, empty_entities]));
        assert!(v.is_ok());
        assert_eq!(
            codes(&v.warnings),
            vec![
                ("testCases[1]", "NO_ASSERTIONS"),
                ("testCases[2]", "NO_ASSERTIONS")
            ]
        );
        let value = v.value.unwrap();
        assert!(value.test_cases[0].outcome.has_assertions());
        assert!(!value.test_cases[1].outcome.has_assertions());
        let entity_only = json!({ "inputText": "hi", "outcome": { "expectedEntities": ["x"], "allowedLatencyMs": 300 } });
        assert!(check(&suite(vec![entity_only])).warnings.is_empty());
    }

    #[test]
    fn five_hundred_cases_validate_and_501_are_too_many() {
        let v = check(&suite((0..500).map(|_| case(1000)).collect()));
        assert!(v.is_ok());
        assert_eq!(v.value.unwrap().test_cases.len(), 500);
        let mut cases: Vec<Value> = (0..501).map(|_| case(1000)).collect();
        cases[500]["outcome"]["allowedLatencyMs"] = json!(1);
        let v = check(&suite(cases));
        assert_eq!(
            codes(&v.errors),
            vec![
                ("testCases", "TOO_MANY"),
                ("testCases[500].outcome.allowedLatencyMs", "OUT_OF_RANGE")
            ]
        );
        assert!(v.errors[0].message.contains("501"));
        assert!(v.errors[0].message.contains("500"));
    }

    #[test]
    fn issues_are_capped() {
        let cases: Vec<Value> = (0..300).map(|_| case(1)).collect();
        let v = check(&suite(cases));
        assert_eq!(v.errors.len(), 101);
        assert_eq!(v.errors[0].path, "testCases[0].outcome.allowedLatencyMs");
        assert_eq!(v.errors[99].path, "testCases[99].outcome.allowedLatencyMs");
        assert_eq!(v.errors[100].path, "");
        assert_eq!(v.errors[100].code, "TOO_MANY_ISSUES");
        assert!(v.errors[100].message.contains("200 more errors"));
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["errors"].as_array().map(Vec::len), Some(101));
    }

    #[test]
    fn serializes_to_the_api_shape() {
        let json = serde_json::to_value(check(&seed())).unwrap();
        assert_eq!(json["ok"], true);
        assert_eq!(json["value"], seed_camel());
        assert_eq!(json["warnings"], json!([]));
        assert!(json.get("errors").is_none());
    }

    #[test]
    fn json_text_errors() {
        let v = validate_test_execution_json("");
        assert_eq!(codes(&v.errors), vec![("", "INVALID_JSON")]);
        let v = validate_test_execution_json("42");
        assert_eq!(codes(&v.errors), vec![("", "TYPE")]);
    }
}
