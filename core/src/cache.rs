//! Last-known-good responses per request, served when the live call fails.
//!
//! A [`FallbackCache`] keeps one JSON value per (endpoint id, request key) for `ttl_ms` (default
//! 300 000 ms, the seed's value) and at most `max_entries` entries over all keys (default 1000),
//! evicting the least recently used one (a [`FallbackCache::get`] hit or a
//! [`FallbackCache::put`] counts as a use). Every operation is O(log n): entries live in a
//! `HashMap`, and a `BTreeMap` orders them by a monotonically increasing use counter.
//!
//! The request key ([`request_key`]) is the call's `cacheKey` when given, else method and
//! absolute URL for GET and HEAD; other requests are not cached. So a degraded answer from cache
//! is always an earlier answer to the same request.
//!
//! An entry is fresh while `now - storedAt < ttl`. A `storedAt` later than `now` (a clock that
//! went backwards, a wild reading, a snapshot from the future) is moved back to `now`: the
//! entry has age 0 then, and expires `ttl` after that reading. Instants that are not finite
//! numbers are treated as 0 (the epoch).
//!
//! Snapshot (JSON-safe, least recently used first): `{ "v": 2, "entries": [ { "endpointId":
//! "...", "key": "GET https://...", "storedAtMs": 1700000000000, "value": ... } ] }`. A version 1
//! snapshot (keyed by endpoint only) restores empty: its answers cannot be told apart by request.

use crate::error::GuardError;
use crate::json::read::{self, missing, Read};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Default time a cached response stays usable, in milliseconds (seed value).
pub const DEFAULT_TTL_MS: u64 = 300_000;
/// Default number of entries kept.
pub const DEFAULT_MAX_ENTRIES: usize = 1000;
/// Version written into snapshots.
const SNAPSHOT_VERSION: u64 = 2;
/// The version keyed by endpoint only, read as empty.
const ENDPOINT_KEYED_VERSION: u64 = 1;

/// The cache key of a request: `cache_key` when given, else `"{METHOD} {url}"` for GET and HEAD
/// (an empty method is GET; `url` absolute); `None` (not cached) for other methods.
pub fn request_key(cache_key: Option<&str>, method: &str, url: &str) -> Option<String> {
    if let Some(key) = cache_key {
        return Some(key.to_owned());
    }
    let method = if method.is_empty() { "GET" } else { method };
    ["GET", "HEAD"]
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .map(|m| format!("{m} {url}"))
}

/// A cached response and how old it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheHit {
    /// The stored response.
    pub value: Value,
    /// Milliseconds since it was stored (0 when the clock went backwards).
    pub age_ms: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    stored_at_ms: f64,
    last_use: u64,
}

/// (endpoint id, request key).
type Key = (String, String);

/// One entry of a snapshot, as read back.
struct SnapshotEntry {
    endpoint_id: String,
    key: String,
    stored_at_ms: f64,
    value: Value,
}

impl SnapshotEntry {
    /// Reads `{ endpointId, key, storedAtMs, value }` (each required, `value` any JSON).
    fn read(item: &Value) -> Read<Self> {
        let f = read::fields(item, "SnapshotEntry")?;
        Ok(SnapshotEntry {
            endpoint_id: missing(f.present("endpointId", read::string)?, "endpointId")?,
            key: missing(f.present("key", read::string)?, "key")?,
            stored_at_ms: missing(f.present("storedAtMs", read::f64)?, "storedAtMs")?,
            value: missing(f.present("value", |v| Ok(v.clone()))?, "value")?,
        })
    }
}

/// Last-known-good responses per request with a TTL and LRU eviction.
#[derive(Debug, Clone)]
pub struct FallbackCache {
    ttl_ms: u64,
    max_entries: usize,
    entries: HashMap<Key, Entry>,
    /// Keys by their last use; the first one is the least recently used.
    by_use: BTreeMap<u64, Key>,
    /// Use counter; at one use per nanosecond it would take centuries to saturate.
    uses: u64,
}

impl Default for FallbackCache {
    fn default() -> Self {
        FallbackCache::new(DEFAULT_TTL_MS, DEFAULT_MAX_ENTRIES)
    }
}

