//! Circuit breaker state machine (the core behind the JS `CircuitBreaker`).
//!
//! Time comes in as `now` (epoch ms) on every call; every timed rule (open → half-open,
//! probe expiry) is evaluated lazily on the next call that passes `now`, at the instant it
//! was due, so a breaker read rarely behaves as if it had been watched continuously. A
//! `now` earlier than the previous one counts as no time elapsed (see [`clock::Clock`]).
//!
//! Rules:
//! - **closed**: every acquisition is admitted. It opens when `failureThreshold`
//!   consecutive failures were recorded, or (when `failureRateThreshold` is set) when the
//!   window of the last `slidingWindowSize` outcomes holds at least `minimumCalls` outcomes
//!   and their failed fraction is at least the threshold. A success slower than
//!   `slowCallMs` counts as a failure for these rules (and for probes); it still counts as
//!   a success in [`BreakerStats::successes`].
//! - **open**: acquisitions are refused with the time left until half-open. Outcomes
//!   reported while open (calls admitted earlier) do not change the state.
//! - **half-open**: at most `halfOpenMaxCalls` probes are outstanding; more are refused.
//!   Any failure reopens (the open time grows by `openBackoffMultiplier` up to
//!   `maxResetTimeoutMs`); `successThreshold` successes close. A probe not reported within
//!   `halfOpenTimeoutMs` expires, counting as a failure. Reports and releases settle the
//!   oldest outstanding probe (permits carry no identity).
//! - Closing ends the outage: the open time returns to `resetTimeoutMs` and the history
//!   entry carries the time since the outage's first opening.

pub mod clock;
pub mod config;
pub mod history;
pub mod snapshot;
pub mod stats;
pub mod window;

#[cfg(test)]
mod tests;

use crate::error::GuardError;
use crate::time::iso8601;
use clock::Clock;
use config::BreakerConfig;
use history::{History, HistoryEntry, TransitionReason};
use serde::{Deserialize, Serialize};
use stats::{BreakerStats, Counters};
use std::collections::VecDeque;
use window::SlidingWindow;

pub use snapshot::BreakerSnapshot;

/// The breaker's state, serialized as `closed | open | half_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow.
    #[default]
    Closed,
    /// Calls are refused.
    Open,
    /// A limited number of probe calls test the upstream.
    HalfOpen,
}

/// The answer to [`CircuitBreaker::try_acquire`] (camelCase JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    /// Whether the call may proceed.
    pub allowed: bool,
    /// The state after the decision.
    pub state: BreakerState,
    /// When refused: ms until a call may be admitted again (0 when allowed).
    pub retry_after_ms: u64,
}

/// Why a failure happened, as far as the trip rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// Reported by the caller.
    Reported,
    /// A success slower than `slowCallMs`.
    Slow,
}

/// A circuit breaker. All methods take the current time; none panics, whatever the input.
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    clock: Clock,
    state: BreakerState,
    consecutive_failures: u32,
    /// Failure-rate window; `None` when the rule is off.
    window: Option<SlidingWindow>,
    /// Monotonic instant of the latest opening.
    opened_at: f64,
    /// Monotonic instant at which the open state turns half-open.
    open_until: f64,
    /// Open time of the latest opening, before any Retry-After extension.
    open_duration_ms: u64,
    /// Monotonic instant of the first opening of the current outage.
    outage_started_at: Option<f64>,
    /// Monotonic acquisition instants of the outstanding probes, oldest first.
    probes: VecDeque<f64>,
    half_open_successes: u32,
    history: History,
    counters: Counters,
}

