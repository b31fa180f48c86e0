//! A tamper-evident audit log: every record carries the hash of its predecessor.
//!
//! # Record
//!
//! `{ "seq": 1, "eventType": "...", "timestamp": "2023-11-14T22:13:20.123Z", "details": {...},
//! "prevHash": "<64 hex>", "hash": "<64 hex>" }`. `seq` starts at 1 and grows by 1; the first
//! record's `prevHash` is [`GENESIS_HASH`] (64 × `0`); `details` went through a [`Redactor`]
//! (values only; keys and the event type are the caller's own names).
//!
//! # Hash
//!
//! `hash` = lowercase hex of SHA-256 over the UTF-8 bytes of
//! `canonical({ "details": details, "eventType": eventType, "prevHash": prevHash, "seq": seq,
//! "timestamp": timestamp })`, where `canonical` is compact JSON (no whitespace) with:
//! - objects: members sorted by key, keys compared by Unicode code point (= UTF-8 byte order),
//!   written `{"key":value,...}`, recursively;
//! - arrays: `[v1,v2,...]` in their order;
//! - `null`, `true`, `false` as such;
//! - strings: `"` + text + `"`, with `"` → `\"`, `\` → `\\`, U+0008 → `\b`, U+0009 → `\t`,
//!   U+000A → `\n`, U+000C → `\f`, U+000D → `\r`, other U+0000..=U+001F → `\u00xx` (lowercase hex),
//!   every other character (non-ASCII, `/`, U+007F, ...) written as itself;
//! - integers: decimal digits, with `-` when negative;
//! - other numbers: what ECMAScript `Number.prototype.toString` writes (shortest round-trip digits;
//!   `-0` → `0`, `2.0` → `2`, `1e21` → `1e+21`, `0.000001` → `0.000001`, `1e-7` → `1e-7`).
//!
//! This is exactly `JSON.stringify` applied to the value with object keys sorted recursively, so a
//! JavaScript verifier can recompute it: `sha256(JSON.stringify(sortKeysDeep({details, eventType,
//! prevHash, seq, timestamp})))`. (JavaScript's default sort compares UTF-16 units: it only differs
//! for keys mixing characters above U+FFFF with U+E000..=U+FFFF. Integers beyond ±2^53 are not
//! representable in JavaScript; the library never writes such numbers into details itself.)
//!
//! # Verification
//!
//! [`verify`] checks, for every record of a slice: its shape, that `seq` is the previous `seq + 1`,
//! that `prevHash` is the previous record's `hash`, and that `hash` is correct. The slice may start
//! mid-chain (its first `prevHash` is trusted). Removing records from the middle is detected;
//! removing them from the end, or appending forged ones, only against the [`AuditHead`] of the
//! log ([`AuditLog::head`], also in the snapshot), kept apart from the log. [`verify_log`] takes
//! the log as untrusted JSON and fails closed on anything that is not an array.
//!
//! The chain is unkeyed: anyone can compute a valid hash. So it cannot detect a log rewritten
//! from some record on (or entirely) with hashes recomputed, nor, without a head kept elsewhere,
//! a truncated tail or forged records appended at the end. It proves the records are consistent
//! with each other (and with a trusted head), not who wrote them.
//!
//! The in-memory log keeps the last `retention` records (default 10 000); older ones are dropped
//! from memory but the chain continues from the [`AuditHead`], which is all a snapshot stores.

use crate::error::GuardError;
use crate::json::write;
use crate::redact::Redactor;
use crate::time::iso8601;
use serde::Serialize;
use serde_json::{json, Number, Value};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fmt::Write as _;

/// `prevHash` of the first record of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Default number of records kept in memory.
pub const DEFAULT_RETENTION: usize = 10_000;
/// Largest `seq` a snapshot may hold (JavaScript's `Number.MAX_SAFE_INTEGER`).
const MAX_SEQ: u64 = (1 << 53) - 1;
/// Version written into and required from snapshots.
const SNAPSHOT_VERSION: u64 = 1;

