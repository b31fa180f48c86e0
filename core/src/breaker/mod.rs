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
//!   `halfOpenTimeoutMs` expires, counting as a failure.
//! - Every admission carries a [`Permit`] naming the state period it was granted in (every
//!   transition starts a new period). An outcome settled with a permit of an earlier period is
//!   counted in the stats only: it never counts as a probe, frees no probe slot and changes no
//!   state. An outcome reported without a permit (`None`) is taken as the current period's; in
//!   half-open it settles the oldest outstanding probe.
//! - No open period ends later than `maxResetTimeoutMs` (default 10 min) after the time it
//!   is read: not after a huge `Retry-After`, a wild clock reading or a restored snapshot.
//! - Closing ends the outage: the open time returns to `resetTimeoutMs` and the history
//!   entry carries the time since the outage's first opening.

pub mod clock;
pub mod config;
pub mod history;
pub mod shared;
pub mod snapshot;
pub mod stats;
pub mod window;

#[cfg(test)]
mod read_tests;
#[cfg(test)]
mod tests;

use crate::error::GuardError;
use crate::json::read::{self, Read};
use crate::time::iso8601;
use clock::Clock;
use config::BreakerConfig;
use history::{History, HistoryEntry, TransitionReason};
#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use stats::{BreakerStats, Counters};
use std::collections::VecDeque;
use window::SlidingWindow;

pub use snapshot::BreakerSnapshot;

/// The breaker's state, serialized as `closed | open | half_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
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

