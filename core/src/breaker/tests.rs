//! Tests of the breaker state machine: every rule and transition, the seed scenario, a
//! reference-model comparison, snapshot round trips and hostile input.

use super::config::BreakerConfig;
use super::history::TransitionReason as R;
use super::*;
use proptest::prelude::*;
use serde_json::json;

const T: f64 = 1_700_000_000_000.0;

fn breaker(options: serde_json::Value) -> CircuitBreaker {
    CircuitBreaker::new(BreakerConfig::from_json(&options).unwrap()).unwrap()
}

fn reasons(b: &CircuitBreaker) -> Vec<(BreakerState, BreakerState, R)> {
    b.history()
        .iter()
        .map(|e| (e.from, e.to, e.reason))
        .collect()
}

fn trip(b: &mut CircuitBreaker, at: f64) {
    for _ in 0..b.config().failure_threshold {
        assert!(b.try_acquire(at).allowed);
        b.record_failure(at);
    }
    assert_eq!(b.state(), BreakerState::Open);
}

use BreakerState::{Closed, HalfOpen, Open};

#[test]
fn seed_config_opens_after_three_failures_and_recovers_with_real_latency() {
    let mut b = breaker(json!({}));
    b.record_failure(T);
    b.record_failure(T + 100.0);
    assert_eq!(b.state_at(T + 150.0), Closed);
    b.record_failure(T + 200.0);
    assert_eq!(b.state(), Open);

    let refused = b.try_acquire(T + 1_000.0);
    assert_eq!(
        refused,
        Admission {
            allowed: false,
            state: Open,
            retry_after_ms: 29_200
        }
    );
    assert_eq!(b.state_at(T + 30_199.0), Open);

    let probe = b.try_acquire(T + 30_200.0);
    assert_eq!(
        probe,
        Admission {
            allowed: true,
            state: HalfOpen,
            retry_after_ms: 0
        }
    );
    let second = b.try_acquire(T + 30_210.0);
    assert!(!second.allowed);
    assert_eq!(second.state, HalfOpen);
    assert_eq!(second.retry_after_ms, 29_990);

    b.record_success(T + 30_650.0, 450.0);
    assert_eq!(b.state(), Closed);

    let history = b.history();
    assert_eq!(
        reasons(&b),
        vec![
            (Closed, Open, R::FailureThreshold),
            (Open, HalfOpen, R::ResetTimeoutElapsed),
            (HalfOpen, Closed, R::SuccessThreshold),
        ]
    );
    let opened = &history[0];
    assert_eq!(opened.at_ms, T + 200.0);
    assert_eq!(opened.at, "2023-11-14T22:13:20.200Z");
    assert_eq!(opened.failure_count, 3);
    assert_eq!(opened.recovery_latency_ms, None);
    assert_eq!(history[1].at_ms, T + 30_200.0);
    // 30 s open + 450 ms probe, measured from the opening (the seed measured ~0).
    assert_eq!(history[2].recovery_latency_ms, Some(30_450.0));

    let stats = b.stats();
    assert_eq!(stats.state, Closed);
    assert_eq!(stats.calls, 4);
    assert_eq!(stats.failures, 3);
    assert_eq!(stats.successes, 1);
    assert_eq!(stats.rejections, 2);
    assert_eq!(stats.opens, 1);
    assert_eq!(stats.recoveries, 1);
    assert_eq!(stats.last_recovery_latency_ms, Some(30_450.0));
    let json = serde_json::to_value(&history[2]).unwrap();
    assert_eq!(json["recoveryLatencyMs"], 30_450.0);
    assert_eq!(json["reason"], "success_threshold");
}

#[test]
fn recovery_latency_spans_reopenings_from_the_first_open() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    assert!(b.try_acquire(T + 30_000.0).allowed);
    b.record_failure(T + 30_100.0);
    assert_eq!(b.state(), Open);
    assert_eq!(b.state_at(T + 60_099.0), Open);
    assert!(b.try_acquire(T + 60_100.0).allowed);
    b.record_success(T + 60_200.0, 100.0);
    assert_eq!(
        reasons(&b),
        vec![
            (Closed, Open, R::FailureThreshold),
            (Open, HalfOpen, R::ResetTimeoutElapsed),
            (HalfOpen, Open, R::ProbeFailed),
            (Open, HalfOpen, R::ResetTimeoutElapsed),
            (HalfOpen, Closed, R::SuccessThreshold),
        ]
    );
    assert_eq!(b.history()[4].recovery_latency_ms, Some(60_200.0));
    assert_eq!(b.history()[2].failure_count, 4);
    // A second outage is measured from its own first opening.
    trip(&mut b, T + 100_000.0);
    assert!(b.try_acquire(T + 130_000.0).allowed);
    b.record_success(T + 130_010.0, 10.0);
    let stats = b.stats();
    assert_eq!(stats.recoveries, 2);
    assert_eq!(stats.last_recovery_latency_ms, Some(30_010.0));
    assert_eq!(stats.max_recovery_latency_ms, Some(60_200.0));
    assert_eq!(stats.mean_recovery_latency_ms, Some(45_105.0));
}

