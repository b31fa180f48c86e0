//! The outbox of metric events awaiting delivery to the dashboard.
//!
//! The seed cleared its events before the sync request succeeded, so a failed sync lost them. Here an
//! event leaves the [`Outbox`] only when the delivery of its batch is acknowledged ([`Outbox::ack`]).
//!
//! Delivery protocol:
//! 1. [`Outbox::begin_batch`] takes up to `max_events` of the oldest events and freezes them into a
//!    batch with an idempotency key. Until that batch is acknowledged, every `begin_batch` returns
//!    the very same batch (same key, same events), even if new events arrived meanwhile, so a retried
//!    delivery is recognisable by the receiver.
//! 2. After a 2xx answer: [`Outbox::ack`] removes the batch for good. After a failure:
//!    [`Outbox::fail`] keeps it at the head for the next attempt. A batch the receiver will never
//!    accept can be given up with [`Outbox::discard`] (its events count as dropped).
//! 3. A permanent refusal (a 4xx other than 408 and 429, e.g. 413 or 400) goes to
//!    [`Outbox::reject`]: a batch refused [`PERMANENT_REFUSALS`] times is split in halves, each
//!    half delivered next as a batch of its own (a half refused once is halved again), down to
//!    single events; a single event refused is dropped and counted. So one undeliverable event
//!    costs at most a few requests per halving, blocks nothing for good, and every event that can
//!    be delivered still is; later events flow again once the split parts are done.
//!
//! Every event gets a sequence number when enqueued; a batch's key is
//! `"{prefix}-{firstSeq}-{lastSeq}"`, unique per outbox instance given a unique prefix.
//!
//! The outbox holds at most `capacity` events (in-flight ones included). When an enqueue exceeds it,
//! the oldest event not in a frozen batch or split part is dropped and counted in
//! [`Outbox::dropped`].
//!
//! Snapshot (JSON-safe):
//! `{ "v": 1, "nextSeq": 8, "dropped": 0, "batch": { "idempotencyKey": "p-1-3", "events": [{ "seq":
//! 1, "event": ... }], "refusalsLeft": 2 } | null, "parts": [[{ "seq": 2, "event": ... }]],
//! "queue": [{ "seq": 4, "event": ... }] }` (`refusalsLeft` and `parts` may be absent).

use crate::error::GuardError;
use crate::json::read::{self, missing, Read};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;

/// Default number of events held.
pub const DEFAULT_OUTBOX_CAPACITY: usize = 10_000;
/// Longest accepted key prefix, in characters.
pub const MAX_PREFIX_CHARS: usize = 64;
/// Longest idempotency key accepted from a snapshot, in characters.
const MAX_KEY_CHARS: usize = 200;
/// Version written into and required from snapshots.
const SNAPSHOT_VERSION: u64 = 1;
/// Permanent refusals of a batch of the queue before it is split (a split part is split, or
/// dropped when it is one event, at its first refusal).
pub const PERMANENT_REFUSALS: u32 = 2;

/// What [`Outbox::reject`] did with a permanently refused batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Kept at the head for one more attempt.
    Kept,
    /// Split in halves, delivered next one after the other.
    Split,
    /// A single event that cannot be delivered: dropped (and counted).
    Dropped(usize),
    /// The key is not the frozen batch.
    Unknown,
}

/// A frozen group of events to deliver in one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// Sent as the `Idempotency-Key` header; the same on every retry of this batch.
    pub idempotency_key: String,
    /// The events, oldest first.
    pub events: Vec<Value>,
}

/// An event and the sequence number it got when enqueued.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Sequenced {
    seq: u64,
    event: Value,
}

impl Sequenced {
    /// Reads `{ seq, event }` (both required, `event` any JSON).
    fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "Sequenced")?;
        Ok(Sequenced {
            seq: missing(f.present("seq", read::u64)?, "seq")?,
            event: missing(f.present("event", |v| Ok(v.clone()))?, "event")?,
        })
    }

    /// Reads an array of them.
    fn read_all(value: &Value) -> Read<Vec<Self>> {
        read::seq(value, Sequenced::read)
    }
}

