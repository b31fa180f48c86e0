//! Retry policy: which outcomes are worth another attempt, how long to wait (exponential
//! backoff with full jitter, or the server's `Retry-After`), and when to give up.
//!
//! Sans-IO: time and randomness come in as arguments.

use std::time::UNIX_EPOCH;

/// Default cap of one backoff wait, in ms.
pub const DEFAULT_MAX_BACKOFF_MS: u64 = 10_000;
/// Longest `Retry-After` honoured (1 day, in ms); larger values are capped to it.
pub const MAX_RETRY_AFTER_MS: u64 = 24 * 60 * 60 * 1000;

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The server answered with this HTTP status.
    Status(u16),
    /// No HTTP answer (connection refused or reset, DNS failure).
    Network,
    /// The attempt exceeded its own timeout.
    Timeout,
}

/// Whether another attempt may help: 408, 429 and 5xx except 501 (Not Implemented),
/// 505 (HTTP Version Not Supported) and 511 (Network Authentication Required); network
/// errors and timeouts. Never other statuses (2xx, 3xx, 400, 401, 403, 404, ...).
///
/// A 401 may be retried once after refreshing the token; that is [`TokenRefreshRetry`]'s
/// business, not this function's.
pub fn is_retryable(outcome: AttemptOutcome) -> bool {
    match outcome {
        AttemptOutcome::Network | AttemptOutcome::Timeout => true,
        AttemptOutcome::Status(status) => match status {
            408 | 429 => true,
            501 | 505 | 511 => false,
            500..=599 => true,
            _ => false,
        },
    }
}

/// Parses a `Retry-After` header value into ms to wait from `now_ms`.
///
/// Accepts delta-seconds (a non-negative integer) and HTTP-dates (IMF-fixdate and the
/// obsolete RFC 850 and asctime forms). A date in the past gives 0. Results are capped at
/// [`MAX_RETRY_AFTER_MS`]. Anything else (negative or fractional numbers, garbage, or a date
/// while `now_ms` is not finite) gives `None`.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit u64 is still a valid, absurdly long delay.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(seconds.saturating_mul(1000).min(MAX_RETRY_AFTER_MS));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    if !now_ms.is_finite() {
        return None;
    }
    let date_ms = match date.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_millis() as f64,
        Err(_) => return Some(0),
    };
    let wait = date_ms - now_ms;
    Some(if wait <= 0.0 {
        0
    } else if wait >= MAX_RETRY_AFTER_MS as f64 {
        MAX_RETRY_AFTER_MS
    } else {
        wait.ceil() as u64
    })
}

/// The wait before retry number `retry_number` (1-based; 0 is treated as 1): exponential
/// `min(base_ms × 2^(n-1), cap_ms)` with full jitter, i.e. `floor(random × that)`.
///
/// `random` is a uniform sample from `[0, 1)`; values outside are clamped and NaN counts as
/// 0. Never overflows; the result is at most `min(base_ms × 2^(n-1), cap_ms)`.
pub fn backoff_ms(retry_number: u32, base_ms: u64, cap_ms: u64, random: f64) -> u64 {
    let exponent = retry_number.saturating_sub(1);
    let ceiling = 1u64
        .checked_shl(exponent)
        .and_then(|factor| base_ms.checked_mul(factor))
        .map_or(cap_ms, |exp| exp.min(cap_ms));
    let random = if random.is_nan() {
        0.0
    } else {
        random.clamp(0.0, 1.0)
    };
    let jittered = (random * ceiling as f64).floor();
    if jittered >= ceiling as f64 {
        ceiling
    } else {
        // Non-negative and below `ceiling`: the conversion is exact enough and in range.
        jittered as u64
    }
}

/// Why a [`RetryPolicy`] stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUpReason {
    /// The outcome is not worth another attempt (see [`is_retryable`]).
    NotRetryable,
    /// `max_retries` retries were already made.
    RetriesExhausted,
    /// Waiting `delay_ms` would leave no time before the deadline. `server_requested` tells
    /// whether the wait came from `Retry-After` (map to `RATE_LIMITED` for a 429) or from the
    /// backoff (map to `DEADLINE`).
    DeadlineWouldPass {
        /// The wait that did not fit.
        delay_ms: u64,
        /// Whether the wait was the server's `Retry-After`.
        server_requested: bool,
    },
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait `delay_ms`, then try again.
    RetryAfter {
        /// The wait, in ms.
        delay_ms: u64,
    },
    /// Stop and report the failure.
    GiveUp {
        /// Why.
        reason: GiveUpReason,
    },
}