#[test]
fn a_success_resets_the_consecutive_count() {
    let mut b = breaker(json!({}));
    b.record_failure(T);
    b.record_failure(T);
    b.record_success(T, 10.0);
    b.record_failure(T);
    b.record_failure(T);
    assert_eq!(b.state(), Closed);
    assert_eq!(b.stats().consecutive_failures, 2);
    b.record_failure(T);
    assert_eq!(b.state(), Open);
}

#[test]
fn failure_rate_rule_trips_once_minimum_calls_are_in_the_window() {
    let options = json!({ "failureThreshold": 100, "failureRateThreshold": 0.5,
                          "slidingWindowSize": 4, "minimumCalls": 4 });
    let mut b = breaker(options.clone());
    b.record_failure(T);
    b.record_success(T, 1.0);
    b.record_failure(T);
    assert_eq!(b.state(), Closed, "only 3 calls in the window");
    b.record_success(T, 1.0);
    assert_eq!(b.state(), Open, "2 of 4 failed");
    assert_eq!(reasons(&b), vec![(Closed, Open, R::FailureRate)]);

    let mut calm = breaker(options);
    for _ in 0..10 {
        calm.record_success(T, 1.0);
    }
    calm.record_failure(T);
    assert_eq!(calm.state(), Closed, "1 of 4 failed");
    // The window slides: the old failure falls out before the next one arrives.
    calm.record_success(T, 1.0);
    calm.record_success(T, 1.0);
    calm.record_success(T, 1.0);
    calm.record_failure(T);
    assert_eq!(calm.state(), Closed, "window is S S S F");
}

#[test]
fn slow_successes_count_as_failures() {
    let mut b = breaker(json!({ "failureThreshold": 2, "slowCallMs": 1000 }));
    b.record_success(T, 1000.0);
    assert_eq!(
        b.stats().consecutive_failures,
        0,
        "exactly the limit is not slow"
    );
    b.record_success(T, 1500.0);
    b.record_success(T, f64::NAN);
    assert_eq!(b.stats().consecutive_failures, 0, "NaN latency is not slow");
    b.record_success(T, 1500.0);
    b.record_success(T, 2000.0);
    assert_eq!(b.state(), Open);
    assert_eq!(reasons(&b), vec![(Closed, Open, R::SlowCalls)]);
    let stats = b.stats();
    assert_eq!(
        (stats.successes, stats.failures, stats.slow_calls),
        (5, 0, 3)
    );
    // A slow probe reopens.
    assert!(b.try_acquire(T + 30_000.0).allowed);
    b.record_success(T + 31_500.0, 1500.0);
    assert_eq!(b.state(), Open);
    assert_eq!(b.history()[2].reason, R::SlowCalls);
}

#[test]
fn half_open_admits_at_most_max_calls_and_closes_after_success_threshold() {
    let mut b = breaker(json!({ "halfOpenMaxCalls": 2, "successThreshold": 2,
                                "halfOpenTimeoutMs": 5000 }));
    trip(&mut b, T);
    let t = T + 30_000.0;
    assert!(b.try_acquire(t).allowed);
    assert!(b.try_acquire(t + 10.0).allowed);
    let third = b.try_acquire(t + 20.0);
    assert!(!third.allowed);
    assert_eq!(
        third.retry_after_ms, 4_980,
        "until the oldest probe expires"
    );
    b.record_success(t + 100.0, 100.0);
    assert_eq!(b.state(), HalfOpen);
    assert!(
        b.try_acquire(t + 110.0).allowed,
        "a settled probe frees a slot"
    );
    b.record_success(t + 200.0, 100.0);
    assert_eq!(b.state(), Closed);
}

#[test]
fn sequential_probes_reach_the_success_threshold() {
    let mut b = breaker(json!({ "successThreshold": 3 }));
    trip(&mut b, T);
    let mut t = T + 30_000.0;
    for _ in 0..2 {
        assert!(b.try_acquire(t).allowed);
        assert!(!b.try_acquire(t).allowed);
        b.record_success(t + 5.0, 5.0);
        assert_eq!(b.state(), HalfOpen);
        t += 10.0;
    }
    assert!(b.try_acquire(t).allowed);
    b.record_success(t + 5.0, 5.0);
    assert_eq!(b.state(), Closed);
}

#[test]
fn released_permits_free_probe_slots() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    assert!(b.try_acquire(T + 30_000.0).allowed);
    assert!(!b.try_acquire(T + 30_001.0).allowed);
    b.release(T + 30_002.0);
    assert_eq!(b.state(), HalfOpen);
    assert!(b.try_acquire(T + 30_003.0).allowed);
    // Releasing while closed or open changes nothing.
    let mut closed = breaker(json!({}));
    closed.release(T);
    assert_eq!(closed.state(), Closed);
}

