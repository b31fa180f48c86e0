//! wasm-bindgen tests of the pure TestSuiteRunner exports, run in Node
//! (`cargo test -p cognigy-guard --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::test_suite_runner::{
    aggregate_endpoint_chunks, aggregate_results, compare_reports, to_junit_xml,
};
use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap()
}

fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

const RESULTS: &str = r#"{"execution_id":"e1","status":"completed","test_results":[
  {"case_index":0,"input_text":"hi","latency_ms":100,"assertions":[
    {"type":"intent","expected":"greet","actual":"greet","passed":true},
    {"type":"latency","expected":500,"actual":100,"passed":true}]},
  {"case_index":1,"input_text":"a <b> & c","latency_ms":900,"assertions":[
    {"type":"intent","expected":"order","actual":"greet","passed":false},
    {"type":"latency","expected":500,"actual":900,"passed":false}]},
  {"case_index":2,"input_text":"only latency","latency_ms":50,"assertions":[
    {"type":"latency","expected":500,"actual":50,"passed":true}]}]}"#;

#[wasm_bindgen_test]
fn aggregate_counts_unverified_cases_apart() {
    let report =
        aggregate_results(parse(RESULTS), Some(parse(r#"{"passThreshold":0.3}"#))).unwrap();
    let num = |k: &str| get(&report, k).as_f64().unwrap();
    assert_eq!(
        (
            num("total"),
            num("passed"),
            num("failed"),
            num("unverified")
        ),
        (3.0, 1.0, 1.0, 1.0)
    );
    assert_eq!(get(&report, "gate").as_string().unwrap(), "passed");
    let coverage = get(&report, "coverage");
    assert_eq!(get(&coverage, "intentCoverage").as_f64().unwrap(), 0.5);
    let default = aggregate_results(parse(RESULTS), None).unwrap();
    assert_eq!(get(&default, "gate").as_string().unwrap(), "failed");
}

#[wasm_bindgen_test]
fn bad_input_and_options_are_guard_errors() {
    let err = aggregate_results(parse(r#"{"nothing":1}"#), None).unwrap_err();
    assert_eq!(get(&err, "name").as_string().unwrap(), "GuardError");
    assert_eq!(get(&err, "code").as_string().unwrap(), "BAD_RESPONSE");
    let err = aggregate_results(parse(RESULTS), Some(parse(r#"{"passThreshold":2}"#))).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
    let err = to_junit_xml(JsValue::from_str("nope")).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "VALIDATION");
}

#[wasm_bindgen_test]
fn junit_counts_match_the_report() {
    let report = aggregate_results(parse(RESULTS), None).unwrap();
    let xml = to_junit_xml(report).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase").count(), 3);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert_eq!(xml.matches("<skipped").count(), 1);
    assert!(xml.contains("tests=\"3\""));
    assert!(xml.contains("a &lt;b&gt; &amp; c"));
}

#[wasm_bindgen_test]
fn compare_reports_takes_objects_or_text_and_refuses_what_is_no_report() {
    let baseline = aggregate_results(parse(RESULTS), None).unwrap();
    let changed = RESULTS.replace(
        r#""actual":"greet","passed":true"#,
        r#""actual":"bye","passed":false"#,
    );
    let current = aggregate_results(parse(&changed), None).unwrap();
    let text = JSON::stringify(&baseline).unwrap();
    let diff = compare_reports(current.clone(), JsValue::from(text)).unwrap();
    let regressions = js_sys::Array::from(&get(&diff, "regressions"));
    assert_eq!(regressions.length(), 1);
    assert_eq!(
        get(&regressions.get(0), "inputText").as_string().as_deref(),
        Some("hi")
    );
    for bad in [
        JsValue::UNDEFINED,
        JsValue::from(7),
        parse("{}"),
        JsValue::from_str("{"),
    ] {
        let err = compare_reports(current.clone(), bad).unwrap_err();
        assert_eq!(get(&err, "name").as_string().as_deref(), Some("GuardError"));
    }
}

#[wasm_bindgen_test]
fn endpoint_chunks_merge_from_objects_or_text_and_refuse_what_is_no_chunk() {
    let first = parse(
        r#"{"status":"completed","nlu":true,"cases":[
        {"index":0,"inputText":"hi","status":"passed","expectedIntent":"greet","matchedIntent":"greet","intentVerified":true}]}"#,
    );
    let second = parse(
        r#"{"status":"completed","nlu":true,"cases":[
        {"index":0,"inputText":"bye","status":"failed","reasons":["intent"],"expectedIntent":"bye","matchedIntent":"greet"}],
        "flaky":[]}"#,
    );
    let chunks = js_sys::Array::of2(&first, &second);
    let report = aggregate_endpoint_chunks(
        JsValue::from(chunks.clone()),
        Some(parse(r#"{"passThreshold":0.5}"#)),
    )
    .unwrap();
    let num = |k: &str| get(&report, k).as_f64().unwrap();
    assert_eq!(
        (num("total"), num("passed"), num("failed")),
        (2.0, 1.0, 1.0)
    );
    assert_eq!(get(&report, "gate").as_string().as_deref(), Some("passed"));
    let failures = js_sys::Array::from(&get(&report, "failures"));
    assert_eq!(get(&failures.get(0), "index").as_f64(), Some(1.0));
    assert_eq!(get(&get(&report, "nlu"), "total").as_f64(), Some(2.0));
    let text = JSON::stringify(&chunks).unwrap();
    let again = aggregate_endpoint_chunks(JsValue::from(text), None).unwrap();
    assert_eq!(get(&again, "gate").as_string().as_deref(), Some("failed"));
    for bad in [JsValue::from(7), parse("[]"), parse("[3]"), parse("{}")] {
        let err = aggregate_endpoint_chunks(bad, None).unwrap_err();
        assert_eq!(get(&err, "code").as_string().as_deref(), Some("CONFIG"));
    }
}
