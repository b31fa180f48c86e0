//! The hand-written readers of snapshots and shared records against serde's derived
//! `Deserialize` (test-only): the same value or the same message for any object.

use super::history::HistoryEntry;
use super::shared::SharedRecord;
use super::snapshot::BreakerSnapshot;
use super::stats::Counters;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A scalar or an array of scalars (no object: an object where a variant is read is a form
/// serde takes and the readers do not).
fn leaf() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..5).prop_map(Value::from),
        Just(json!(4_294_967_296u64)),
        Just(json!(u64::MAX)),
        prop_oneof![Just(1.5), Just(2.0), Just(-0.5), Just(1e300)].prop_map(Value::from),
        prop_oneof![
            Just("closed"),
            Just("open"),
            Just("half_open"),
            Just("ajar"),
            Just("probe_failed"),
            Just("reset"),
            Just("0110"),
            Just("")
        ]
        .prop_map(Value::from),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => prop::collection::vec(scalar, 0..3).prop_map(Value::Array),
    ]
}

/// A leaf that is no array (an array where a struct is read is a form serde takes and the
/// readers do not).
fn no_array() -> impl Strategy<Value = Value> {
    leaf().prop_filter("no array", |v| !v.is_array())
}

/// An object with some of `keys` (and an unknown key) holding values of `value`.
fn object(keys: &'static [&'static str], value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let keys: Vec<&str> = keys.iter().copied().chain(["unknownKey"]).collect();
    prop::collection::vec((prop::sample::select(keys), value), 0..8)
        .prop_map(|pairs| {
            Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>(),
            )
        })
        .boxed()
}

fn entry() -> BoxedStrategy<Value> {
    let keys = &[
        "at",
        "atMs",
        "from",
        "to",
        "reason",
        "failureCount",
        "recoveryLatencyMs",
    ];
    prop_oneof![
        3 => object(keys, leaf().boxed()),
        1 => Just(json!({ "at": "x", "atMs": 1, "from": "open", "to": "half_open",
            "reason": "reset_timeout_elapsed", "failureCount": 3, "recoveryLatencyMs": null })),
        1 => no_array(),
    ]
    .boxed()
}

fn entries() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::collection::vec(entry(), 0..3).prop_map(Value::Array),
        leaf()
    ]
    .boxed()
}

fn counters() -> BoxedStrategy<Value> {
    let keys = &[
        "calls",
        "successes",
        "failures",
        "slowCalls",
        "rejections",
        "expiredProbes",
        "opens",
        "recoveries",
        "recoveryLatencySumMs",
        "lastRecoveryLatencyMs",
        "maxRecoveryLatencyMs",
    ];
    prop_oneof![3 => object(keys, leaf().boxed()), 1 => no_array()].boxed()
}

fn probes() -> BoxedStrategy<Value> {
    let probe = prop_oneof![
        3 => object(&["id", "acquiredAtMs"], leaf().boxed()),
        1 => no_array(),
    ];
    prop_oneof![
        prop::collection::vec(probe, 0..3).prop_map(Value::Array),
        leaf()
    ]
    .boxed()
}

/// An object with some of the snapshot's and the record's keys, each with a value of its kind
/// or any leaf.
fn record_like() -> impl Strategy<Value = Value> {
    let v = prop_oneof![4 => Just(json!(1)), 1 => leaf()];
    let pairs = (
        v,
        leaf(),
        counters(),
        entries(),
        probes(),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "period",
                    "lastNowMs",
                    "openedAtMs",
                    "openUntilMs",
                    "outageStartedAtMs",
                    "openDurationMs",
                    "consecutiveFailures",
                    "halfOpenSuccesses",
                    "probesAcquiredAtMs",
                    "nextProbe",
                    "window",
                    "unknownKey",
                ]),
                leaf(),
            ),
            0..6,
        ),
        any::<[bool; 5]>(),
    );
    pairs.prop_map(|(v, state, counters, history, probes, rest, keep)| {
        let mut map: Map<String, Value> =
            rest.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        for (keep, key, value) in [
            (keep[0], "v", v),
            (keep[1], "state", state),
            (keep[2], "counters", counters),
            (keep[3], "history", history),
            (keep[4], "probes", probes),
        ] {
            if keep {
                map.insert(key.to_owned(), value);
            }
        }
        Value::Object(map)
    })
}

fn serde_reads<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| e.to_string())
}

proptest! {
    #[test]
    fn snapshot_reader_agrees_with_serde(value in record_like()) {
        prop_assert_eq!(BreakerSnapshot::read(&value), serde_reads::<BreakerSnapshot>(&value));
    }

    #[test]
    fn record_reader_agrees_with_serde(value in record_like()) {
        prop_assert_eq!(SharedRecord::read(&value), serde_reads::<SharedRecord>(&value));
    }

    #[test]
    fn part_readers_agree_with_serde(c in counters(), e in entry()) {
        prop_assert_eq!(Counters::read(&c), serde_reads::<Counters>(&c));
        prop_assert_eq!(HistoryEntry::read(&e), serde_reads::<HistoryEntry>(&e));
    }
}

#[test]
fn structs_are_read_from_objects_only() {
    let err = HistoryEntry::read(&json!(["x", 1, "open", "closed", "reset", 0, null]));
    assert_eq!(
        err.unwrap_err(),
        "invalid type: sequence, expected struct HistoryEntry"
    );
}
