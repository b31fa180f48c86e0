//! Engine and call tests with explicit times, including the seed scenario and a property test.

use super::*;
use crate::audit::AuditRecord;
use crate::breaker::config::BreakerConfig;
use crate::breaker::BreakerState;
use crate::error::{ErrorCode, GuardError};
use crate::model::TimeoutConfig;
use crate::protocol::{Input, Step};
use crate::redact::Redactor;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const T0: f64 = 1_700_000_000_000.0;
const SECRET: &str = "super-secret-api-key";

fn engine_with(breaker: Value, deadline_ms: u64) -> GuardEngine {
    GuardEngine::new(
        EngineConfig {
            breaker: BreakerConfig::from_json(&breaker).unwrap(),
            cache_ttl_ms: 300_000,
            cache_max_entries: 1000,
            deadline_ms,
            outbox_prefix: "test".into(),
            seed: 42,
        },
        Redactor::new(vec![SECRET.into()]),
    )
    .unwrap()
}

fn policy(id: &str, template: Value) -> TimeoutConfig {
    TimeoutConfig {
        endpoint_id: id.into(),
        max_wait_time_ms: 15_000,
        sla_threshold_ms: 10_000,
        fallback_template: template.as_object().cloned().unwrap_or_default(),
        retry_attempts: 2,
        backoff_ms: 500,
    }
}

/// Drives a call to the end: `respond(attempt, timeout_ms)` gives the input for each send and
/// how long the attempt took. Returns the outcome, the sends made and the time at the end.
fn drive(
    engine: &mut GuardEngine,
    id: &str,
    options: CallOptions,
    now: &mut f64,
    mut respond: impl FnMut(u32, u64) -> (Input, f64),
) -> (CallOutcome, Vec<(u32, u64)>) {
    let mut call = GuardedCall::new(engine, id, options, *now).unwrap();
    let mut sends = Vec::new();
    let mut step = call.start(engine, *now);
    for _ in 0..100 {
        step = match step {
            Step::Send { timeout_ms, .. } => {
                let attempt = call.attempts();
                sends.push((attempt, timeout_ms));
                let (input, took) = respond(attempt, timeout_ms);
                *now += took;
                call.on_reply(engine, input, *now)
            }
            Step::Sleep { ms } => {
                *now += ms as f64;
                call.on_wake(engine, *now)
            }
            Step::Done(outcome) => return (outcome, sends),
        };
    }
    panic!("call did not finish");
}

/// Options of a GET to `url` (cached under its request key).
fn get(url: &str) -> CallOptions {
    CallOptions {
        cache_key: crate::cache::request_key(None, "GET", url),
        ..CallOptions::default()
    }
}

