//! wasm-bindgen tests of the guard exports in Node: the `CircuitBreaker` class and a
//! `TimeoutManager`'s operations stepped as the JS driver steps them.
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy only recognises #[test] ones.
#![allow(clippy::unwrap_used)]

use cognigy_guard::circuit_breaker::CircuitBreaker;
use cognigy_guard::ops;
use cognigy_guard::timeout_manager::TimeoutManager;
use js_sys::{Function, Reflect};
use wasm_bindgen::JsValue;
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
        let admitted = b.try_acquire();
        assert_eq!(get(&admitted, "allowed"), JsValue::TRUE);
        b.record_failure(get(&admitted, "permit")).unwrap();
    }
    assert_eq!(b.state(), "open");
    let refused = b.try_acquire();
    assert_eq!(get(&refused, "allowed"), JsValue::FALSE);
    assert!(get(&refused, "permit").is_undefined());
    let bad = b.release(JsValue::from_str("1")).unwrap_err();
    assert_eq!(get(&bad, "code").as_string().unwrap(), "CONFIG");
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
    let started = || CircuitBreaker::admitted_view().get_index(0);
    assert_eq!(b.admit(), 0.0, "the first permit");
    assert_eq!(started(), 1000.0);
    js_sys::eval("globalThis.__t = 1020").unwrap();
    b.settle(started(), true, 0.0);
    assert_eq!(get(&b.stats().unwrap(), "successes").as_f64(), Some(1.0));
    assert_eq!(b.state(), "closed");
    assert_eq!(b.admit(), 1.0);
    let at = started();
    assert_eq!(at, 1020.0);
    js_sys::eval("globalThis.__t = 1100").unwrap();
    b.settle(at, true, 1.0);
    assert_eq!(b.state(), "open", "an 80 ms success is slow: it trips");
    assert_eq!(b.admit(), -1.0);
    assert!(b.refused_for_ms() >= 1.0);
}

#[wasm_bindgen_test]
fn a_shared_breaker_decides_on_the_record_and_rejects_a_bad_store_or_name() {
    let store = options("{ keyPrefix: 'p:', toJSON() { return { store: 'redis' }; } }");
    let opts = |extra: &str| {
        let o = options(&format!(
            "{{ failureThreshold: 1, now: () => 5000 {extra} }}"
        ));
        Reflect::set(&o, &"store".into(), &store).unwrap();
        o
    };
    let err = CircuitBreaker::new(opts("")).map(|_| ()).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
    let b = CircuitBreaker::new(opts(", name: 'w'")).unwrap();
    assert_eq!(get(&b.fleet(), "name").as_string().unwrap(), "w");
    assert_eq!(get(&b.fleet(), "leaseMs").as_f64(), Some(1000.0));
    // No record yet: a closed admission changes nothing; its failure opens the record.
    let admitted = b.fleet_apply(None, false, 0, 0.0, -1.0, -1.0).unwrap();
    assert_eq!(get(&admitted, "changed"), JsValue::FALSE);
    assert_eq!(get(&admitted, "allowed"), JsValue::TRUE);
    let period = get(&admitted, "period").as_f64().unwrap();
    let failed = b.fleet_apply(None, false, 2, 5000.0, period, -1.0).unwrap();
    assert_eq!(get(&failed, "changed"), JsValue::TRUE);
    let record = get(&failed, "record").as_string().unwrap();
    assert!(record.contains("\"state\":\"open\""), "{record}");
    assert!(
        !b.fleet_adopt(Some(record.clone())).unwrap(),
        "an open record is not quiet"
    );
    assert_eq!(b.state(), "open");
    let refused = b
        .fleet_apply(Some(record), false, 0, 0.0, -1.0, -1.0)
        .unwrap();
    assert_eq!(get(&refused, "allowed"), JsValue::FALSE);
    let err = b
        .fleet_apply(Some("{".to_owned()), false, 0, 0.0, -1.0, -1.0)
        .unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "BAD_RESPONSE");
}

/// Feeds operation `h` one event; answers the step code.
fn advance(h: u32, kind: u32, text: Option<&str>) -> f64 {
    ops::op_advance(h, kind, 0, None, None, text.map(str::to_owned))
}