impl BreakerState {
    /// Reads `closed`, `open` or `half_open`.
    pub fn read(value: &Value) -> Read<Self> {
        use BreakerState::*;
        read::variant(
            value,
            &[("closed", Closed), ("open", Open), ("half_open", HalfOpen)],
        )
    }
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

/// One admission's identity: the breaker's permit counter when it was granted. Permits
/// granted before the latest transition belong to an earlier period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Permit(pub u64);

/// How an admitted call ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// It succeeded after `latency_ms` (a success slower than `slowCallMs` counts as a failure
    /// for the trip rules).
    Success {
        /// How long the call took.
        latency_ms: f64,
    },
    /// It failed; the answer may have asked to wait `retry_after_ms`.
    Failure {
        /// The answer's `Retry-After`, in ms.
        retry_after_ms: Option<u64>,
    },
    /// It was never made (the permit is returned unused).
    Release,
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
    /// The outstanding probes (permit, monotonic acquisition instant), oldest first.
    probes: VecDeque<(u64, f64)>,
    /// The next permit to grant.
    next_permit: u64,
    /// The first permit of the current period (the one granted first after the latest
    /// transition).
    period_start: u64,
    half_open_successes: u32,
    /// Transitions so far: the state period's number (a fleet permit names it, see
    /// [`shared`]).
    period: u64,
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
            next_permit: 0,
            period_start: 0,
            half_open_successes: 0,
            period: 0,
            history: History::default(),
            counters: Counters::default(),
        })
    }

    /// The permit the next admission gets.
    pub fn next_permit(&self) -> Permit {
        Permit(self.next_permit)
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
    /// closed without a slow-call and without a failure-rate rule (a success can trip either):
    /// then neither can change the state, and `now` only advances the clock, so a caller may
    /// pass the last instant it read instead of reading a clock on its hot path. Failures
    /// always need the current time.
    pub fn needs_time(&self) -> bool {
        self.state != BreakerState::Closed
            || self.config.slow_call_ms.is_some()
            || self.config.rate_rule_enabled()
    }

    /// The state at `now`, after applying any due timed transition.
    pub fn state_at(&mut self, now: f64) -> BreakerState {
        self.advance(now);
        self.state
    }

    /// Asks to make one call (see [`Self::acquire`]; the permit is not kept).
    pub fn try_acquire(&mut self, now: f64) -> Admission {
        self.acquire(now).0
    }

    /// Asks to make one call; an admitted call gets its [`Permit`]. Half-open admissions are
    /// probes the caller must settle with [`Self::settle`] (or the `record_*` and
    /// [`Self::release`] shorthands).
    pub fn acquire(&mut self, now: f64) -> (Admission, Option<Permit>) {
        let t = self.advance(now);
        let refused_for = match self.state {
            BreakerState::Closed => None,
            // Bounded by the longest open time: at large instants `open_until - t` carries
            // float rounding that must not show as an extra millisecond.
            BreakerState::Open => Some((self.open_until - t).min(self.config.max_open_ms() as f64)),
            BreakerState::HalfOpen => {
                if self.probes.len() < self.max_probes() {
                    None
                } else {
                    // Full: a permit frees up at the latest when the oldest probe expires.
                    let oldest = self.probes.front().map_or(t, |&(_, at)| at);
                    Some((oldest + self.half_open_timeout() - t).min(self.half_open_timeout()))
                }
            }
        };
        match refused_for {
            None => {
                let permit = self.next_permit;
                self.next_permit = self.next_permit.saturating_add(1);
                if self.state == BreakerState::HalfOpen {
                    self.probes.push_back((permit, t));
                }
                let admission = Admission {
                    allowed: true,
                    state: self.state,
                    retry_after_ms: 0,
                };
                (admission, Some(Permit(permit)))
            }
            Some(wait) => {
                self.counters.rejections = self.counters.rejections.saturating_add(1);
                let admission = Admission {
                    allowed: false,
                    state: self.state,
                    retry_after_ms: ceil_ms(wait),
                };
                (admission, None)
            }
        }
    }

    /// Settles an admitted call: `permit` is the one [`Self::acquire`] gave it, or `None` when
    /// the caller kept none (the outcome is then taken as the current period's). Successes
    /// and failures are always counted in the stats; only a permit of the current period (an
    /// outstanding probe, when half-open) can change the state or free a probe slot.
    pub fn settle(&mut self, permit: Option<Permit>, outcome: Outcome, now: f64) {
        let t = self.advance(now);
        match outcome {
            Outcome::Success { .. } => {
                self.counters.calls = self.counters.calls.saturating_add(1);
                self.counters.successes = self.counters.successes.saturating_add(1);
            }
            Outcome::Failure { .. } => {
                self.counters.calls = self.counters.calls.saturating_add(1);
                self.counters.failures = self.counters.failures.saturating_add(1);
            }
            Outcome::Release => {}
        }
        if !self.take_current(permit) {
            return;
        }
        match outcome {
            Outcome::Success { latency_ms } => {
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
            Outcome::Failure { retry_after_ms } => {
                self.on_failure(t, FailureKind::Reported, retry_after_ms)
            }
            Outcome::Release => {}
        }
    }

    /// Whether `permit` belongs to the current period; when half-open, removes its probe
    /// (for `None`: the oldest one). A half-open permit whose probe is gone (settled or
    /// expired) is not current.
    fn take_current(&mut self, permit: Option<Permit>) -> bool {
        let Some(Permit(id)) = permit else {
            if self.state == BreakerState::HalfOpen {
                self.probes.pop_front();
            }
            return true;
        };
        if id < self.period_start {
            return false;
        }
        if self.state != BreakerState::HalfOpen {
            return true;
        }
        match self.probes.iter().position(|&(probe, _)| probe == id) {
            Some(index) => {
                self.probes.remove(index);
                true
            }
            None => false,
        }
    }

    /// Reports a successful call that took `latency_ms`, without a permit (see
    /// [`Self::settle`]). A success slower than `slowCallMs` counts as a failure for the trip
    /// rules.
    pub fn record_success(&mut self, now: f64, latency_ms: f64) {
        self.settle(None, Outcome::Success { latency_ms }, now);
    }

    /// Reports a failed call, without a permit.
    pub fn record_failure(&mut self, now: f64) {
        self.record_failure_with_retry_after(now, None);
    }

    /// Reports a failed call whose answer asked to wait `retry_after_ms` (e.g. a 429 or 503
    /// `Retry-After`). When this failure opens or reopens the breaker, the open time is at
    /// least that long (bounded by [`BreakerConfig::max_open_ms`]). Without a permit.
    pub fn record_failure_with_retry_after(&mut self, now: f64, retry_after_ms: Option<u64>) {
        self.settle(None, Outcome::Failure { retry_after_ms }, now);
    }

    /// Returns a permit that was not used (the call was never made), without naming it. Frees
    /// the oldest probe slot when half-open; has no effect otherwise.
    pub fn release(&mut self, now: f64) {
        self.settle(None, Outcome::Release, now);
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

    /// The newest transition, without copying the history.
    pub fn last_transition(&self) -> Option<&HistoryEntry> {
        self.history.last()
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
            if let Some(&(_, oldest)) = self.probes.front() {
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
        self.period_start = self.next_permit;
        self.period = self.period.saturating_add(1);
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