#[test]
fn unreported_probes_expire_and_reopen_lazily() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    assert!(b.try_acquire(T + 30_000.0).allowed);
    assert_eq!(b.state_at(T + 59_999.0), HalfOpen);
    // Nothing observed between T+60 000 (expiry) and T+100 000: both transitions are applied
    // at the instants they were due.
    assert_eq!(b.state_at(T + 100_000.0), HalfOpen);
    assert_eq!(
        reasons(&b),
        vec![
            (Closed, Open, R::FailureThreshold),
            (Open, HalfOpen, R::ResetTimeoutElapsed),
            (HalfOpen, Open, R::ProbeExpired),
            (Open, HalfOpen, R::ResetTimeoutElapsed),
        ]
    );
    let history = b.history();
    assert_eq!(history[2].at_ms, T + 60_000.0);
    assert_eq!(history[3].at_ms, T + 90_000.0);
    assert_eq!(b.stats().expired_probes, 1);
    // The late answer of the expired probe does not count as a probe of the new period.
    let mut late = breaker(json!({}));
    trip(&mut late, T);
    assert!(late.try_acquire(T + 30_000.0).allowed);
    late.record_success(T + 60_000.0, 30_000.0);
    assert_eq!(late.state(), Open);
}

#[test]
fn outcomes_reported_while_open_do_not_change_the_state() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    b.record_failure(T + 10_000.0);
    b.record_success(T + 10_000.0, 1.0);
    assert_eq!(b.state(), Open);
    assert_eq!(b.try_acquire(T + 10_000.0).retry_after_ms, 20_000);
    assert_eq!(b.state_at(T + 30_000.0), HalfOpen);
}

#[test]
fn open_time_grows_with_the_multiplier_and_resets_on_close() {
    let mut b = breaker(json!({ "resetTimeoutMs": 1000, "openBackoffMultiplier": 2,
                                "maxResetTimeoutMs": 3000 }));
    trip(&mut b, T);
    let mut t = T;
    for expected in [2000, 3000, 3000] {
        let previous_open = b.try_acquire(t).retry_after_ms;
        t += previous_open as f64;
        assert!(b.try_acquire(t).allowed);
        b.record_failure(t);
        assert_eq!(b.try_acquire(t).retry_after_ms, expected);
    }
    t += 3000.0;
    assert!(b.try_acquire(t).allowed);
    b.record_success(t, 1.0);
    trip(&mut b, t);
    assert_eq!(b.try_acquire(t).retry_after_ms, 1000);
}

#[test]
fn retry_after_lengthens_the_open_time_within_the_cap() {
    let mut b = breaker(json!({ "failureThreshold": 1 }));
    b.record_failure_with_retry_after(T, Some(60_000));
    assert_eq!(b.try_acquire(T).retry_after_ms, 60_000);
    assert_eq!(b.state_at(T + 59_999.0), Open);
    assert_eq!(b.state_at(T + 60_000.0), HalfOpen);

    let mut shorter = breaker(json!({ "failureThreshold": 1 }));
    shorter.record_failure_with_retry_after(T, Some(5_000));
    assert_eq!(shorter.try_acquire(T).retry_after_ms, 30_000);

    let mut capped = breaker(json!({ "failureThreshold": 1, "maxResetTimeoutMs": 45_000 }));
    capped.record_failure_with_retry_after(T, Some(u64::MAX));
    assert_eq!(capped.try_acquire(T).retry_after_ms, 45_000);

    // A failing probe's Retry-After applies to the reopening.
    assert!(capped.try_acquire(T + 45_000.0).allowed);
    capped.record_failure_with_retry_after(T + 45_000.0, Some(40_000));
    assert_eq!(capped.try_acquire(T + 45_000.0).retry_after_ms, 40_000);
}

#[test]
fn time_is_needed_unless_closed_without_a_slow_call_or_failure_rate_rule() {
    let mut b = CircuitBreaker::new(BreakerConfig {
        failure_threshold: 1,
        ..BreakerConfig::default()
    })
    .unwrap();
    assert!(!b.needs_time());
    b.record_failure(T);
    assert!(b.needs_time(), "open: timers decide");
    b.reset(T);
    assert!(!b.needs_time());
    let slow = CircuitBreaker::new(BreakerConfig {
        slow_call_ms: Some(100),
        ..BreakerConfig::default()
    })
    .unwrap();
    assert!(slow.needs_time(), "latency decides");
    let rate = CircuitBreaker::new(BreakerConfig {
        failure_rate_threshold: Some(0.5),
        ..BreakerConfig::default()
    })
    .unwrap();
    assert!(
        rate.needs_time(),
        "a success can reveal a high failure rate"
    );
}