/// A send code's `(timeout ms, shape, fresh)`.
fn send_parts(code: f64) -> (f64, f64, bool) {
    let tag = (code / ops::SEND_SPAN).floor();
    (code % ops::SEND_SPAN, (tag / 2.0).floor(), tag % 2.0 == 1.0)
}

/// A cognigy-v2 manager with an API key and endpoint `e` (1 s deadline, no retries) configured.
fn configured_manager() -> TimeoutManager {
    let m = TimeoutManager::new(options(
        "{ baseUrl: 'https://api.example.com', auth: { apiKey: 'k-123' } }",
    ))
    .unwrap();
    let config = options(
        "{ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } }",
    );
    let h = m.open_configure(config);
    assert_eq!(advance(h, 0, None), 0.0, "cognigy-v2 registers at once");
    assert!(ops::op_result(h).is_ok());
    m
}

#[wasm_bindgen_test]
fn a_repeated_exchange_keeps_its_shape_and_another_gets_a_fresh_one() {
    let m = configured_manager();
    let send = |request: &str, timeout: Option<u32>| {
        let request = match timeout {
            Some(ms) => format!("{{ url: '{request}', timeoutMs: {ms} }}"),
            None => format!("{{ url: '{request}' }}"),
        };
        let h = m.open_call("e".into(), options(&request));
        let parts = send_parts(advance(h, 0, None));
        let url = get(
            &js_sys::JSON::parse(&ops::op_exchange(h).unwrap()).unwrap(),
            "url",
        );
        ops::op_drop(h);
        (parts, url.as_string().unwrap())
    };
    let ((timeout, a, fresh), url) = send("/shape-a", None);
    assert_eq!((timeout, fresh), (1000.0, true));
    assert_eq!(url, "https://api.example.com/shape-a");
    let ((_, again, fresh), _) = send("/shape-a", None);
    assert_eq!(
        (again, fresh),
        (a, false),
        "the same exchange, the same shape"
    );
    let ((timeout, shorter, fresh), _) = send("/shape-a", Some(300));
    assert_eq!(
        (timeout, shorter, fresh),
        (300.0, a, false),
        "only the timeout differs"
    );
    let ((_, b, fresh), url) = send("/shape-b", None);
    assert!(fresh && b != a, "another request, another shape");
    assert_eq!(url, "https://api.example.com/shape-b");
}

#[wasm_bindgen_test]
fn manager_operations_step_a_call_to_the_fallback_when_fetch_fails() {
    // The core half of `call` (its driver is js/driver.mjs, tested in tests/js/).
    let m = configured_manager();

    let h = m.open_call("e".into(), options("{ url: '/x' }"));
    assert_eq!(
        send_parts(advance(h, 0, None)).0,
        1000.0,
        "send, with the policy's timeout"
    );
    let request = js_sys::JSON::parse(&ops::op_exchange(h).unwrap()).unwrap();
    assert_eq!(
        get(&request, "url").as_string().unwrap(),
        "https://api.example.com/x"
    );
    assert_eq!(
        get(&request, "within").as_string().unwrap(),
        "https://api.example.com/"
    );
    let headers = js_sys::JSON::stringify(&get(&request, "headers")).unwrap();
    assert!(
        String::from(headers).contains("k-123"),
        "the API key goes to baseUrl"
    );
    assert_eq!(advance(h, 12, Some("down")), 0.0);
    let r = ops::op_result(h).unwrap();
    assert_eq!(get(&r, "source").as_string().unwrap(), "fallback");
    let reason = get(&r, "error");
    assert_eq!(get(&reason, "code").as_string().unwrap(), "NETWORK");
    assert!(get(&reason, "message")
        .as_string()
        .unwrap()
        .ends_with("down"));
    assert!(ops::op_result(h).is_err(), "a handle settles once");

    for bad in [
        m.open_call("nope".into(), options("{ url: '/x' }")),
        m.open_call("e".into(), options("{ url: 'ftp://x' }")),
        m.open_call(JsValue::from(123), options("{ url: '/x' }")),
        m.open_call("e".into(), JsValue::from(42)),
    ] {
        assert_eq!(advance(bad, 0, None), 0.0);
        let err = ops::op_result(bad).err().unwrap();
        assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
    }
}
