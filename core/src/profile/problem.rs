//! Error answers to [`GuardError`]: RFC 7807 problems (`cognigy-v2`), `{ error, message }`
//! bodies (`seed-v1`) and OAuth `{ error, error_description }` bodies (both).
//!
//! Messages take at most [`MAX_MESSAGE_CHARS`] characters from a body, with control characters
//! blanked; a whole body never lands in a message.

use super::{header, parse_json_body, str_member};
use crate::error::GuardError;
use serde_json::{Map, Value};

/// Most characters of server text placed in a message.
pub const MAX_MESSAGE_CHARS: usize = 300;
/// Error bodies larger than this are not parsed; the status text describes them.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// A problem's `details` member is kept only when its JSON text is at most this long.
const MAX_DETAILS_BYTES: usize = 4096;
/// Members of an RFC 7807 problem (plus Cognigy's extensions) kept on the error.
const PROBLEM_MEMBERS: [&str; 7] = [
    "type", "title", "status", "detail", "instance", "code", "traceId",
];

/// The error for a non-2xx answer: 401/403 → [`GuardError::Auth`], 429 →
/// [`GuardError::RateLimited`] (with `retry_after_ms` when `Retry-After` holds delta-seconds;
/// for an HTTP date read [`retry_after_header`] and convert it with the retry policy's parser),
/// anything else → [`GuardError::Http`]. `attempts` is 1; the caller sets the real count.
pub fn parse_error(status: u16, headers: &[(String, String)], body: &str) -> GuardError {
    let Described { message, problem } = describe(status, headers, body);
    match status {
        401 | 403 => GuardError::Auth {
            message: format!("HTTP {status}: {message}"),
            status: Some(status),
            problem,
        },
        429 => GuardError::RateLimited {
            retry_after_ms: retry_after_header(headers).and_then(delta_seconds_ms),
            attempts: 1,
            endpoint_id: None,
        },
        _ => GuardError::Http {
            status,
            message,
            problem,
            attempts: 1,
            endpoint_id: None,
        },
    }
}

/// The raw `Retry-After` header value, if the answer has one.
pub fn retry_after_header(headers: &[(String, String)]) -> Option<&str> {
    header(headers, "Retry-After")
}

/// `Retry-After` as delta-seconds, in milliseconds (saturating); `None` for anything else.
fn delta_seconds_ms(value: &str) -> Option<u64> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(seconds.saturating_mul(1000))
}

/// A short description of an error answer and its RFC 7807 problem, if it sent one.
pub(crate) struct Described {
    /// Title/detail, `error: description` or the status text; at most [`MAX_MESSAGE_CHARS`].
    pub message: String,
    /// The problem's standard members, bounded in size.
    pub problem: Option<Value>,
}

/// Describes an error answer without trusting its size or shape.
pub(crate) fn describe(status: u16, headers: &[(String, String)], body: &str) -> Described {
    let fallback = || Described {
        message: status_text(status).to_owned(),
        problem: None,
    };
    if body.len() > MAX_ERROR_BODY_BYTES {
        return fallback();
    }
    let Ok(Value::Object(object)) = parse_json_body(body) else {
        return fallback();
    };
    let problem_type = header(headers, "Content-Type").is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/problem+json")
    });
    let has_error = object.contains_key("error");
    let looks_like_problem = str_member(&object, "title").is_some()
        || (str_member(&object, "type").is_some()
            && object.get("status").is_some_and(Value::is_number));
    if problem_type || (looks_like_problem && !has_error) {
        let title = str_member(&object, "title");
        let detail = str_member(&object, "detail");
        let message = match (title, detail) {
            (Some(title), Some(detail)) if title != detail => format!("{title}: {detail}"),
            (Some(text), _) | (None, Some(text)) => text.to_owned(),
            (None, None) => status_text(status).to_owned(),
        };
        return Described {
            message: clip(&message),
            problem: Some(bounded_problem(&object)),
        };
    }
    let code = str_member(&object, "error");
    let text = str_member(&object, "error_description")
        .or_else(|| str_member(&object, "message"))
        .or_else(|| {
            object
                .get("error")
                .and_then(Value::as_object)
                .and_then(|inner| str_member(inner, "message"))
        });
    let message = match (code, text) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(text), None) | (None, Some(text)) => text.to_owned(),
        (None, None) => return fallback(),
    };
    Described {
        message: clip(&message),
        problem: None,
    }
}

/// The problem's standard members, strings clipped; `details` only when small.
fn bounded_problem(object: &Map<String, Value>) -> Value {
    let mut kept = Map::new();
    for key in PROBLEM_MEMBERS {
        match object.get(key) {
            Some(Value::String(text)) => {
                kept.insert(key.to_owned(), Value::String(clip(text)));
            }
            Some(number @ Value::Number(_)) => {
                kept.insert(key.to_owned(), number.clone());
            }
            _ => {}
        }
    }
    if let Some(details) = object.get("details") {
        if details.to_string().len() <= MAX_DETAILS_BYTES {
            kept.insert("details".to_owned(), details.clone());
        }
    }
    Value::Object(kept)
}

