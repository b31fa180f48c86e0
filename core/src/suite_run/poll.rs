//! Time rules shared by every run: the overall deadline, the per-request timeout, the growing poll
//! interval with jitter, and the budget of consecutive transient errors, bundled per run in
//! [`Pacing`].

use super::reply::with_attempts;
use crate::error::GuardError;
use crate::retry::MAX_RETRY_AFTER_MS;

/// Default first poll interval (Cognigy's own CLI polls every 2 s).
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 2_000;
/// Default longest poll interval.
pub const DEFAULT_MAX_POLL_INTERVAL_MS: u64 = 15_000;
/// Longest poll interval accepted as an option (10 minutes).
pub const MAX_POLL_INTERVAL_LIMIT_MS: u64 = 600_000;
/// Factor the poll interval grows by after each poll.
pub const POLL_GROWTH: f64 = 1.5;
/// Jitter applied to each poll wait: ±10 %.
pub const POLL_JITTER: f64 = 0.1;
/// Time allowed for one request (less when the deadline is nearer).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Time allowed for the cancel request sent after a cancellation or the deadline; the one request
/// that may end after the deadline.
pub const CANCEL_TIMEOUT_MS: u64 = 5_000;
/// Consecutive transient failures (429, 5xx, network, timeout, malformed JSON) tolerated in one
/// phase before the run fails with the last one.
pub const MAX_CONSECUTIVE_ERRORS: u32 = 6;
/// Margin added to a seed execution's own timeout to get the default deadline.
pub const SEED_DEADLINE_MARGIN_MS: u64 = 120_000;
/// Default deadline of a playbook run: 50 steps × 20 s step timeout, plus 2 minutes.
pub const DEFAULT_PLAYBOOK_DEADLINE_MS: u64 = 50 * 20_000 + 120_000;
/// Longest deadline accepted (1 day).
pub const MAX_DEADLINE_MS: u64 = 86_400_000;

/// Poll timing options (`pollIntervalMs`, `maxPollIntervalMs`, `deadlineMs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// First poll interval, in ms.
    pub poll_interval_ms: u64,
    /// Longest poll interval, in ms.
    pub max_poll_interval_ms: u64,
    /// Overall deadline, in ms; `None` derives it from the run.
    pub deadline_ms: Option<u64>,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            max_poll_interval_ms: DEFAULT_MAX_POLL_INTERVAL_MS,
            deadline_ms: None,
        }
    }
}

impl Timing {
    /// Checks the ranges: intervals 1 ms to 10 minutes with the first not above the longest;
    /// the deadline 1 ms to 1 day.
    pub fn validate(&self) -> Result<(), GuardError> {
        let interval_ok = |ms: u64| (1..=MAX_POLL_INTERVAL_LIMIT_MS).contains(&ms);
        if !interval_ok(self.poll_interval_ms) || !interval_ok(self.max_poll_interval_ms) {
            return Err(GuardError::Config(format!(
                "pollIntervalMs and maxPollIntervalMs must be 1 to {MAX_POLL_INTERVAL_LIMIT_MS}"
            )));
        }
        if self.poll_interval_ms > self.max_poll_interval_ms {
            return Err(GuardError::Config(
                "pollIntervalMs must not be above maxPollIntervalMs".to_owned(),
            ));
        }
        match self.deadline_ms {
            Some(ms) if !(1..=MAX_DEADLINE_MS).contains(&ms) => Err(GuardError::Config(format!(
                "deadlineMs must be 1 to {MAX_DEADLINE_MS}"
            ))),
            _ => Ok(()),
        }
    }

    /// The deadline to use: the option when given, `default_ms` otherwise.
    pub fn deadline_or(&self, default_ms: u64) -> u64 {
        self.deadline_ms.unwrap_or(default_ms)
    }
}

/// When a run started and when it must be over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunClock {
    started_ms: f64,
    deadline_ms: u64,
}

impl RunClock {
    /// A run starting at `now` that must end within `deadline_ms`. A non-finite `now` counts as 0.
    pub fn new(now: f64, deadline_ms: u64) -> Self {
        RunClock {
            started_ms: if now.is_finite() { now } else { 0.0 },
            deadline_ms,
        }
    }

    /// When the run started (epoch ms).
    pub fn started_ms(&self) -> f64 {
        self.started_ms
    }

    /// The deadline, in ms after the start.
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// The instant the run must be over (epoch ms).
    pub fn deadline_at(&self) -> f64 {
        self.started_ms + self.deadline_ms as f64
    }

    /// Milliseconds since the start (never negative; 0 for a non-finite `now`).
    pub fn elapsed(&self, now: f64) -> f64 {
        let elapsed = now - self.started_ms;
        if elapsed.is_finite() && elapsed > 0.0 {
            elapsed
        } else {
            0.0
        }
    }

