//! One breaker shared by a fleet of processes through a store (docs/API.md "Shared state").
//!
//! The store keeps one versioned [`SharedRecord`] per breaker name and replaces it only by
//! compare-and-set (the version must still be the one read). Every decision is made here, on
//! a breaker rebuilt from the record: [`apply`] takes the record read from the store and one
//! operation (an admission, or an outcome), and gives the record to write back (or says that
//! nothing changed, so nothing is written). When the compare-and-set loses, the caller reads
//! the winner's record and calls [`apply`] again with the same operation: that replay is the
//! merge, so every committed update is one operation applied to the record committed before
//! it, as if the fleet were one breaker.
//!
//! Shared: the state and its timers, the consecutive failures, the failure-rate window, the
//! outstanding half-open probes (with fleet-wide ids, expiring after `halfOpenTimeoutMs`) and
//! the transition history. Not shared: the counters of `stats()` (each process keeps its own,
//! see [`count`]).
//!
//! A success while the record is closed and holds no failure (no consecutive failures, no
//! failure in the window) changes nothing and is not written, so such a success costs the
//! caller the read only. Its window then does not record those successes: the failure rate
//! is measured over the outcomes since the first failure (it can only trip sooner).

use super::clock::clamp_instant;
use super::config::BreakerConfig;
use super::history::HistoryEntry;
use super::snapshot::{BreakerSnapshot, SNAPSHOT_VERSION};
use super::stats::Counters;
use super::{Admission, BreakerState, CircuitBreaker, Outcome, Permit};
use crate::error::GuardError;
use crate::json::read::{self, missing, Read};
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// The record format version this crate writes and reads.
pub const SHARED_VERSION: u32 = 1;

/// One outstanding half-open probe of the fleet (camelCase JSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct SharedProbe {
    /// Fleet-wide probe id (unique within the record's lifetime).
    pub id: u64,
    /// When it was admitted (epoch ms); it expires `halfOpenTimeoutMs` later.
    pub acquired_at_ms: f64,
}

/// The shared part of a breaker, as the store keeps it (camelCase JSON). Instants are
/// wall-clock epoch ms. It holds no counters, no credentials and no request data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct SharedRecord {
    /// Format version, always [`SHARED_VERSION`].
    pub v: u32,
    /// Transitions so far: a permit granted in another period is stale.
    #[serde(default)]
    pub period: u64,
    /// State as of the latest update (timers not applied).
    pub state: BreakerState,
    /// When open: when it opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at_ms: Option<f64>,
    /// When open: when it turns half-open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_until_ms: Option<f64>,
    /// When open or half-open: when the outage first opened the breaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_started_at_ms: Option<f64>,
    /// Open time of the latest opening, grown by reopenings.
    #[serde(default)]
    pub open_duration_ms: u64,
    /// Current run of consecutive failures, across the fleet.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// When half-open: probes that succeeded so far.
    #[serde(default)]
    pub half_open_successes: u32,
    /// When half-open: the outstanding probes, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<SharedProbe>,
    /// The next probe id to grant.
    #[serde(default)]
    pub next_probe: u64,
    /// When closed with the failure-rate rule on: the window, oldest first, `1` = failure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub window: String,
    /// The recorded transitions, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