/// Retry budget and backoff shape for one guarded call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Base backoff, in ms (the first retry waits up to this).
    pub base_ms: u64,
    /// Cap of one backoff wait, in ms.
    pub cap_ms: u64,
}

impl Default for RetryPolicy {
    /// The seed's values: 2 retries, 500 ms base, [`DEFAULT_MAX_BACKOFF_MS`] cap.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_ms: 500,
            cap_ms: DEFAULT_MAX_BACKOFF_MS,
        }
    }
}

impl RetryPolicy {
    /// Decides after a failed attempt, given the retries already made, how the attempt
    /// ended, the server's `Retry-After` (ms, see [`parse_retry_after`]), the current time
    /// and the overall deadline (epoch ms; `f64::INFINITY` for none), and a random sample
    /// in `[0, 1)` for the jitter.
    ///
    /// Gives up when the outcome is not retryable, when the retries are exhausted, or when
    /// the wait (the `Retry-After` when given, which wins over the backoff; otherwise the
    /// jittered backoff) would reach the deadline, leaving no time for the attempt. A NaN
    /// `now_ms` or `deadline_at_ms` also gives up on the deadline.
    pub fn decide(
        &self,
        retries_done: u32,
        outcome: AttemptOutcome,
        retry_after_ms: Option<u64>,
        now_ms: f64,
        deadline_at_ms: f64,
        random: f64,
    ) -> RetryDecision {
        if !is_retryable(outcome) {
            return give_up(GiveUpReason::NotRetryable);
        }
        if retries_done >= self.max_retries {
            return give_up(GiveUpReason::RetriesExhausted);
        }
        let server_requested = retry_after_ms.is_some();
        let delay_ms = retry_after_ms.map_or_else(
            || {
                backoff_ms(
                    retries_done.saturating_add(1),
                    self.base_ms,
                    self.cap_ms,
                    random,
                )
            },
            |ms| ms.min(MAX_RETRY_AFTER_MS),
        );
        let resume_at = now_ms + delay_ms as f64;
        if resume_at < deadline_at_ms {
            RetryDecision::RetryAfter { delay_ms }
        } else {
            give_up(GiveUpReason::DeadlineWouldPass {
                delay_ms,
                server_requested,
            })
        }
    }
}

fn give_up(reason: GiveUpReason) -> RetryDecision {
    RetryDecision::GiveUp { reason }
}

/// The one extra attempt allowed after a 401: refresh the token, then retry once. It does
/// not use the [`RetryPolicy`] budget; a second 401 is final.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenRefreshRetry {
    used: bool,
}

impl TokenRefreshRetry {
    /// A fresh allowance (one refresh-and-retry available).
    pub fn new() -> Self {
        TokenRefreshRetry::default()
    }

    /// Whether the caller should refresh its token and retry: true exactly once, for the
    /// first 401. Other outcomes return false and keep the allowance.
    pub fn should_refresh_and_retry(&mut self, outcome: AttemptOutcome) -> bool {
        if outcome == AttemptOutcome::Status(401) && !self.used {
            self.used = true;
            true
        } else {
            false
        }
    }

