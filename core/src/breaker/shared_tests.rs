//! Tests of the shared record and of the compare-and-set protocol built on [`apply`].

use super::*;
use crate::breaker::history::TransitionReason;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use serde_json::json;

fn config() -> BreakerConfig {
    BreakerConfig::from_json(&json!({
        "failureThreshold": 3, "resetTimeoutMs": 1000, "halfOpenMaxCalls": 2,
        "halfOpenTimeoutMs": 500, "successThreshold": 1
    }))
    .unwrap()
}

const FAIL: Outcome = Outcome::Failure {
    retry_after_ms: None,
};
const OK: Outcome = Outcome::Success { latency_ms: 1.0 };

/// Applies `op` and returns the record it leaves (the one read when nothing changed).
fn step(record: Option<SharedRecord>, op: FleetOp, now: f64) -> (Option<SharedRecord>, Applied) {
    let applied = apply(record.as_ref(), &config(), op, now).unwrap();
    let next = if applied.changed {
        Some(applied.record.clone())
    } else {
        record
    };
    (next, applied)
}

/// Acquires and settles one call with `outcome`.
fn call(record: Option<SharedRecord>, outcome: Outcome, now: f64) -> Option<SharedRecord> {
    let (record, applied) = step(record, FleetOp::Acquire, now);
    let Some(permit) = applied.permit else {
        return record;
    };
    step(record, FleetOp::Settle { permit, outcome }, now).0
}

#[test]
fn a_quiet_closed_success_writes_nothing() {
    let (record, applied) = step(None, FleetOp::Acquire, 1000.0);
    assert!(!applied.changed && record.is_none());
    let permit = applied.permit.unwrap();
    let (_, settled) = step(
        None,
        FleetOp::Settle {
            permit,
            outcome: OK,
        },
        1001.0,
    );
    assert!(!settled.changed);
    let failed = call(None, FAIL, 1002.0).unwrap();
    assert_eq!(failed.consecutive_failures, 1);
    // With a failure recorded, a success is written (it clears the run).
    let (_, applied) = step(Some(failed.clone()), FleetOp::Acquire, 1003.0);
    assert!(!applied.changed);
    let settle = FleetOp::Settle {
        permit: applied.permit.unwrap(),
        outcome: OK,
    };
    let (after, applied) = step(Some(failed), settle, 1004.0);
    assert!(applied.changed);
    assert_eq!(after.unwrap().consecutive_failures, 0);
}

#[test]
fn failures_from_anywhere_open_one_breaker_and_probes_are_fleet_wide() {
    let mut record = None;
    for i in 0..3 {
        record = call(record, FAIL, 1000.0 + f64::from(i));
    }
    let open = record.clone().unwrap();
    assert_eq!(open.state, BreakerState::Open);
    let (_, refused) = step(record.clone(), FleetOp::Acquire, 1500.0);
    assert!(!refused.admission.unwrap().allowed);
    // After the reset timeout: two probes, a third is refused.
    let (record, p1) = step(record, FleetOp::Acquire, 2100.0);
    let (record, p2) = step(record, FleetOp::Acquire, 2101.0);
    let (record, p3) = step(record, FleetOp::Acquire, 2102.0);
    assert!(p1.changed && p2.changed);
    assert_eq!(p1.permit.unwrap().probe, Some(0));
    assert_eq!(p2.permit.unwrap().probe, Some(1));
    assert!(!p3.admission.unwrap().allowed);
    assert_eq!(record.as_ref().unwrap().probes.len(), 2);
    // One success closes it for everyone; the other probe's late outcome is stale.
    let settle = |permit, outcome| FleetOp::Settle { permit, outcome };
    let (record, _) = step(record, settle(p2.permit.unwrap(), OK), 2150.0);
    let closed = record.clone().unwrap();
    assert_eq!(closed.state, BreakerState::Closed);
    let (record, late) = step(record, settle(p1.permit.unwrap(), FAIL), 2160.0);
    assert!(!late.changed);
    assert_eq!(record.unwrap(), closed);
}

