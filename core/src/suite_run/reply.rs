//! How the answer to one request is classified, and what a transient failure leads to.

use super::Input;
use crate::error::GuardError;
use crate::profile::{is_success, parse_error, retry_after_header};
use crate::retry::{is_retryable, parse_retry_after, AttemptOutcome};

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
}
