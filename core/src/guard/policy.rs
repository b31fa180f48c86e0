//! Per-endpoint timeout policy (a validated [`TimeoutConfig`]) and the retry rules derived from
//! it, plus the seed's configuration-upload retry rule (429 only, `Retry-After` honoured).

use crate::model::TimeoutConfig;
use crate::retry::{parse_retry_after, RetryDecision, RetryPolicy, MAX_RETRY_AFTER_MS};
use crate::validation::MAX_BACKOFF_MS;

/// Attempts the configuration upload makes at most (the seed's `range(3)`).
pub const CONFIGURE_MAX_ATTEMPTS: u32 = 3;
/// Wait after a 429 without a usable `Retry-After` (the seed's default of 2 s).
pub const CONFIGURE_DEFAULT_RETRY_AFTER_MS: u64 = 2_000;

/// The retry budget of a guarded call: `retryAttempts` retries, `backoffMs` base backoff.
pub fn retry_policy(config: &TimeoutConfig) -> RetryPolicy {
    RetryPolicy {
        max_retries: config.retry_attempts,
        base_ms: u64::from(config.backoff_ms),
        cap_ms: MAX_BACKOFF_MS,
    }
}

/// Per-attempt timeout of a guarded call: the call's own `timeoutMs` when given (at least 1 ms),
/// else the policy's `maxWaitTimeMs`.
pub fn attempt_timeout_ms(config: &TimeoutConfig, override_ms: Option<u64>) -> u64 {
    override_ms.map_or(u64::from(config.max_wait_time_ms), |ms| ms.max(1))
}

/// After configuration attempt `attempt` (1-based) answered `status`: wait and retry for a 429
/// (its `Retry-After`, seconds or HTTP date, else 2 s) while fewer than
/// [`CONFIGURE_MAX_ATTEMPTS`] attempts were made and the wait ends before `deadline_at_ms`;
/// give up otherwise.
pub fn configure_retry(
    attempt: u32,
    status: u16,
    retry_after: Option<&str>,
    now_ms: f64,
    deadline_at_ms: f64,
) -> RetryDecision {
    let policy = RetryPolicy {
        max_retries: CONFIGURE_MAX_ATTEMPTS.saturating_sub(1),
        base_ms: CONFIGURE_DEFAULT_RETRY_AFTER_MS,
        cap_ms: MAX_RETRY_AFTER_MS,
    };
    let outcome = crate::retry::AttemptOutcome::Status(if status == 429 { 429 } else { 400 });
    let wait = retry_after
        .and_then(|v| parse_retry_after(v, now_ms))
        .unwrap_or(CONFIGURE_DEFAULT_RETRY_AFTER_MS);
    policy.decide(
        attempt.saturating_sub(1),
        outcome,
        Some(wait),
        now_ms,
        deadline_at_ms,
        0.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::GiveUpReason;
    use serde_json::Map;

    fn config() -> TimeoutConfig {
        TimeoutConfig {
            endpoint_id: "e".into(),
            max_wait_time_ms: 4000,
            sla_threshold_ms: 2000,
            fallback_template: Map::new(),
            retry_attempts: 2,
            backoff_ms: 500,
        }
    }

    #[test]
    fn derives_retry_policy_and_timeouts() {
        let p = retry_policy(&config());
        assert_eq!((p.max_retries, p.base_ms), (2, 500));
        assert_eq!(attempt_timeout_ms(&config(), None), 4000);
        assert_eq!(attempt_timeout_ms(&config(), Some(0)), 1);
        assert_eq!(attempt_timeout_ms(&config(), Some(250)), 250);
    }

    #[test]
    fn configure_retries_only_429_three_attempts_within_deadline() {
        assert_eq!(
            configure_retry(1, 429, Some("1"), 0.0, 20_000.0),
            RetryDecision::RetryAfter { delay_ms: 1000 }
        );
        assert_eq!(
            configure_retry(2, 429, None, 0.0, 20_000.0),
            RetryDecision::RetryAfter { delay_ms: 2000 }
        );
        assert!(matches!(
            configure_retry(3, 429, Some("1"), 0.0, 20_000.0),
            RetryDecision::GiveUp {
                reason: GiveUpReason::RetriesExhausted
            }
        ));
        assert!(matches!(
            configure_retry(1, 500, Some("1"), 0.0, 20_000.0),
            RetryDecision::GiveUp {
                reason: GiveUpReason::NotRetryable
            }
        ));
        assert!(matches!(
            configure_retry(1, 429, Some("30"), 0.0, 20_000.0),
            RetryDecision::GiveUp {
                reason: GiveUpReason::DeadlineWouldPass { .. }
            }
        ));
    }
}