#[test]
fn a_probe_expires_after_the_half_open_timeout() {
    let mut record = None;
    for _ in 0..3 {
        record = call(record, FAIL, 1000.0);
    }
    let (record, probe) = step(record, FleetOp::Acquire, 2000.0);
    assert!(probe.admission.unwrap().allowed);
    // The probe's process died: 500 ms later the probe counts as failed and it reopens.
    let (record, later) = step(record, FleetOp::Acquire, 2600.0);
    assert!(!later.admission.unwrap().allowed);
    let r = record.unwrap();
    assert_eq!(r.state, BreakerState::Open);
    assert_eq!(
        r.history.last().map(|h| h.reason),
        Some(TransitionReason::ProbeExpired)
    );
}

#[test]
fn a_closed_permit_settled_after_a_transition_is_stale() {
    let (_, admitted) = step(None, FleetOp::Acquire, 1000.0);
    let permit = admitted.permit.unwrap();
    let mut record = None;
    for _ in 0..3 {
        record = call(record, FAIL, 1001.0);
    }
    let open = record.clone().unwrap();
    let (after, applied) = step(
        record,
        FleetOp::Settle {
            permit,
            outcome: FAIL,
        },
        1002.0,
    );
    assert!(!applied.changed);
    assert_eq!(after.unwrap(), open);
}

#[test]
fn adopt_keeps_the_local_counters_and_takes_the_shared_state() {
    let mut local = CircuitBreaker::new(config()).unwrap();
    local.record_success(1.0, 1.0);
    let mut record = None;
    for _ in 0..3 {
        record = call(record, FAIL, 1000.0);
    }
    adopt(&mut local, record.as_ref()).unwrap();
    assert_eq!(local.state(), BreakerState::Open);
    assert_eq!(local.stats().successes, 1);
    assert_eq!(record_of(&local), record.unwrap());
    count(&mut local, FAIL);
    assert_eq!(local.stats().failures, 1);
    assert!(!quiet(&local));
}

#[test]
fn malformed_records_are_bad_responses() {
    for bad in [
        json!(null),
        json!({ "v": 2, "state": "open" }),
        json!({ "v": 1, "state": 7 }),
    ] {
        let e = SharedRecord::from_json(&bad).unwrap_err();
        assert!(matches!(e, GuardError::BadResponse(_)), "{bad}");
    }
    let r = record_of(&CircuitBreaker::new(config()).unwrap());
    let text = serde_json::to_value(&r).unwrap();
    assert_eq!(SharedRecord::from_json(&text).unwrap(), r);
}

/// One fleet member's progress through the compare-and-set protocol.
#[derive(Debug, Clone)]
enum Phase {
    /// About to read the record for `op`.
    Read(FleetOp, u32),
    /// Read `version`/`record`, about to compute and write.
    Write(FleetOp, u32, u64, Option<SharedRecord>),
}

/// A scheduler step: which member moves, how far the clock advances, and (for a fresh call)
/// whether it will fail.
type Step = (usize, u16, bool);

