//! wasm-bindgen tests of the guard exports in Node: the `CircuitBreaker` class and a
//! `TimeoutManager`'s call step functions (the Rust half of `call`).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::circuit_breaker::CircuitBreaker;
use cognigy_guard::timeout_manager::TimeoutManager;
use js_sys::{Function, Reflect};
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
fn admit_and_settle_measure_latency_and_refuse_with_circuit_open() {
    let clock = js_sys::eval("globalThis.__t = 1000; () => globalThis.__t").unwrap();
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"now".into(), &clock).unwrap();
    js_sys::Reflect::set(&opts, &"slowCallMs".into(), &JsValue::from(50)).unwrap();
    js_sys::Reflect::set(&opts, &"failureThreshold".into(), &JsValue::from(1)).unwrap();
    let b = CircuitBreaker::new(opts.into()).unwrap();
    let started = b.admit();
    assert_eq!(started, 1000.0);
    assert_eq!(b.permit(), 0.0);
    js_sys::eval("globalThis.__t = 1020").unwrap();
    b.settle(started, true, b.permit());
    assert_eq!(get(&b.stats().unwrap(), "successes").as_f64(), Some(1.0));
    assert_eq!(b.state(), "closed");
    let started = b.admit();
    assert_eq!(b.permit(), 1.0);
    js_sys::eval("globalThis.__t = 1100").unwrap();
    b.settle(started, true, b.permit());
    assert_eq!(b.state(), "open", "an 80 ms success is slow: it trips");
    assert!(b.admit().is_nan());
    let err = b.refusal();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CIRCUIT_OPEN");
    assert!(get(&err, "retryAfterMs").as_f64().unwrap() >= 1.0);
}

#[wasm_bindgen_test]
async fn manager_steps_a_call_to_the_fallback_when_fetch_fails() {
    // The Rust half of `call` (its JS loop is js/call.mjs, tested in tests/js/guard.test.mjs).
    let m = TimeoutManager::new(options(
        "{ baseUrl: 'https://api.example.com', auth: { apiKey: 'k-123' } }",
    ))
    .unwrap();
    let config = options(
        "{ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } }",
    );
    JsFuture::from(m.configure_timeout(config)).await.unwrap();
    let h = m.call_open("e".into(), options("{ url: '/x' }"));
    assert_eq!(m.call_start(h), 1000.0, "send, with the policy's timeout");
    let request = js_sys::JSON::parse(&m.call_request(h).unwrap()).unwrap();
    assert_eq!(
        get(&request, "url").as_string().unwrap(),
        "https://api.example.com/x"
    );
    let headers = js_sys::JSON::stringify(&get(&request, "headers")).unwrap();
    assert!(
        String::from(headers).contains("k-123"),
        "the API key goes to baseUrl"
    );
    let error = js_sys::Error::new("down");
    assert_eq!(m.call_failed(h, false, false, error.into()), 0.0);
    let r = m.call_result(h).unwrap();
    assert_eq!(get(&r, "source").as_string().unwrap(), "fallback");
    let reason = get(&r, "error");
    assert_eq!(get(&reason, "code").as_string().unwrap(), "NETWORK");
    assert!(get(&reason, "message")
        .as_string()
        .unwrap()
        .ends_with("down"));
    assert!(m.call_result(h).is_err(), "a handle settles once");

    let unknown = m.call_open("nope".into(), options("{ url: '/x' }"));
    assert_eq!(m.call_start(unknown), 0.0);
    let err = m.call_result(unknown).err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
    let bad = m.call_open("e".into(), options("{ url: 'ftp://x' }"));
    assert_eq!(m.call_start(bad), 0.0);
    assert_eq!(
        get(&m.call_result(bad).err().unwrap(), "code")
            .as_string()
            .unwrap(),
        "CONFIG"
    );
}
