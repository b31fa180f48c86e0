//! The guard engine: every endpoint's policy, breaker and metrics, the last-known-good cache, the
//! notification queue, the metrics outbox and the audit log. Sans-IO: time and randomness come
//! in as arguments (the seed of a small PRNG for the backoff jitter).
//!
//! Audit event types: `timeout_configured`, `auth_failure`, `timeout`, `circuit_state_change`,
//! `fallback_served`, `call_failed`, `sla_breach`, `metrics_sync`.
//! Outbox (dashboard) events: `{ type, endpointId, timestamp, ... }` with `type` one of `timeout`,
//! `circuit_state_change`, `fallback_served`, `call_failed`, `sla_breach`. They never carry
//! request or response bodies, URLs, headers or credentials.
//!
//! Metrics, Prometheus text, outbox events, audit event types and snapshots hold no secret by
//! construction (ids, codes, states, numbers; fallback templates and cached answers are redacted
//! when stored), so they are not scrubbed: a secret that happens to be a common word cannot
//! break them. Error messages and audit details (values only) go through the [`Redactor`].

use super::metrics::{EndpointMetrics, EndpointReport};
use super::outcome::{CallOutcome, CallResult, DegradedReason, Source};
use crate::audit::{AuditHead, AuditLog, AuditRecord};
use crate::breaker::config::BreakerConfig;
use crate::breaker::history::HistoryEntry;
use crate::breaker::{Admission, BreakerState, CircuitBreaker, Outcome, Permit};
use crate::cache::FallbackCache;
use crate::error::GuardError;
use crate::fallback::{degraded_answer, DegradedSource, Notification, NotificationQueue};
use crate::model::TimeoutConfig;
use crate::outbox::{Batch, Outbox, Rejection, DEFAULT_OUTBOX_CAPACITY};
use crate::redact::Redactor;
use crate::time::iso8601;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Most events one dashboard sync request carries.
pub const SYNC_BATCH_SIZE: usize = 500;

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Options of every endpoint's breaker.
    pub breaker: BreakerConfig,
    /// Time a cached answer stays usable.
    pub cache_ttl_ms: u64,
    /// Endpoints kept in the cache.
    pub cache_max_entries: usize,
    /// Bound of a whole call, retries included.
    pub deadline_ms: u64,
    /// Prefix of the outbox's idempotency keys (1..=64 of `[A-Za-z0-9_.-]`, random per instance).
    pub outbox_prefix: String,
    /// Seed of the jitter PRNG.
    pub seed: u64,
}

/// One registered endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its validated policy.
    pub policy: TimeoutConfig,
    /// Its breaker.
    pub breaker: CircuitBreaker,
    /// Its metrics.
    pub metrics: EndpointMetrics,
    /// The newest breaker transition already audited.
    seen_transition: Option<HistoryEntry>,
}

/// A call being finished: what the engine needs to know about it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Finished<'a> {
    /// The endpoint.
    pub id: &'a str,
    /// The request's cache key; `None`: not cached.
    pub cache_key: Option<&'a str>,
    /// Attempts sent.
    pub attempts: u32,
    /// When the call started.
    pub started_at: f64,
}