#[test]
fn force_open_and_reset() {
    let mut b = breaker(json!({}));
    b.force_open(T);
    assert_eq!(b.state(), Open);
    assert_eq!(b.try_acquire(T + 1.0).retry_after_ms, 29_999);
    b.force_open(T + 10_000.0);
    assert_eq!(
        b.try_acquire(T + 10_000.0).retry_after_ms,
        30_000,
        "restarted"
    );
    b.reset(T + 12_000.0);
    assert_eq!(b.state(), Closed);
    assert_eq!(
        reasons(&b),
        vec![(Closed, Open, R::ForcedOpen), (Open, Closed, R::Reset)]
    );
    assert_eq!(b.history()[1].recovery_latency_ms, Some(12_000.0));
    // Reset while closed forgets failures without a history entry.
    b.record_failure(T + 13_000.0);
    b.record_failure(T + 13_000.0);
    b.reset(T + 13_000.0);
    b.record_failure(T + 13_000.0);
    b.record_failure(T + 13_000.0);
    assert_eq!(b.state(), Closed);
    assert_eq!(b.history().len(), 2);
    // Forcing open from half-open does not grow the open time.
    let mut h = breaker(json!({ "openBackoffMultiplier": 2 }));
    trip(&mut h, T);
    assert_eq!(h.state_at(T + 30_000.0), HalfOpen);
    h.force_open(T + 30_000.0);
    assert_eq!(h.try_acquire(T + 30_000.0).retry_after_ms, 30_000);
}

#[test]
fn time_going_backwards_counts_as_no_time() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    let back = T - 3_600_000.0;
    assert_eq!(b.try_acquire(back).retry_after_ms, 30_000);
    assert_eq!(b.state_at(back + 29_999.0), Open);
    assert_eq!(
        b.state_at(back + 30_000.0),
        HalfOpen,
        "measured from the new wall time"
    );
    assert_eq!(b.history()[1].at_ms, back + 30_000.0);
    assert!(b.try_acquire(back + 30_000.0).allowed);
    b.record_success(back + 30_100.0, 100.0);
    assert_eq!(b.history()[2].recovery_latency_ms, Some(30_100.0));
}

#[test]
fn non_finite_now_is_ignored() {
    let mut b = breaker(json!({}));
    b.record_failure(f64::NAN);
    b.record_failure(f64::INFINITY);
    b.record_failure(f64::NEG_INFINITY);
    assert_eq!(b.state(), Open);
    assert_eq!(b.state_at(f64::NAN), Open);
    let a = b.try_acquire(f64::NAN);
    assert!(!a.allowed);
    assert!(a.retry_after_ms <= 30_000);
}

#[test]
fn admission_and_state_serialize_for_js() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    let json = serde_json::to_value(b.try_acquire(T + 1.0)).unwrap();
    assert_eq!(
        json,
        json!({ "allowed": false, "state": "open", "retryAfterMs": 29_999 })
    );
    assert_eq!(serde_json::to_value(HalfOpen).unwrap(), json!("half_open"));
}

#[test]
fn new_rejects_an_invalid_typed_config() {
    let bad = BreakerConfig {
        success_threshold: 0,
        ..BreakerConfig::default()
    };
    assert_eq!(
        CircuitBreaker::new(bad).unwrap_err(),
        GuardError::Config("successThreshold must be at least 1".into())
    );
}

// ---------------------------------------------------------------------------------------
// Snapshots

fn round_trip(b: &CircuitBreaker, config: BreakerConfig) -> CircuitBreaker {
    let text = serde_json::to_string(&b.snapshot()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    CircuitBreaker::from_snapshot(&value, config).unwrap()
}

#[test]
fn snapshot_shape_is_small_and_versioned() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    let json = serde_json::to_value(b.snapshot()).unwrap();
    assert_eq!(json["v"], 1);
    assert_eq!(json["state"], "open");
    assert_eq!(json["openedAtMs"], T);
    assert_eq!(json["openUntilMs"], T + 30_000.0);
    assert_eq!(json["outageStartedAtMs"], T);
    assert_eq!(json["consecutiveFailures"], 3);
    assert_eq!(json["counters"]["opens"], 1);
    assert!(json.get("probesAcquiredAtMs").is_none());
}

#[test]
fn restored_open_breaker_recovers_with_the_original_latency() {
    let mut b = breaker(json!({}));
    trip(&mut b, T);
    let mut restored = round_trip(&b, BreakerConfig::default());
    assert_eq!(restored.try_acquire(T + 10_000.0).retry_after_ms, 20_000);
    assert!(restored.try_acquire(T + 30_000.0).allowed);
    restored.record_success(T + 30_300.0, 300.0);
    assert_eq!(restored.state(), Closed);
    let history = restored.history();
    assert_eq!(history.last().unwrap().recovery_latency_ms, Some(30_300.0));
}