/// Runs `members` processes through `steps` against a model store (version + record)
/// whose write is a compare-and-set, and checks the store against the same committed
/// operations applied one by one, and the fleet-wide probe bound.
fn run_fleet(members: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    const RETRIES: u32 = 8;
    let cfg = config();
    let mut store: (u64, Option<SharedRecord>) = (0, None);
    let mut committed: Vec<(FleetOp, f64)> = Vec::new();
    let mut phases: Vec<Option<Phase>> = vec![None; members];
    let mut now = 1000.0;
    for &(who, dt, fails) in steps {
        now += f64::from(dt);
        let i = who % members;
        let phase = phases[i].take().unwrap_or(Phase::Read(FleetOp::Acquire, 0));
        phases[i] = match phase {
            Phase::Read(op, tries) => Some(Phase::Write(op, tries, store.0, store.1.clone())),
            Phase::Write(op, tries, version, read) => {
                let applied = apply(read.as_ref(), &cfg, op, now).unwrap();
                let written = if !applied.changed {
                    true
                } else if store.0 == version {
                    store = (version + 1, Some(applied.record.clone()));
                    committed.push((op, now));
                    true
                } else {
                    false
                };
                if let Some(r) = &store.1 {
                    prop_assert!(r.probes.len() <= 2, "probes {:?}", r.probes);
                }
                match (written, op, applied.permit) {
                    (false, _, _) if tries < RETRIES => Some(Phase::Read(op, tries + 1)),
                    (true, FleetOp::Acquire, Some(permit)) => {
                        let outcome = if fails { FAIL } else { OK };
                        Some(Phase::Read(FleetOp::Settle { permit, outcome }, 0))
                    }
                    _ => None,
                }
            }
        };
    }
    let mut sequential: Option<SharedRecord> = None;
    for &(op, at) in &committed {
        let applied = apply(sequential.as_ref(), &cfg, op, at).unwrap();
        prop_assert!(
            applied.changed,
            "a committed update changes the record it was read from"
        );
        sequential = Some(applied.record);
    }
    prop_assert_eq!(&store.1, &sequential);
    if let Some(r) = &store.1 {
        // No double opening: each closed → open follows a closing (or is the first).
        let opens: Vec<_> = r
            .history
            .iter()
            .filter(|h| h.from == BreakerState::Closed)
            .collect();
        let closes = r
            .history
            .iter()
            .filter(|h| h.to == BreakerState::Closed)
            .count();
        prop_assert!(opens.len() <= closes + 1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x15),
        ..ProptestConfig::default()
    })]

    #[test]
    fn compare_and_set_equals_one_breaker(
        members in 2usize..=8,
        steps in proptest::collection::vec((0usize..8, 0u16..400, proptest::bool::weighted(0.6)), 1..300),
    ) {
        run_fleet(members, &steps)?;
    }
}

#[test]
fn a_blind_write_would_be_caught() {
    // The model check above is meaningful: two members that both read version 0 and both
    // wrote (no compare) leave a record that one-by-one application does not give.
    let cfg = config();
    let one = call(None, FAIL, 1000.0).unwrap();
    let (_, a) = step(Some(one.clone()), FleetOp::Acquire, 1001.0);
    let fail = |p: &Applied| FleetOp::Settle {
        permit: p.permit.unwrap(),
        outcome: FAIL,
    };
    let first = apply(Some(&one), &cfg, fail(&a), 1002.0).unwrap().record;
    let second = apply(Some(&one), &cfg, fail(&a), 1003.0).unwrap().record;
    let sequential = apply(Some(&first), &cfg, fail(&a), 1003.0).unwrap().record;
    assert_eq!(first.consecutive_failures, 2);
    assert_eq!(second.consecutive_failures, 2);
    assert_eq!(sequential.consecutive_failures, 3);
    assert_ne!(second, sequential);
}

#[test]
fn a_manager_call_applies_its_attempts_in_order_and_releases_an_unused_probe() {
    let permit = FleetPermit {
        period: 0,
        probe: None,
    };
    let two = CallOutcomes {
        failures: 2,
        success_latency_ms: Some(5.0),
    };
    // Two failed attempts, then a success: the run of failures is cleared.
    let applied = apply_call(None, &config(), permit, two, 1000.0).unwrap();
    assert!(!applied.changed, "{:?}", applied.record);
    let three = CallOutcomes {
        failures: 3,
        success_latency_ms: None,
    };
    let open = apply_call(None, &config(), permit, three, 1000.0).unwrap();
    assert_eq!(open.record.state, BreakerState::Open);
    // A probe taken fleet-wide whose call sent nothing is returned.
    let (record, probe) = step(Some(open.record), FleetOp::Acquire, 2500.0);
    assert_eq!(record.as_ref().unwrap().probes.len(), 1);
    let none = CallOutcomes {
        failures: 0,
        success_latency_ms: None,
    };
    let released = apply_call(
        record.as_ref(),
        &config(),
        probe.permit.unwrap(),
        none,
        2501.0,
    )
    .unwrap();
    assert!(released.changed && released.record.probes.is_empty());
}