/// The batch taken by `begin_batch` and not yet acknowledged.
#[derive(Debug, Clone)]
struct FrozenBatch {
    key: String,
    events: Vec<Sequenced>,
    /// Handed out and neither acknowledged nor failed yet.
    in_flight: bool,
    /// Permanent refusals left before it is split or dropped.
    refusals_left: u32,
}

/// How a frozen batch is read back from a snapshot.
struct SnapshotBatch {
    idempotency_key: String,
    events: Vec<Sequenced>,
    refusals_left: u32,
}

impl SnapshotBatch {
    /// Reads `{ idempotencyKey, events, refusalsLeft? }` (`refusalsLeft` absent:
    /// [`PERMANENT_REFUSALS`]).
    fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "SnapshotBatch")?;
        Ok(SnapshotBatch {
            idempotency_key: missing(f.present("idempotencyKey", read::string)?, "idempotencyKey")?,
            events: missing(f.present("events", Sequenced::read_all)?, "events")?,
            refusals_left: f
                .present("refusalsLeft", read::u32)?
                .unwrap_or(PERMANENT_REFUSALS),
        })
    }
}

/// How an outbox is read back from a snapshot (after the version check).
struct SnapshotV1 {
    next_seq: u64,
    dropped: u64,
    batch: Option<SnapshotBatch>,
    /// Parts of a split batch still to deliver (absent in older snapshots).
    parts: Vec<Vec<Sequenced>>,
    queue: Vec<Sequenced>,
}

impl SnapshotV1 {
    /// Reads `{ nextSeq, dropped, batch: {...} | null, parts?, queue }`.
    fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "SnapshotV1")?;
        Ok(SnapshotV1 {
            next_seq: missing(f.present("nextSeq", read::u64)?, "nextSeq")?,
            dropped: missing(f.present("dropped", read::u64)?, "dropped")?,
            batch: f.optional("batch", SnapshotBatch::read)?,
            parts: f.or_default("parts", |v| read::seq(v, Sequenced::read_all))?,
            queue: missing(f.present("queue", Sequenced::read_all)?, "queue")?,
        })
    }
}

/// Metric events awaiting an acknowledged delivery; see the module documentation.
#[derive(Debug, Clone)]
pub struct Outbox {
    prefix: String,
    capacity: usize,
    next_seq: u64,
    batch: Option<FrozenBatch>,
    /// Parts of a split batch, delivered (as batches of their own) before the queue.
    parts: VecDeque<Vec<Sequenced>>,
    /// Events not in the frozen batch or a part, oldest first.
    queue: VecDeque<Sequenced>,
    dropped: u64,
}

impl Outbox {
    /// An empty outbox whose batch keys start with `prefix` (1..=64 characters of
    /// `[A-Za-z0-9_.-]`; the boundary passes a random id) holding at most `capacity` events.
    pub fn new(prefix: &str, capacity: usize) -> Result<Self, GuardError> {
        if !is_key_text(prefix, MAX_PREFIX_CHARS) {
            return Err(GuardError::Config(format!(
                "outbox key prefix must be 1..={MAX_PREFIX_CHARS} characters of [A-Za-z0-9_.-]"
            )));
        }
        Ok(Outbox {
            prefix: prefix.to_owned(),
            capacity,
            next_seq: 1,
            batch: None,
            parts: VecDeque::new(),
            queue: VecDeque::new(),
            dropped: 0,
        })
    }