#[test]
fn from_snapshot_rejects_malformed_input() {
    let config = BreakerConfig::default;
    let err = |v: serde_json::Value| match CircuitBreaker::from_snapshot(&v, config()) {
        Err(GuardError::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    };
    assert!(err(json!("x")).contains("must be an object"));
    assert!(err(json!({ "state": "open" })).contains("version"));
    assert!(err(json!({ "v": 2, "state": "open" })).contains("version"));
    assert!(err(json!({ "v": "1", "state": "open" })).contains("version"));
    assert!(err(json!({ "v": 1, "state": "ajar" })).starts_with("malformed"));
    assert!(err(json!({ "v": 1 })).starts_with("malformed"));
    assert!(
        err(json!({ "v": 1, "state": "open", "consecutiveFailures": -1 })).starts_with("malformed")
    );
    assert!(
        err(json!({ "v": 1, "state": "open", "probesAcquiredAtMs": "x" })).starts_with("malformed")
    );
    let rate = BreakerConfig::from_json(&json!({ "failureRateThreshold": 0.5 })).unwrap();
    assert!(matches!(
        CircuitBreaker::from_snapshot(&json!({ "v": 1, "state": "closed", "window": "01z" }), rate),
        Err(GuardError::Config(m)) if m.contains("window")
    ));
}

#[test]
fn from_snapshot_clamps_absurd_values() {
    let snapshot = json!({
        "v": 1, "state": "open", "lastNowMs": T, "openedAtMs": T + 1e9,
        "openUntilMs": 1e300, "openDurationMs": 0, "outageStartedAtMs": -1e300,
        "counters": { "recoveryLatencySumMs": -4, "lastRecoveryLatencyMs": -1 }
    });
    let config = BreakerConfig::from_json(&json!({ "maxResetTimeoutMs": 60_000 })).unwrap();
    let mut b = CircuitBreaker::from_snapshot(&snapshot, config).unwrap();
    // Opened no later than lastNowMs, for at most maxResetTimeoutMs.
    assert_eq!(b.try_acquire(T).retry_after_ms, 60_000);
    let s = b.snapshot();
    assert_eq!(s.open_duration_ms, 30_000);
    assert_eq!(s.outage_started_at_ms, Some(-clock::MAX_EPOCH_MS));
    assert_eq!(s.counters.recovery_latency_sum_ms, 0.0);
    assert_eq!(s.counters.last_recovery_latency_ms, None);

    let half_open = json!({
        "v": 1, "state": "half_open", "lastNowMs": 10.0, "halfOpenSuccesses": 99,
        "probesAcquiredAtMs": [5.0, 1.0, 4.0, 3.0, 2.0]
    });
    let config =
        BreakerConfig::from_json(&json!({ "halfOpenMaxCalls": 2, "successThreshold": 3 })).unwrap();
    let s = CircuitBreaker::from_snapshot(&half_open, config)
        .unwrap()
        .snapshot();
    assert_eq!(s.probes_acquired_at_ms, vec![4.0, 5.0]);
    assert_eq!(s.half_open_successes, 2);
}

#[test]
fn a_far_future_snapshot_does_not_freeze_the_breaker() {
    let snapshot = json!({
        "v": 1, "state": "half_open", "lastNowMs": 1e300, "probesAcquiredAtMs": [1e300]
    });
    let mut b = CircuitBreaker::from_snapshot(&snapshot, BreakerConfig::default()).unwrap();
    assert_eq!(b.snapshot().last_now_ms, Some(clock::MAX_EPOCH_MS));
    // The clock rebases on the first (earlier) `now` and counts from there.
    assert_eq!(b.state_at(T), HalfOpen);
    assert!(!b.try_acquire(T + 29_999.0).allowed);
    assert_eq!(b.state_at(T + 30_000.0), Open, "the probe expired");
}

// ---------------------------------------------------------------------------------------
// Property tests

#[derive(Debug, Clone, Copy)]
enum Event {
    Advance(u32),
    Back(u32),
    Acquire,
    Success(u32),
    Failure(Option<u32>),
    Release,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        // Coarse steps hit the timers' exact boundaries; fine ones land in between.
        2 => (0u32..10).prop_map(|n| Event::Advance(n * 500)),
        2 => (0u32..4_000).prop_map(Event::Advance),
        1 => (0u32..4_000).prop_map(Event::Back),
        4 => Just(Event::Acquire),
        3 => (0u32..3_000).prop_map(Event::Success),
        3 => proptest::option::weighted(0.2, 0u32..10_000).prop_map(Event::Failure),
        1 => Just(Event::Release),
    ]
}

/// Applies one event at wall time `*wall`; returns the admission of an acquisition.
fn apply(b: &mut CircuitBreaker, wall: &mut f64, e: Event) -> Option<Admission> {
    match e {
        Event::Advance(d) => {
            *wall += f64::from(d);
            b.state_at(*wall);
        }
        Event::Back(d) => {
            *wall -= f64::from(d);
            b.state_at(*wall);
        }
        Event::Acquire => return Some(b.try_acquire(*wall)),
        Event::Success(latency) => b.record_success(*wall, f64::from(latency)),
        Event::Failure(retry_after) => {
            b.record_failure_with_retry_after(*wall, retry_after.map(u64::from))
        }
        Event::Release => b.release(*wall),
    }
    None
}