/// One hash-chained audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// What happened, e.g. `circuit_opened`.
    pub event_type: String,
    /// When (ISO-8601, UTC).
    pub timestamp: String,
    /// Redacted details.
    pub details: Value,
    /// `hash` of the previous record ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 of the canonical encoding described in the module documentation.
    pub hash: String,
}

/// The last record of a chain: where the next record links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditHead {
    /// `seq` of the last record (0 before the first).
    pub seq: u64,
    /// `hash` of the last record ([`GENESIS_HASH`] before the first).
    pub hash: String,
}

/// The result of [`verify`]: `{ ok, brokenAt?, index?, reason? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Whether the whole slice is intact.
    pub ok: bool,
    /// Chain position of the first bad record: the previous record's `seq + 1`, or for the first
    /// record of the slice its own `seq` when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<u64>,
    /// Index in the slice of the first bad record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// What is wrong with it (never quotes record content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An append-only, hash-chained, redacting audit log with bounded in-memory retention.
#[derive(Debug, Clone)]
pub struct AuditLog {
    redactor: Redactor,
    retention: usize,
    records: VecDeque<AuditRecord>,
    head: AuditHead,
}

impl AuditLog {
    /// An empty log keeping the last [`DEFAULT_RETENTION`] records in memory.
    pub fn new(redactor: Redactor) -> Self {
        AuditLog::with_retention(redactor, DEFAULT_RETENTION)
    }

    /// An empty log keeping the last `retention` records in memory (0 keeps none; the chain and
    /// the records returned by [`AuditLog::append`] are unaffected).
    pub fn with_retention(redactor: Redactor, retention: usize) -> Self {
        AuditLog {
            redactor,
            retention,
            records: VecDeque::new(),
            head: AuditHead {
                seq: 0,
                hash: GENESIS_HASH.to_owned(),
            },
        }
    }

    /// Appends a record of `event_type` (a name the caller chose, kept as is) with the redacted
    /// `details` (values only) at `now_ms` and returns it.
    pub fn append(&mut self, event_type: &str, details: &Value, now_ms: f64) -> AuditRecord {
        let seq = self.head.seq.saturating_add(1);
        let event_type = event_type.to_owned();
        let timestamp = iso8601(now_ms);
        let details = self.redactor.redact_value(details);
        let hash = record_hash(seq, &event_type, &timestamp, &details, &self.head.hash);
        let record = AuditRecord {
            seq,
            event_type,
            timestamp,
            details,
            prev_hash: std::mem::replace(&mut self.head.hash, hash.clone()),
            hash,
        };
        self.head.seq = seq;
        self.records.push_back(record.clone());
        while self.records.len() > self.retention {
            self.records.pop_front();
        }
        record
    }

    /// Replaces the redactor (e.g. when a new token became known); earlier records are unchanged.
    pub fn set_redactor(&mut self, redactor: Redactor) {
        self.redactor = redactor;
    }

    /// The records kept in memory, oldest first.
    pub fn records(&self) -> &VecDeque<AuditRecord> {
        &self.records
    }

    /// The last record's `seq` and `hash`.
    pub fn head(&self) -> &AuditHead {
        &self.head
    }

    /// `{ "v": 1, "seq": <head seq>, "hash": <head hash> }`: enough to continue the chain.
    pub fn snapshot(&self) -> Value {
        json!({ "v": SNAPSHOT_VERSION, "seq": self.head.seq, "hash": self.head.hash })
    }