    /// Whole milliseconds left before the deadline (0 once it passed; 0 for a NaN `now`).
    pub fn remaining(&self, now: f64) -> u64 {
        let left = self.deadline_at() - now;
        if left.is_finite() && left > 0.0 {
            // Float-to-int `as` saturates; the value is finite and positive.
            left.floor() as u64
        } else {
            0
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(&self, now: f64) -> bool {
        self.remaining(now) == 0
    }

    /// Time allowed for the next request: [`REQUEST_TIMEOUT_MS`], less when the deadline is nearer.
    pub fn request_timeout(&self, now: f64) -> u64 {
        REQUEST_TIMEOUT_MS.min(self.remaining(now)).max(1)
    }

    /// A wait of `ms`, shortened so it ends at the deadline.
    pub fn bounded_sleep(&self, ms: u64, now: f64) -> u64 {
        ms.min(self.remaining(now))
    }

    /// The `DEADLINE` error of this run after `attempts` requests.
    pub fn deadline_error(&self, attempts: u32) -> GuardError {
        GuardError::Deadline {
            deadline_ms: self.deadline_ms,
            attempts,
            endpoint_id: None,
        }
    }
}

/// Poll waits: `pollIntervalMs`, growing ×1.5 per poll up to `maxPollIntervalMs`, each with ±10 %
/// jitter (never above the maximum).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    next_ms: f64,
    max_ms: f64,
}

impl PollSchedule {
    /// A schedule for `timing`.
    pub fn new(timing: &Timing) -> Self {
        PollSchedule {
            next_ms: timing.poll_interval_ms as f64,
            max_ms: timing.max_poll_interval_ms as f64,
        }
    }

    /// The next wait, jittered by `random` (uniform in `[0, 1)`; clamped, NaN counts as 0.5); the
    /// interval then grows.
    pub fn next_delay(&mut self, random: f64) -> u64 {
        let random = if random.is_nan() {
            0.5
        } else {
            random.clamp(0.0, 1.0)
        };
        let factor = 1.0 - POLL_JITTER + 2.0 * POLL_JITTER * random;
        let delay = (self.next_ms * factor).min(self.max_ms).max(0.0);
        self.next_ms = (self.next_ms * POLL_GROWTH).min(self.max_ms);
        // Finite and within 0..=10 minutes.
        delay.round() as u64
    }
}

/// Consecutive transient failures in one phase, bounded by [`MAX_CONSECUTIVE_ERRORS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorBudget {
    consecutive: u32,
}

impl ErrorBudget {
    /// A success: the count starts over.
    pub fn reset(&mut self) {
        self.consecutive = 0;
    }

    /// Counts a transient failure; `false` once the budget is spent.
    pub fn spend(&mut self) -> bool {
        self.consecutive = self.consecutive.saturating_add(1);
        self.consecutive <= MAX_CONSECUTIVE_ERRORS
    }

    /// Transient failures in a row.
    pub fn consecutive(&self) -> u32 {
        self.consecutive
    }
}

/// The pace of one run, shared by the seed-v1 and playbook machines: its clock, the poll
/// schedule, the retry backoff and error budget of the current phase, and the request counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    timing: Timing,
    clock: RunClock,
    schedule: PollSchedule,
    /// Waits between retries of a non-poll request (the poll schedule, restarted per phase).
    backoff: PollSchedule,
    budget: ErrorBudget,
    attempts: u32,
    polls: u32,
}

impl Pacing {
    /// The pace of a run with `timing` that must end within `deadline_ms` of its start.
    pub fn new(timing: Timing, deadline_ms: u64) -> Self {
        Pacing {
            timing,
            clock: RunClock::new(0.0, deadline_ms),
            schedule: PollSchedule::new(&timing),
            backoff: PollSchedule::new(&timing),
            budget: ErrorBudget::default(),
            attempts: 0,
            polls: 0,
        }
    }

    /// Starts the run's clock at `now`.
    pub fn start(&mut self, now: f64) {
        self.clock = RunClock::new(now, self.clock.deadline_ms());
    }

    /// The run's clock (start and deadline).
    pub fn clock(&self) -> &RunClock {
        &self.clock
    }

    /// Requests sent in the current phase.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Status polls sent so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Counts a request about to be sent (a status poll when `poll`) and gives its timeout;
    /// the run's `DEADLINE` error once its time is up.
    pub fn send(&mut self, now: f64, poll: bool) -> Result<u64, GuardError> {
        if self.clock.expired(now) {
            return Err(self.clock.deadline_error(self.attempts));
        }
        self.attempts = self.attempts.saturating_add(1);
        if poll {
            self.polls = self.polls.saturating_add(1);
        }
        Ok(self.clock.request_timeout(now))
    }