impl FallbackCache {
    /// An empty cache; `max_entries == 0` disables caching (nothing is kept).
    pub fn new(ttl_ms: u64, max_entries: usize) -> Self {
        FallbackCache {
            ttl_ms,
            max_entries,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            uses: 0,
        }
    }

    /// Stores `value` as the last good response to request `key` of `endpoint_id` at `now_ms`,
    /// replacing any previous one and evicting the least recently used entry when full.
    pub fn put(&mut self, endpoint_id: &str, key: &str, value: Value, now_ms: f64) {
        let key = (endpoint_id.to_owned(), key.to_owned());
        self.insert(key, value, instant(now_ms));
    }

    /// Like [`Self::put`] with a borrowed value: copied only when it differs from the stored one.
    pub fn put_ref(&mut self, endpoint_id: &str, key: &str, value: &Value, now_ms: f64) {
        let key = (endpoint_id.to_owned(), key.to_owned());
        let same = self.entries.get(&key).is_some_and(|e| e.value == *value);
        if !same {
            self.insert(key, value.clone(), instant(now_ms));
            return;
        }
        let use_id = self.next_use();
        if let Some(entry) = self.entries.get_mut(&key) {
            self.by_use.remove(&entry.last_use);
            entry.stored_at_ms = instant(now_ms);
            entry.last_use = use_id;
            self.by_use.insert(use_id, key);
        }
    }

    /// The fresh response to request `key` of `endpoint_id`, marking it as recently used. An
    /// expired entry is removed and `None` returned.
    pub fn get(&mut self, endpoint_id: &str, key: &str, now_ms: f64) -> Option<CacheHit> {
        let key = (endpoint_id.to_owned(), key.to_owned());
        let age = age_ms(self.entries.get(&key)?.stored_at_ms, now_ms);
        if age >= self.ttl_ms as f64 {
            self.remove_key(&key);
            return None;
        }
        let use_id = self.next_use();
        let entry = self.entries.get_mut(&key)?;
        entry.stored_at_ms = entry.stored_at_ms.min(instant(now_ms));
        self.by_use.remove(&entry.last_use);
        entry.last_use = use_id;
        let hit = CacheHit {
            value: entry.value.clone(),
            age_ms: age as u64,
        };
        self.by_use.insert(use_id, key);
        Some(hit)
    }

    /// Forgets the response to request `key` of `endpoint_id`; returns whether there was one.
    pub fn remove(&mut self, endpoint_id: &str, key: &str) -> bool {
        self.remove_key(&(endpoint_id.to_owned(), key.to_owned()))
    }

    fn remove_key(&mut self, key: &Key) -> bool {
        match self.entries.remove(key) {
            Some(entry) => {
                self.by_use.remove(&entry.last_use);
                true
            }
            None => false,
        }
    }