    /// A log that continues the chain of the log whose [`AuditLog::snapshot`] is given (no records
    /// in memory). Fails with [`GuardError::Config`] unless the snapshot is `{ v: 1, seq, hash }`
    /// with `seq` an integer 0..=2^53-1 and `hash` 64 lowercase hex digits.
    pub fn from_snapshot(
        redactor: Redactor,
        retention: usize,
        snapshot: &Value,
    ) -> Result<Self, GuardError> {
        let malformed = || {
            GuardError::Config(
                "malformed audit snapshot: expected { v: 1, seq: integer 0..=2^53-1, hash: 64 \
                 lowercase hex digits }"
                    .to_owned(),
            )
        };
        match snapshot.get("v").and_then(Value::as_u64) {
            Some(SNAPSHOT_VERSION) => {}
            Some(other) => {
                return Err(GuardError::Config(format!(
                    "unsupported audit snapshot version {other}; expected {SNAPSHOT_VERSION}"
                )))
            }
            None => return Err(malformed()),
        }
        let seq = snapshot
            .get("seq")
            .and_then(Value::as_u64)
            .filter(|s| *s <= MAX_SEQ)
            .ok_or_else(malformed)?;
        let hash = snapshot
            .get("hash")
            .and_then(Value::as_str)
            .filter(|h| is_hash(h))
            .ok_or_else(malformed)?;
        let mut log = AuditLog::with_retention(redactor, retention);
        log.head = AuditHead {
            seq,
            hash: hash.to_owned(),
        };
        Ok(log)
    }
}

/// Reason of a [`verify_log`] input that is not an array of records.
pub const NOT_A_LOG: &str = "NOT_A_LOG";
/// Reason of a [`verify_log`] head that is not `{ seq, hash }`.
pub const NOT_A_HEAD: &str = "NOT_A_HEAD";

impl AuditHead {
    /// Reads `{ seq, hash }` (other members, such as a snapshot's `v`, are ignored): `seq` an
    /// integer 0..=2^53-1, `hash` 64 lowercase hex digits.
    pub fn from_json(value: &Value) -> Option<AuditHead> {
        let seq = value
            .get("seq")
            .and_then(Value::as_u64)
            .filter(|s| *s <= MAX_SEQ)?;
        let hash = value
            .get("hash")
            .and_then(Value::as_str)
            .filter(|h| is_hash(h))?;
        Some(AuditHead {
            seq,
            hash: hash.to_owned(),
        })
    }
}

/// Checks a log as given from outside, failing closed: anything but an array is
/// `{ ok: false, reason: NOT_A_LOG }`, a `head` that is not `{ seq, hash }` is `NOT_A_HEAD`;
/// then [`verify`] with the head.
pub fn verify_log(log: &Value, head: Option<&Value>) -> Verification {
    let failed = |reason: &str| Verification {
        ok: false,
        broken_at: None,
        index: None,
        reason: Some(reason.to_owned()),
    };
    let Value::Array(records) = log else {
        return failed(NOT_A_LOG);
    };
    match head {
        None | Some(Value::Null) => verify(records, None),
        Some(head) => match AuditHead::from_json(head) {
            Some(head) => verify(records, Some(&head)),
            None => failed(NOT_A_HEAD),
        },
    }
}

/// Checks a slice of serialized [`AuditRecord`]s; see the module documentation. With `head`
/// (the log's [`AuditHead`] when it was exported), the slice must end at it: a removed tail or
/// records appended after it are reported. Never panics.
pub fn verify(records: &[Value], head: Option<&AuditHead>) -> Verification {
    let mut previous: Option<(u64, &str)> = None;
    for (index, raw) in records.iter().enumerate() {
        let expected_seq = previous.and_then(|(seq, _)| seq.checked_add(1));
        let broken = |reason: &str| Verification {
            ok: false,
            broken_at: expected_seq.or_else(|| raw.get("seq").and_then(Value::as_u64)),
            index: Some(index),
            reason: Some(reason.to_owned()),
        };
        let record = match ParsedRecord::read(raw) {
            Ok(record) => record,
            Err(reason) => return broken(&reason),
        };
        if let Some((_, prev_hash)) = previous {
            if Some(record.seq) != expected_seq {
                return broken("seq does not follow the previous record's seq");
            }
            if record.prev_hash != prev_hash {
                return broken("prevHash does not match the previous record's hash");
            }
        }
        let hash = record_hash(
            record.seq,
            record.event_type,
            record.timestamp,
            record.details,
            record.prev_hash,
        );
        if hash != record.hash {
            return broken("hash does not match the record's content");
        }
        previous = Some((record.seq, record.hash));
    }
    if let Some(head) = head {
        let end = previous.unwrap_or((0, GENESIS_HASH));
        let broken = |at: u64, reason: &str| Verification {
            ok: false,
            broken_at: Some(at),
            index: records
                .iter()
                .position(|r| r.get("seq").and_then(Value::as_u64) == Some(at)),
            reason: Some(reason.to_owned()),
        };
        if end.0 < head.seq {
            return broken(
                end.0.saturating_add(1),
                "the log ends before its head: records were removed from the end",
            );
        }
        if end.0 > head.seq {
            return broken(
                head.seq.saturating_add(1),
                "records follow the head: they were appended after it",
            );
        }
        if end.1 != head.hash {
            return broken(head.seq, "the last record's hash does not match the head");
        }
    }
    Verification {
        ok: true,
        broken_at: None,
        index: None,
        reason: None,
    }
}

