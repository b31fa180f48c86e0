//! One small, versioned, JSON-safe snapshot of a [`GuardEngine`]: policies and breakers per
//! endpoint, the cache, the undelivered outbox events and the audit chain head. No secrets by
//! construction (cached answers were redacted when stored; nothing else holds credentials), so
//! it is not scrubbed; no metrics counters besides the breakers'.
//!
//! `{ "v": 1, "endpoints": [{ "policy": TimeoutConfig, "breaker": BreakerSnapshot }], "cache": ...,
//! "outbox": ..., "audit": { v, seq, hash } }`.

use super::engine::GuardEngine;
use crate::audit::{AuditLog, DEFAULT_RETENTION};
use crate::breaker::CircuitBreaker;
use crate::cache::FallbackCache;
use crate::error::GuardError;
use crate::outbox::{Outbox, DEFAULT_OUTBOX_CAPACITY};
use crate::validation::validate_timeout_config;
use serde_json::{json, Value};

/// The snapshot format version.
pub const ENGINE_SNAPSHOT_VERSION: u64 = 1;

impl GuardEngine {
    /// The snapshot described in the module documentation.
    pub fn snapshot(&self) -> Value {
        let endpoints: Vec<Value> = self
            .endpoints
            .values()
            .map(|e| {
                json!({
                    "policy": serde_json::to_value(&e.policy).unwrap_or(Value::Null),
                    "breaker": serde_json::to_value(e.breaker.snapshot()).unwrap_or(Value::Null),
                })
            })
            .collect();
        json!({
            "v": ENGINE_SNAPSHOT_VERSION,
            "endpoints": endpoints,
            "cache": self.cache.snapshot(),
            "outbox": self.outbox.snapshot(),
            "audit": self.audit.snapshot(),
        })
    }

    /// Restores a [`Self::snapshot`] taken by any instance into this (fresh) engine at `now`:
    /// endpoints (policies re-validated, breakers with this engine's breaker options), cache,
    /// outbox and audit chain. Missing parts are left empty; a wrong version or shape is a
    /// `CONFIG` error and leaves the engine unchanged.
    pub fn restore(&mut self, snapshot: &Value, now: f64) -> Result<(), GuardError> {
        let bad = |what: &str| GuardError::Config(format!("malformed state snapshot: {what}"));
        if !snapshot.is_object() {
            return Err(bad("expected an object"));
        }
        if snapshot.get("v").and_then(Value::as_u64) != Some(ENGINE_SNAPSHOT_VERSION) {
            return Err(GuardError::Config(format!(
                "unsupported state snapshot version (expected v: {ENGINE_SNAPSHOT_VERSION})"
            )));
        }
        let mut endpoints = Vec::new();
        let listed = match snapshot.get("endpoints") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(items)) => items.as_slice(),
            Some(_) => return Err(bad("endpoints must be an array")),
        };
        for item in listed {
            let policy = item.get("policy").unwrap_or(&Value::Null);
            let (policy, _warnings) = validate_timeout_config(policy)
                .into_result()
                .map_err(|_| bad("an endpoint policy is invalid"))?;
            let breaker = match item.get("breaker") {
                None | Some(Value::Null) => CircuitBreaker::new(self.config.breaker.clone())?,
                Some(b) => CircuitBreaker::from_snapshot(b, self.config.breaker.clone())?,
            };
            endpoints.push((policy, breaker));
        }
        let cache = match snapshot.get("cache") {
            None | Some(Value::Null) => None,
            Some(c) => Some(FallbackCache::from_snapshot(
                c,
                self.config.cache_ttl_ms,
                self.config.cache_max_entries,
                now,
            )?),
        };
        let outbox = match snapshot.get("outbox") {
            None | Some(Value::Null) => None,
            Some(o) => Some(Outbox::from_snapshot(
                o,
                &self.config.outbox_prefix,
                DEFAULT_OUTBOX_CAPACITY,
            )?),
        };
        let audit = match snapshot.get("audit") {
            None | Some(Value::Null) => None,
            Some(a) => Some(AuditLog::from_snapshot(
                self.redactor.clone(),
                DEFAULT_RETENTION,
                a,
            )?),
        };
        for (policy, breaker) in endpoints {
            self.insert_endpoint(policy, breaker);
        }
        if let Some(cache) = cache {
            self.cache = cache;
        }
        if let Some(outbox) = outbox {
            self.outbox = outbox;
        }
        if let Some(audit) = audit {
            self.audit = audit;
        }
        Ok(())
    }
}