    /// Number of entries held (expired ones count until they are looked up or restored).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_use.clear();
    }

    /// The versioned JSON-safe snapshot described in the module documentation.
    pub fn snapshot(&self) -> Value {
        let entries: Vec<Value> = self
            .by_use
            .values()
            .filter_map(|key| {
                let entry = self.entries.get(key)?;
                Some(json!({
                    "endpointId": key.0,
                    "key": key.1,
                    "storedAtMs": entry.stored_at_ms,
                    "value": entry.value,
                }))
            })
            .collect();
        json!({ "v": SNAPSHOT_VERSION, "entries": entries })
    }

    /// Rebuilds a cache from [`FallbackCache::snapshot`] output, dropping entries already expired
    /// at `now_ms` and keeping only the `max_entries` most recently used ones. A version 1
    /// snapshot gives an empty cache.
    ///
    /// Fails with [`GuardError::Config`] when the snapshot does not have the documented shape.
    pub fn from_snapshot(
        snapshot: &Value,
        ttl_ms: u64,
        max_entries: usize,
        now_ms: f64,
    ) -> Result<Self, GuardError> {
        let mut cache = FallbackCache::new(ttl_ms, max_entries);
        match snapshot.get("v").and_then(Value::as_u64) {
            Some(SNAPSHOT_VERSION) => {}
            Some(ENDPOINT_KEYED_VERSION) => return Ok(cache),
            Some(other) => {
                return Err(GuardError::Config(format!(
                    "unsupported cache snapshot version {other}; expected {SNAPSHOT_VERSION}"
                )))
            }
            None => return Err(malformed()),
        }
        let items = snapshot
            .get("entries")
            .and_then(Value::as_array)
            .ok_or_else(malformed)?;
        for item in items {
            // The reader's message is not forwarded: it may quote cached content.
            let entry = SnapshotEntry::read(item).map_err(|_| malformed())?;
            if !entry.stored_at_ms.is_finite() {
                return Err(malformed());
            }
            if age_ms(entry.stored_at_ms, now_ms) < ttl_ms as f64 {
                let stored_at_ms = entry.stored_at_ms.min(instant(now_ms));
                cache.insert((entry.endpoint_id, entry.key), entry.value, stored_at_ms);
            }
        }
        Ok(cache)
    }

    fn insert(&mut self, key: Key, value: Value, stored_at_ms: f64) {
        if self.max_entries == 0 {
            return;
        }
        let use_id = self.next_use();
        if let Some(entry) = self.entries.get_mut(&key) {
            self.by_use.remove(&entry.last_use);
            *entry = Entry {
                value,
                stored_at_ms,
                last_use: use_id,
            };
            self.by_use.insert(use_id, key);
            return;
        }
        while self.entries.len() >= self.max_entries {
            match self.by_use.pop_first() {
                Some((_, oldest)) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        self.by_use.insert(use_id, key.clone());
        self.entries.insert(
            key,
            Entry {
                value,
                stored_at_ms,
                last_use: use_id,
            },
        );
    }

    fn next_use(&mut self) -> u64 {
        self.uses = self.uses.saturating_add(1);
        self.uses
    }
}

fn malformed() -> GuardError {
    GuardError::Config(
        "malformed cache snapshot: expected { v: 2, entries: [{ endpointId: string, key: \
         string, storedAtMs: number, value }] }"
            .to_owned(),
    )
}

/// A usable instant: non-finite input becomes 0.
fn instant(ms: f64) -> f64 {
    if ms.is_finite() {
        ms
    } else {
        0.0
    }
}

/// Milliseconds from `stored_at_ms` to `now_ms`, never negative.
fn age_ms(stored_at_ms: f64, now_ms: f64) -> f64 {
    (instant(now_ms) - stored_at_ms).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_700_000_000_000.0;

    #[test]
    fn serves_fresh_entries_and_expires_at_ttl() {
        let mut cache = FallbackCache::new(1000, 10);
        cache.put("e", "weather", json!({"temp": 21}), T0);
        assert_eq!(
            cache.get("e", "weather", T0 + 999.5),
            Some(CacheHit {
                value: json!({"temp": 21}),
                age_ms: 999
            })
        );
        assert_eq!(cache.get("e", "weather", T0 + 1000.0), None);
        assert_eq!(cache.len(), 0, "an expired entry is removed on lookup");
        assert_eq!(cache.get("e", "unknown", T0), None);
    }

    #[test]
    fn put_replaces_and_restarts_the_ttl() {
        let mut cache = FallbackCache::new(1000, 10);
        cache.put("e", "a", json!(1), T0);
        cache.put("e", "a", json!(2), T0 + 800.0);
        assert_eq!(cache.len(), 1);
        let hit = cache.get("e", "a", T0 + 1500.0).unwrap();
        assert_eq!((hit.value, hit.age_ms), (json!(2), 700));
    }

    #[test]
    fn put_ref_replaces_and_restarts_the_ttl_like_put() {
        let mut cache = FallbackCache::new(1000, 2);
        cache.put_ref("e", "a", &json!({ "v": 1 }), T0);
        cache.put_ref("e", "b", &json!(0), T0);
        // The same value again: kept, its TTL restarted, and it becomes the most recent.
        cache.put_ref("e", "a", &json!({ "v": 1 }), T0 + 800.0);
        cache.put("e", "c", json!(3), T0 + 800.0);
        assert_eq!(cache.len(), 2);
        assert_eq!(
            cache.get("e", "b", T0 + 800.0),
            None,
            "b was the least recently used"
        );
        let hit = cache.get("e", "a", T0 + 1500.0).unwrap();
        assert_eq!((hit.value, hit.age_ms), (json!({ "v": 1 }), 700));
        // Another value replaces it.
        cache.put_ref("e", "a", &json!({ "v": 2 }), T0 + 1600.0);
        assert_eq!(
            cache.get("e", "a", T0 + 1600.0).unwrap().value,
            json!({ "v": 2 })
        );
        let mut off = FallbackCache::new(1000, 0);
        off.put_ref("e", "a", &json!(1), T0);
        assert!(off.is_empty());
    }

    #[test]
    fn clock_going_backwards_gives_age_zero() {
        let mut cache = FallbackCache::default();
        cache.put("e", "a", json!(1), T0);
        assert_eq!(cache.get("e", "a", T0 - 5000.0).unwrap().age_ms, 0);
        cache.put("e", "b", json!(2), f64::NAN);
        assert_eq!(cache.get("e", "b", 10.0).unwrap().age_ms, 10);
    }

    #[test]
    fn a_future_stored_at_never_makes_an_entry_immortal() {
        let mut cache = FallbackCache::new(1000, 10);
        cache.put("e", "wild", json!(1), T0 + 3.0e10);
        assert_eq!(cache.get("e", "wild", T0).unwrap().age_ms, 0);
        assert_eq!(cache.get("e", "wild", T0 + 1000.0), None);

        let snapshot = json!({ "v": 2, "entries": [
            { "endpointId": "e", "key": "a", "storedAtMs": 8.0e15, "value": 1 },
        ] });
        let mut restored = FallbackCache::from_snapshot(&snapshot, 1000, 10, T0).unwrap();
        assert_eq!(restored.get("e", "a", T0 + 999.0).unwrap().age_ms, 999);
        assert_eq!(restored.get("e", "a", T0 + 1000.0), None);
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut cache = FallbackCache::new(DEFAULT_TTL_MS, 3);
        cache.put("e", "a", json!("a"), T0);
        cache.put("e", "b", json!("b"), T0 + 1.0);
        cache.put("e", "c", json!("c"), T0 + 2.0);
        assert!(cache.get("e", "a", T0 + 3.0).is_some()); // a is now the most recent
        cache.put("e", "d", json!("d"), T0 + 4.0); // evicts b
        assert_eq!(cache.len(), 3);
        assert!(cache.get("e", "b", T0 + 5.0).is_none());
        cache.put("e", "c", json!("c2"), T0 + 6.0); // refreshes c; a is now the oldest use
        cache.put("e", "e", json!("e"), T0 + 7.0); // evicts a
        assert!(cache.get("e", "a", T0 + 8.0).is_none());
        for key in ["c", "d", "e"] {
            assert!(cache.get("e", key, T0 + 9.0).is_some(), "{key}");
        }
    }

    #[test]
    fn zero_capacity_keeps_nothing_and_clear_empties() {
        let mut cache = FallbackCache::new(DEFAULT_TTL_MS, 0);
        cache.put("e", "a", json!(1), T0);
        assert!(cache.is_empty());
        let mut cache = FallbackCache::default();
        cache.put("e", "a", json!(1), T0);
        cache.put("e", "b", json!(1), T0);
        cache.clear();
        assert!(cache.is_empty());
        assert!(cache.get("e", "a", T0).is_none());
        assert!(!cache.remove("e", "a"));
    }

    #[test]
    fn snapshot_round_trip_keeps_order_drops_expired_and_respects_bound() {
        let mut cache = FallbackCache::new(1000, 10);
        cache.put("e", "old", json!("o"), T0);
        cache.put("e", "x", json!({"k": [1, 2]}), T0 + 500.0);
        cache.put("e", "y", json!(null), T0 + 600.0);
        cache.put("e", "z", json!("z"), T0 + 700.0);
        assert!(cache.get("e", "x", T0 + 800.0).is_some()); // order of use: old, y, z, x
        let snap = cache.snapshot();
        assert_eq!(snap["v"], 2);
        let ids: Vec<&str> = snap["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap())
            .collect();
        assert_eq!(snap["entries"][0]["endpointId"], "e");
        assert_eq!(ids, ["old", "y", "z", "x"]);
        assert_eq!(snap["entries"][0]["storedAtMs"], json!(T0));

        // At T0 + 1200 "old" is expired; the bound of 2 keeps the two most recently used.
        let mut restored = FallbackCache::from_snapshot(&snap, 1000, 2, T0 + 1200.0).unwrap();
        assert_eq!(restored.len(), 2);
        assert!(restored.get("e", "y", T0 + 1200.0).is_none());
        let hit = restored.get("e", "x", T0 + 1200.0).unwrap();
        assert_eq!((hit.value, hit.age_ms), (json!({"k": [1, 2]}), 700));
        assert_eq!(restored.get("e", "z", T0 + 1200.0).unwrap().age_ms, 500);
    }

    #[test]
    fn malformed_snapshots_are_config_errors() {
        let bad = [
            json!(null),
            json!([]),
            json!({"entries": []}),
            json!({"v": "1", "entries": []}),
            json!({"v": 2}),
            json!({"v": 2, "entries": {}}),
            json!({"v": 2, "entries": [1]}),
            json!({"v": 2, "entries": [{"endpointId": 5, "key": "k", "storedAtMs": 1, "value": 1}]}),
            json!({"v": 2, "entries": [{"endpointId": "a", "storedAtMs": 1, "value": 1}]}),
            json!({"v": 2, "entries": [{"endpointId": "a", "key": "k", "storedAtMs": "x", "value": 1}]}),
            json!({"v": 2, "entries": [{"endpointId": "a", "key": "k", "storedAtMs": 1}]}),
        ];
        for snap in bad {
            let err = FallbackCache::from_snapshot(&snap, 1000, 10, T0).unwrap_err();
            assert!(matches!(err, GuardError::Config(_)), "{snap}");
        }
        // `value` may be any JSON, `null` included; unknown keys are ignored.
        let null = json!({"v": 2, "entries": [{"endpointId": "a", "key": "k", "storedAtMs": T0,
            "value": null, "extra": 1}]});
        let mut cache = FallbackCache::from_snapshot(&null, 1000, 10, T0).unwrap();
        assert_eq!(
            cache.get("a", "k", T0).map(|hit| hit.value),
            Some(json!(null))
        );
        let err =
            FallbackCache::from_snapshot(&json!({"v": 3, "entries": []}), 1, 1, T0).unwrap_err();
        assert!(err.to_string().contains("version 3"));
        // A secret-looking cached string is not echoed in the error.
        let snap = json!({"v": 2, "entries": [{"endpointId": "a", "key": "k", "storedAtMs": "tok-123", "value": 1}]});
        let err = FallbackCache::from_snapshot(&snap, 1000, 10, T0).unwrap_err();
        assert!(!err.to_string().contains("tok-123"));
    }

    #[test]
    fn entries_are_per_request_and_endpoint_keyed_snapshots_restore_empty() {
        let mut cache = FallbackCache::default();
        cache.put(
            "weather",
            "GET https://w.example/now?city=Berlin",
            json!("Berlin"),
            T0,
        );
        assert_eq!(
            cache.get("weather", "GET https://w.example/now?city=Paris", T0),
            None
        );
        assert_eq!(
            cache.get("other", "GET https://w.example/now?city=Berlin", T0),
            None
        );
        let hit = cache.get("weather", "GET https://w.example/now?city=Berlin", T0);
        assert_eq!(hit.unwrap().value, json!("Berlin"));
        let old = json!({ "v": 1, "entries": [
            { "endpointId": "weather", "storedAtMs": T0, "value": "alice's card" },
        ] });
        assert!(FallbackCache::from_snapshot(&old, 1000, 10, T0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_request_key_is_the_cache_key_or_method_and_url_for_get_and_head() {
        let url = "https://api.example/users/1";
        assert_eq!(
            request_key(Some("bob"), "POST", url).as_deref(),
            Some("bob")
        );
        assert_eq!(request_key(None, "", url), Some(format!("GET {url}")));
        assert_eq!(request_key(None, "get", url), Some(format!("GET {url}")));
        assert_eq!(request_key(None, "HEAD", url), Some(format!("HEAD {url}")));
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            assert_eq!(request_key(None, method, url), None, "{method}");
        }
    }

    #[test]
    fn many_entries_stay_bounded() {
        let mut cache = FallbackCache::default();
        for i in 0..5000 {
            cache.put("e", &format!("ep{i}"), json!(i), T0);
            let _ = cache.get("e", &format!("ep{}", i / 2), T0);
        }
        assert_eq!(cache.len(), DEFAULT_MAX_ENTRIES);
        assert_eq!(cache.by_use.len(), DEFAULT_MAX_ENTRIES);
        assert!(cache.get("e", "ep4999", T0).is_some());
    }
}
