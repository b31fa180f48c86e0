//! The wording of failure reasons, shared by both result formats. Every piece of untrusted text
//! in a reason is clipped to [`super::MAX_TEXT_CHARS`].

use super::{clip, describe, fmt_ms};
use crate::json::Json;

/// `intent: expected X, got Y` (or `expected not X` for a negated assert).
pub(crate) fn intent(
    expected: Option<&Json<'_>>,
    actual: Option<&Json<'_>>,
    negated: bool,
) -> String {
    let not = if negated { "not " } else { "" };
    format!(
        "intent: expected {not}{}, got {}",
        describe(expected),
        describe(actual)
    )
}

/// `entity X not extracted` (or `entity X extracted, expected absent` for a negated assert).
pub(crate) fn entity(name: Option<&Json<'_>>, negated: bool) -> String {
    if negated {
        format!("entity {} extracted, expected absent", describe(name))
    } else {
        format!("entity {} not extracted", describe(name))
    }
}

/// `response does not contain "X"` (or `response contains "X"` for a negated assert).
pub(crate) fn response(expected: Option<&Json<'_>>, negated: bool) -> String {
    if negated {
        format!("response contains \"{}\"", describe(expected))
    } else {
        format!("response does not contain \"{}\"", describe(expected))
    }
}

/// `latency 900 ms over 800 ms`, or `latency over budget` when a number is missing.
pub(crate) fn latency(actual: Option<f64>, allowed: Option<f64>) -> String {
    match (actual, allowed) {
        (Some(a), Some(b)) => format!("latency {} ms over {} ms", fmt_ms(a), fmt_ms(b)),
        (Some(a), None) => format!("latency {} ms over budget", fmt_ms(a)),
        _ => "latency over budget".to_owned(),
    }
}

/// `assertion "X" failed` for a type this crate has no specific wording for.
pub(crate) fn other(kind: &str) -> String {
    format!("assertion \"{}\" failed", clip(kind))
}

/// `assertion N (X) has no verdict: "passed" is ...` for an assertion without a usable verdict.
pub(crate) fn no_verdict(
    position: usize,
    kind: &str,
    field: &str,
    got: Option<&Json<'_>>,
) -> String {
    format!(
        "assertion {position} ({}) has no verdict: \"{field}\" is {}",
        clip(kind),
        describe(got)
    )
}

/// `malformed case: <what> is <type>, expected <expected>`.
pub(crate) fn malformed(what: &str, got: &Json<'_>, expected: &str) -> String {
    format!(
        "malformed case: {what} is {}, expected {expected}",
        got.type_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A borrowed tree of `value`.
    fn tree(value: &Value) -> Json<'_> {
        Json::from(value)
    }

    #[test]
    fn wording() {
        assert_eq!(
            intent(
                Some(&tree(&json!("intent_x"))),
                Some(&tree(&json!("intent_y"))),
                false
            ),
            "intent: expected intent_x, got intent_y"
        );
        assert_eq!(
            intent(Some(&tree(&json!("a"))), Some(&Json::Null), true),
            "intent: expected not a, got none"
        );
        assert_eq!(
            entity(Some(&tree(&json!("user_id"))), false),
            "entity user_id not extracted"
        );
        assert_eq!(
            response(Some(&tree(&json!("open from"))), false),
            "response does not contain \"open from\""
        );
        assert_eq!(
            latency(Some(900.0), Some(800.0)),
            "latency 900 ms over 800 ms"
        );
        assert_eq!(latency(Some(912.5), None), "latency 912.5 ms over budget");
        assert_eq!(other("sentiment"), "assertion \"sentiment\" failed");
        assert_eq!(
            no_verdict(2, "intent", "passed", None),
            "assertion 2 (intent) has no verdict: \"passed\" is none"
        );
        assert_eq!(
            malformed("assertions", &tree(&json!("x")), "an array"),
            "malformed case: assertions is a string, expected an array"
        );
    }

    #[test]
    fn long_text_is_clipped() {
        let long = "x".repeat(10_000);
        let r = response(Some(&tree(&json!(long))), false);
        assert!(r.chars().count() < 260, "{}", r.len());
    }
}