/// A straightforward re-implementation of the consecutive-failure rules (multiplier 1, no
/// rate rule, no slow calls), on a monotonic model time.
struct Model {
    k: u32,
    reset: f64,
    max_probes: usize,
    successes_needed: u32,
    probe_timeout: f64,
    state: BreakerState,
    fails: u32,
    until: f64,
    probes: VecDeque<f64>,
    successes: u32,
    t: f64,
}

impl Model {
    fn timers(&mut self) {
        if self.state == Open && self.t >= self.until {
            self.state = HalfOpen;
            self.probes.clear();
            self.successes = 0;
        }
        if self.state == HalfOpen {
            if let Some(&p) = self.probes.front() {
                if self.t >= p + self.probe_timeout {
                    self.state = Open;
                    self.until = p + self.probe_timeout + self.reset;
                    self.probes.clear();
                    if self.t >= self.until {
                        self.state = HalfOpen;
                        self.successes = 0;
                    }
                }
            }
        }
    }

    fn open(&mut self) {
        self.state = Open;
        self.until = self.t + self.reset;
    }

    fn apply(&mut self, e: Event) -> Option<Admission> {
        if let Event::Advance(d) = e {
            self.t += f64::from(d);
        }
        self.timers();
        let refuse = |wait: f64| Admission {
            allowed: false,
            state: self.state,
            retry_after_ms: wait.ceil().max(1.0) as u64,
        };
        match (e, self.state) {
            (Event::Acquire, Closed) => {}
            (Event::Acquire, Open) => return Some(refuse(self.until - self.t)),
            (Event::Acquire, HalfOpen) => {
                if self.probes.len() >= self.max_probes {
                    let oldest = self.probes[0];
                    return Some(refuse(oldest + self.probe_timeout - self.t));
                }
                self.probes.push_back(self.t);
            }
            (Event::Success(_), Closed) => self.fails = 0,
            (Event::Success(_), HalfOpen) => {
                self.probes.pop_front();
                self.successes += 1;
                if self.successes >= self.successes_needed {
                    self.state = Closed;
                    self.fails = 0;
                }
            }
            (Event::Failure(_), Closed) => {
                self.fails += 1;
                if self.fails >= self.k {
                    self.open();
                }
            }
            (Event::Failure(_), HalfOpen) => {
                self.probes.pop_front();
                self.open();
            }
            (Event::Release, HalfOpen) => {
                self.probes.pop_front();
            }
            _ => {}
        }
        matches!(e, Event::Acquire).then_some(Admission {
            allowed: true,
            state: self.state,
            retry_after_ms: 0,
        })
    }
}

fn plain_event() -> impl Strategy<Value = Event> {
    event().prop_map(|e| match e {
        Event::Failure(_) => Event::Failure(None),
        other => other,
    })
}