impl SharedRecord {
    /// Parses a record read from the store; anything but a record of this version is a
    /// `BAD_RESPONSE` error.
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        if value.get("v").and_then(Value::as_u64) != Some(u64::from(SHARED_VERSION)) {
            return Err(GuardError::BadResponse(format!(
                "shared breaker record: unsupported version (expected v: {SHARED_VERSION})"
            )));
        }
        SharedRecord::read(value)
            .map_err(|e| GuardError::BadResponse(format!("shared breaker record: {e}")))
    }

    /// Reads a record's fields (in key order, see [`read::Fields`]).
    pub fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "SharedRecord")?;
        let consecutive_failures = f.or_default("consecutiveFailures", read::u32)?;
        let half_open_successes = f.or_default("halfOpenSuccesses", read::u32)?;
        let history = f.or_default("history", |v| read::seq(v, HistoryEntry::read))?;
        let next_probe = f.or_default("nextProbe", read::u64)?;
        let open_duration_ms = f.or_default("openDurationMs", read::u64)?;
        let open_until_ms = f.optional("openUntilMs", read::f64)?;
        let opened_at_ms = f.optional("openedAtMs", read::f64)?;
        let outage_started_at_ms = f.optional("outageStartedAtMs", read::f64)?;
        let period = f.or_default("period", read::u64)?;
        let probes = f.or_default("probes", |v| read::seq(v, SharedProbe::read))?;
        let state = f.present("state", BreakerState::read)?;
        let v = f.present("v", read::u32)?;
        let window = f.or_default("window", read::string)?;
        Ok(SharedRecord {
            v: missing(v, "v")?,
            period,
            state: missing(state, "state")?,
            opened_at_ms,
            open_until_ms,
            outage_started_at_ms,
            open_duration_ms,
            consecutive_failures,
            half_open_successes,
            probes,
            next_probe,
            window,
            history,
        })
    }
}

impl SharedProbe {
    /// Reads one probe (fields in key order, see [`read::Fields`]).
    pub fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "SharedProbe")?;
        let acquired_at_ms = f.present("acquiredAtMs", read::f64)?;
        let id = f.present("id", read::u64)?;
        Ok(SharedProbe {
            id: missing(id, "id")?,
            acquired_at_ms: missing(acquired_at_ms, "acquiredAtMs")?,
        })
    }
}

impl SharedRecord {
    /// Parses record text read from the store (`None`: no record); text that is not JSON is a
    /// `BAD_RESPONSE` error like any malformed record.
    pub fn from_text(text: Option<&str>) -> Result<Option<Self>, GuardError> {
        let Some(text) = text else { return Ok(None) };
        let value = serde_json::from_str(text)
            .map_err(|_| GuardError::BadResponse("shared breaker record: not JSON".to_owned()))?;
        SharedRecord::from_json(&value).map(Some)
    }
}

/// A fleet-wide admission's identity: the period it was granted in and, for a half-open
/// probe, the probe's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FleetPermit {
    /// The record's period at admission.
    pub period: u64,
    /// The probe id when admitted half-open.
    pub probe: Option<u64>,
}

impl FleetPermit {
    /// The permit JS holds as two numbers (anything but a whole number: no period, which is
    /// stale everywhere, or no probe).
    pub fn from_numbers(period: f64, probe: f64) -> Self {
        let whole = |n: f64| (n.is_finite() && n >= 0.0 && n.fract() == 0.0).then_some(n as u64);
        FleetPermit {
            period: whole(period).unwrap_or(u64::MAX),
            probe: whole(probe),
        }
    }
}

/// One operation on the shared breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FleetOp {
    /// Ask to make one call.
    Acquire,
    /// Settle an admitted call.
    Settle {
        /// The admission's permit.
        permit: FleetPermit,
        /// How it ended.
        outcome: Outcome,
    },
}

/// The result of [`apply`].
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The record after the operation.
    pub record: SharedRecord,
    /// Whether it differs from the record read (only then is it written).
    pub changed: bool,
    /// For [`FleetOp::Acquire`]: the decision.
    pub admission: Option<Admission>,
    /// For an admitted [`FleetOp::Acquire`]: its permit.
    pub permit: Option<FleetPermit>,
}

