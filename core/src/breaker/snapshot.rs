//! Versioned, JSON-safe snapshots of a breaker, so its state survives a process restart
//! (a Cognigy Extension runs each execution in a fresh process).

use super::clock::{clamp_instant, Clock};
use super::config::BreakerConfig;
use super::history::HistoryEntry;
use super::stats::Counters;
use super::window::SlidingWindow;
use super::{BreakerState, CircuitBreaker};
use crate::error::GuardError;
use crate::json::read::{self, missing, Read};
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// The snapshot format version this crate writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Everything that decides a breaker's future behaviour, plus its counters (camelCase
/// JSON). Instants are wall-clock epoch ms. It keeps the transition history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct BreakerSnapshot {
    /// Format version, always [`SNAPSHOT_VERSION`].
    pub v: u32,
    /// State when the snapshot was taken (timers not applied).
    pub state: BreakerState,
    /// The latest `now` the breaker saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_now_ms: Option<f64>,
    /// When open: when it opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at_ms: Option<f64>,
    /// When open: when it turns half-open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_until_ms: Option<f64>,
    /// When open or half-open: when the current outage first opened the breaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_started_at_ms: Option<f64>,
    /// Open time of the latest opening, grown by reopenings.
    #[serde(default)]
    pub open_duration_ms: u64,
    /// Current run of consecutive failures.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// When half-open: probes that succeeded so far.
    #[serde(default)]
    pub half_open_successes: u32,
    /// When half-open: acquisition instants of the outstanding probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes_acquired_at_ms: Vec<f64>,
    /// When closed with the failure-rate rule on: the window, oldest first, `1` = failure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub window: String,
    /// Running totals.
    #[serde(default)]
    pub counters: Counters,
    /// The recorded transitions, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

impl BreakerSnapshot {
    /// Reads a snapshot's fields (in key order, see [`read::Fields`]).
    pub fn read(value: &Value) -> Read<Self> {
        let f = read::fields(value, "BreakerSnapshot")?;
        let consecutive_failures = f.or_default("consecutiveFailures", read::u32)?;
        let counters = f.or_default("counters", Counters::read)?;
        let half_open_successes = f.or_default("halfOpenSuccesses", read::u32)?;
        let history = f.or_default("history", |v| read::seq(v, HistoryEntry::read))?;
        let last_now_ms = f.optional("lastNowMs", read::f64)?;
        let open_duration_ms = f.or_default("openDurationMs", read::u64)?;
        let open_until_ms = f.optional("openUntilMs", read::f64)?;
        let opened_at_ms = f.optional("openedAtMs", read::f64)?;
        let outage_started_at_ms = f.optional("outageStartedAtMs", read::f64)?;
        let probes_acquired_at_ms =
            f.or_default("probesAcquiredAtMs", |v| read::seq(v, read::f64))?;
        let state = f.present("state", BreakerState::read)?;
        let v = f.present("v", read::u32)?;
        let window = f.or_default("window", read::string)?;
        Ok(BreakerSnapshot {
            v: missing(v, "v")?,
            state: missing(state, "state")?,
            last_now_ms,
            opened_at_ms,
            open_until_ms,
            outage_started_at_ms,
            open_duration_ms,
            consecutive_failures,
            half_open_successes,
            probes_acquired_at_ms,
            window,
            counters,
            history,
        })
    }
}

impl CircuitBreaker {
    /// Captures the breaker's state as of the last call.
    pub fn snapshot(&self) -> BreakerSnapshot {
        let wall = |mono: f64| self.clock.to_wall(mono);
        let open = self.state == BreakerState::Open;
        let half_open = self.state == BreakerState::HalfOpen;
        BreakerSnapshot {
            v: SNAPSHOT_VERSION,
            state: self.state,
            last_now_ms: self.clock.wall(),
            opened_at_ms: open.then(|| wall(self.opened_at)),
            open_until_ms: open.then(|| wall(self.open_until)),
            outage_started_at_ms: self.outage_started_at.map(wall),
            open_duration_ms: self.open_duration_ms,
            consecutive_failures: self.consecutive_failures,
            half_open_successes: if half_open {
                self.half_open_successes
            } else {
                0
            },
            probes_acquired_at_ms: self.probes.iter().map(|&(_, at)| wall(at)).collect(),
            window: self
                .window
                .as_ref()
                .map(SlidingWindow::encode)
                .unwrap_or_default(),
            counters: self.counters.clone(),
            history: self.history.entries(),
        }
    }