    /// Whether the allowance was spent.
    pub fn used(&self) -> bool {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    const NOW: f64 = 1_445_412_480_000.0; // Wed, 21 Oct 2015 07:28:00 GMT

    #[test]
    fn retryable_outcomes() {
        for status in [408, 429, 500, 502, 503, 504, 507, 599] {
            assert!(is_retryable(AttemptOutcome::Status(status)), "{status}");
        }
        for status in [
            200, 204, 301, 400, 401, 403, 404, 409, 422, 501, 505, 511, 600,
        ] {
            assert!(!is_retryable(AttemptOutcome::Status(status)), "{status}");
        }
        assert!(is_retryable(AttemptOutcome::Network));
        assert!(is_retryable(AttemptOutcome::Timeout));
    }

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(parse_retry_after("120", NOW), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", NOW), Some(0));
        assert_eq!(parse_retry_after("86401", NOW), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(
            parse_retry_after("99999999999999999999999999", NOW),
            Some(MAX_RETRY_AFTER_MS)
        );
        assert_eq!(parse_retry_after("120", f64::NAN), Some(120_000));
    }

    #[test]
    fn retry_after_http_dates() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NOW),
            Some(30_000)
        );
        // Obsolete RFC 850 and asctime forms.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", NOW),
            Some(60_000)
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:05 2015", NOW),
            Some(5_000)
        );
        // Past dates mean "now"; far-future dates are capped.
        assert_eq!(
            parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", NOW),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Fri, 21 Oct 2016 07:28:00 GMT", NOW),
            Some(MAX_RETRY_AFTER_MS)
        );
        // Sub-second `now` rounds the wait up.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NOW + 0.5),
            Some(30_000)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", f64::NAN),
            None
        );
    }

    #[test]
    fn retry_after_garbage_is_none() {
        for v in [
            "",
            "  ",
            "-1",
            "1.5",
            "+3",
            "soon",
            "1e3",
            "0x10",
            "Wed, 32 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(parse_retry_after(v, NOW), None, "{v:?}");
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let almost_one = 1.0 - f64::EPSILON;
        assert_eq!(backoff_ms(1, 500, 10_000, almost_one), 499);
        assert_eq!(backoff_ms(2, 500, 10_000, almost_one), 999);
        assert_eq!(backoff_ms(3, 500, 10_000, 0.5), 1000);
        assert_eq!(backoff_ms(10, 500, 10_000, 0.5), 5000);
        assert_eq!(backoff_ms(200, 500, 10_000, 0.5), 5000);
        assert_eq!(backoff_ms(64, u64::MAX, u64::MAX, 0.0), 0);
        assert_eq!(backoff_ms(0, 500, 10_000, 0.5), 250);
        assert_eq!(backoff_ms(1, 500, 10_000, f64::NAN), 0);
        assert_eq!(backoff_ms(1, 500, 10_000, 7.0), 500);
        assert_eq!(backoff_ms(1, 0, 10_000, 0.9), 0);
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn decide_retries_with_backoff() {
        let d = policy().decide(
            0,
            AttemptOutcome::Status(503),
            None,
            NOW,
            NOW + 20_000.0,
            0.5,
        );
        assert_eq!(d, RetryDecision::RetryAfter { delay_ms: 250 });
        let d = policy().decide(1, AttemptOutcome::Timeout, None, NOW, f64::INFINITY, 0.5);
        assert_eq!(d, RetryDecision::RetryAfter { delay_ms: 500 });
    }

    #[test]
    fn decide_gives_up_on_final_statuses_and_exhaustion() {
        for status in [400, 401, 403, 404] {
            assert_eq!(
                policy().decide(
                    0,
                    AttemptOutcome::Status(status),
                    None,
                    NOW,
                    f64::INFINITY,
                    0.5
                ),
                RetryDecision::GiveUp {
                    reason: GiveUpReason::NotRetryable
                }
            );
        }
        assert_eq!(
            policy().decide(2, AttemptOutcome::Network, None, NOW, f64::INFINITY, 0.5),
            RetryDecision::GiveUp {
                reason: GiveUpReason::RetriesExhausted
            }
        );
    }

    #[test]
    fn retry_after_wins_but_respects_the_deadline() {
        let d = policy().decide(
            0,
            AttemptOutcome::Status(429),
            Some(3000),
            NOW,
            NOW + 20_000.0,
            0.5,
        );
        assert_eq!(d, RetryDecision::RetryAfter { delay_ms: 3000 });
        // Shorter than the backoff would be: still wins.
        let d = policy().decide(
            1,
            AttemptOutcome::Status(503),
            Some(10),
            NOW,
            NOW + 20_000.0,
            0.9,
        );
        assert_eq!(d, RetryDecision::RetryAfter { delay_ms: 10 });
        let d = policy().decide(
            0,
            AttemptOutcome::Status(429),
            Some(30_000),
            NOW,
            NOW + 20_000.0,
            0.5,
        );
        assert_eq!(
            d,
            RetryDecision::GiveUp {
                reason: GiveUpReason::DeadlineWouldPass {
                    delay_ms: 30_000,
                    server_requested: true
                }
            }
        );
    }

    #[test]
    fn backoff_past_the_deadline_gives_up() {
        let d = policy().decide(0, AttemptOutcome::Status(502), None, NOW, NOW + 100.0, 0.5);
        assert_eq!(
            d,
            RetryDecision::GiveUp {
                reason: GiveUpReason::DeadlineWouldPass {
                    delay_ms: 250,
                    server_requested: false
                }
            }
        );
        // A deadline already passed, or a NaN clock, gives up too.
        let d = policy().decide(0, AttemptOutcome::Network, None, NOW, NOW - 1.0, 0.0);
        assert!(matches!(d, RetryDecision::GiveUp { .. }));
        let d = policy().decide(0, AttemptOutcome::Network, None, f64::NAN, NOW, 0.0);
        assert!(matches!(d, RetryDecision::GiveUp { .. }));
    }

    #[test]
    fn one_token_refresh_retry_per_call() {
        let mut refresh = TokenRefreshRetry::new();
        assert!(!refresh.should_refresh_and_retry(AttemptOutcome::Status(403)));
        assert!(!refresh.used());
        assert!(refresh.should_refresh_and_retry(AttemptOutcome::Status(401)));
        assert!(refresh.used());
        assert!(!refresh.should_refresh_and_retry(AttemptOutcome::Status(401)));
    }

    proptest! {
        #[test]
        fn parse_retry_after_never_panics_and_is_bounded(value in ".{0,40}", now in proptest::num::f64::ANY) {
            if let Some(ms) = parse_retry_after(&value, now) {
                prop_assert!(ms <= MAX_RETRY_AFTER_MS);
            }
        }

        #[test]
        fn delta_seconds_round_trip(seconds in 0u64..=86_400) {
            prop_assert_eq!(parse_retry_after(&seconds.to_string(), NOW), Some(seconds * 1000));
        }

        #[test]
        fn http_dates_round_trip(offset_s in 0u64..=86_400) {
            let date = UNIX_EPOCH + Duration::from_millis(NOW as u64) + Duration::from_secs(offset_s);
            let text = httpdate::fmt_http_date(date);
            prop_assert_eq!(parse_retry_after(&text, NOW), Some(offset_s * 1000));
        }

        #[test]
        fn backoff_is_bounded(n in any::<u32>(), base in any::<u64>(), cap in any::<u64>(), random in proptest::num::f64::ANY) {
            let ms = backoff_ms(n, base, cap, random);
            let exp = 1u64.checked_shl(n.saturating_sub(1)).and_then(|f| base.checked_mul(f)).unwrap_or(u64::MAX);
            prop_assert!(ms <= cap.min(exp));
        }

        #[test]
        fn backoff_jitter_is_below_the_ceiling(n in 1u32..20, base in 1u64..10_000, random in 0.0f64..1.0) {
            let ceiling = (base << (n - 1)).min(DEFAULT_MAX_BACKOFF_MS);
            prop_assert!(backoff_ms(n, base, DEFAULT_MAX_BACKOFF_MS, random) < ceiling);
        }

        #[test]
        fn decide_never_waits_past_the_deadline(
            retries_done in 0u32..5, status in 100u16..600, retry_after in proptest::option::of(any::<u64>()),
            budget in 0.0f64..60_000.0, random in 0.0f64..1.0,
        ) {
            let p = RetryPolicy { max_retries: 3, base_ms: 500, cap_ms: DEFAULT_MAX_BACKOFF_MS };
            let d = p.decide(retries_done, AttemptOutcome::Status(status), retry_after, NOW, NOW + budget, random);
            if let RetryDecision::RetryAfter { delay_ms } = d {
                prop_assert!((delay_ms as f64) < budget);
                prop_assert!(retries_done < 3);
                prop_assert!(is_retryable(AttemptOutcome::Status(status)));
                if let Some(ra) = retry_after {
                    prop_assert_eq!(delay_ms, ra);
                }
            }
        }
    }
}