/// The fields of a serialized record, borrowed.
struct ParsedRecord<'a> {
    seq: u64,
    event_type: &'a str,
    timestamp: &'a str,
    details: &'a Value,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> ParsedRecord<'a> {
    fn read(raw: &'a Value) -> Result<Self, String> {
        let object = raw
            .as_object()
            .ok_or_else(|| "record is not an object".to_owned())?;
        let text = |name: &str| {
            object
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("record has no string `{name}`"))
        };
        let hash_field = |name: &str| {
            text(name).and_then(|h| {
                if is_hash(h) {
                    Ok(h)
                } else {
                    Err(format!("record `{name}` is not 64 lowercase hex digits"))
                }
            })
        };
        Ok(ParsedRecord {
            seq: object
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or_else(|| "record has no integer `seq`".to_owned())?,
            event_type: text("eventType")?,
            timestamp: text("timestamp")?,
            details: object
                .get("details")
                .ok_or_else(|| "record has no `details`".to_owned())?,
            prev_hash: hash_field("prevHash")?,
            hash: hash_field("hash")?,
        })
    }
}

/// Whether `text` is 64 lowercase hex digits.
fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The record hash defined in the module documentation.
fn record_hash(
    seq: u64,
    event_type: &str,
    timestamp: &str,
    details: &Value,
    prev_hash: &str,
) -> String {
    // The canonical object, members already in key order.
    let mut text = String::from("{\"details\":");
    write_canonical(&mut text, details);
    text.push_str(",\"eventType\":");
    write::string(&mut text, event_type);
    text.push_str(",\"prevHash\":");
    write::string(&mut text, prev_hash);
    let _ = write!(text, ",\"seq\":{seq},\"timestamp\":");
    write::string(&mut text, timestamp);
    text.push('}');
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A piece of canonical output still to be written.
enum Pending<'a> {
    Value(&'a Value),
    Key(&'a str),
    Text(&'static str),
}

/// The canonical JSON text of `value` (module documentation). Iterative, so any nesting depth is
/// safe.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    let mut stack = vec![Pending::Value(value)];
    while let Some(piece) = stack.pop() {
        match piece {
            Pending::Text(text) => out.push_str(text),
            Pending::Key(key) => {
                write::string(out, key);
                out.push(':');
            }
            Pending::Value(Value::Null) => out.push_str("null"),
            Pending::Value(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Pending::Value(Value::Number(n)) => write_number(out, n),
            Pending::Value(Value::String(s)) => write::string(out, s),
            Pending::Value(Value::Array(items)) => {
                out.push('[');
                stack.push(Pending::Text("]"));
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push(Pending::Value(item));
                    if i > 0 {
                        stack.push(Pending::Text(","));
                    }
                }
            }
            Pending::Value(Value::Object(map)) => {
                out.push('{');
                stack.push(Pending::Text("}"));
                // serde_json's map iterates sorted by key (no `preserve_order` feature: the test
                // `maps_iterate_in_key_order` fails if a dependency turns it on).
                for (i, (key, item)) in map.iter().enumerate().rev() {
                    stack.push(Pending::Value(item));
                    stack.push(Pending::Key(key));
                    if i > 0 {
                        stack.push(Pending::Text(","));
                    }
                }
            }
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        out.push_str(&js_number_text(n.as_f64().unwrap_or(0.0)));
    }
}

/// The shortest decimal digits `d1d2...dk` and exponent `e` with `x == d1.d2...dk × 10^e`, chosen
/// as ECMAScript does: among the shortest candidates the closest, and on an exact tie the even one.
/// (Rust's `{:e}` gives the shortest closest digits but breaks ties upwards.)
fn shortest_digits(x: f64) -> Option<(String, i64)> {
    let (digits, exponent) = split_scientific(&format!("{x:e}"))?;
    let last = *digits.as_bytes().last()?;
    if last % 2 == 0 {
        return Some((digits, exponent));
    }
    // The candidate just below (no borrow: the last digit is odd, so at least 1).
    let mut lower = digits.clone();
    lower.pop();
    lower.push(char::from(last - 1));
    let lower_round_trips = format!("{}.{}e{exponent}", lower.get(..1)?, lower.get(1..)?)
        .parse::<f64>()
        .is_ok_and(|y| y == x);
    if lower_round_trips {
        // An f64 has at most 767 significant decimal digits, so 800 digits are exact.
        let (exact, exact_exponent) = split_scientific(&format!("{x:.800e}"))?;
        let rest = exact.get(lower.len()..)?;
        let is_tie = exact_exponent == exponent
            && exact.starts_with(&lower)
            && rest.starts_with('5')
            && rest.bytes().skip(1).all(|b| b == b'0');
        if is_tie {
            return Some((lower, exponent));
        }
    }
    Some((digits, exponent))
}

/// Splits Rust's `d.ddde±x` text into its digits and exponent.
fn split_scientific(text: &str) -> Option<(String, i64)> {
    let (mantissa, exponent) = text.split_once('e')?;
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    Some((digits, exponent.parse().ok()?))
}

/// ECMAScript `Number::toString(x)` for finite `x` (`null` otherwise, as `JSON.stringify` writes).
fn js_number_text(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let Some((digits, exponent)) = shortest_digits(x.abs()) else {
        return x.to_string();
    };
    let k = digits.len() as i64; // number of significant digits
    let n = exponent.saturating_add(1); // position of the decimal point
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    let split = usize::try_from(n).unwrap_or(0);
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat('0').take(split.saturating_sub(digits.len())));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(split.min(digits.len()));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat('0').take(usize::try_from(-n).unwrap_or(0)));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n.saturating_sub(1);
        let _ = write!(
            out,
            "e{}{}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: f64 = 1_700_000_000_000.0;

    fn log_with(n: usize) -> (AuditLog, Vec<Value>) {
        let mut log = AuditLog::new(Redactor::default());
        let records = (0..n)
            .map(|i| {
                let record = log.append(
                    "call_failed",
                    &json!({ "endpointId": "weather", "attempt": i, "latencyMs": 12.5 }),
                    T0 + i as f64,
                );
                serde_json::to_value(record).unwrap()
            })
            .collect();
        (log, records)
    }

    #[test]
    fn verify_log_fails_closed_on_anything_but_an_array() {
        let (_, records) = log_with(2);
        for not_a_log in [
            json!("garbage"),
            Value::Null,
            json!(42),
            json!({}),
            json!({ "records": records }),
        ] {
            let v = verify_log(&not_a_log, None);
            assert_eq!(
                (v.ok, v.reason.as_deref()),
                (false, Some(NOT_A_LOG)),
                "{not_a_log}"
            );
        }
        assert!(verify_log(&Value::Array(records.clone()), None).ok);
        let v = verify_log(&Value::Array(records), Some(&json!({ "seq": "2" })));
        assert_eq!((v.ok, v.reason.as_deref()), (false, Some(NOT_A_HEAD)));
        assert!(verify_log(&json!([]), None).ok);
    }

    #[test]
    fn the_head_detects_a_removed_tail_and_an_appended_forgery() {
        let (mut log, mut records) = log_with(4);
        let head = serde_json::to_value(log.head()).unwrap();
        assert_eq!(head["seq"], 4);
        assert!(verify_log(&Value::Array(records.clone()), Some(&head)).ok);
        let snapshot_head = log.snapshot();
        assert!(verify_log(&Value::Array(records.clone()), Some(&snapshot_head)).ok);

        let truncated = Value::Array(records[..2].to_vec());
        assert!(verify(&records[..2], None).ok, "invisible without the head");
        let v = verify_log(&truncated, Some(&head));
        assert_eq!((v.ok, v.broken_at, v.index), (false, Some(3), None));
        let v = verify_log(&json!([]), Some(&head));
        assert_eq!((v.ok, v.broken_at), (false, Some(1)));

        // A forgery appended with a correct hash: the chain is intact, the head is not.
        let mut forger = AuditLog::from_snapshot(Redactor::default(), 10, &log.snapshot()).unwrap();
        records.push(serde_json::to_value(forger.append("forged", &json!({}), T0)).unwrap());
        assert!(verify(&records, None).ok);
        let v = verify_log(&Value::Array(records.clone()), Some(&head));
        assert_eq!((v.ok, v.broken_at, v.index), (false, Some(5), Some(4)));

        // A head from another chain at the same seq.
        log.append("later", &json!({}), T0);
        let (_, other) = log_with(5);
        let v = verify_log(
            &Value::Array(other),
            Some(&serde_json::to_value(log.head()).unwrap()),
        );
        assert_eq!((v.ok, v.broken_at, v.index), (false, Some(5), Some(4)));
    }

    #[test]
    fn maps_iterate_in_key_order() {
        let mut map = serde_json::Map::new();
        for key in ["b", "a", "é", "B", "aa", ""] {
            map.insert(key.to_owned(), Value::Null);
        }
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["", "B", "a", "aa", "b", "é"]);
    }

    #[test]
    fn canonical_encoding_matches_json_stringify_of_sorted_keys() {
        let value = json!({
            "b": [1, -2, 2.0, -0.0, 0.5, 1e21, 1e-7, 0.000001, 123456789012.25, 1.5e300],
            "a": { "z": null, "y": true, "é": "x\"\\\n\t\u{1}\u{7f}/ü" },
            "": false
        });
        assert_eq!(
            canonical_json(&value),
            r#"{"":false,"a":{"y":true,"z":null,"é":"x\"\\\n\t\u0001<DEL>/ü"},"b":[1,-2,2,0,0.5,1e+21,1e-7,0.000001,123456789012.25,1.5e+300]}"#
                .replace("<DEL>", "\u{7f}")
        );
        for (x, js) in [
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (123e18, "123000000000000000000"),
            (1.25e-5, "0.0000125"),
            (-3.5e-9, "-3.5e-9"),
            (0.1, "0.1"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            // Exact ties between two shortest candidates: ECMAScript takes the even one.
            (1_690_060_720_831_323.2, "1690060720831323.2"),
            (-233_115_890_514_796.12, "-233115890514796.12"),
        ] {
            assert_eq!(js_number_text(x), js, "{x}");
        }
    }

    #[test]
    fn known_hash_of_a_first_record() {
        // Computed independently: Python `hashlib.sha256(json.dumps(d, sort_keys=True,
        // separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()`.
        let mut log = AuditLog::new(Redactor::default());
        let record = log.append("e", &json!({"a": 1}), 0.0);
        assert_eq!(
            record.hash,
            "2aa9e5703c3ec7b4255c3381f890386c87d21de1c2e80c6c78eb5b8564dac820"
        );
    }

    #[test]
    fn append_chains_redacts_and_verifies() {
        let mut log = AuditLog::new(Redactor::new(vec!["sup3r-secret".into()]));
        let first = log.append(
            "token_refreshed",
            &json!({"accessToken": "abc", "note": "used sup3r-secret"}),
            T0,
        );
        assert_eq!(first.seq, 1);
        assert_eq!(first.prev_hash, GENESIS_HASH);
        assert_eq!(first.timestamp, "2023-11-14T22:13:20.000Z");
        assert_eq!(
            first.details,
            json!({"accessToken": "[REDACTED]", "note": "used [REDACTED]"})
        );
        let second = log.append("call", &json!(null), T0 - 10.0);
        assert_eq!(
            (second.seq, second.prev_hash.as_str()),
            (2, first.hash.as_str())
        );
        assert_eq!(
            log.head(),
            &AuditHead {
                seq: 2,
                hash: second.hash.clone()
            }
        );
        let json = serde_json::to_value(&second).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "details",
                "eventType",
                "hash",
                "prevHash",
                "seq",
                "timestamp"
            ]
        );
        let records: Vec<Value> = log
            .records()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        assert_eq!(
            verify(&records, None),
            Verification {
                ok: true,
                broken_at: None,
                index: None,
                reason: None
            }
        );
        assert!(verify(&[], None).ok);
    }

    #[test]
    fn retention_bounds_memory_but_the_chain_continues() {
        let mut log = AuditLog::with_retention(Redactor::default(), 3);
        let all: Vec<Value> = (0..10)
            .map(|i| serde_json::to_value(log.append("e", &json!(i), T0)).unwrap())
            .collect();
        assert_eq!(log.records().len(), 3);
        assert_eq!(log.records().front().unwrap().seq, 8);
        assert_eq!(log.head().seq, 10);
        assert!(verify(&all, None).ok);
        let kept: Vec<Value> = log
            .records()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        assert!(
            verify(&kept, None).ok,
            "a slice starting mid-chain verifies"
        );

        let mut none = AuditLog::with_retention(Redactor::default(), 0);
        assert_eq!(none.append("e", &json!(1), T0).seq, 1);
        assert!(none.records().is_empty());
    }

    #[test]
    fn snapshot_restores_the_head_and_continues_the_chain() {
        let (log, mut records) = log_with(4);
        let snap = log.snapshot();
        assert_eq!(snap, json!({"v": 1, "seq": 4, "hash": log.head().hash}));
        let mut restored = AuditLog::from_snapshot(Redactor::default(), 100, &snap).unwrap();
        assert!(restored.records().is_empty());
        let next = restored.append("resumed", &json!({}), T0 + 100.0);
        assert_eq!(next.seq, 5);
        assert_eq!(next.prev_hash, log.head().hash);
        records.push(serde_json::to_value(next).unwrap());
        assert!(verify(&records, None).ok);
    }

    #[test]
    fn malformed_snapshots_are_config_errors() {
        let hash = "a".repeat(64);
        for snap in [
            json!(null),
            json!({"seq": 1, "hash": hash}),
            json!({"v": 2, "seq": 1, "hash": hash}),
            json!({"v": 1, "seq": -1, "hash": hash}),
            json!({"v": 1, "seq": 1u64 << 53, "hash": hash}),
            json!({"v": 1, "seq": 1, "hash": "A".repeat(64)}),
            json!({"v": 1, "seq": 1, "hash": "a".repeat(63)}),
            json!({"v": 1, "seq": 1}),
        ] {
            let err = AuditLog::from_snapshot(Redactor::default(), 1, &snap).unwrap_err();
            assert!(matches!(err, GuardError::Config(_)), "{snap}");
        }
        assert!(AuditLog::from_snapshot(
            Redactor::default(),
            1,
            &json!({"v": 1, "seq": 0, "hash": GENESIS_HASH})
        )
        .is_ok());
    }

    #[test]
    fn malformed_records_are_reported_with_their_index() {
        let (_, records) = log_with(3);
        let mut bad = records.clone();
        bad[1] = json!("not a record");
        let v = verify(&bad, None);
        assert_eq!((v.ok, v.index, v.broken_at), (false, Some(1), Some(2)));
        assert_eq!(v.reason.as_deref(), Some("record is not an object"));

        let mut bad = records.clone();
        bad[0].as_object_mut().unwrap().remove("seq");
        let v = verify(&bad, None);
        assert_eq!((v.ok, v.index, v.broken_at), (false, Some(0), None));

        let mut bad = records;
        bad[2]["hash"] = json!("XYZ");
        let v = verify(&bad, None);
        assert_eq!((v.index, v.broken_at), (Some(2), Some(3)));
        assert!(v.reason.unwrap().contains("hash"));

        let serialized = serde_json::to_value(verify(&[json!(1)], None)).unwrap();
        assert_eq!(
            serialized,
            json!({"ok": false, "index": 0, "reason": "record is not an object"})
        );
    }

    #[test]
    fn deep_details_are_hashed_without_recursion() {
        let mut deep = json!(1);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let text = canonical_json(&deep);
        assert_eq!(text.len(), 200_001);
        // Dismantle iteratively: serde_json's recursive drop would overflow the test thread stack.
        let mut cursor = deep;
        while let Value::Array(mut items) = cursor {
            cursor = items.pop().unwrap_or(Value::Null);
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Field {
        Seq,
        EventType,
        Timestamp,
        Details,
        PrevHash,
        Hash,
    }

    const FIELD_NAMES: [&str; 6] = [
        "seq",
        "eventType",
        "timestamp",
        "details",
        "prevHash",
        "hash",
    ];

    fn tamper(record: &mut Value, field: Field, delta: u64, remove: bool) {
        let name = FIELD_NAMES[field as usize];
        if remove {
            record.as_object_mut().unwrap().remove(name);
            return;
        }
        let slot = &mut record[name];
        *slot = match field {
            Field::Seq => json!(slot.as_u64().unwrap() + 1 + delta),
            Field::EventType | Field::Timestamp => json!(format!("{}x", slot.as_str().unwrap())),
            Field::Details => json!({ "tampered": slot.clone() }),
            Field::PrevHash | Field::Hash => {
                let h = slot.as_str().unwrap();
                let flipped = if h.starts_with('0') { '1' } else { '0' };
                json!(format!("{flipped}{}", &h[1..]))
            }
        };
    }

    fn field() -> impl Strategy<Value = Field> {
        prop_oneof![
            Just(Field::Seq),
            Just(Field::EventType),
            Just(Field::Timestamp),
            Just(Field::Details),
            Just(Field::PrevHash),
            Just(Field::Hash),
        ]
    }

    fn details() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(null)),
            any::<i32>().prop_map(|i| json!({ "n": i })),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!([f])),
            "\\PC{0,12}".prop_map(|s| json!({ "msg": s, "nested": { "list": [s] } })),
        ]
    }

    proptest! {
        #[test]
        fn tampering_any_field_is_located(
            all_details in prop::collection::vec(details(), 1..12),
            pick in any::<prop::sample::Index>(),
            field in field(),
            delta in 0u64..1000,
            remove in any::<bool>(),
        ) {
            let mut log = AuditLog::new(Redactor::default());
            let mut records: Vec<Value> = all_details
                .iter()
                .enumerate()
                .map(|(i, d)| serde_json::to_value(log.append("evt", d, T0 + i as f64)).unwrap())
                .collect();
            prop_assert!(verify(&records, None).ok);
            let k = pick.index(records.len());
            let original_seq = records[k]["seq"].as_u64().unwrap();
            tamper(&mut records[k], field, delta, remove);
            let v = verify(&records, None);
            let expected = if k > 0 { Some(original_seq) } else { records[k].get("seq").and_then(Value::as_u64) };
            prop_assert!(!v.ok);
            prop_assert_eq!(v.index, Some(k));
            prop_assert_eq!(v.broken_at, expected);
            // The intact prefix still verifies.
            prop_assert!(verify(&records[..k], None).ok);
        }

        #[test]
        fn deleting_a_middle_record_is_detected(n in 3usize..15, pick in any::<prop::sample::Index>()) {
            let mut log = AuditLog::new(Redactor::default());
            let mut records: Vec<Value> = (0..n)
                .map(|i| serde_json::to_value(log.append("evt", &json!({ "i": i }), T0)).unwrap())
                .collect();
            let k = 1 + pick.index(n - 2);
            let removed = records.remove(k);
            let v = verify(&records, None);
            prop_assert!(!v.ok);
            prop_assert_eq!(v.index, Some(k));
            prop_assert_eq!(v.broken_at, removed["seq"].as_u64());
        }
    }
}