    /// Rebuilds a breaker from snapshot JSON (as produced by [`Self::snapshot`]) and a
    /// configuration, which may differ from the original one.
    ///
    /// A non-object, a missing or unknown `v`, or fields of the wrong type give
    /// `GuardError::Config`; out-of-range values are clamped (see [`Self::restore`]).
    pub fn from_snapshot(snapshot: &Value, config: BreakerConfig) -> Result<Self, GuardError> {
        if !snapshot.is_object() {
            return Err(GuardError::Config(
                "circuit breaker snapshot must be an object".to_owned(),
            ));
        }
        if snapshot.get("v").and_then(Value::as_u64) != Some(u64::from(SNAPSHOT_VERSION)) {
            return Err(GuardError::Config(format!(
                "unsupported circuit breaker snapshot version (expected v: {SNAPSHOT_VERSION})"
            )));
        }
        let parsed = BreakerSnapshot::read(snapshot)
            .map_err(|e| GuardError::Config(format!("malformed circuit breaker snapshot: {e}")))?;
        CircuitBreaker::restore(parsed, config)
    }

    /// Rebuilds a breaker from a typed snapshot. Values that do not fit the configuration
    /// or time are clamped: instants to the JS date range and to no later than
    /// `lastNowMs` (without it, the latest past instant recorded stands for it), the open time to
    /// `[resetTimeoutMs, maxResetTimeoutMs]`, the probes to the newest `halfOpenMaxCalls`, the
    /// window to the newest `slidingWindowSize` outcomes, the history to the newest
    /// [`super::history::HISTORY_CAPACITY`] entries (their `at` rewritten from `atMs`). The
    /// clock resumes at `lastNowMs`: an earlier first `now` counts as no time elapsed, so no
    /// restored open period ends later than `maxResetTimeoutMs` after it.
    pub fn restore(snapshot: BreakerSnapshot, config: BreakerConfig) -> Result<Self, GuardError> {
        if snapshot.v != SNAPSHOT_VERSION {
            return Err(GuardError::Config(format!(
                "unsupported circuit breaker snapshot version (expected v: {SNAPSHOT_VERSION})"
            )));
        }
        let mut b = CircuitBreaker::new(config)?;
        let last_now = snapshot
            .last_now_ms
            .or_else(|| latest_instant(&snapshot))
            .map(clamp_instant);
        b.clock = last_now.map_or_else(Clock::new, Clock::at);
        // No recorded instant may lie after the last `now` the breaker saw.
        let past = |ms: f64| {
            let ms = clamp_instant(ms);
            last_now.map_or(ms, |last| ms.min(last))
        };
        let fallback_instant = last_now.unwrap_or(0.0);
        let max_open_ms = b.config.max_open_ms();
        b.state = snapshot.state;
        b.consecutive_failures = snapshot.consecutive_failures;
        b.counters = snapshot.counters.sanitized();
        b.open_duration_ms = snapshot
            .open_duration_ms
            .clamp(b.config.reset_timeout_ms, max_open_ms);
        match snapshot.state {
            BreakerState::Closed => {
                if let Some(window) = b.window.as_mut() {
                    *window = SlidingWindow::decode(b.config.window_size(), &snapshot.window)
                        .ok_or_else(|| {
                            GuardError::Config(
                                "malformed circuit breaker snapshot: window may hold only 0 and 1"
                                    .to_owned(),
                            )
                        })?;
                }
            }
            BreakerState::Open => {
                let opened_at = past(snapshot.opened_at_ms.unwrap_or(fallback_instant));
                let longest = opened_at + max_open_ms as f64;
                b.opened_at = opened_at;
                b.open_until = clamp_instant(
                    snapshot
                        .open_until_ms
                        .unwrap_or(opened_at + b.open_duration_ms as f64),
                )
                .clamp(opened_at, longest);
                b.outage_started_at =
                    Some(past(snapshot.outage_started_at_ms.unwrap_or(opened_at)).min(opened_at));
            }
            BreakerState::HalfOpen => {
                let mut probes: Vec<f64> = snapshot
                    .probes_acquired_at_ms
                    .iter()
                    .map(|&p| past(p))
                    .collect();
                probes.sort_by(f64::total_cmp);
                let excess = probes.len().saturating_sub(b.max_probes());
                b.probes = probes
                    .into_iter()
                    .skip(excess)
                    .zip(0u64..)
                    .map(|(at, permit)| (permit, at))
                    .collect();
                b.next_permit = b.probes.len() as u64;
                b.half_open_successes = snapshot
                    .half_open_successes
                    .min(b.config.success_threshold.saturating_sub(1));
                b.outage_started_at = Some(past(
                    snapshot.outage_started_at_ms.unwrap_or(fallback_instant),
                ));
            }
        }
        for entry in snapshot.history {
            b.history.push(entry.sanitized());
        }
        Ok(b)
    }
}

/// The latest past instant a snapshot records (its open end lies ahead), if any.
fn latest_instant(snapshot: &BreakerSnapshot) -> Option<f64> {
    [snapshot.opened_at_ms, snapshot.outage_started_at_ms]
        .into_iter()
        .flatten()
        .chain(snapshot.probes_acquired_at_ms.iter().copied())
        .filter(|ms| !ms.is_nan())
        .reduce(f64::max)
}
