//! How the answer to one request is classified, and what a transient failure leads to.

use super::poll::{ErrorBudget, RunClock};
use super::Input;
use crate::error::GuardError;
use crate::profile::{is_success, parse_error, retry_after_header};
use crate::retry::{is_retryable, parse_retry_after, AttemptOutcome, MAX_RETRY_AFTER_MS};

/// What an exchange amounts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A 2xx answer, to be parsed by the caller.
    Success {
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: Vec<(String, String)>,
        /// Body text.
        body: String,
    },
    /// Worth another try: 408, 429, 5xx (not 501/505/511), a network failure or a timeout.
    Transient {
        /// The error to report if no retry is left.
        error: GuardError,
        /// The server's `Retry-After`, in ms.
        retry_after_ms: Option<u64>,
    },
    /// Not worth retrying (4xx, cancellation, configuration, auth).
    Fatal(GuardError),
}

/// Classifies `input` received at `now`. The caller's own 401 handling (refresh the token, retry
/// once) happened before: a 401 here is final.
pub fn classify(input: Input, now: f64) -> Verdict {
    match input {
        Input::Failed(error) => match error {
            GuardError::Network { .. } | GuardError::Timeout { .. } => Verdict::Transient {
                error,
                retry_after_ms: None,
            },
            other => Verdict::Fatal(other),
        },
        Input::Response {
            status,
            headers,
            body,
        } => {
            if is_success(status) {
                return Verdict::Success {
                    status,
                    headers,
                    body,
                };
            }
            let error = parse_error(status, &headers, &body);
            if is_retryable(AttemptOutcome::Status(status)) {
                let retry_after_ms =
                    retry_after_header(&headers).and_then(|value| parse_retry_after(value, now));
                Verdict::Transient {
                    error,
                    retry_after_ms,
                }
            } else {
                Verdict::Fatal(error)
            }
        }
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

/// `error` with its attempt count set (for the variants that carry one).
pub fn with_attempts(mut error: GuardError, count: u32) -> GuardError {
    match &mut error {
        GuardError::RateLimited { attempts, .. }
        | GuardError::Http { attempts, .. }
        | GuardError::Network { attempts, .. }
        | GuardError::Timeout { attempts, .. }
        | GuardError::Deadline { attempts, .. } => *attempts = count.max(1),
        _ => {}
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Input {
        Input::Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn classification_follows_the_retry_rules() {
        assert!(matches!(
            classify(response(202, &[], "{}"), 0.0),
            Verdict::Success { status: 202, .. }
        ));
        match classify(response(429, &[("Retry-After", "3")], ""), 0.0) {
            Verdict::Transient {
                error,
                retry_after_ms,
            } => {
                assert_eq!(error.code(), ErrorCode::RateLimited);
                assert_eq!(retry_after_ms, Some(3000));
            }
            other => panic!("{other:?}"),
        }
        for status in [500, 502, 503, 408] {
            assert!(matches!(
                classify(response(status, &[], ""), 0.0),
                Verdict::Transient { .. }
            ));
        }
        for status in [400, 401, 403, 404, 409, 501] {
            assert!(matches!(
                classify(response(status, &[], ""), 0.0),
                Verdict::Fatal(_)
            ));
        }
        let network = GuardError::Network {
            message: "reset".into(),
            attempts: 1,
            endpoint_id: None,
        };
        assert!(matches!(
            classify(Input::Failed(network), 0.0),
            Verdict::Transient { .. }
        ));
        assert_eq!(
            classify(Input::Failed(GuardError::Cancelled), 0.0),
            Verdict::Fatal(GuardError::Cancelled)
        );
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