/// Server text made safe for a message: trimmed, control characters blanked, at most
/// [`MAX_MESSAGE_CHARS`] characters (an ellipsis marks a cut).
pub(crate) fn clip(text: &str) -> String {
    let text = text.trim();
    let mut out: String = text
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_MESSAGE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// The reason phrase of common statuses, `"HTTP error"` for others.
pub fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "HTTP error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::h;
    use crate::ErrorCode;
    use serde_json::json;

    const PROBLEM: &str = r#"{"type":"https://docs.cognigy.com/errors/not-found","title":"Not Found",
        "status":404,"detail":"Playbook 'p1' was not found","instance":"/new/v2.0/playbooks/p1",
        "code":1004,"traceId":"trace-1","details":{"id":"p1"},"extra":"dropped"}"#;

    #[test]
    fn rfc7807_problem_becomes_http_error_with_problem() {
        let headers = h(&[("Content-Type", "application/problem+json; charset=utf-8")]);
        let err = parse_error(404, &headers, PROBLEM);
        let GuardError::Http {
            status,
            message,
            problem,
            attempts,
            endpoint_id,
        } = err
        else {
            panic!("expected Http, got {err:?}")
        };
        assert_eq!(status, 404);
        assert_eq!(message, "Not Found: Playbook 'p1' was not found");
        assert_eq!(attempts, 1);
        assert_eq!(endpoint_id, None);
        assert_eq!(
            problem,
            Some(
                json!({"type": "https://docs.cognigy.com/errors/not-found", "title": "Not Found",
                        "status": 404, "detail": "Playbook 'p1' was not found",
                        "instance": "/new/v2.0/playbooks/p1", "code": 1004, "traceId": "trace-1",
                        "details": {"id": "p1"}})
            )
        );
    }

    #[test]
    fn problem_without_content_type_is_recognised() {
        let err = parse_error(
            401,
            &[],
            r#"{"title":"Unauthorized","status":401,"detail":"bad key"}"#,
        );
        let GuardError::Auth {
            message,
            status,
            problem,
        } = err
        else {
            panic!("expected Auth, got {err:?}")
        };
        assert_eq!(message, "HTTP 401: Unauthorized: bad key");
        assert_eq!(status, Some(401));
        assert_eq!(problem.unwrap()["title"], "Unauthorized");
    }

    #[test]
    fn seed_and_oauth_bodies() {
        let err = parse_error(
            404,
            &[],
            r#"{"error":"not_found","message":"External service 'x' is not configured"}"#,
        );
        assert_eq!(
            err,
            GuardError::Http {
                status: 404,
                message: "not_found: External service 'x' is not configured".into(),
                problem: None,
                attempts: 1,
                endpoint_id: None
            }
        );
        let err = parse_error(
            403,
            &[],
            r#"{"error":"insufficient_scope","error_description":"needs test:read"}"#,
        );
        assert_eq!(err.code(), ErrorCode::Auth);
        assert_eq!(
            err.to_string(),
            "HTTP 403: insufficient_scope: needs test:read"
        );
        let err = parse_error(400, &[], r#"{"message":"suite too big"}"#);
        assert_eq!(err.to_string(), "HTTP 400: suite too big");
        let err = parse_error(500, &[], r#"{"error":{"message":"nested"}}"#);
        assert_eq!(err.to_string(), "HTTP 500: nested");
    }

    #[test]
    fn unusable_bodies_fall_back_to_status_text() {
        for body in [
            "",
            "<html>502</html>",
            "{\"title\":",
            "[1,2]",
            "{\"x\":1}",
            "null",
        ] {
            assert_eq!(
                parse_error(502, &[], body).to_string(),
                "HTTP 502: Bad Gateway",
                "{body}"
            );
        }
        assert_eq!(
            parse_error(599, &[], "").to_string(),
            "HTTP 599: HTTP error"
        );
        let huge = format!("{{\"message\":\"{}\"}}", "x".repeat(MAX_ERROR_BODY_BYTES));
        assert_eq!(
            parse_error(500, &[], &huge).to_string(),
            "HTTP 500: Internal Server Error"
        );
    }

    #[test]
    fn messages_are_clipped_and_blank_controls() {
        let long = format!(r#"{{"message":"a\nb{}"}}"#, "é".repeat(1000));
        let GuardError::Http { message, .. } = parse_error(400, &[], &long) else {
            panic!("expected Http")
        };
        assert!(message.starts_with("a b"));
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(message.ends_with('…'));
        let big_details = format!(
            r#"{{"title":"T","status":400,"details":"{}"}}"#,
            "d".repeat(MAX_DETAILS_BYTES)
        );
        let GuardError::Http { problem, .. } = parse_error(400, &[], &big_details) else {
            panic!("expected Http")
        };
        assert_eq!(problem, Some(json!({"title": "T", "status": 400})));
    }

    #[test]
    fn rate_limit_reads_delta_seconds_only() {
        let err = parse_error(429, &h(&[("retry-after", " 7 ")]), "{}");
        assert_eq!(
            err,
            GuardError::RateLimited {
                retry_after_ms: Some(7000),
                attempts: 1,
                endpoint_id: None
            }
        );
        let date = h(&[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        let GuardError::RateLimited { retry_after_ms, .. } = parse_error(429, &date, "") else {
            panic!("expected RateLimited")
        };
        assert_eq!(retry_after_ms, None);
        assert_eq!(
            retry_after_header(&date),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        let huge = h(&[("Retry-After", "99999999999999999999999")]);
        let GuardError::RateLimited { retry_after_ms, .. } = parse_error(429, &huge, "") else {
            panic!("expected RateLimited")
        };
        assert_eq!(retry_after_ms, Some(u64::MAX));
        for bad in ["-1", "1.5", "", "+3"] {
            assert_eq!(delta_seconds_ms(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_error_never_panics(status in 0u16..1000, body in ".{0,200}", ra in ".{0,20}") {
            let headers = vec![("Retry-After".to_owned(), ra)];
            let err = parse_error(status, &headers, &body);
            proptest::prop_assert!(err.to_string().chars().count() < MAX_MESSAGE_CHARS + 40);
        }
    }
}
