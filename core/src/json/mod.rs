//! Bounded parsing of untrusted JSON text, into a `serde_json::Value` or into a [`Json`] tree
//! that borrows from the text; [`read`] reads typed fields of a `Value`, [`write`] writes the
//! JSON text the core builds itself.

mod borrowed;
pub mod read;
pub mod write;

pub use borrowed::{Json, Object};

use crate::issue::Issue;
use serde::Deserialize;
use serde_json::Value;

/// Largest JSON document accepted from a caller (8 MiB): a 500-case suite is far below it.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// Largest results document `aggregateResults` accepts (256 MiB, about 500 000 cases): the
/// caller's own data, already held in its memory, rather than a request to the platform.
pub const MAX_RESULTS_BYTES: usize = 256 * 1024 * 1024;

/// Parses untrusted JSON text of at most [`MAX_INPUT_BYTES`]. Nesting is bounded by
/// serde_json's own recursion limit (128), so deep input yields an error instead of exhausting
/// the stack.
pub fn parse_untrusted(text: &str) -> Result<Value, Issue> {
    parse_bounded(text, MAX_INPUT_BYTES)
}

/// Parses untrusted JSON text of at most `max_bytes` into a [`Json`] tree borrowing from it
/// (nesting bounded as in [`parse_untrusted`]).
pub fn parse_borrowed_within(text: &str, max_bytes: usize) -> Result<Json<'_>, Issue> {
    parse_bounded(text, max_bytes)
}

/// Parses `text` as `T` after checking its size, mapping failures to `TOO_LARGE`, `TOO_DEEP` or
/// `INVALID_JSON` issues.
fn parse_bounded<'a, T: Deserialize<'a>>(text: &'a str, max_bytes: usize) -> Result<T, Issue> {
    if text.len() > max_bytes {
        return Err(Issue::new(
            "",
            "TOO_LARGE",
            format!(
                "input is {} bytes; at most {max_bytes} are accepted",
                text.len()
            ),
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        let code = if e.to_string().contains("recursion limit") {
            "TOO_DEEP"
        } else {
            "INVALID_JSON"
        };
        Issue::new("", code, format!("input is not valid JSON: {e}"))
    })
}

/// Replaces, in place, every `\uXXXX` escape of a lone surrogate in JSON text with `\ufffd`
/// (U+FFFD, the replacement character), so text that `JSON.stringify` wrote for a JS string with
/// a lone surrogate parses instead of failing. Paired surrogates and everything else are kept;
/// the text keeps its length.
pub fn mend_lone_surrogates(text: &mut String) {
    if !text.contains("\\ud") && !text.contains("\\uD") {
        return;
    }
    let mut bytes = std::mem::take(text).into_bytes();
    let mut i = 0usize;
    while let Some(&byte) = bytes.get(i) {
        if byte != b'\\' {
            i = i.saturating_add(1);
            continue;
        }
        let Some(unit) = escape_at(&bytes, i) else {
            // Another escape (`\\`, `\n`, ...): skip the escaped character too.
            i = i.saturating_add(2);
            continue;
        };
        let next = i.saturating_add(6);
        match unit {
            0xD800..=0xDBFF
                if escape_at(&bytes, next).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
            {
                i = next.saturating_add(6);
            }
            0xD800..=0xDFFF => {
                if let Some(hex) = bytes.get_mut(i.saturating_add(2)..next) {
                    hex.copy_from_slice(b"fffd");
                }
                i = next;
            }
            _ => i = next,
        }
    }
    // Only ASCII hex digits were replaced by ASCII: still UTF-8.
    *text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// The code unit of a `\uXXXX` escape starting at `at`, if one starts there.
fn escape_at(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at.checked_add(6)?)?;
    if escape.get(..2)? != b"\\u" {
        return None;
    }
    let hex = std::str::from_utf8(escape.get(2..)?).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

/// The JSON type of a value, as words for messages ("a string", "an object", ...).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mended(text: &str) -> String {
        let mut text = text.to_owned();
        mend_lone_surrogates(&mut text);
        text
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        assert_eq!(mended(r#""a\ud800b""#), r#""a\ufffdb""#);
        assert_eq!(mended(r#""\uDC00""#), r#""\ufffd""#);
        assert_eq!(
            mended(r#""\ud83d\ude00""#),
            r#""\ud83d\ude00""#,
            "a pair is kept"
        );
        assert_eq!(
            mended(r#""\\ud800""#),
            r#""\\ud800""#,
            "an escaped backslash, then text"
        );
        assert_eq!(mended(r#""\ud800\ud800\udc00""#), r#""\ufffd\ud800\udc00""#);
        assert_eq!(
            mended(r#""end \ud8"#),
            r#""end \ud8"#,
            "a cut escape is left to the parser"
        );
        let value = parse_untrusted(&mended(r#"{"k":"x\ud800"}"#)).unwrap();
        assert_eq!(value["k"], "x\u{fffd}");
    }

    #[test]
    fn parses_and_bounds() {
        assert!(parse_untrusted("{\"a\":1}").is_ok());
        assert_eq!(
            parse_borrowed_within("{\"a\":1}", 7).unwrap().get("a"),
            Some(&Json::Number(1.into()))
        );
        let deep_tree = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_borrowed_within(&deep_tree, MAX_INPUT_BYTES).unwrap_err();
        assert_eq!(err.code, "TOO_DEEP");
        assert_eq!(
            parse_borrowed_within("[1]", 2).unwrap_err().code,
            "TOO_LARGE"
        );
        assert_eq!(parse_untrusted("{").unwrap_err().code, "INVALID_JSON");
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(parse_untrusted(&deep).unwrap_err().code, "TOO_DEEP");
        let big = format!("\"{}\"", "x".repeat(MAX_INPUT_BYTES));
        assert_eq!(parse_untrusted(&big).unwrap_err().code, "TOO_LARGE");
        assert!(parse_borrowed_within(&big, MAX_RESULTS_BYTES).is_ok());
        assert_eq!(
            parse_borrowed_within("[1,2]", 4).unwrap_err().code,
            "TOO_LARGE"
        );
    }
}
