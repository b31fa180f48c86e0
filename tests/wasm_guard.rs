//! wasm-bindgen tests of the guard exports in Node: the `CircuitBreaker` class and a
//! `TimeoutManager` with an injected `fetch`.
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::circuit_breaker::CircuitBreaker;
use cognigy_guard::timeout_manager::TimeoutManager;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap()
}

fn options(js: &str) -> JsValue {
    Function::new_no_args(&format!("return {js};"))
        .call0(&JsValue::UNDEFINED)
        .unwrap()
}

#[wasm_bindgen_test]
fn breaker_opens_after_the_threshold_and_refuses() {
    let b = CircuitBreaker::new(options(
        "{ failureThreshold: 2, resetTimeoutMs: 1000, now: () => 5000 }",
    ))
    .unwrap();
    assert_eq!(b.state(), "closed");
    for _ in 0..2 {
        assert_eq!(get(&b.try_acquire(), "allowed"), JsValue::TRUE);
        b.record_failure();
    }
    assert_eq!(b.state(), "open");
    let refused = b.try_acquire();
    assert_eq!(get(&refused, "allowed"), JsValue::FALSE);
    assert_eq!(get(&refused, "retryAfterMs").as_f64(), Some(1000.0));
    b.reset();
    assert_eq!(b.state(), "closed");
}

#[wasm_bindgen_test]
fn invalid_options_throw_config() {
    let err = CircuitBreaker::new(options("{ failureThreshold: 0 }"))
        .err()
        .unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
}

#[wasm_bindgen_test]
async fn execute_rejects_circuit_open_without_running_the_function() {
    let b = CircuitBreaker::new(options("{ now: () => 1 }")).unwrap();
    b.force_open();
    let work = Function::new_no_args("globalThis.__ran = true; return 1;");
    let err = JsFuture::from(b.execute(work)).await.err().unwrap();
    assert_eq!(get(&err, "name").as_string().unwrap(), "GuardError");
    assert_eq!(get(&err, "code").as_string().unwrap(), "CIRCUIT_OPEN");
    assert!(get(&js_sys::global(), "__ran").is_undefined());
}

#[wasm_bindgen_test]
async fn execute_passes_results_through() {
    let b = CircuitBreaker::new(JsValue::UNDEFINED).unwrap();
    let work = Function::new_no_args("return Promise.resolve(7);");
    let value = JsFuture::from(b.execute(work)).await.unwrap();
    assert_eq!(value.as_f64(), Some(7.0));
    assert_eq!(get(&b.stats().unwrap(), "successes").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn manager_serves_the_fallback_when_fetch_fails() {
    let m = TimeoutManager::new(options(
        "{ baseUrl: 'https://api.example.com', fetch: () => Promise.reject(new TypeError('down')) }",
    ))
    .unwrap();
    let config = options(
        "{ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } }",
    );
    JsFuture::from(m.configure_timeout(config)).await.unwrap();
    let r = JsFuture::from(m.call("e".into(), options("{ url: '/x' }")))
        .await
        .unwrap();
    assert_eq!(get(&r, "source").as_string().unwrap(), "fallback");
    assert_eq!(
        get(&get(&r, "error"), "code").as_string().unwrap(),
        "NETWORK"
    );
    let unknown: Promise = m.call("nope".into(), options("{ url: '/x' }"));
    let err = JsFuture::from(unknown).await.err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
}
