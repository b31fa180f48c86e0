//! wasm-bindgen tests of the boundary, run in Node by `wasm-bindgen-test-runner`
//! (`cargo test -p cognigy-guard --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::error::to_js_error;
use cognigy_guard::platform::Clock;
use cognigy_guard_core::{GuardError, Issue};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
fn guard_error_is_an_error_with_name_code_and_fields() {
    let err = to_js_error(&GuardError::Validation(vec![Issue::new(
        "maxWaitTimeMs",
        "OUT_OF_RANGE",
        "must be at most 30000",
    )]));
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "name").as_string().unwrap(), "GuardError");
    assert_eq!(get(&err, "code").as_string().unwrap(), "VALIDATION");
    let errors = get(&err, "errors");
    assert!(js_sys::Array::is_array(&errors));
    let first = js_sys::Array::from(&errors).get(0);
    assert_eq!(get(&first, "path").as_string().unwrap(), "maxWaitTimeMs");
    assert!(get(&err, "message")
        .as_string()
        .unwrap()
        .contains("maxWaitTimeMs"));
}

#[wasm_bindgen_test]
fn rate_limited_error_carries_status_and_retry_after() {
    let err = to_js_error(&GuardError::RateLimited {
        retry_after_ms: Some(1500),
        attempts: 3,
        endpoint_id: Some("weather".into()),
    });
    assert_eq!(get(&err, "code").as_string().unwrap(), "RATE_LIMITED");
    assert_eq!(get(&err, "status").as_f64().unwrap(), 429.0);
    assert_eq!(get(&err, "retryAfterMs").as_f64().unwrap(), 1500.0);
    assert_eq!(get(&err, "attempts").as_f64().unwrap(), 3.0);
}

#[wasm_bindgen_test]
fn clock_reads_the_injected_function_and_falls_back_to_date_now() {
    let readings = js_sys::Function::new_no_args(
        "this.t = (this.t === undefined ? 1000 : this.t - 10); return this.t;",
    );
    let clock = Clock::new(Some(readings));
    assert_eq!(clock.now(), 1000.0);
    assert_eq!(
        clock.now(),
        990.0,
        "backwards readings reach the core as they are"
    );
    assert_eq!(clock.last(), 990.0);
    let broken = Clock::new(Some(js_sys::Function::new_no_args("throw new Error('x')")));
    assert!(broken.now() > 1.6e12);
    let not_a_number = Clock::new(Some(js_sys::Function::new_no_args("return 'soon'")));
    assert!(not_a_number.now() > 1.6e12);
}

#[wasm_bindgen_test]
fn wasm_memory_bytes_counts_whole_pages_and_sees_growth() {
    const PAGE: f64 = 65_536.0;
    let before = cognigy_guard::wasm_memory_bytes();
    assert!(before >= PAGE && before % PAGE == 0.0);
    let big = vec![1u8; 8 * 1024 * 1024];
    let after = cognigy_guard::wasm_memory_bytes();
    assert!(after >= big.len() as f64 && after % PAGE == 0.0);
    assert_eq!(
        big.iter().map(|&b| usize::from(b)).sum::<usize>(),
        big.len()
    );
}