impl CircuitBreaker {
    /// A closed breaker with a validated configuration.
    pub fn new(config: BreakerConfig) -> Result<Self, GuardError> {
        config.validate()?;
        Ok(CircuitBreaker {
            window: config
                .rate_rule_enabled()
                .then(|| SlidingWindow::new(config.window_size())),
            open_duration_ms: config.reset_timeout_ms,
            config,
            clock: Clock::new(),
            state: BreakerState::Closed,
            consecutive_failures: 0,
            opened_at: 0.0,
            open_until: 0.0,
            outage_started_at: None,
            probes: VecDeque::new(),
            half_open_successes: 0,
            history: History::default(),
            counters: Counters::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state as of the last call (no timers applied; see [`Self::state_at`]).
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether an admission or a success report needs the current time. It does not while
    /// closed without a slow-call rule: then neither can change the state, and `now` only
    /// advances the clock, so a caller may pass the last instant it read instead of reading a
    /// clock on its hot path. Failures always need the current time.
    pub fn needs_time(&self) -> bool {
        self.state != BreakerState::Closed || self.config.slow_call_ms.is_some()
    }

    /// The state at `now`, after applying any due timed transition.
    pub fn state_at(&mut self, now: f64) -> BreakerState {
        self.advance(now);
        self.state
    }

    /// Asks to make one call. Half-open admissions are probes the caller must settle with
    /// [`Self::record_success`], [`Self::record_failure`] or [`Self::release`].
    pub fn try_acquire(&mut self, now: f64) -> Admission {
        let t = self.advance(now);
        let refused_for = match self.state {
            BreakerState::Closed => None,
            // Bounded by the longest open time: at large instants `open_until - t` carries
            // float rounding that must not show as an extra millisecond.
            BreakerState::Open => Some((self.open_until - t).min(self.config.max_open_ms() as f64)),
            BreakerState::HalfOpen => {
                if self.probes.len() < self.max_probes() {
                    self.probes.push_back(t);
                    None
                } else {
                    // Full: a permit frees up at the latest when the oldest probe expires.
                    let oldest = self.probes.front().copied().unwrap_or(t);
                    Some((oldest + self.half_open_timeout() - t).min(self.half_open_timeout()))
                }
            }
        };
        match refused_for {
            None => Admission {
                allowed: true,
                state: self.state,
                retry_after_ms: 0,
            },
            Some(wait) => {
                self.counters.rejections = self.counters.rejections.saturating_add(1);
                Admission {
                    allowed: false,
                    state: self.state,
                    retry_after_ms: ceil_ms(wait),
                }
            }
        }
    }

    /// Reports a successful call that took `latency_ms`. A success slower than `slowCallMs`
    /// counts as a failure for the trip rules.
    pub fn record_success(&mut self, now: f64, latency_ms: f64) {
        let t = self.advance(now);
        self.counters.calls = self.counters.calls.saturating_add(1);
        self.counters.successes = self.counters.successes.saturating_add(1);
        let slow = self
            .config
            .slow_call_ms
            .is_some_and(|limit| latency_ms.is_finite() && latency_ms > limit as f64);
        if slow {
            self.counters.slow_calls = self.counters.slow_calls.saturating_add(1);
            self.on_failure(t, FailureKind::Slow, None);
        } else {
            self.on_success(t);
        }
    }

    /// Reports a failed call.
    pub fn record_failure(&mut self, now: f64) {
        self.record_failure_with_retry_after(now, None);
    }

    /// Reports a failed call whose answer asked to wait `retry_after_ms` (e.g. a 429 or 503
    /// `Retry-After`). When this failure opens or reopens the breaker, the open time is at
    /// least that long (bounded by `maxResetTimeoutMs`, or 365 days when unset).
    pub fn record_failure_with_retry_after(&mut self, now: f64, retry_after_ms: Option<u64>) {
        let t = self.advance(now);
        self.counters.calls = self.counters.calls.saturating_add(1);
        self.counters.failures = self.counters.failures.saturating_add(1);
        self.on_failure(t, FailureKind::Reported, retry_after_ms);
    }

    /// Returns a permit that was not used (the call was never made). Frees a probe slot
    /// when half-open; has no effect otherwise.
    pub fn release(&mut self, now: f64) {
        self.advance(now);
        if self.state == BreakerState::HalfOpen {
            self.probes.pop_front();
        }
    }

    /// Opens the breaker now (for the current open time, after which it recovers as usual).
    /// Already open: the open period is extended to end no earlier than a fresh one would.
    pub fn force_open(&mut self, now: f64) {
        let t = self.advance(now);
        if self.state == BreakerState::Open {
            self.open_until = self.open_until.max(t + self.open_duration_ms as f64);
        } else {
            self.open(t, TransitionReason::ForcedOpen, None);
        }
    }

    /// Closes the breaker now and forgets failures; ends an outage in progress (recorded as
    /// a recovery). Already closed: only the failure counts are cleared.
    pub fn reset(&mut self, now: f64) {
        let t = self.advance(now);
        if self.state == BreakerState::Closed {
            self.consecutive_failures = 0;
            if let Some(window) = self.window.as_mut() {
                window.clear();
            }
        } else {
            self.close(t, TransitionReason::Reset);
        }
    }

    /// The recorded transitions, oldest first (at most [`history::HISTORY_CAPACITY`]).
    pub fn history(&self) -> Vec<HistoryEntry> {
        self.history.entries()
    }

    /// Counters for metrics, with the state as of the last call (call [`Self::state_at`]
    /// first to apply due timers).
    pub fn stats(&self) -> BreakerStats {
        BreakerStats::new(self.state, self.consecutive_failures, &self.counters)
    }

    /// Steps the clock and applies every timed transition due by then.
    fn advance(&mut self, now: f64) -> f64 {
        let t = self.clock.tick(now);
        self.half_open_if_due(t);
        if self.state == BreakerState::HalfOpen {
            if let Some(&oldest) = self.probes.front() {
                let expiry = oldest + self.half_open_timeout();
                if t >= expiry {
                    self.counters.expired_probes = self.counters.expired_probes.saturating_add(1);
                    self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                    self.reopen(expiry, TransitionReason::ProbeExpired, None);
                    self.half_open_if_due(t);
                }
            }
        }
        t
    }

    fn half_open_if_due(&mut self, t: f64) {
        if self.state == BreakerState::Open && t >= self.open_until {
            let at = self.open_until;
            self.transition(
                at,
                BreakerState::HalfOpen,
                TransitionReason::ResetTimeoutElapsed,
                None,
            );
            self.probes.clear();
            self.half_open_successes = 0;
        }
    }

    fn on_success(&mut self, t: f64) {
        match self.state {
            BreakerState::Closed => {
                self.consecutive_failures = 0;
                if let Some(window) = self.window.as_mut() {
                    window.push(false);
                }
                // Reaching `minimumCalls` with a success can still reveal a high rate.
                self.trip_if_rate_reached(t, TransitionReason::FailureRate);
            }
            BreakerState::HalfOpen => {
                self.consecutive_failures = 0;
                self.probes.pop_front();
                self.half_open_successes = self.half_open_successes.saturating_add(1);
                if self.half_open_successes >= self.config.success_threshold {
                    self.close(t, TransitionReason::SuccessThreshold);
                }
            }
            BreakerState::Open => {}
        }
    }

    fn on_failure(&mut self, t: f64, kind: FailureKind, retry_after_ms: Option<u64>) {
        let slow_or = |reason| match kind {
            FailureKind::Slow => TransitionReason::SlowCalls,
            FailureKind::Reported => reason,
        };
        match self.state {
            BreakerState::Closed => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                if let Some(window) = self.window.as_mut() {
                    window.push(true);
                }
                if self.consecutive_failures >= self.config.failure_threshold {
                    self.open(
                        t,
                        slow_or(TransitionReason::FailureThreshold),
                        retry_after_ms,
                    );
                } else {
                    self.trip_if_rate_reached(t, slow_or(TransitionReason::FailureRate));
                }
            }
            BreakerState::HalfOpen => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.reopen(t, slow_or(TransitionReason::ProbeFailed), retry_after_ms);
            }
            BreakerState::Open => {}
        }
    }

    fn trip_if_rate_reached(&mut self, t: f64, reason: TransitionReason) {
        let reached = match (self.window.as_ref(), self.config.failure_rate_threshold) {
            (Some(window), Some(threshold)) => {
                window.rate_reached(self.config.effective_minimum_calls(), threshold)
            }
            _ => false,
        };
        if reached {
            self.open(t, reason, None);
        }
    }

    /// Half-open → open with a grown open time.
    fn reopen(&mut self, at: f64, reason: TransitionReason, retry_after_ms: Option<u64>) {
        self.open_duration_ms = self.config.grown_open_ms(self.open_duration_ms);
        self.open(at, reason, retry_after_ms);
    }

    fn open(&mut self, at: f64, reason: TransitionReason, retry_after_ms: Option<u64>) {
        let requested = retry_after_ms.map_or(0, |r| r.min(self.config.max_open_ms()));
        let duration = self.open_duration_ms.max(requested);
        self.transition(at, BreakerState::Open, reason, None);
        self.counters.opens = self.counters.opens.saturating_add(1);
        self.opened_at = at;
        self.open_until = at + duration as f64;
        self.outage_started_at.get_or_insert(at);
        self.probes.clear();
        self.half_open_successes = 0;
        if let Some(window) = self.window.as_mut() {
            window.clear();
        }
    }

    fn close(&mut self, at: f64, reason: TransitionReason) {
        let recovery_latency_ms = self
            .outage_started_at
            .take()
            .map(|started| (at - started).max(0.0));
        self.transition(at, BreakerState::Closed, reason, recovery_latency_ms);
        if let Some(latency) = recovery_latency_ms {
            self.counters.record_recovery(latency);
        }
        self.consecutive_failures = 0;
        self.open_duration_ms = self.config.reset_timeout_ms;
        self.probes.clear();
        self.half_open_successes = 0;
        if let Some(window) = self.window.as_mut() {
            window.clear();
        }
    }

    /// Records a transition at monotonic instant `at` and switches state.
    fn transition(
        &mut self,
        at: f64,
        to: BreakerState,
        reason: TransitionReason,
        recovery_latency_ms: Option<f64>,
    ) {
        let at_ms = self.clock.to_wall(at);
        self.history.push(HistoryEntry {
            at: iso8601(at_ms),
            at_ms,
            from: self.state,
            to,
            reason,
            failure_count: self.consecutive_failures,
            recovery_latency_ms,
        });
        self.state = to;
    }

    fn max_probes(&self) -> usize {
        usize::try_from(self.config.half_open_max_calls).unwrap_or(usize::MAX)
    }

    fn half_open_timeout(&self) -> f64 {
        self.config.effective_half_open_timeout_ms() as f64
    }
}

/// Rounds a positive wait up to whole ms (at least 1); anything else gives 1.
fn ceil_ms(wait: f64) -> u64 {
    if wait.is_finite() && wait > 1.0 {
        // Saturating float-to-int conversion; waits are bounded by MAX_DURATION_MS anyway.
        wait.ceil() as u64
    } else {
        1
    }
}