    /// Adds an event; when the outbox is over capacity, the oldest event outside the frozen batch
    /// (possibly this one) is dropped and counted.
    pub fn enqueue(&mut self, event: Value) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        self.queue.push_back(Sequenced { seq, event });
        self.enforce_capacity();
    }

    /// The batch to deliver next: the frozen one if any (whatever `max_events` now is), else the
    /// next part of a split batch, else a new batch of up to `max_events` of the oldest events.
    /// `None` when there is nothing to send or `max_events` is 0 and no batch is frozen.
    pub fn begin_batch(&mut self, max_events: usize) -> Option<Batch> {
        if self.batch.is_none() {
            let (events, refusals_left) = match self.parts.pop_front() {
                Some(part) => (part, 1),
                None => {
                    let take = max_events.min(self.queue.len());
                    (self.queue.drain(..take).collect(), PERMANENT_REFUSALS)
                }
            };
            self.batch = Some(self.frozen(events, refusals_left)?);
        }
        let batch = self.batch.as_mut()?;
        batch.in_flight = true;
        Some(Batch {
            idempotency_key: batch.key.clone(),
            events: batch.events.iter().map(|e| e.event.clone()).collect(),
        })
    }

    /// Records that the batch `key` was delivered: its events leave the outbox. Returns how many
    /// events were delivered (0 when `key` is not the frozen batch, e.g. a repeated ack).
    pub fn ack(&mut self, key: &str) -> usize {
        self.take_batch(key).map_or(0, |batch| batch.events.len())
    }

    /// Records that delivering the batch `key` failed: it stays at the head and the next
    /// [`Outbox::begin_batch`] returns it again. Returns whether `key` is the frozen batch.
    pub fn fail(&mut self, key: &str) -> bool {
        match self.batch.as_mut() {
            Some(batch) if batch.key == key => {
                batch.in_flight = false;
                true
            }
            _ => false,
        }
    }

    /// Records a permanent refusal of the batch `key` (see the module documentation): kept for
    /// another attempt, split in halves, or (a single event) dropped.
    pub fn reject(&mut self, key: &str) -> Rejection {
        let Some(batch) = self.batch.as_mut().filter(|b| b.key == key) else {
            return Rejection::Unknown;
        };
        batch.in_flight = false;
        batch.refusals_left = batch.refusals_left.saturating_sub(1);
        if batch.refusals_left > 0 {
            return Rejection::Kept;
        }
        let Some(FrozenBatch { mut events, .. }) = self.batch.take() else {
            return Rejection::Unknown;
        };
        if events.len() > 1 {
            let second = events.split_off(events.len() / 2);
            self.parts.push_front(second);
            self.parts.push_front(events);
            return Rejection::Split;
        }
        self.dropped = self.dropped.saturating_add(events.len() as u64);
        Rejection::Dropped(events.len())
    }

    /// Gives up the batch `key` (e.g. the receiver rejects it permanently): its events are counted
    /// as dropped. Returns how many events were dropped.
    pub fn discard(&mut self, key: &str) -> usize {
        let count = self.take_batch(key).map_or(0, |batch| batch.events.len());
        self.dropped = self.dropped.saturating_add(count as u64);
        count
    }

    /// Whether a batch was handed out and has been neither acknowledged nor failed.
    pub fn is_in_flight(&self) -> bool {
        self.batch.as_ref().is_some_and(|b| b.in_flight)
    }

    /// Events not yet delivered, the frozen batch and split parts included.
    pub fn pending(&self) -> usize {
        self.queue
            .len()
            .saturating_add(self.batch.as_ref().map_or(0, |b| b.events.len()))
            .saturating_add(self.parts.iter().map(Vec::len).sum())
    }

    /// Events dropped (over capacity or discarded) since the outbox was created.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The versioned JSON-safe snapshot described in the module documentation. A batch in flight
    /// is kept with its key; after a restore it is delivered again under that key.
    pub fn snapshot(&self) -> Value {
        let batch = self.batch.as_ref().map_or(Value::Null, |b| {
            json!({
                "idempotencyKey": b.key, "events": events_json(b.events.iter()),
                "refusalsLeft": b.refusals_left,
            })
        });
        let parts: Vec<Vec<Value>> = self.parts.iter().map(|p| events_json(p.iter())).collect();
        json!({
            "v": SNAPSHOT_VERSION,
            "nextSeq": self.next_seq,
            "dropped": self.dropped,
            "batch": batch,
            "parts": parts,
            "queue": events_json(self.queue.iter()),
        })
    }

    /// Rebuilds an outbox from [`Outbox::snapshot`] output, with a (possibly new) key `prefix` for
    /// future batches and `capacity`; events beyond the capacity are dropped oldest first (the
    /// frozen batch is kept whole).
    ///
    /// Fails with [`GuardError::Config`] when the snapshot does not have the documented shape, its
    /// sequence numbers do not increase, or the batch key is not 1..=200 characters of
    /// `[A-Za-z0-9_.-]`.
    pub fn from_snapshot(
        snapshot: &Value,
        prefix: &str,
        capacity: usize,
    ) -> Result<Self, GuardError> {
        match snapshot.get("v").and_then(Value::as_u64) {
            Some(SNAPSHOT_VERSION) => {}
            Some(other) => {
                return Err(GuardError::Config(format!(
                    "unsupported outbox snapshot version {other}; expected {SNAPSHOT_VERSION}"
                )))
            }
            None => return Err(malformed("missing version `v`")),
        }
        // The reader's message is not forwarded: it may quote event content.
        let parsed = SnapshotV1::read(snapshot).map_err(|_| {
            malformed(
                "expected { v, nextSeq, dropped, batch: { idempotencyKey, events } | null, queue }",
            )
        })?;
        let mut outbox = Outbox::new(prefix, capacity)?;
        outbox.dropped = parsed.dropped;
        if let Some(batch) = parsed.batch {
            if !is_key_text(&batch.idempotency_key, MAX_KEY_CHARS) {
                return Err(malformed("invalid batch idempotencyKey"));
            }
            if batch.events.is_empty() {
                return Err(malformed("the batch has no events"));
            }
            outbox.batch = Some(FrozenBatch {
                key: batch.idempotency_key,
                events: batch.events,
                in_flight: false,
                refusals_left: batch.refusals_left.clamp(1, PERMANENT_REFUSALS),
            });
        }
        if parsed.parts.iter().any(Vec::is_empty) {
            return Err(malformed("a split part has no events"));
        }
        outbox.parts = parsed.parts.into();
        outbox.queue = parsed.queue.into();
        let seqs = outbox
            .batch
            .iter()
            .flat_map(|b| b.events.iter())
            .chain(outbox.parts.iter().flatten())
            .chain(outbox.queue.iter())
            .map(|e| e.seq);
        let mut last_seq: Option<u64> = None;
        for seq in seqs {
            if last_seq.is_some_and(|last| seq <= last) {
                return Err(malformed("event sequence numbers must increase"));
            }
            last_seq = Some(seq);
        }
        outbox.next_seq = parsed
            .next_seq
            .max(last_seq.map_or(1, |s| s.saturating_add(1)));
        outbox.enforce_capacity();
        Ok(outbox)
    }

    /// A batch of `events` keyed by its first and last sequence numbers; `None` when empty.
    fn frozen(&self, events: Vec<Sequenced>, refusals_left: u32) -> Option<FrozenBatch> {
        let first = events.first()?.seq;
        let last = events.last().map_or(first, |e| e.seq);
        Some(FrozenBatch {
            key: format!("{}-{first}-{last}", self.prefix),
            events,
            in_flight: false,
            refusals_left,
        })
    }

    fn take_batch(&mut self, key: &str) -> Option<FrozenBatch> {
        if self.batch.as_ref()?.key == key {
            self.batch.take()
        } else {
            None
        }
    }

    fn enforce_capacity(&mut self) {
        while self.pending() > self.capacity && self.queue.pop_front().is_some() {
            self.dropped = self.dropped.saturating_add(1);
        }
    }
}

