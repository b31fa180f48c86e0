//! wasm-bindgen tests of the boundary, run in Node by `wasm-bindgen-test-runner`
//! (`cargo test -p cognigy-guard --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::error::to_js_error;
use cognigy_guard::platform::{
    abort_controller, sleep, Clock, FetchFailure, FetchRequest, Fetcher,
};
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
fn clock_never_goes_backwards() {
    let readings = js_sys::Function::new_no_args(
        "this.t = (this.t === undefined ? 1000 : this.t - 10); return this.t;",
    );
    let clock = Clock::new(Some(readings));
    let first = clock.now();
    assert_eq!(first, 1000.0);
    assert_eq!(clock.now(), 1000.0);
    let real = Clock::new(None);
    assert!(real.now() > 1.6e12);
}

#[wasm_bindgen_test]
async fn sleep_waits_on_the_global_timer() {
    let start = js_sys::Date::now();
    sleep(30).await;
    assert!(js_sys::Date::now() - start >= 25.0);
}

#[wasm_bindgen_test]
async fn fetch_reads_status_headers_and_body_from_global_fetch() {
    let fetcher = Fetcher::new(None);
    let controller = abort_controller().unwrap();
    let resp = fetcher
        .send(
            &FetchRequest {
                method: "GET",
                url: "data:application/json,%7B%22ok%22%3Atrue%7D",
                headers: &[("accept".into(), "application/json".into())],
                body: None,
            },
            &controller.signal(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, "{\"ok\":true}");
    assert_eq!(resp.content_type.as_deref(), Some("application/json"));
}

#[wasm_bindgen_test]
async fn aborted_fetch_reports_aborted_and_injected_fetch_is_used() {
    let controller = abort_controller().unwrap();
    controller.abort();
    let err = Fetcher::new(None)
        .send(
            &FetchRequest {
                method: "GET",
                url: "data:text/plain,x",
                headers: &[],
                body: None,
            },
            &controller.signal(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchFailure::Aborted));

    let fake = js_sys::Function::new_with_args(
        "url, init",
        "return Promise.resolve(new Response(JSON.stringify({ url, method: init.method, body: init.body }), \
         { status: 201, headers: { 'retry-after': '7' } }));",
    );
    let fresh = abort_controller().unwrap();
    let resp = Fetcher::new(Some(fake))
        .send(
            &FetchRequest {
                method: "POST",
                url: "https://example.invalid/x",
                headers: &[],
                body: Some("{}"),
            },
            &fresh.signal(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(resp.retry_after.as_deref(), Some("7"));
    assert!(resp.body.contains("\"method\":\"POST\""));
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