impl Finished<'_> {
    /// Time from the start to `now` (0 when the clock went back).
    fn latency_ms(&self, now: f64) -> f64 {
        (now - self.started_at).max(0.0)
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct GuardEngine {
    pub(super) config: EngineConfig,
    pub(super) endpoints: BTreeMap<String, Endpoint>,
    pub(super) cache: FallbackCache,
    notifications: NotificationQueue,
    pub(super) outbox: Outbox,
    pub(super) audit: AuditLog,
    pub(super) redactor: Redactor,
    rng: u64,
    fresh_audit: Vec<AuditRecord>,
}

impl GuardEngine {
    /// An engine with no endpoints; fails with `CONFIG` for a bad breaker config or prefix.
    pub fn new(config: EngineConfig, redactor: Redactor) -> Result<Self, GuardError> {
        config.breaker.validate()?;
        Ok(GuardEngine {
            cache: FallbackCache::new(config.cache_ttl_ms, config.cache_max_entries),
            notifications: NotificationQueue::default(),
            outbox: Outbox::new(&config.outbox_prefix, DEFAULT_OUTBOX_CAPACITY)?,
            audit: AuditLog::new(redactor.clone()),
            redactor,
            rng: config.seed | 1,
            endpoints: BTreeMap::new(),
            fresh_audit: Vec::new(),
            config,
        })
    }

    /// The call deadline.
    pub fn deadline_ms(&self) -> u64 {
        self.config.deadline_ms
    }

    /// Replaces the secrets to redact (e.g. after a new token arrived).
    pub fn set_redactor(&mut self, redactor: Redactor) {
        self.audit.set_redactor(redactor.clone());
        self.redactor = redactor;
    }

    /// The redactor in use.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Registers (or updates) an endpoint's policy; a known endpoint keeps its breaker and
    /// metrics. The fallback template is kept redacted (values). Appends a `timeout_configured`
    /// audit record.
    pub fn configure(&mut self, mut policy: TimeoutConfig, now: f64) -> Result<(), GuardError> {
        if let Value::Object(template) = self.redactor.redact_value(&Value::Object(std::mem::take(
            &mut policy.fallback_template,
        ))) {
            policy.fallback_template = template;
        }
        let details = json!({
            "endpointId": policy.endpoint_id,
            "maxWaitTimeMs": policy.max_wait_time_ms,
            "slaThresholdMs": policy.sla_threshold_ms,
            "retryAttempts": policy.retry_attempts,
            "backoffMs": policy.backoff_ms,
        });
        let id = policy.endpoint_id.clone();
        match self.endpoints.get_mut(&id) {
            Some(endpoint) => endpoint.policy = policy,
            None => {
                let breaker = CircuitBreaker::new(self.config.breaker.clone())?;
                self.endpoints.insert(id, Endpoint::new(policy, breaker));
            }
        }
        self.audit("timeout_configured", &details, now);
        Ok(())
    }

    /// Registers an endpoint restored from a snapshot.
    pub(super) fn insert_endpoint(&mut self, policy: TimeoutConfig, breaker: CircuitBreaker) {
        let mut endpoint = Endpoint::new(policy, breaker);
        endpoint.seen_transition = endpoint.breaker.history().last().cloned();
        self.endpoints
            .insert(endpoint.policy.endpoint_id.clone(), endpoint);
    }

    /// The endpoint's policy; `CONFIG` when it was never configured.
    pub fn policy(&self, endpoint_id: &str) -> Result<&TimeoutConfig, GuardError> {
        self.endpoint(endpoint_id).map(|e| &e.policy)
    }

    /// A registered endpoint; `CONFIG` when it was never configured.
    pub fn endpoint(&self, endpoint_id: &str) -> Result<&Endpoint, GuardError> {
        self.endpoints.get(endpoint_id).ok_or_else(|| {
            GuardError::Config(format!(
                "unknown endpoint {:?}: call configureTimeout first",
                crate::profile::problem::clip(endpoint_id)
            ))
        })
    }

    /// Appends an audit record (details are redacted) and keeps it for [`Self::take_fresh_audit`].
    pub fn audit(&mut self, event_type: &str, details: &Value, now: f64) -> AuditRecord {
        let record = self.audit.append(event_type, details, now);
        self.fresh_audit.push(record.clone());
        record
    }

    /// The audit records appended since the last call (for an `onAudit` sink).
    pub fn take_fresh_audit(&mut self) -> Vec<AuditRecord> {
        std::mem::take(&mut self.fresh_audit)
    }

    /// The audit records kept in memory, oldest first.
    pub fn audit_log(&self) -> Vec<AuditRecord> {
        self.audit.records().iter().cloned().collect()
    }

    /// The audit chain's head (`{ seq, hash }` of the last record), to keep apart from the log
    /// so that [`crate::audit::verify_log`] detects a removed or forged tail.
    pub fn audit_head(&self) -> AuditHead {
        self.audit.head().clone()
    }

    /// A uniform sample from `[0, 1)` (xorshift64*).
    pub fn random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Counts a started call.
    pub(super) fn count_call(&mut self, id: &str) {
        if let Some(e) = self.endpoints.get_mut(id) {
            e.metrics.counters.calls = e.metrics.counters.calls.saturating_add(1);
        }
    }

    /// Counts a call the breaker refused before any attempt.
    pub(super) fn count_rejection(&mut self, id: &str) {
        if let Some(e) = self.endpoints.get_mut(id) {
            e.metrics.counters.rejections = e.metrics.counters.rejections.saturating_add(1);
        }
    }

    /// Asks the endpoint's breaker for a permit (refused for an unknown endpoint).
    pub(super) fn acquire(&mut self, id: &str, now: f64) -> (Admission, Option<Permit>) {
        let admission = self.endpoints.get_mut(id).map(|e| e.breaker.acquire(now));
        self.note_transitions(id, now);
        admission.unwrap_or((
            Admission {
                allowed: false,
                state: BreakerState::Open,
                retry_after_ms: 0,
            },
            None,
        ))
    }

    /// Settles the attempt that holds `permit`.
    pub(super) fn breaker_settle(&mut self, id: &str, permit: Permit, outcome: Outcome, now: f64) {
        if let Some(e) = self.endpoints.get_mut(id) {
            e.breaker.settle(Some(permit), outcome, now);
        }
        self.note_transitions(id, now);
    }

    /// Counts, audits and queues an attempt that timed out.
    pub(super) fn record_timeout(&mut self, id: &str, attempt: u32, timeout_ms: u64, now: f64) {
        if let Some(e) = self.endpoints.get_mut(id) {
            e.metrics.counters.timeouts = e.metrics.counters.timeouts.saturating_add(1);
        }
        let details = json!({ "endpointId": id, "attempt": attempt, "timeoutMs": timeout_ms });
        self.audit("timeout", &details, now);
        self.event("timeout", id, now, details);
    }

    /// Audits a refused credential (401/403, or a failed token request).
    pub(super) fn record_auth_failure(&mut self, id: &str, err: &GuardError, now: f64) {
        let fields = err.fields();
        let details = json!({ "endpointId": id, "code": fields.code, "status": fields.status });
        self.audit("auth_failure", &details, now);
    }

    /// Finishes a live call: caches the answer under `cache_key` (when given), records latency
    /// and SLA. `body` is the JSON text `data` was parsed from, if it was.
    pub(super) fn finish_live(
        &mut self,
        call: Finished<'_>,
        status: u16,
        data: Value,
        body: Option<String>,
        now: f64,
    ) -> CallResult {
        let (id, attempts, latency_ms) = (call.id, call.attempts, call.latency_ms(now));
        let mut sla = None;
        if let Some(e) = self.endpoints.get_mut(id) {
            e.metrics.counters.successes = e.metrics.counters.successes.saturating_add(1);
            e.metrics.record_latency(latency_ms);
            let threshold = f64::from(e.policy.sla_threshold_ms);
            if latency_ms > threshold {
                e.metrics.counters.sla_breaches = e.metrics.counters.sla_breaches.saturating_add(1);
                sla = Some(threshold);
            }
        }
        if let Some(threshold) = sla {
            let details =
                json!({ "endpointId": id, "latencyMs": latency_ms, "thresholdMs": threshold });
            self.audit("sla_breach", &details, now);
            self.event("sla_breach", id, now, details);
        }
        if let Some(key) = call.cache_key {
            match self.redactor.redacted(&data) {
                Cow::Borrowed(clean) => self.cache.put_ref(id, key, clean, now),
                Cow::Owned(redacted) => self.cache.put(id, key, redacted, now),
            }
        }
        CallResult {
            data,
            status: Some(status),
            source: Source::Live,
            degraded: false,
            circuit: self.state(id, now),
            attempts,
            latency_ms,
            sla_breached: sla.is_some(),
            error: None,
            body,
        }
    }

    /// Finishes a failed call: serves the answer cached under `cache_key`, else the fallback
    /// template (`template` or the policy's), queueing a notification; the error when neither
    /// exists (the policy's template always exists, so only an unknown endpoint gets here).
    /// The latency is recorded only when an attempt was sent (not for open-circuit refusals).
    pub(super) fn finish_degraded(
        &mut self,
        call: Finished<'_>,
        err: GuardError,
        template: Option<&Map<String, Value>>,
        now: f64,
    ) -> CallOutcome {
        let (id, attempts, latency_ms) = (call.id, call.attempts, call.latency_ms(now));
        let fields = err.fields();
        let reason = DegradedReason {
            code: code_text(&err),
            message: self.redactor.redact_str(&fields.message),
            status: fields.status,
        };
        let hit = call.cache_key.and_then(|key| self.cache.get(id, key, now));
        let served = match hit {
            Some(hit) => Some((hit.value, DegradedSource::Cache)),
            None => template
                .or_else(|| self.endpoints.get(id).map(|e| &e.policy.fallback_template))
                .map(|t| (degraded_answer(t, now), DegradedSource::Fallback)),
        };
        let Some(e) = self.endpoints.get_mut(id) else {
            return Err(err);
        };
        e.metrics.counters.failures = e.metrics.counters.failures.saturating_add(1);
        if attempts > 0 {
            e.metrics.record_latency(latency_ms);
        }
        let Some((data, source)) = served else {
            let details = json!({ "endpointId": id, "code": reason.code, "attempts": attempts });
            self.audit("call_failed", &details, now);
            self.event("call_failed", id, now, details);
            return Err(err);
        };
        let source = match source {
            DegradedSource::Cache => {
                e.metrics.counters.cache_hits = e.metrics.counters.cache_hits.saturating_add(1);
                Source::Cache
            }
            DegradedSource::Fallback => {
                e.metrics.counters.fallbacks = e.metrics.counters.fallbacks.saturating_add(1);
                Source::Fallback
            }
        };
        let source_name = match source {
            Source::Cache => "cache",
            _ => "fallback",
        };
        let notification = Notification::new(
            id,
            if source == Source::Cache {
                DegradedSource::Cache
            } else {
                DegradedSource::Fallback
            },
            reason.code.clone(),
            now,
        );
        self.notifications.push(notification);
        let details = json!({
            "endpointId": id, "source": source_name, "reason": reason.code, "attempts": attempts,
        });
        self.audit("fallback_served", &details, now);
        self.event("fallback_served", id, now, details);
        Ok(CallResult {
            data,
            status: None,
            source,
            degraded: true,
            circuit: self.state(id, now),
            attempts,
            latency_ms,
            sla_breached: false,
            error: Some(reason),
            body: None,
        })
    }

    /// The breaker of endpoint `id`, to share it (`breaker::shared`); `None` when unknown.
    pub fn breaker_mut(&mut self, id: &str) -> Option<&mut CircuitBreaker> {
        self.endpoints.get_mut(id).map(|e| &mut e.breaker)
    }

    /// The fresh cached answer to request `key` of `id` (redacted when stored), to share it.
    pub fn cached(&mut self, id: &str, key: &str, now: f64) -> Option<Value> {
        self.cache.get(id, key, now).map(|hit| hit.value)
    }

    /// Caches `value` (an answer body another process cached, read from a store) for request
    /// `key` of `id`, redacted like every cached answer.
    pub fn cache_shared(&mut self, id: &str, key: &str, value: &Value, now: f64) {
        let redacted = self.redactor.redact_value(value);
        self.cache.put(id, key, redacted, now);
    }

    /// How long a cached answer stays usable.
    pub fn cache_ttl_ms(&self) -> u64 {
        self.config.cache_ttl_ms
    }

    /// The breaker state of `id` at `now` (closed for an unknown endpoint).
    pub fn state(&mut self, id: &str, now: f64) -> BreakerState {
        let state = self
            .endpoints
            .get_mut(id)
            .map_or(BreakerState::Closed, |e| e.breaker.state_at(now));
        self.note_transitions(id, now);
        state
    }

    /// Audits and queues the breaker transitions of `id` not seen yet.
    fn note_transitions(&mut self, id: &str, now: f64) {
        let Some(e) = self.endpoints.get_mut(id) else {
            return;
        };
        // The common case, checked without copying the history: nothing new since the last look.
        if e.breaker.last_transition() == e.seen_transition.as_ref() {
            return;
        }
        let history = e.breaker.history();
        let start = match &e.seen_transition {
            None => 0,
            Some(seen) => history
                .iter()
                .rposition(|h| h == seen)
                .map_or(0, |i| i.saturating_add(1)),
        };
        let fresh: Vec<HistoryEntry> = history.iter().skip(start).cloned().collect();
        if let Some(last) = fresh.last() {
            e.seen_transition = Some(last.clone());
        }
        for entry in fresh {
            let details = json!({
                "endpointId": id,
                "from": entry.from,
                "to": entry.to,
                "reason": entry.reason,
                "failureCount": entry.failure_count,
                "recoveryLatencyMs": entry.recovery_latency_ms,
                "at": entry.at,
            });
            self.audit("circuit_state_change", &details, now);
            self.event("circuit_state_change", id, entry.at_ms, details);
        }
    }

    /// Queues a dashboard event.
    fn event(&mut self, kind: &str, id: &str, at_ms: f64, details: Value) {
        let mut event = Map::new();
        event.insert("type".into(), Value::from(kind));
        event.insert("endpointId".into(), Value::from(id));
        event.insert("timestamp".into(), Value::from(iso8601(at_ms)));
        if let Value::Object(fields) = details {
            for (k, v) in fields {
                event.entry(k).or_insert(v);
            }
        }
        self.outbox.enqueue(Value::Object(event));
    }

    /// Removes and returns every queued notification, oldest first.
    pub fn drain_notifications(&mut self) -> Vec<Notification> {
        self.notifications.drain()
    }

    /// Notifications dropped because the queue was full.
    pub fn notifications_dropped(&self) -> u64 {
        self.notifications.dropped()
    }

    /// The next batch of dashboard events to deliver (the same one until acknowledged).
    pub fn begin_sync(&mut self) -> Option<Batch> {
        self.outbox.begin_batch(SYNC_BATCH_SIZE)
    }

    /// Records the outcome of delivering batch `key`: acknowledged on a 2xx (`delivered`); on a
    /// permanent refusal (4xx other than 408 and 429) the outbox's rule (kept, split, or a single
    /// event dropped: see [`crate::outbox`]); kept otherwise. Appends a `metrics_sync` audit record
    /// `{ idempotencyKey, delivered, ok, status, pending, split, dropped }` (`split`: the batch
    /// was halved; `dropped`: events given up now). Returns the events delivered.
    pub fn end_sync(&mut self, key: &str, delivered: bool, status: Option<u16>, now: f64) -> usize {
        let permanent = status.is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429);
        let (count, rejection) = if delivered {
            (self.outbox.ack(key), None)
        } else if permanent {
            (0, Some(self.outbox.reject(key)))
        } else {
            self.outbox.fail(key);
            (0, None)
        };
        let dropped = match rejection {
            Some(Rejection::Dropped(n)) => n,
            _ => 0,
        };
        let details = json!({
            "idempotencyKey": key, "delivered": count, "ok": delivered, "status": status,
            "pending": self.outbox.pending(), "split": rejection == Some(Rejection::Split),
            "dropped": dropped,
        });
        self.audit("metrics_sync", &details, now);
        count
    }

    /// Events waiting for the dashboard.
    pub fn outbox_pending(&self) -> usize {
        self.outbox.pending()
    }

    /// Events dropped (outbox over capacity).
    pub fn outbox_dropped(&self) -> u64 {
        self.outbox.dropped()
    }

    /// Every endpoint's report at `now` (timed breaker transitions applied).
    pub fn reports(&mut self, now: f64) -> Vec<(String, EndpointReport)> {
        let ids: Vec<String> = self.endpoints.keys().cloned().collect();
        ids.into_iter()
            .filter_map(|id| {
                self.state(&id, now);
                let e = self.endpoints.get(&id)?;
                Some((id, e.metrics.report(&e.breaker.stats())))
            })
            .collect()
    }

    /// `metrics()`: `{ endpoints: { [id]: report }, outbox: { pending, dropped },
    /// notifications: { pending, dropped } }`.
    pub fn metrics(&mut self, now: f64) -> Value {
        // Inserted one by one: `collect` into a map sorts, one more sort in the binary per site.
        let mut endpoints = Map::new();
        for (id, r) in self.reports(now) {
            endpoints.insert(id, serde_json::to_value(r).unwrap_or(Value::Null));
        }
        json!({
            "endpoints": endpoints,
            "outbox": { "pending": self.outbox.pending(), "dropped": self.outbox.dropped() },
            "notifications": {
                "pending": self.notifications.len(), "dropped": self.notifications.dropped(),
            },
        })
    }

    /// Prometheus text exposition of every endpoint.
    pub fn prometheus(&mut self, now: f64) -> String {
        let reports = self.reports(now);
        super::prometheus::render(&reports, self.outbox.pending(), self.outbox.dropped())
    }

    /// The error's fields as JSON with secrets removed, for the boundary to throw.
    pub fn error_value(&self, err: &GuardError) -> Value {
        let value = serde_json::to_value(err.fields()).unwrap_or(Value::Null);
        self.redactor.redact_value(&value)
    }
}

impl Endpoint {
    fn new(policy: TimeoutConfig, breaker: CircuitBreaker) -> Self {
        Endpoint {
            policy,
            breaker,
            metrics: EndpointMetrics::default(),
            seen_transition: None,
        }
    }
}

/// The error's stable code as text (`TIMEOUT`, ...).
fn code_text(err: &GuardError) -> String {
    serde_json::to_value(err.code())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
