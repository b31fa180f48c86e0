//! The one error type of cognigy-guard. The wasm boundary turns it into a JS `Error` named
//! `GuardError` carrying the fields of [`ErrorFields`].

use crate::issue::Issue;
use serde::Serialize;
use serde_json::Value;

/// Stable error codes, as listed in docs/API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Input failed validation; `errors` lists every problem.
    Validation,
    /// The library was configured wrongly (options, URLs, unknown endpoint).
    Config,
    /// Credentials were refused or lack a scope.
    Auth,
    /// The server kept answering 429.
    RateLimited,
    /// The server answered with a non-success status.
    Http,
    /// The request never got an HTTP answer.
    Network,
    /// One attempt took longer than its timeout.
    Timeout,
    /// The overall deadline ran out.
    Deadline,
    /// The circuit breaker refused the call.
    CircuitOpen,
    /// The server's answer could not be understood.
    BadResponse,
    /// The caller cancelled the operation.
    Cancelled,
}

/// Every failure cognigy-guard reports. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    /// Input failed validation.
    #[error("{}", validation_message(.0))]
    Validation(Vec<Issue>),
    /// Misconfiguration by the caller.
    #[error("{0}")]
    Config(String),
    /// Authentication or authorisation failure.
    #[error("{message}")]
    Auth {
        /// What went wrong.
        message: String,
        /// HTTP status, when the server answered.
        status: Option<u16>,
        /// RFC 7807 problem body, when the server sent one.
        problem: Option<Value>,
    },
    /// Rate limited beyond what the retry budget allows.
    #[error("rate limited (HTTP 429) after {attempts} attempt(s)")]
    RateLimited {
        /// How long the server asked us to wait, if it said.
        retry_after_ms: Option<u64>,
        /// Attempts made.
        attempts: u32,
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
    },
    /// Non-success HTTP status.
    #[error("HTTP {status}: {message}")]
    Http {
        /// HTTP status code.
        status: u16,
        /// Short description (status text or problem title).
        message: String,
        /// RFC 7807 problem body, when the server sent one.
        problem: Option<Value>,
        /// Attempts made.
        attempts: u32,
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
    },
    /// No HTTP answer (connection refused, reset, DNS).
    #[error("network error: {message}")]
    Network {
        /// Description from the platform.
        message: String,
        /// Attempts made.
        attempts: u32,
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
    },
    /// An attempt exceeded its own timeout.
    #[error("request timed out after {timeout_ms} ms")]
    Timeout {
        /// The per-attempt timeout.
        timeout_ms: u64,
        /// Attempts made.
        attempts: u32,
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
    },
    /// The overall deadline ran out.
    #[error("deadline of {deadline_ms} ms exceeded")]
    Deadline {
        /// The deadline.
        deadline_ms: u64,
        /// Attempts made.
        attempts: u32,
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
    },
    /// The circuit breaker refused the call.
    #[error("circuit open{}; retry in {retry_after_ms} ms", endpoint_suffix(.endpoint_id))]
    CircuitOpen {
        /// The guarded endpoint, if any.
        endpoint_id: Option<String>,
        /// Time until the breaker admits a probe.
        retry_after_ms: u64,
    },
    /// An answer that could not be understood.
    #[error("bad response: {0}")]
    BadResponse(String),
    /// A response body longer than its limit; the rest was not read (code `BAD_RESPONSE`,
    /// reason `TOO_LARGE`).
    #[error("bad response: the body is longer than {limit_bytes} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit_bytes: u64,
    },
    /// Cancelled by the caller.
    #[error("operation cancelled")]
    Cancelled,
}

fn validation_message(issues: &[Issue]) -> String {
    match issues.first() {
        Some(first) if issues.len() == 1 => {
            format!("invalid input at {}: {}", at(first), first.message)
        }
        Some(first) => format!(
            "invalid input: {} problems, first at {}: {}",
            issues.len(),
            at(first),
            first.message
        ),
        None => "invalid input".to_owned(),
    }
}

fn at(issue: &Issue) -> &str {
    if issue.path.is_empty() {
        "(root)"
    } else {
        &issue.path
    }
}