proptest! {
    #[test]
    fn matches_the_reference_model(
        k in 1u32..5, reset in prop_oneof![1u64..5_000, (1u64..10).prop_map(|n| n * 500)],
        max_probes in 1u32..4, needed in 1u32..4,
        probe_timeout in proptest::option::of(prop_oneof![1u64..5_000, (1u64..10).prop_map(|n| n * 500)]),
        events in proptest::collection::vec(plain_event(), 0..120),
    ) {
        let config = BreakerConfig {
            failure_threshold: k,
            reset_timeout_ms: reset,
            half_open_max_calls: max_probes,
            success_threshold: needed,
            half_open_timeout_ms: probe_timeout,
            ..BreakerConfig::default()
        };
        let mut b = CircuitBreaker::new(config).unwrap();
        let mut model = Model {
            k,
            reset: reset as f64,
            max_probes: max_probes as usize,
            successes_needed: needed,
            probe_timeout: probe_timeout.unwrap_or(reset) as f64,
            state: Closed,
            fails: 0,
            until: 0.0,
            probes: VecDeque::new(),
            successes: 0,
            t: T,
        };
        let mut wall = T;
        b.state_at(wall);
        for (i, e) in events.into_iter().enumerate() {
            let got = apply(&mut b, &mut wall, e);
            let want = model.apply(e);
            prop_assert_eq!(got, want, "event #{} {:?}", i, e);
            prop_assert_eq!(b.state(), model.state, "event #{} {:?}", i, e);
        }
    }

    #[test]
    fn restored_snapshots_behave_like_the_original(
        options in (1u32..4, 1u64..3_000, 1u32..3, 1u32..3, any::<bool>(), any::<bool>(), 1.0f64..3.0),
        prefix in proptest::collection::vec(event(), 0..60),
        suffix in proptest::collection::vec(event(), 0..60),
    ) {
        let (k, reset, max_probes, needed, rate, slow, multiplier) = options;
        let config = BreakerConfig {
            failure_threshold: k,
            reset_timeout_ms: reset,
            half_open_max_calls: max_probes,
            success_threshold: needed,
            failure_rate_threshold: rate.then_some(0.5),
            sliding_window_size: rate.then_some(6),
            minimum_calls: rate.then_some(3),
            slow_call_ms: slow.then_some(1_500),
            open_backoff_multiplier: multiplier,
            max_reset_timeout_ms: Some(reset * 4),
            half_open_timeout_ms: Some(2_000),
        };
        let mut original = CircuitBreaker::new(config.clone()).unwrap();
        let mut wall = T;
        for e in prefix {
            apply(&mut original, &mut wall, e);
        }
        let mut restored = round_trip(&original, config);
        prop_assert_eq!(restored.snapshot(), original.snapshot());
        for (i, e) in suffix.into_iter().enumerate() {
            let mut wall_r = wall;
            let got = apply(&mut restored, &mut wall_r, e);
            let want = apply(&mut original, &mut wall, e);
            prop_assert_eq!(got, want, "event #{} {:?}", i, e);
            prop_assert_eq!(restored.snapshot(), original.snapshot(), "event #{} {:?}", i, e);
            prop_assert_eq!(restored.stats(), original.stats());
        }
    }

    #[test]
    fn hostile_times_never_panic_and_keep_invariants(
        times in proptest::collection::vec(proptest::num::f64::ANY, 1..80),
        ops in proptest::collection::vec(0u8..8, 80),
        latency in proptest::num::f64::ANY,
    ) {
        let config = BreakerConfig {
            failure_threshold: 2,
            half_open_max_calls: 2,
            failure_rate_threshold: Some(0.5),
            minimum_calls: Some(2),
            slow_call_ms: Some(100),
            open_backoff_multiplier: 3.0,
            ..BreakerConfig::default()
        };
        let max_wait = config.max_open_ms().max(config.effective_half_open_timeout_ms());
        let mut b = CircuitBreaker::new(config.clone()).unwrap();
        for (now, op) in times.into_iter().zip(ops) {
            match op {
                0 | 1 => {
                    let a = b.try_acquire(now);
                    prop_assert!(a.allowed || a.retry_after_ms >= 1);
                    prop_assert!(a.retry_after_ms <= max_wait);
                }
                2 => b.record_success(now, latency),
                3 => b.record_failure(now),
                4 => b.record_failure_with_retry_after(now, Some(u64::MAX)),
                5 => b.release(now),
                6 => b.force_open(now),
                _ => {
                    let value = serde_json::to_value(b.snapshot()).unwrap();
                    b = CircuitBreaker::from_snapshot(&value, config.clone()).unwrap();
                }
            }
            prop_assert!(b.probes.len() <= 2);
            prop_assert!(serde_json::to_string(&b.history()).is_ok());
            prop_assert!(serde_json::to_string(&b.stats()).is_ok());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bounded open periods and the history in snapshots

#[test]
fn a_huge_retry_after_opens_no_longer_than_the_default_max_reset_timeout() {
    let mut b = breaker(json!({ "failureThreshold": 1, "resetTimeoutMs": 1000 }));
    assert!(b.try_acquire(T).allowed);
    b.record_failure_with_retry_after(T, Some(1_000_000_000_000));
    assert_eq!(b.state(), Open);
    assert_eq!(b.try_acquire(T + 1.0).retry_after_ms, 599_999);
    assert_eq!(b.state_at(T + 600_000.0), HalfOpen);
}

#[test]
fn a_far_future_open_snapshot_without_last_now_opens_no_longer_than_the_bound() {
    let snapshot = json!({
        "v": 1, "state": "open", "openedAtMs": T + 3.0e10, "openUntilMs": T + 3.1e10,
        "openDurationMs": 30_000
    });
    let mut b = CircuitBreaker::from_snapshot(&snapshot, BreakerConfig::default()).unwrap();
    assert_eq!(b.state_at(T), Open);
    assert!(b.try_acquire(T).retry_after_ms <= 600_000);
    assert_eq!(b.state_at(T + 600_000.0), HalfOpen);
}

#[test]
fn the_snapshot_keeps_the_history() {
    let mut b = breaker(json!({ "failureThreshold": 1 }));
    trip(&mut b, T);
    let restored = round_trip(&b, BreakerConfig::from_json(&json!({})).unwrap());
    assert_eq!(restored.state(), Open);
    assert_eq!(restored.history(), b.history());
    assert_eq!(
        reasons(&restored),
        vec![(Closed, Open, R::FailureThreshold)]
    );
}

/// Deterministic proptest settings for the permit and clock properties.
fn fixed_cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x13),
        ..ProptestConfig::default()
    }
}

#[derive(Debug, Clone, Copy)]
enum PermitOp {
    Advance(u32),
    Acquire,
    /// Settles the held permit at `index % held` with success (0), failure (1) or release (2).
    Settle(usize, u8),
}

fn permit_op() -> impl Strategy<Value = PermitOp> {
    prop_oneof![
        2 => (0u32..1_500).prop_map(PermitOp::Advance),
        3 => Just(PermitOp::Acquire),
        3 => (any::<usize>(), 0u8..3).prop_map(|(i, how)| PermitOp::Settle(i, how)),
    ]
}

/// The period a permit was granted in: opens so far and the state then. Every period
/// starts after an opening, so the pair names it.
fn period(b: &CircuitBreaker) -> (u64, BreakerState) {
    (b.stats().opens, b.state())
}