/// Applies `op` at `now` to the record read from the store (`None`: no record yet, a fresh
/// closed breaker). Deterministic: the same record, operation and `now` give the same result.
pub fn apply(
    record: Option<&SharedRecord>,
    config: &BreakerConfig,
    op: FleetOp,
    now: f64,
) -> Result<Applied, GuardError> {
    let mut b = breaker_from(record, config.clone(), Counters::default())?;
    let before = record_of(&b);
    let mut admission = None;
    let mut permit = None;
    match op {
        FleetOp::Acquire => {
            let next = b.next_permit;
            let (a, p) = b.acquire(now);
            if a.state != BreakerState::HalfOpen {
                // Only probes take a fleet-wide id; other admissions change nothing shared.
                b.next_permit = next;
            }
            admission = Some(a);
            permit = p.map(|Permit(id)| FleetPermit {
                period: b.period,
                probe: (a.state == BreakerState::HalfOpen).then_some(id),
            });
        }
        FleetOp::Settle {
            permit: held,
            outcome,
        } => {
            b.state_at(now);
            let current = held.period == b.period
                && (b.state == BreakerState::HalfOpen) == held.probe.is_some();
            if current && !(quiet(&b) && is_fast_success(config, outcome)) {
                b.settle(held.probe.map(Permit), outcome, now);
            }
        }
    }
    let after = record_of(&b);
    let changed = match record {
        Some(read) => *read != after,
        None => before != after,
    };
    Ok(Applied {
        record: after,
        changed,
        admission,
        permit,
    })
}

/// The outcomes one guarded call of a `TimeoutManager` reported to its endpoint's breaker, in
/// order: `failures` failed attempts, then at most one success.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallOutcomes {
    /// Failed attempts.
    pub failures: u32,
    /// The final success's latency, if the call succeeded live.
    pub success_latency_ms: Option<f64>,
}

/// Applies one manager call's outcomes (admitted with `permit`) at `now` to the record read,
/// attempt by attempt; an admitted probe whose call reported nothing is released.
pub fn apply_call(
    record: Option<&SharedRecord>,
    config: &BreakerConfig,
    permit: FleetPermit,
    outcomes: CallOutcomes,
    now: f64,
) -> Result<Applied, GuardError> {
    let failure = Outcome::Failure {
        retry_after_ms: None,
    };
    let mut steps: Vec<Outcome> = (0..outcomes.failures.min(1000)).map(|_| failure).collect();
    if let Some(latency_ms) = outcomes.success_latency_ms {
        steps.push(Outcome::Success { latency_ms });
    }
    if steps.is_empty() {
        steps.push(Outcome::Release);
    }
    let mut current = record.cloned();
    let mut last = None;
    for outcome in steps {
        let applied = apply(
            current.as_ref(),
            config,
            FleetOp::Settle { permit, outcome },
            now,
        )?;
        if applied.changed {
            current = Some(applied.record.clone());
        }
        last = Some(applied);
    }
    let after = match (current, last) {
        (Some(r), _) => r,
        (None, Some(applied)) => applied.record,
        (None, None) => record_of(&CircuitBreaker::new(config.clone())?),
    };
    let changed = match record {
        Some(read) => *read != after,
        None => after != record_of(&CircuitBreaker::new(config.clone())?),
    };
    Ok(Applied {
        record: after,
        changed,
        admission: None,
        permit: None,
    })
}

/// Replaces the shared part of `local` by `record` (`None`: a fresh closed breaker); `local`
/// keeps its configuration and its counters.
pub fn adopt(local: &mut CircuitBreaker, record: Option<&SharedRecord>) -> Result<(), GuardError> {
    *local = breaker_from(record, local.config.clone(), local.counters.clone())?;
    Ok(())
}

/// Whether `b` is closed with no failure recorded (a success then changes nothing shared).
pub fn quiet(b: &CircuitBreaker) -> bool {
    b.state == BreakerState::Closed
        && b.consecutive_failures == 0
        && b.window.as_ref().map_or(true, |w| w.failures() == 0)
}

/// Counts an outcome in `local`'s own stats only (the shared part is decided by [`apply`]).
pub fn count(local: &mut CircuitBreaker, outcome: Outcome) {
    let c = &mut local.counters;
    match outcome {
        Outcome::Success { latency_ms } => {
            c.calls = c.calls.saturating_add(1);
            c.successes = c.successes.saturating_add(1);
            if is_slow(&local.config, latency_ms) {
                c.slow_calls = c.slow_calls.saturating_add(1);
            }
        }
        Outcome::Failure { .. } => {
            c.calls = c.calls.saturating_add(1);
            c.failures = c.failures.saturating_add(1);
        }
        Outcome::Release => {}
    }
}