fn ok(body: &str) -> Input {
    Input::Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

fn status(code: u16, retry_after: Option<&str>) -> Input {
    Input::Response {
        status: code,
        headers: retry_after
            .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
            .unwrap_or_default(),
        body: String::new(),
    }
}

fn timed_out() -> Input {
    Input::Failed(GuardError::Timeout {
        timeout_ms: 1,
        attempts: 1,
        endpoint_id: None,
    })
}

fn network(message: &str) -> Input {
    Input::Failed(GuardError::Network {
        message: message.to_owned(),
        attempts: 1,
        endpoint_id: None,
    })
}

#[test]
fn seed_scenario_open_fallback_probe_close() {
    let mut e = engine_with(
        json!({ "failureThreshold": 3, "resetTimeoutMs": 30000 }),
        60_000,
    );
    let mut now = T0;
    e.configure(
        policy("ext_svc_weather_01", json!({ "message": "unavailable" })),
        now,
    )
    .unwrap();

    // One call, three timed-out attempts: the breaker opens, the template is served.
    let (outcome, sends) = drive(
        &mut e,
        "ext_svc_weather_01",
        CallOptions::default(),
        &mut now,
        |_, t| (timed_out(), t as f64),
    );
    let r = outcome.unwrap();
    assert_eq!(sends.len(), 3);
    assert_eq!(
        (r.source, r.degraded, r.circuit, r.attempts),
        (Source::Fallback, true, BreakerState::Open, 3)
    );
    assert_eq!(r.data["message"], "unavailable");
    assert_eq!(
        r.data["metadata"]["degraded"], true,
        "metadata created although the template has none"
    );
    assert_eq!(r.error.as_ref().unwrap().code, "TIMEOUT");
    let opened_at = now;

    // While open: fallback without any send.
    now += 1_000.0;
    let (outcome, sends) = drive(
        &mut e,
        "ext_svc_weather_01",
        CallOptions::default(),
        &mut now,
        |_, _| unreachable!(),
    );
    assert!(sends.is_empty());
    let r = outcome.unwrap();
    assert_eq!(
        (r.source, r.attempts, r.error.unwrap().code.as_str()),
        (Source::Fallback, 0, "CIRCUIT_OPEN")
    );

    // After 30 s: one probe, which succeeds and closes the breaker.
    now = opened_at + 30_000.0;
    let (outcome, sends) = drive(
        &mut e,
        "ext_svc_weather_01",
        CallOptions::default(),
        &mut now,
        |_, _| (ok(r#"{"temp":21}"#), 120.0),
    );
    assert_eq!(sends.len(), 1);
    let r = outcome.unwrap();
    assert_eq!(
        (r.source, r.degraded, r.circuit, r.status),
        (Source::Live, false, BreakerState::Closed, Some(200))
    );

    let m = e.metrics(now);
    let ep = &m["endpoints"]["ext_svc_weather_01"];
    assert_eq!(ep["state"], "closed");
    assert_eq!(ep["calls"], 3);
    assert_eq!(ep["timeouts"], 3);
    assert_eq!(ep["rejections"], 1);
    assert_eq!(ep["fallbacks"], 2);
    assert_eq!(ep["successes"], 1);
    assert_eq!(ep["recoveryLatency"]["last"], json!(30_120.0));
    let types: Vec<String> = e.audit_log().iter().map(|r| r.event_type.clone()).collect();
    assert!(types.contains(&"circuit_state_change".to_owned()));
    assert!(types.contains(&"fallback_served".to_owned()));
    let closing = e
        .audit_log()
        .into_iter()
        .rfind(|r| r.event_type == "circuit_state_change")
        .unwrap();
    assert_eq!(closing.details["to"], "closed");
    assert_eq!(closing.details["recoveryLatencyMs"], json!(30_120.0));
    assert!(
        crate::audit::verify(
            &e.audit_log()
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect::<Vec<_>>(),
            Some(&e.audit_head())
        )
        .ok
    );
    assert_eq!(e.drain_notifications().len(), 2);
}

#[test]
fn cache_wins_over_the_template_and_is_marked() {
    let mut e = engine_with(json!({}), 20_000);
    let mut now = T0;
    e.configure(policy("q", json!({ "m": "fb", "metadata": {} })), now)
        .unwrap();
    let (o, _) = drive(&mut e, "q", get("https://q.example/"), &mut now, |_, _| {
        (ok(r#"{"seq":1}"#), 10.0)
    });
    assert_eq!(o.unwrap().data, json!({ "seq": 1 }));
    let (o, _) = drive(&mut e, "q", get("https://q.example/"), &mut now, |_, _| {
        (network("refused"), 5.0)
    });
    let r = o.unwrap();
    assert_eq!((r.source, r.data), (Source::Cache, json!({ "seq": 1 })));
    assert_eq!(e.metrics(now)["endpoints"]["q"]["cacheHits"], 1);
}

#[test]
fn retry_after_is_honoured_and_deadline_bounds_everything() {
    let mut e = engine_with(json!({ "failureThreshold": 10 }), 20_000);
    let mut now = T0;
    e.configure(policy("r", json!({})), now).unwrap();
    let mut waits = Vec::new();
    let (o, sends) = drive(
        &mut e,
        "r",
        CallOptions::default(),
        &mut now,
        |attempt, _| {
            if attempt == 1 {
                (status(429, Some("2")), 5.0)
            } else {
                (ok("{}"), 5.0)
            }
        },
    );
    waits.push(now - T0);
    assert_eq!(sends.len(), 2);
    assert_eq!(o.unwrap().attempts, 2);
    assert_eq!(waits[0], 2_010.0);

    // A Retry-After beyond the deadline gives up with RATE_LIMITED at once.
    let start = now;
    let (o, sends) = drive(&mut e, "r", CallOptions::default(), &mut now, |_, _| {
        (status(429, Some("60")), 5.0)
    });
    let r = o.unwrap();
    assert_eq!(
        (sends.len(), r.error.unwrap().code.as_str()),
        (1, "RATE_LIMITED")
    );
    assert_eq!(now - start, 5.0);

    // Hanging upstream: attempts are cut so the call ends within the deadline.
    let mut p = policy("h", json!({}));
    p.max_wait_time_ms = 15_000;
    e.configure(p, now).unwrap();
    let start = now;
    let (o, sends) = drive(&mut e, "h", CallOptions::default(), &mut now, |_, t| {
        (timed_out(), t as f64)
    });
    assert!(now - start <= 20_000.0, "took {}", now - start);
    assert!(sends.iter().map(|s| s.1).sum::<u64>() <= 20_000);
    assert_eq!(o.unwrap().source, Source::Fallback);
}

#[test]
fn a_401_is_an_auth_failure_audited_and_not_a_health_signal() {
    let mut e = engine_with(json!({ "failureThreshold": 1 }), 20_000);
    let mut now = T0;
    e.configure(policy("a", json!({})), now).unwrap();
    let (o, sends) = drive(&mut e, "a", CallOptions::default(), &mut now, |_, _| {
        (status(401, None), 1.0)
    });
    assert_eq!(sends.len(), 1);
    assert_eq!(o.unwrap().error.unwrap().code, "AUTH");
    assert!(e.audit_log().iter().any(|r| r.event_type == "auth_failure"));
    assert_eq!(e.state("a", now), BreakerState::Closed);
}

#[test]
fn unknown_endpoint_is_config_and_errors_are_redacted() {
    let mut e = engine_with(json!({}), 20_000);
    let err = GuardedCall::new(&mut e, "nope", CallOptions::default(), T0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
    let v = e.error_value(&GuardError::Network {
        message: format!("bad key {SECRET}"),
        attempts: 1,
        endpoint_id: None,
    });
    assert!(!v.to_string().contains(SECRET));
}

#[test]
fn sync_acks_only_delivered_batches_with_a_stable_key() {
    let mut e = engine_with(json!({}), 20_000);
    let mut now = T0;
    e.configure(policy("s", json!({})), now).unwrap();
    drive(&mut e, "s", CallOptions::default(), &mut now, |_, t| {
        (timed_out(), t as f64)
    })
    .0
    .unwrap();
    let pending = e.outbox_pending();
    assert!(pending > 0);
    let b1 = e.begin_sync().unwrap();
    assert_eq!(e.end_sync(&b1.idempotency_key, false, Some(500), now), 0);
    assert_eq!(e.outbox_pending(), pending);
    let b2 = e.begin_sync().unwrap();
    assert_eq!(b1, b2);
    assert_eq!(
        e.end_sync(&b2.idempotency_key, true, Some(200), now),
        pending
    );
    assert_eq!(e.outbox_pending(), 0);
    for ev in &b2.events {
        assert!(ev["type"].is_string() && ev["endpointId"] == "s" && ev["timestamp"].is_string());
    }
}

#[test]
fn snapshot_restores_an_open_breaker_cache_outbox_and_audit_chain() {
    let mut e = engine_with(json!({ "resetTimeoutMs": 30000 }), 60_000);
    let mut now = T0;
    let mut p = policy("x", json!({ "m": SECRET }));
    p.retry_attempts = 0;
    e.configure(p, now).unwrap();
    drive(&mut e, "x", get("https://x.example/"), &mut now, |_, _| {
        (ok("{\"v\":1}"), 1.0)
    })
    .0
    .unwrap();
    for _ in 0..3 {
        drive(&mut e, "x", get("https://x.example/"), &mut now, |_, _| {
            (status(503, None), 1.0)
        })
        .0
        .unwrap();
    }
    assert_eq!(e.state("x", now), BreakerState::Open);
    let snap = e.snapshot();
    assert!(!snap.to_string().contains(SECRET));
    let text = snap.to_string();
    let mut restored = engine_with(json!({ "resetTimeoutMs": 30000 }), 60_000);
    restored
        .restore(&serde_json::from_str(&text).unwrap(), now + 10.0)
        .unwrap();
    assert_eq!(restored.state("x", now + 10.0), BreakerState::Open);
    assert_eq!(restored.outbox_pending(), e.outbox_pending());
    let mut t = now + 10.0;
    let (o, sends) = drive(
        &mut restored,
        "x",
        get("https://x.example/"),
        &mut t,
        |_, _| unreachable!(),
    );
    assert!(sends.is_empty());
    assert_eq!(o.unwrap().source, Source::Cache);
    let rec = restored.audit("check", &json!({}), t);
    assert_eq!(
        rec.seq,
        e.audit_log().last().unwrap().seq + 2,
        "chain continues (plus the fallback record)"
    );
    assert!(restored.restore(&json!({ "v": 9 }), t).is_err());
}

#[test]
fn prometheus_exposition_has_help_type_and_labels() {
    let mut e = engine_with(json!({}), 20_000);
    let mut now = T0;
    e.configure(policy("w.1", json!({})), now).unwrap();
    drive(&mut e, "w.1", CallOptions::default(), &mut now, |_, _| {
        (ok("{}"), 12.0)
    })
    .0
    .unwrap();
    let text = e.prometheus(now);
    assert!(text.contains("# HELP cognigy_guard_calls_total "));
    assert!(text.contains("# TYPE cognigy_guard_calls_total counter"));
    assert!(text.contains("cognigy_guard_calls_total{endpoint=\"w.1\"} 1"));
    assert!(text.contains("cognigy_guard_latency_ms{endpoint=\"w.1\",quantile=\"0.5\"} 12"));
    assert!(text.contains("cognigy_guard_circuit_state{endpoint=\"w.1\"} 0"));
}

#[test]
fn sla_breach_is_counted() {
    let mut e = engine_with(json!({}), 20_000);
    let mut now = T0;
    e.configure(policy("s", json!({})), now).unwrap();
    let (o, _) = drive(&mut e, "s", CallOptions::default(), &mut now, |_, _| {
        (ok("{}"), 12_000.0)
    });
    assert!(o.unwrap().sla_breached);
    assert_eq!(e.metrics(now)["endpoints"]["s"]["slaBreaches"], 1);
}

/// `None` wakes the call (after a sleep or at the start); `Some` answers an attempt.
fn arb_input() -> impl Strategy<Value = Option<Input>> {
    prop_oneof![
        Just(None),
        Just(Some(timed_out())),
        ".{0,8}".prop_map(|m| Some(network(&m))),
        (
            0u16..1000,
            proptest::option::of("[0-9a-zA-Z ,:]{0,12}"),
            ".{0,16}"
        )
            .prop_map(|(status, retry_after, body)| Some(Input::Response {
                status,
                headers: retry_after
                    .map(|v| vec![("retry-after".to_owned(), v)])
                    .unwrap_or_default(),
                body
            })),
        Just(Some(Input::Failed(GuardError::Config("x".into())))),
        Just(Some(Input::Failed(GuardError::TooLarge { limit_bytes: 8 }))),
        Just(Some(Input::Failed(GuardError::Cancelled))),
    ]
}

proptest! {
    #[test]
    fn random_event_sequences_never_panic(
        inputs in proptest::collection::vec((arb_input(), -1e6f64..1e7), 0..40),
        template in proptest::option::of(Just(Map::new())),
    ) {
        let mut e = engine_with(json!({ "failureThreshold": 2, "resetTimeoutMs": 1000 }), 5_000);
        e.configure(policy("p", json!({})), T0).unwrap();
        let mut now = T0;
        let opts = CallOptions { fallback_template: template, timeout_ms: None, cache_key: Some("k".into()) };
        let mut call = GuardedCall::new(&mut e, "p", opts.clone(), now).unwrap();
        for (input, dt) in inputs {
            now += dt;
            let step = match input {
                None => call.on_wake(&mut e, now),
                Some(input) => call.on_reply(&mut e, input, now),
            };
            if let Step::Done(_) = step {
                call = GuardedCall::new(&mut e, "p", opts.clone(), now).unwrap();
            }
        }
        let _ = e.metrics(now);
        let _ = e.prometheus(now);
        let snap = e.snapshot();
        let mut r = engine_with(json!({}), 5_000);
        prop_assert!(r.restore(&snap, now).is_ok());
    }
}

#[test]
fn a_call_result_serializes_like_its_sorted_json_value() {
    let result = CallResult {
        attempts: 2,
        circuit: BreakerState::HalfOpen,
        data: json!({ "z": 1, "a": { "y": [1, 2], "b": null } }),
        degraded: true,
        error: Some(DegradedReason {
            code: "HTTP".to_owned(),
            message: "m".to_owned(),
            status: Some(503),
        }),
        latency_ms: 12.5,
        sla_breached: false,
        source: Source::Cache,
        status: None,
        body: None,
    };
    let direct = serde_json::to_string(&result).ok();
    let via_value = serde_json::to_value(&result)
        .ok()
        .and_then(|v| serde_json::to_string(&v).ok());
    assert!(direct.is_some());
    assert_eq!(direct, via_value);
    assert_eq!(result.to_json().ok(), direct);
}

#[test]
fn a_live_result_writes_its_body_as_data() {
    let body = "{ \"z\": 1, \"a\": [true] }";
    let result = CallResult {
        attempts: 1,
        circuit: BreakerState::Closed,
        data: serde_json::from_str(body).unwrap(),
        degraded: false,
        error: None,
        latency_ms: 0.25,
        sla_breached: false,
        source: Source::Live,
        status: Some(200),
        body: Some(body.to_owned()),
    };
    let text = result.to_json().unwrap();
    assert_eq!(
        text,
        r#"{"attempts":1,"circuit":"closed","data":{ "z": 1, "a": [true] },"degraded":false,"latencyMs":0.25,"slaBreached":false,"source":"live","status":200}"#
    );
    // Every field as serde writes it, whatever its value.
    for circuit in [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ] {
        for source in [Source::Live, Source::Cache, Source::Fallback] {
            let other = CallResult {
                circuit,
                source,
                status: None,
                latency_ms: 3.0,
                sla_breached: true,
                error: Some(DegradedReason {
                    code: "HTTP".to_owned(),
                    message: "m \"q\"".to_owned(),
                    status: None,
                }),
                ..result.clone()
            };
            let read: serde_json::Value = serde_json::from_str(&other.to_json().unwrap()).unwrap();
            assert_eq!(read, serde_json::to_value(&other).unwrap());
        }
    }
}

/// Starts a call and returns it with its first step.
fn start(e: &mut GuardEngine, id: &str, now: f64) -> (GuardedCall, Step<CallResult>) {
    let mut call = GuardedCall::new(e, id, CallOptions::default(), now).unwrap();
    let step = call.start(e, now);
    (call, step)
}

#[test]
fn a_permit_granted_while_closed_never_settles_the_probe() {
    let mut e = engine_with(
        json!({ "failureThreshold": 1, "resetTimeoutMs": 1000, "halfOpenMaxCalls": 1 }),
        60_000,
    );
    let mut p = policy("s", json!({ "m": "fallback" }));
    p.retry_attempts = 0;
    e.configure(p, T0).unwrap();
    let (mut slow, step) = start(&mut e, "s", T0);
    assert!(matches!(step, Step::Send { .. }));
    let (mut failing, _) = start(&mut e, "s", T0);
    failing.on_reply(&mut e, timed_out(), T0 + 10.0);
    assert_eq!(e.state("s", T0 + 10.0), BreakerState::Open);
    let (mut probe, step) = start(&mut e, "s", T0 + 1_010.0);
    assert!(matches!(step, Step::Send { .. }), "the probe was admitted");

    // The call admitted while closed answers now: it is no probe and frees no probe slot.
    slow.on_reply(&mut e, ok("{}"), T0 + 1_020.0);
    assert_eq!(e.state("s", T0 + 1_020.0), BreakerState::HalfOpen);
    let (_, step) = start(&mut e, "s", T0 + 1_030.0);
    assert!(matches!(step, Step::Done(_)), "a second probe was admitted");
    probe.on_reply(&mut e, ok("{}"), T0 + 1_040.0);
    assert_eq!(e.state("s", T0 + 1_040.0), BreakerState::Closed);
}

#[test]
fn the_cache_serves_only_earlier_answers_to_the_same_request() {
    let mut e = engine_with(json!({ "failureThreshold": 100 }), 20_000);
    let mut now = T0;
    let mut p = policy("w", json!({ "m": "fallback" }));
    p.retry_attempts = 0;
    e.configure(p, now).unwrap();
    let berlin = "https://weather.example/now?city=Berlin";
    let paris = "https://weather.example/now?city=Paris";
    let (o, _) = drive(&mut e, "w", get(berlin), &mut now, |_, _| {
        (ok(r#"{"city":"Berlin"}"#), 1.0)
    });
    assert_eq!(o.unwrap().source, Source::Live);
    let down = |_, _| (network("down"), 1.0);
    let r = drive(&mut e, "w", get(paris), &mut now, down).0.unwrap();
    assert_eq!(
        (r.source, &r.data["m"]),
        (Source::Fallback, &json!("fallback"))
    );
    let r = drive(&mut e, "w", get(berlin), &mut now, down).0.unwrap();
    assert_eq!(
        (r.source, r.data),
        (Source::Cache, json!({ "city": "Berlin" }))
    );

    // A POST without a cacheKey is never cached; with one, only under that key.
    let post = |key: Option<&str>| CallOptions {
        cache_key: crate::cache::request_key(key, "POST", "https://bank.example/card"),
        ..CallOptions::default()
    };
    let _ = drive(&mut e, "w", post(None), &mut now, |_, _| {
        (ok(r#"{"card":"alice"}"#), 1.0)
    });
    let r = drive(&mut e, "w", post(None), &mut now, down).0.unwrap();
    assert_eq!(r.source, Source::Fallback);
    let _ = drive(&mut e, "w", post(Some("alice")), &mut now, |_, _| {
        (ok(r#"{"card":"alice"}"#), 1.0)
    });
    let r = drive(&mut e, "w", post(Some("bob")), &mut now, down)
        .0
        .unwrap();
    assert_eq!(r.source, Source::Fallback);
    let r = drive(&mut e, "w", post(Some("alice")), &mut now, down)
        .0
        .unwrap();
    assert_eq!(
        (r.source, r.data),
        (Source::Cache, json!({ "card": "alice" }))
    );
}

#[test]
fn a_json_answer_that_is_not_json_is_bad_response_and_never_cached() {
    let mut e = engine_with(json!({ "failureThreshold": 100 }), 20_000);
    let mut now = T0;
    e.configure(policy("j", json!({ "m": "fallback" })), now)
        .unwrap();
    let url = "https://j.example/";
    let _ = drive(&mut e, "j", get(url), &mut now, |_, _| {
        (ok(r#"{"good":true}"#), 1.0)
    });
    let broken = |_, _| {
        let input = Input::Response {
            status: 200,
            headers: vec![(
                "content-type".into(),
                "application/problem+json; charset=utf-8".into(),
            )],
            body: "<html>oops".into(),
        };
        (input, 1.0)
    };
    let (o, sends) = drive(&mut e, "j", get(url), &mut now, broken);
    let r = o.unwrap();
    assert_eq!(sends.len(), 3, "retried like other failures");
    assert_eq!((r.source, r.degraded), (Source::Cache, true));
    assert_eq!(r.error.unwrap().code, "BAD_RESPONSE");
    assert_eq!(r.data, json!({ "good": true }), "the good answer was kept");

    // Text that is not JSON, labelled as text, is a live answer.
    let text = |_, _| {
        let input = Input::Response {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "hello".into(),
        };
        (input, 1.0)
    };
    let r = drive(&mut e, "j", get(url), &mut now, text).0.unwrap();
    assert_eq!((r.source, r.data), (Source::Live, json!("hello")));
}

#[test]
fn latency_percentiles_exclude_open_circuit_refusals() {
    let mut e = engine_with(
        json!({ "failureThreshold": 1, "resetTimeoutMs": 60000 }),
        60_000,
    );
    let mut now = T0;
    let mut p = policy("l", json!({ "m": "fallback" }));
    p.retry_attempts = 0;
    e.configure(p, now).unwrap();
    let _ = drive(&mut e, "l", get("https://l.example/"), &mut now, |_, _| {
        (timed_out(), 800.0)
    });
    for _ in 0..5 {
        let (o, sends) = drive(
            &mut e,
            "l",
            get("https://l.example/"),
            &mut now,
            |_, _| unreachable!(),
        );
        assert!(sends.is_empty());
        assert_eq!(o.unwrap().error.unwrap().code, "CIRCUIT_OPEN");
    }
    let latency = &e.metrics(now)["endpoints"]["l"]["latency"];
    assert_eq!(
        (&latency["p50"], &latency["max"]),
        (&json!(800.0), &json!(800.0))
    );
}

#[test]
fn a_secret_that_is_a_common_word_breaks_no_key_event_type_or_snapshot() {
    let mut e = engine_with(json!({ "failureThreshold": 1 }), 60_000);
    e.set_redactor(Redactor::new(vec!["time".into(), "endpoints".into()]));
    let mut now = T0;
    let mut p = policy("t", json!({ "m": "fallback" }));
    p.retry_attempts = 0;
    e.configure(p, now).unwrap();
    let url = "https://t.example/";
    let _ = drive(&mut e, "t", get(url), &mut now, |_, _| {
        (ok(r#"{"echo":"time"}"#), 1.0)
    });
    let _ = drive(&mut e, "t", get(url), &mut now, |_, _| (timed_out(), 1.0));
    assert!(e.metrics(now)["endpoints"]["t"].is_object());
    assert!(e.prometheus(now).contains("cognigy_guard_timeouts_total"));
    let types: Vec<String> = e.audit_log().into_iter().map(|r| r.event_type).collect();
    assert!(
        types.contains(&"timeout_configured".to_owned()),
        "{types:?}"
    );
    assert!(types.contains(&"timeout".to_owned()), "{types:?}");
    let batch = e.begin_sync().unwrap();
    assert!(serde_json::to_string(&batch.events)
        .unwrap()
        .contains(r#""type":"timeout""#));
    let snapshot = e.snapshot();
    assert!(
        !snapshot.to_string().contains(r#""echo":"time""#),
        "the cached copy is redacted"
    );
    let mut restored = engine_with(json!({ "failureThreshold": 1 }), 60_000);
    restored.restore(&snapshot, now).unwrap();
    assert_eq!(restored.state("t", now), BreakerState::Open);
}

#[test]
fn a_dashboard_refusing_a_batch_forever_no_longer_blocks_the_outbox() {
    let mut e = engine_with(json!({ "failureThreshold": 100 }), 60_000);
    let mut now = T0;
    let mut p = policy("o", json!({}));
    p.retry_attempts = 0;
    e.configure(p, now).unwrap();
    for _ in 0..4 {
        let _ = drive(&mut e, "o", CallOptions::default(), &mut now, |_, t| {
            (timed_out(), t as f64)
        });
    }
    let stuck = e.outbox_pending();
    assert!(stuck >= 8, "{stuck}");
    // 413 for any batch holding more than one event, 400 for the very first event.
    let poison = e.begin_sync().unwrap().events[0].clone();
    let mut syncs = 0;
    while e.outbox_pending() > 0 {
        syncs += 1;
        assert!(syncs < 200, "the outbox never drained");
        let batch = e.begin_sync().unwrap();
        let status = if batch.events.len() > 1 {
            413
        } else if batch.events[0] == poison {
            400
        } else {
            200
        };
        e.end_sync(&batch.idempotency_key, status == 200, Some(status), now);
    }
    assert_eq!(e.outbox_dropped(), 1, "only the poison event is dropped");
    let drops: Vec<AuditRecord> = e
        .audit_log()
        .into_iter()
        .filter(|r| r.event_type == "metrics_sync" && r.details["dropped"] == 1)
        .collect();
    assert_eq!(drops.len(), 1);
    // Later events flow again.
    let _ = drive(&mut e, "o", CallOptions::default(), &mut now, |_, t| {
        (timed_out(), t as f64)
    });
    let batch = e.begin_sync().unwrap();
    let delivered = e.end_sync(&batch.idempotency_key, true, Some(200), now);
    assert_eq!((delivered, e.outbox_pending()), (batch.events.len(), 0));
}

#[test]
fn every_transition_is_audited_once_also_past_the_history_capacity() {
    let mut e = engine_with(
        json!({ "failureThreshold": 1, "resetTimeoutMs": 10 }),
        5_000,
    );
    let mut now = 1_000_000.0;
    e.configure(
        TimeoutConfig {
            retry_attempts: 0,
            ..policy("e", json!({ "m": 1 }))
        },
        now,
    )
    .unwrap();
    let cycles = crate::breaker::history::HISTORY_CAPACITY + 20;
    let mut audited = 0;
    for _ in 0..cycles {
        // closed -> open; then open -> half_open -> closed with a probe that succeeds.
        let (failed, _) = drive(&mut e, "e", CallOptions::default(), &mut now, |_, _| {
            (network("down"), 1.0)
        });
        assert_eq!(failed.unwrap().source, Source::Fallback);
        now += 20.0;
        let (probe, _) = drive(&mut e, "e", CallOptions::default(), &mut now, |_, _| {
            (ok("{}"), 1.0)
        });
        assert_eq!(probe.unwrap().source, Source::Live);
        now += 20.0;
        audited += e
            .take_fresh_audit()
            .iter()
            .filter(|r| r.event_type == "circuit_state_change")
            .count();
    }
    assert_eq!(audited, cycles * 3);
    assert_eq!(
        e.endpoint("e").unwrap().breaker.history().len(),
        crate::breaker::history::HISTORY_CAPACITY
    );
}