/// A reading for the clock property: mostly plausible, with backward jumps and wild values.
fn reading() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => (0u32..5_000).prop_map(|d| T + f64::from(d)),
        3 => (0u64..2_000_000_000).prop_map(|d| T - d as f64),
        1 => prop_oneof![
            Just(1e308), Just(-1e308), Just(f64::INFINITY), Just(f64::NEG_INFINITY),
            Just(f64::NAN), Just(clock::MAX_EPOCH_MS), Just(T + 3.0e10),
        ],
    ]
}

proptest! {
    #![proptest_config(fixed_cases(512))]

    #[test]
    fn permits_of_another_period_never_count_as_probes(
        max_probes in 1u32..4, needed in 1u32..3,
        ops in proptest::collection::vec(permit_op(), 0..150),
    ) {
        let config = BreakerConfig {
            failure_threshold: 1,
            reset_timeout_ms: 1_000,
            half_open_max_calls: max_probes,
            success_threshold: needed,
            half_open_timeout_ms: Some(2_500),
            ..BreakerConfig::default()
        };
        let mut b = CircuitBreaker::new(config).unwrap();
        let mut now = T;
        let mut held: Vec<(Permit, (u64, BreakerState))> = Vec::new();
        for op in ops {
            match op {
                PermitOp::Advance(d) => now += f64::from(d),
                PermitOp::Acquire => {
                    let (admission, permit) = b.acquire(now);
                    prop_assert_eq!(admission.allowed, permit.is_some());
                    if let Some(permit) = permit {
                        held.push((permit, period(&b)));
                    }
                }
                PermitOp::Settle(index, how) => {
                    if held.is_empty() {
                        continue;
                    }
                    let (permit, granted_in) = held.swap_remove(index % held.len());
                    b.state_at(now);
                    let before = period(&b);
                    let outcome = match how {
                        0 => Outcome::Success { latency_ms: 1.0 },
                        1 => Outcome::Failure { retry_after_ms: None },
                        _ => Outcome::Release,
                    };
                    let probes_before = b.probes.len();
                    b.settle(Some(permit), outcome, now);
                    if granted_in != before {
                        prop_assert_eq!(period(&b), before, "a stale permit changed the state");
                        prop_assert_eq!(b.probes.len(), probes_before, "a stale permit freed a slot");
                    }
                }
            }
            b.state_at(now);
            let current = period(&b);
            if current.1 == HalfOpen {
                let running = held.iter().filter(|(_, p)| *p == current).count();
                prop_assert!(running <= max_probes as usize, "{} probes run", running);
                prop_assert_eq!(running, b.probes.len());
            }
        }
    }

    #[test]
    fn no_clock_reading_retry_after_or_snapshot_opens_longer_than_the_bound(
        max_reset in proptest::option::of(1_000u64..1_000_000),
        steps in proptest::collection::vec((reading(), 0u8..7), 1..80),
        end in 0u64..10_000_000_000,
    ) {
        let config = BreakerConfig {
            failure_threshold: 1,
            reset_timeout_ms: 1_000,
            open_backoff_multiplier: 4.0,
            max_reset_timeout_ms: max_reset,
            ..BreakerConfig::default()
        };
        let bound = config.max_open_ms();
        prop_assert!(bound <= 1_000_000 && (max_reset.is_some() || bound == 600_000));
        let mut b = CircuitBreaker::new(config.clone()).unwrap();
        for (now, op) in steps {
            match op {
                0 | 1 => {
                    let a = b.try_acquire(now);
                    if a.state == Open {
                        prop_assert!(a.retry_after_ms <= bound);
                    }
                }
                2 => b.record_failure_with_retry_after(now, Some(u64::MAX)),
                3 => b.record_failure_with_retry_after(now, Some(1_000_000_000_000)),
                4 => b.record_success(now, 1.0),
                5 => b.force_open(now),
                _ => {
                    // A restore, sometimes without `lastNowMs` and with a far-future opening.
                    let mut value = serde_json::to_value(b.snapshot()).unwrap();
                    if let Some(o) = value.as_object_mut() {
                        if now.is_nan() {
                            o.remove("lastNowMs");
                            o.insert("openedAtMs".into(), json!(T + 3.0e10));
                            o.insert("openUntilMs".into(), json!(1e300));
                        }
                    }
                    b = CircuitBreaker::from_snapshot(&value, config.clone()).unwrap();
                }
            }
            if b.state() == Open {
                // Up to float rounding at the instant reached (wild readings push it far out).
                let t = b.clock.tick(f64::NAN);
                prop_assert!(b.open_until - t <= bound as f64 + t.abs() * 4.0 * f64::EPSILON);
            }
        }
        // Whatever came before, `bound` ms past a plausible present the breaker admits again.
        let present = T + end as f64;
        b.state_at(present);
        prop_assert_ne!(b.state_at(present + bound as f64 + 1_000.0), Open);
    }
}