    /// A new phase: its retries start over.
    pub fn enter_phase(&mut self) {
        self.backoff = PollSchedule::new(&self.timing);
        self.budget.reset();
        self.attempts = 0;
    }

    /// A usable answer: the error streak starts over.
    pub fn answered(&mut self) {
        self.budget.reset();
    }

    /// The wait before the next status poll.
    pub fn poll_wait(&mut self, now: f64, random: f64) -> u64 {
        let delay = self.schedule.next_delay(random);
        self.clock.bounded_sleep(delay, now)
    }

    /// The wait before retrying after the transient `error` (the poll schedule while
    /// `polling`, the phase's backoff otherwise; `Retry-After` wins); the error to end with
    /// when the budget or the deadline does not allow another try.
    pub fn retry_wait(
        &mut self,
        polling: bool,
        error: GuardError,
        retry_after_ms: Option<u64>,
        now: f64,
        random: f64,
    ) -> Result<u64, GuardError> {
        let own = if polling {
            self.schedule.next_delay(random)
        } else {
            self.backoff.next_delay(random)
        };
        transient_wait(
            &mut self.budget,
            &self.clock,
            error,
            retry_after_ms,
            own,
            self.attempts,
            now,
        )
    }
}

/// After a transient failure: the wait before the next try, or the error that ends the phase.
///
/// The failure is counted in `budget`; when it is spent, `error` ends the phase. A server's
/// `Retry-After` wins over `own_delay_ms`; when that wait would pass the deadline the phase ends at
/// once (`RATE_LIMITED` with `retryAfterMs` for a 429, `DEADLINE` otherwise). The caller's own
/// delay is shortened to end at the deadline.
pub fn transient_wait(
    budget: &mut ErrorBudget,
    clock: &RunClock,
    error: GuardError,
    retry_after_ms: Option<u64>,
    own_delay_ms: u64,
    attempts: u32,
    now: f64,
) -> Result<u64, GuardError> {
    if !budget.spend() {
        return Err(with_attempts(error, attempts));
    }
    match retry_after_ms {
        Some(wait) => {
            let wait = wait.min(MAX_RETRY_AFTER_MS);
            if wait < clock.remaining(now) {
                Ok(wait)
            } else if matches!(error, GuardError::RateLimited { .. }) {
                Err(GuardError::RateLimited {
                    retry_after_ms: Some(wait),
                    attempts,
                    endpoint_id: None,
                })
            } else {
                Err(clock.deadline_error(attempts))
            }
        }
        None => Ok(clock.bounded_sleep(own_delay_ms, now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_error;
    use crate::ErrorCode;

    #[test]
    fn intervals_grow_by_half_up_to_the_cap_with_bounded_jitter() {
        let mut schedule = PollSchedule::new(&Timing::default());
        let plain: Vec<u64> = (0..8).map(|_| schedule.next_delay(0.5)).collect();
        assert_eq!(plain, [2000, 3000, 4500, 6750, 10125, 15000, 15000, 15000]);
        let mut low = PollSchedule::new(&Timing::default());
        let mut high = PollSchedule::new(&Timing::default());
        assert_eq!(low.next_delay(0.0), 1800);
        assert_eq!(high.next_delay(0.999_999), 2200);
        for _ in 0..10 {
            assert!(high.next_delay(0.999_999) <= 15_000);
        }
        let mut odd = PollSchedule::new(&Timing::default());
        assert_eq!(odd.next_delay(f64::NAN), 2000);
        assert_eq!(odd.next_delay(7.0), 3300);
    }

    #[test]
    fn clock_bounds_requests_and_sleeps_by_the_deadline() {
        let clock = RunClock::new(1_000.0, 10_000);
        assert_eq!(clock.deadline_at(), 11_000.0);
        assert_eq!(clock.request_timeout(1_000.0), 10_000);
        assert_eq!(clock.request_timeout(10_999.5), 1);
        assert_eq!(clock.bounded_sleep(5_000, 8_000.0), 3_000);
        assert!(!clock.expired(10_999.0));
        assert!(clock.expired(11_000.0));
        assert!(clock.expired(f64::NAN));
        assert_eq!(clock.elapsed(500.0), 0.0);
        assert_eq!(clock.elapsed(3_500.0), 2_500.0);
        assert_eq!(RunClock::new(f64::NAN, 5).started_ms(), 0.0);
    }

    #[test]
    fn timing_is_validated() {
        assert!(Timing::default().validate().is_ok());
        let bad = [
            Timing {
                poll_interval_ms: 0,
                ..Timing::default()
            },
            Timing {
                poll_interval_ms: 20_000,
                ..Timing::default()
            },
            Timing {
                deadline_ms: Some(0),
                ..Timing::default()
            },
            Timing {
                max_poll_interval_ms: MAX_POLL_INTERVAL_LIMIT_MS + 1,
                ..Timing::default()
            },
        ];
        for timing in bad {
            assert_eq!(
                timing.validate().map_err(|e| e.code()),
                Err(crate::ErrorCode::Config)
            );
        }
        assert_eq!(Timing::default().deadline_or(7), 7);
    }

    #[test]
    fn pacing_counts_requests_per_phase_and_stops_at_the_deadline() {
        let mut pacing = Pacing::new(Timing::default(), 10_000);
        pacing.start(1_000.0);
        assert_eq!(pacing.send(1_000.0, false), Ok(10_000));
        assert_eq!(pacing.send(6_000.0, true), Ok(5_000));
        assert_eq!((pacing.attempts(), pacing.polls()), (2, 1));
        assert_eq!(pacing.poll_wait(6_000.0, 0.5), 2_000);
        assert_eq!(pacing.poll_wait(10_000.0, 0.5), 1_000);
        pacing.enter_phase();
        assert_eq!((pacing.attempts(), pacing.polls()), (0, 1));
        let error = pacing.send(11_000.0, false).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Deadline);
    }

    #[test]
    fn pacing_retries_on_the_phase_backoff_within_the_budget() {
        let mut pacing = Pacing::new(Timing::default(), 600_000);
        pacing.start(0.0);
        let network = || GuardError::Network {
            message: "reset".to_owned(),
            attempts: 0,
            endpoint_id: None,
        };
        assert_eq!(
            pacing.retry_wait(false, network(), None, 0.0, 0.5),
            Ok(2_000)
        );
        assert_eq!(
            pacing.retry_wait(false, network(), None, 0.0, 0.5),
            Ok(3_000)
        );
        assert_eq!(
            pacing.retry_wait(false, network(), Some(7_000), 0.0, 0.5),
            Ok(7_000)
        );
        pacing.enter_phase();
        assert_eq!(
            pacing.retry_wait(false, network(), None, 0.0, 0.5),
            Ok(2_000)
        );
        for _ in 1..MAX_CONSECUTIVE_ERRORS {
            assert!(pacing.retry_wait(true, network(), None, 0.0, 0.5).is_ok());
        }
        let spent = pacing
            .retry_wait(true, network(), None, 0.0, 0.5)
            .unwrap_err();
        assert_eq!(spent.code(), crate::ErrorCode::Network);
        pacing.answered();
        assert!(pacing.retry_wait(true, network(), None, 0.0, 0.5).is_ok());
    }

    #[test]
    fn error_budget_allows_a_bounded_streak() {
        let mut budget = ErrorBudget::default();
        for _ in 0..MAX_CONSECUTIVE_ERRORS {
            assert!(budget.spend());
        }
        assert!(!budget.spend());
        budget.reset();
        assert_eq!(budget.consecutive(), 0);
        assert!(budget.spend());
    }

    #[test]
    fn transient_waits_are_bounded_by_budget_and_deadline() {
        let clock = RunClock::new(0.0, 10_000);
        let mut budget = ErrorBudget::default();
        let limited = GuardError::RateLimited {
            retry_after_ms: None,
            attempts: 1,
            endpoint_id: None,
        };
        assert_eq!(
            transient_wait(&mut budget, &clock, limited.clone(), Some(2000), 50, 1, 0.0),
            Ok(2000)
        );
        let err =
            transient_wait(&mut budget, &clock, limited, Some(20_000), 50, 2, 0.0).unwrap_err();
        assert_eq!(
            err,
            GuardError::RateLimited {
                retry_after_ms: Some(20_000),
                attempts: 2,
                endpoint_id: None
            }
        );
        let http = parse_error(503, &[], "");
        let err = transient_wait(&mut budget, &clock, http.clone(), Some(20_000), 50, 3, 0.0)
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Deadline);
        assert_eq!(
            transient_wait(&mut budget, &clock, http.clone(), None, 50_000, 3, 4_000.0),
            Ok(6_000)
        );
        let mut budget = ErrorBudget::default();
        let mut last = Ok(0);
        for n in 0..=super::super::poll::MAX_CONSECUTIVE_ERRORS {
            last = transient_wait(&mut budget, &clock, http.clone(), None, 1, n + 1, 0.0);
        }
        match last {
            Err(GuardError::Http {
                status, attempts, ..
            }) => assert_eq!((status, attempts), (503, 7)),
            other => panic!("{other:?}"),
        }
    }
}