fn endpoint_suffix(endpoint_id: &Option<String>) -> String {
    endpoint_id
        .as_ref()
        .map(|id| format!(" for {id}"))
        .unwrap_or_default()
}

/// The JSON-safe view of a [`GuardError`] that the boundary copies onto the JS `Error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorFields {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// HTTP status, where one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Requested wait before retrying, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Attempts made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// The guarded endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    /// Validation issues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Issue>>,
    /// RFC 7807 problem body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Value>,
    /// A finer cause within the code (`TOO_LARGE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl GuardError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            GuardError::Validation(_) => ErrorCode::Validation,
            GuardError::Config(_) => ErrorCode::Config,
            GuardError::Auth { .. } => ErrorCode::Auth,
            GuardError::RateLimited { .. } => ErrorCode::RateLimited,
            GuardError::Http { .. } => ErrorCode::Http,
            GuardError::Network { .. } => ErrorCode::Network,
            GuardError::Timeout { .. } => ErrorCode::Timeout,
            GuardError::Deadline { .. } => ErrorCode::Deadline,
            GuardError::CircuitOpen { .. } => ErrorCode::CircuitOpen,
            GuardError::BadResponse(_) | GuardError::TooLarge { .. } => ErrorCode::BadResponse,
            GuardError::Cancelled => ErrorCode::Cancelled,
        }
    }

    /// All fields of the error in the shape docs/API.md gives the JS `GuardError`.
    pub fn fields(&self) -> ErrorFields {
        let mut f = ErrorFields {
            code: self.code(),
            message: self.to_string(),
            status: None,
            retry_after_ms: None,
            attempts: None,
            endpoint_id: None,
            errors: None,
            problem: None,
            reason: None,
        };
        match self {
            GuardError::Validation(issues) => f.errors = Some(issues.clone()),
            GuardError::Config(_) | GuardError::BadResponse(_) | GuardError::Cancelled => {}
            GuardError::TooLarge { .. } => f.reason = Some("TOO_LARGE"),
            GuardError::Auth {
                status, problem, ..
            } => {
                f.status = *status;
                f.problem = problem.clone();
            }
            GuardError::RateLimited {
                retry_after_ms,
                attempts,
                endpoint_id,
            } => {
                f.status = Some(429);
                f.retry_after_ms = *retry_after_ms;
                f.attempts = Some(*attempts);
                f.endpoint_id = endpoint_id.clone();
            }
            GuardError::Http {
                status,
                problem,
                attempts,
                endpoint_id,
                ..
            } => {
                f.status = Some(*status);
                f.problem = problem.clone();
                f.attempts = Some(*attempts);
                f.endpoint_id = endpoint_id.clone();
            }
            GuardError::Network {
                attempts,
                endpoint_id,
                ..
            }
            | GuardError::Timeout {
                attempts,
                endpoint_id,
                ..
            }
            | GuardError::Deadline {
                attempts,
                endpoint_id,
                ..
            } => {
                f.attempts = Some(*attempts);
                f.endpoint_id = endpoint_id.clone();
            }
            GuardError::CircuitOpen {
                endpoint_id,
                retry_after_ms,
            } => {
                f.endpoint_id = endpoint_id.clone();
                f.retry_after_ms = Some(*retry_after_ms);
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_lists_every_issue() {
        let err = GuardError::Validation(vec![
            Issue::new("maxWaitTimeMs", "OUT_OF_RANGE", "must be at most 30000"),
            Issue::new("endpointId", "REQUIRED", "is required"),
        ]);
        let f = err.fields();
        assert_eq!(f.code, ErrorCode::Validation);
        assert_eq!(f.errors.as_ref().map(Vec::len), Some(2));
        assert!(f.message.contains("2 problems"));
        assert!(f.message.contains("maxWaitTimeMs"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["code"], "VALIDATION");
        assert!(json.get("status").is_none());
    }

    #[test]
    fn http_fields_carry_status_and_attempts() {
        let f = GuardError::RateLimited {
            retry_after_ms: Some(2000),
            attempts: 3,
            endpoint_id: Some("weather".into()),
        }
        .fields();
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["code"], "RATE_LIMITED");
        assert_eq!(json["status"], 429);
        assert_eq!(json["retryAfterMs"], 2000);
        assert_eq!(json["endpointId"], "weather");
    }
}