fn events_json<'a>(events: impl Iterator<Item = &'a Sequenced>) -> Vec<Value> {
    events
        .map(|e| json!({ "seq": e.seq, "event": e.event }))
        .collect()
}

/// Whether `text` is 1..=`max_chars` characters of `[A-Za-z0-9_.-]` (safe in an HTTP header).
fn is_key_text(text: &str, max_chars: usize) -> bool {
    !text.is_empty()
        && text.len() <= max_chars
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn malformed(detail: &str) -> GuardError {
    GuardError::Config(format!("malformed outbox snapshot: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn outbox(capacity: usize) -> Outbox {
        Outbox::new("inst", capacity).unwrap()
    }

    #[test]
    fn rejects_bad_prefixes() {
        for prefix in ["", "a b", "x\r\ny", &"p".repeat(65)] {
            assert!(
                matches!(Outbox::new(prefix, 1), Err(GuardError::Config(_))),
                "{prefix:?}"
            );
        }
        assert!(Outbox::new("Ab_9.-", 1).is_ok());
    }

    #[test]
    fn batch_is_frozen_until_acknowledged() {
        let mut ob = outbox(100);
        assert_eq!(ob.begin_batch(10), None);
        for i in 1..=3 {
            ob.enqueue(json!({ "n": i }));
        }
        let batch = ob.begin_batch(2).unwrap();
        assert_eq!(batch.idempotency_key, "inst-1-2");
        assert_eq!(batch.events, [json!({"n": 1}), json!({"n": 2})]);
        assert!(ob.is_in_flight());

        ob.enqueue(json!({ "n": 4 }));
        assert_eq!(
            ob.begin_batch(50),
            Some(batch.clone()),
            "in flight: same batch"
        );
        assert!(ob.fail(&batch.idempotency_key));
        assert!(!ob.is_in_flight());
        assert!(!ob.fail("inst-9-9"));
        assert_eq!(ob.pending(), 4);
        assert_eq!(
            ob.begin_batch(50),
            Some(batch.clone()),
            "after failure: same batch"
        );

        assert_eq!(ob.ack("inst-9-9"), 0);
        assert_eq!(ob.ack(&batch.idempotency_key), 2);
        assert_eq!(
            ob.ack(&batch.idempotency_key),
            0,
            "a repeated ack is harmless"
        );
        assert_eq!(ob.pending(), 2);

        let next = ob.begin_batch(50).unwrap();
        assert_eq!(next.idempotency_key, "inst-3-4");
        assert_eq!(next.events, [json!({"n": 3}), json!({"n": 4})]);
        assert_eq!(ob.ack("inst-3-4"), 2);
        assert_eq!((ob.pending(), ob.dropped()), (0, 0));
        assert_eq!(ob.begin_batch(0), None);
    }

    #[test]
    fn over_capacity_drops_the_oldest_outside_the_batch() {
        let mut ob = outbox(3);
        for i in 1..=3 {
            ob.enqueue(json!(i));
        }
        let batch = ob.begin_batch(2).unwrap(); // events 1, 2 frozen
        ob.enqueue(json!(4)); // drops 3
        assert_eq!((ob.pending(), ob.dropped()), (3, 1));
        ob.enqueue(json!(5)); // drops 4
        assert_eq!(ob.begin_batch(9).unwrap(), batch);
        ob.ack(&batch.idempotency_key);
        assert_eq!(ob.begin_batch(9).unwrap().events, [json!(5)]);
        assert_eq!(ob.dropped(), 2);

        let mut zero = outbox(0);
        zero.enqueue(json!(1));
        assert_eq!((zero.pending(), zero.dropped()), (0, 1));
    }

    #[test]
    fn permanent_refusals_split_down_to_single_events_and_drop_only_those() {
        let mut ob = outbox(100);
        for i in 0..4 {
            ob.enqueue(json!(i));
        }
        let batch = ob.begin_batch(10).unwrap();
        assert_eq!(ob.reject(&batch.idempotency_key), Rejection::Kept);
        assert_eq!(
            ob.begin_batch(10).unwrap(),
            batch,
            "the same batch once more"
        );
        assert_eq!(ob.reject(&batch.idempotency_key), Rejection::Split);
        ob.enqueue(json!(4));
        let half = ob.begin_batch(10).unwrap();
        assert_eq!(
            (half.idempotency_key.as_str(), half.events.len()),
            ("inst-1-2", 2)
        );
        // It survives a restore with its split parts.
        ob = Outbox::from_snapshot(&ob.snapshot(), "inst", 100).unwrap();
        assert_eq!(ob.begin_batch(10).unwrap(), half);
        assert_eq!(ob.reject(&half.idempotency_key), Rejection::Split);
        let single = ob.begin_batch(10).unwrap();
        assert_eq!(single.events, vec![json!(0)]);
        assert_eq!(ob.reject(&single.idempotency_key), Rejection::Dropped(1));
        assert_eq!(ob.reject(&single.idempotency_key), Rejection::Unknown);
        let mut delivered = Vec::new();
        while let Some(b) = ob.begin_batch(10) {
            ob.ack(&b.idempotency_key);
            delivered.extend(b.events);
        }
        assert_eq!(delivered, vec![json!(1), json!(2), json!(3), json!(4)]);
        assert_eq!(ob.dropped(), 1);
    }

    #[test]
    fn discard_counts_the_batch_as_dropped() {
        let mut ob = outbox(10);
        ob.enqueue(json!(1));
        ob.enqueue(json!(2));
        let batch = ob.begin_batch(1).unwrap();
        assert_eq!(ob.discard("other"), 0);
        assert_eq!(ob.discard(&batch.idempotency_key), 1);
        assert_eq!((ob.pending(), ob.dropped()), (1, 1));
        assert_eq!(ob.begin_batch(5).unwrap().idempotency_key, "inst-2-2");
    }

    #[test]
    fn snapshot_keeps_pending_events_and_the_frozen_batch() {
        let mut ob = outbox(10);
        for i in 1..=4 {
            ob.enqueue(json!({ "i": i }));
        }
        let batch = ob.begin_batch(3).unwrap();
        let snap = ob.snapshot();
        assert_eq!(snap["v"], 1);
        assert_eq!(snap["batch"]["idempotencyKey"], "inst-1-3");
        assert_eq!(snap["queue"], json!([{ "seq": 4, "event": { "i": 4 } }]));

        let mut restored = Outbox::from_snapshot(&snap, "next", 10).unwrap();
        assert_eq!(restored.pending(), 4);
        assert!(!restored.is_in_flight());
        assert_eq!(
            restored.begin_batch(1).unwrap(),
            batch,
            "same key and events"
        );
        assert_eq!(restored.ack("inst-1-3"), 3);
        restored.enqueue(json!({ "i": 5 }));
        let next = restored.begin_batch(10).unwrap();
        assert_eq!(
            next.idempotency_key, "next-4-5",
            "sequence numbers continue"
        );

        // A smaller capacity drops the oldest queued events but keeps the batch whole.
        let small = Outbox::from_snapshot(&snap, "next", 3).unwrap();
        assert_eq!((small.pending(), small.dropped()), (3, 1));
        let empty = Outbox::from_snapshot(&outbox(1).snapshot(), "x", 1).unwrap();
        assert_eq!(empty.pending(), 0);
    }

    #[test]
    fn malformed_snapshots_are_config_errors() {
        let good = {
            let mut ob = outbox(10);
            ob.enqueue(json!("tok-secret-ish"));
            ob.enqueue(json!(2));
            ob.begin_batch(1);
            ob.snapshot()
        };
        let mut cases = vec![json!(null), json!({}), json!({"v": 2}), json!({"v": 1})];
        let mutate = |f: &dyn Fn(&mut Value)| {
            let mut s = good.clone();
            f(&mut s);
            s
        };
        cases.push(mutate(&|s| s["nextSeq"] = json!(-1)));
        cases.push(mutate(&|s| s["queue"] = json!({})));
        cases.push(mutate(&|s| s["queue"][0]["seq"] = json!("2")));
        cases.push(mutate(&|s| s["queue"][0]["seq"] = json!(1)));
        cases.push(mutate(&|s| s["batch"]["idempotencyKey"] = json!("a\r\nb")));
        cases.push(mutate(&|s| s["batch"]["events"] = json!([])));
        cases.push(mutate(&|s| {
            s["batch"]["events"][0]["seq"] = json!("tok-secret-ish")
        }));
        cases.push(mutate(&|s| s["dropped"] = json!(1.5)));
        cases.push(mutate(&|s| s["parts"] = json!(null)));
        cases.push(mutate(&|s| s["parts"] = json!([{}])));
        cases.push(mutate(&|s| s["batch"]["refusalsLeft"] = json!("2")));
        cases.push(mutate(&|s| s["batch"] = json!([])));
        for key in ["nextSeq", "dropped", "queue"] {
            cases.push(mutate(&|s| {
                s.as_object_mut().map(|o| o.remove(key));
            }));
        }
        for key in ["idempotencyKey", "events"] {
            cases.push(mutate(&|s| {
                s["batch"].as_object_mut().map(|o| o.remove(key));
            }));
        }
        for key in ["seq", "event"] {
            cases.push(mutate(&|s| {
                s["queue"][0].as_object_mut().map(|o| o.remove(key));
            }));
        }
        for snap in cases {
            let err = Outbox::from_snapshot(&snap, "p", 10).unwrap_err();
            assert!(matches!(err, GuardError::Config(_)), "{snap}");
            assert!(!err.to_string().contains("tok-secret-ish"));
        }
        assert!(Outbox::from_snapshot(&good, "p", 10).is_ok());
        // Optional fields: `batch` null, `parts` and `refusalsLeft` absent, unknown keys.
        for ok in [
            mutate(&|s| s["batch"] = json!(null)),
            mutate(&|s| {
                s.as_object_mut().map(|o| o.remove("parts"));
                s["unknown"] = json!(1);
            }),
            mutate(&|s| {
                s["batch"].as_object_mut().map(|o| o.remove("refusalsLeft"));
            }),
            mutate(&|s| s["queue"][0]["event"] = json!(null)),
        ] {
            assert!(Outbox::from_snapshot(&ok, "p", 10).is_ok(), "{ok}");
        }
        assert!(Outbox::from_snapshot(&good, "bad prefix", 10).is_err());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Enqueue,
        Begin(usize),
        Ack,
        Fail,
        AckStale,
        Restore,
        Reject,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Enqueue),
            2 => (0usize..5).prop_map(Op::Begin),
            2 => Just(Op::Ack),
            1 => Just(Op::Fail),
            1 => Just(Op::AckStale),
            1 => Just(Op::Restore),
            2 => Just(Op::Reject),
        ]
    }

    proptest! {
        #[test]
        fn never_loses_or_duplicates_events(ops in prop::collection::vec(op(), 0..120), capacity in 0usize..12) {
            let mut ob = outbox(capacity);
            let mut enqueued = 0u64;
            let mut delivered: Vec<u64> = Vec::new();
            let mut current: Option<Batch> = None;
            let mut acked_keys: Vec<String> = Vec::new();
            for op in ops {
                match op {
                    Op::Enqueue => {
                        ob.enqueue(json!(enqueued));
                        enqueued += 1;
                    }
                    Op::Begin(max) => {
                        let batch = ob.begin_batch(max);
                        if let (Some(prev), Some(new)) = (&current, &batch) {
                            prop_assert_eq!(prev, new, "a frozen batch never changes");
                        }
                        if let Some(b) = &batch {
                            prop_assert!(!acked_keys.contains(&b.idempotency_key), "keys are unique");
                        }
                        current = batch.or(current);
                    }
                    Op::Ack => {
                        if let Some(b) = current.take() {
                            prop_assert_eq!(ob.ack(&b.idempotency_key), b.events.len());
                            delivered.extend(b.events.iter().map(|e| e.as_u64().unwrap()));
                            acked_keys.push(b.idempotency_key);
                        }
                    }
                    Op::Fail => {
                        if let Some(b) = &current {
                            prop_assert!(ob.fail(&b.idempotency_key));
                        }
                    }
                    Op::AckStale => {
                        if let Some(key) = acked_keys.last() {
                            prop_assert_eq!(ob.ack(key), 0);
                        }
                    }
                    Op::Restore => {
                        ob = Outbox::from_snapshot(&ob.snapshot(), "inst", capacity).unwrap();
                    }
                    Op::Reject => {
                        if let Some(b) = &current {
                            match ob.reject(&b.idempotency_key) {
                                Rejection::Kept => {}
                                Rejection::Split | Rejection::Dropped(_) => current = None,
                                Rejection::Unknown => prop_assert!(false, "the frozen batch is known"),
                            }
                        }
                    }
                }
                prop_assert!(ob.pending() <= capacity);
            }
            // Drain everything.
            while let Some(b) = ob.begin_batch(3) {
                prop_assert_eq!(ob.ack(&b.idempotency_key), b.events.len());
                delivered.extend(b.events.iter().map(|e| e.as_u64().unwrap()));
            }
            prop_assert_eq!(ob.pending(), 0);
            prop_assert!(delivered.windows(2).all(|w| w[0] < w[1]), "in order, no duplicates: {:?}", delivered);
            prop_assert_eq!(delivered.len() as u64 + ob.dropped(), enqueued);
        }
    }
}