/// Counts a refused admission in `local`'s own stats.
pub fn count_rejection(local: &mut CircuitBreaker) {
    local.counters.rejections = local.counters.rejections.saturating_add(1);
}

/// The record of `b`'s shared part.
pub fn record_of(b: &CircuitBreaker) -> SharedRecord {
    let s = b.snapshot();
    let half_open = b.state == BreakerState::HalfOpen;
    SharedRecord {
        v: SHARED_VERSION,
        period: b.period,
        state: s.state,
        opened_at_ms: s.opened_at_ms,
        open_until_ms: s.open_until_ms,
        outage_started_at_ms: s.outage_started_at_ms,
        open_duration_ms: s.open_duration_ms,
        consecutive_failures: s.consecutive_failures,
        half_open_successes: s.half_open_successes,
        probes: if half_open {
            b.probes
                .iter()
                .map(|&(id, at)| SharedProbe {
                    id,
                    acquired_at_ms: b.clock.to_wall(at),
                })
                .collect()
        } else {
            Vec::new()
        },
        next_probe: b.next_permit,
        window: s.window,
        history: s.history,
    }
}

/// The permit of `b`'s current period for a call admitted by `b` itself while closed (a
/// call admitted under a lease, without the store).
pub fn closed_permit(b: &CircuitBreaker) -> FleetPermit {
    FleetPermit {
        period: b.period,
        probe: None,
    }
}

fn is_slow(config: &BreakerConfig, latency_ms: f64) -> bool {
    config
        .slow_call_ms
        .is_some_and(|limit| latency_ms.is_finite() && latency_ms > limit as f64)
}

fn is_fast_success(config: &BreakerConfig, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Success { latency_ms } => !is_slow(config, latency_ms),
        Outcome::Release => true,
        Outcome::Failure { .. } => false,
    }
}

/// A breaker whose shared part is `record`'s, with `counters`.
fn breaker_from(
    record: Option<&SharedRecord>,
    config: BreakerConfig,
    counters: Counters,
) -> Result<CircuitBreaker, GuardError> {
    let Some(r) = record else {
        let mut b = CircuitBreaker::new(config)?;
        b.counters = counters;
        return Ok(b);
    };
    let snapshot = BreakerSnapshot {
        v: SNAPSHOT_VERSION,
        state: r.state,
        last_now_ms: None,
        opened_at_ms: r.opened_at_ms,
        open_until_ms: r.open_until_ms,
        outage_started_at_ms: r.outage_started_at_ms,
        open_duration_ms: r.open_duration_ms,
        consecutive_failures: r.consecutive_failures,
        half_open_successes: r.half_open_successes,
        probes_acquired_at_ms: r.probes.iter().map(|p| p.acquired_at_ms).collect(),
        window: r.window.clone(),
        counters,
        history: r.history.clone(),
    };
    let mut b = CircuitBreaker::restore(snapshot, config)?;
    b.period = r.period;
    if r.state == BreakerState::HalfOpen {
        let mut probes: Vec<(u64, f64)> = r
            .probes
            .iter()
            .map(|p| (p.id, clamp_instant(p.acquired_at_ms)))
            .collect();
        probes.sort_by(|a, b| a.1.total_cmp(&b.1));
        let excess = probes.len().saturating_sub(b.max_probes());
        b.probes = probes.into_iter().skip(excess).collect();
    }
    let highest = b.probes.iter().map(|&(id, _)| id.saturating_add(1)).max();
    b.next_permit = r.next_probe.max(highest.unwrap_or(0));
    // Every probe id of the record belongs to its period.
    b.period_start = 0;
    Ok(b)
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
