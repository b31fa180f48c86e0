//! Removal of credentials from values before they are logged, audited or serialized.
//!
//! A [`Redactor`] knows the secret values of its caller (client secret, API key, ...) and a fixed
//! list of secret-ish key names. It replaces values, never object keys (what the library builds
//! itself, such as event types, metrics and snapshots, holds no secret by construction):
//! - the whole value under a secret-ish key (matched case-insensitively, ignoring `-` and `_`:
//!   `clientSecret`, `client_secret`, `X-API-Key`, `Set-Cookie`, ...) by `"[REDACTED]"`;
//! - every occurrence of a known secret value inside any string value by `"[REDACTED]"`
//!   (overlapping occurrences of several secrets are merged into one marker), also in its encoded
//!   forms: percent-encoded (upper- or lower-case hex, space as `%20` or `+`), JSON-escaped
//!   (`/` as `\/`, non-ASCII as `\uXXXX` or not) and base64 (standard or URL-safe, at each of the
//!   three alignments inside a longer encoded text, such as HTTP Basic credentials);
//! - numbers whose decimal text contains a known secret by the string `"[REDACTED]"`;
//! - the credential after the word `Bearer` (any case, then whitespace) by `[REDACTED]`;
//! - arrays and objects nested deeper than [`MAX_DEPTH`] by `"[TRUNCATED]"`.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

/// The text that replaces a secret.
pub const REDACTED: &str = "[REDACTED]";
/// The text that replaces a container nested deeper than [`MAX_DEPTH`].
pub const TRUNCATED: &str = "[TRUNCATED]";
/// Containers at this nesting depth (the root is depth 0) are replaced by [`TRUNCATED`].
pub const MAX_DEPTH: usize = 32;
/// Secret values shorter than this many characters are ignored: they would redact common words.
pub const MIN_SECRET_CHARS: usize = 4;

/// Secret-ish key names, lower case without `-` and `_` (see [`is_secret_key`]).
const SECRET_KEYS: [&str; 12] = [
    "clientsecret",
    "apikey",
    "xapikey",
    "authorization",
    "accesstoken",
    "refreshtoken",
    "token",
    "password",
    "secret",
    "idtoken",
    "cookie",
    "setcookie",
];

/// The scheme word whose following credential is always redacted.
const BEARER: &str = "bearer";

/// Whether `key` names a secret: it equals one of the fixed names once lower-cased with `-` and `_`
/// removed.
pub fn is_secret_key(key: &str) -> bool {
    // The names are ASCII and at most 13 bytes long: normalised into a buffer of that size, a
    // key with a non-ASCII character or a longer name cannot be one.
    let mut normalized = [0u8; 13];
    let mut len = 0;
    for byte in key.bytes().filter(|b| *b != b'-' && *b != b'_') {
        match normalized.get_mut(len) {
            Some(slot) if byte.is_ascii() => *slot = byte.to_ascii_lowercase(),
            _ => return false,
        }
        len += 1;
    }
    let normalized = normalized.get(..len).unwrap_or_default();
    SECRET_KEYS.iter().any(|name| name.as_bytes() == normalized)
}

/// Replaces secrets in values and strings; see the module documentation for the rules.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Known secret values and their encoded forms, deduplicated, each at least
    /// [`MIN_SECRET_CHARS`] characters.
    secrets: Vec<String>,
    /// The first bytes of the secrets (a bit per byte value): a text holding none of them holds
    /// no secret.
    first_bytes: [u64; 4],
    /// Whether a secret could be part of a number's decimal text.
    numeric: bool,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secrets themselves.
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// Creates a redactor for the given secret values; values shorter than [`MIN_SECRET_CHARS`]
    /// characters (including empty ones) are ignored.
    pub fn new(secrets: Vec<String>) -> Self {
        // Each secret's forms are deduplicated among themselves, not sorted: a sort instance is
        // 2 KB of wasm. A secret given twice is kept twice (its spans merge when redacting).
        let mut unique: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.chars().count() < MIN_SECRET_CHARS {
                continue;
            }
            let first = unique.len();
            for form in encoded_forms(&secret).into_iter().chain([secret]) {
                let known = unique.get(first..).is_some_and(|own| own.contains(&form));
                if !known && form.chars().count() >= MIN_SECRET_CHARS {
                    unique.push(form);
                }
            }
        }
        let mut first_bytes = [0u64; 4];
        for byte in unique.iter().filter_map(|s| s.bytes().next()) {
            if let Some(word) = first_bytes.get_mut(usize::from(byte >> 6)) {
                *word |= 1 << (byte & 63);
            }
        }
        let numeric = unique.iter().any(|s| {
            s.bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        });
        Redactor {
            secrets: unique,
            first_bytes,
            numeric,
        }
    }

    /// A copy of `value` with every secret removed.
    pub fn redact_value(&self, value: &Value) -> Value {
        self.redacted(value).into_owned()
    }

    /// `value` with every secret removed: `value` itself when there is none to remove.
    pub fn redacted<'a>(&self, value: &'a Value) -> Cow<'a, Value> {
        if self.is_clean_at(value, 0) {
            Cow::Borrowed(value)
        } else {
            Cow::Owned(self.redact_at(value, 0))
        }
    }

    /// Whether redacting `value` (at `depth`) would leave it as it is; checked without copying.
    /// It may answer `false` for a value the redaction leaves alone (a `bearer` that starts no
    /// credential), never `true` for one it changes.
    fn is_clean_at(&self, value: &Value, depth: usize) -> bool {
        match value {
            Value::String(s) => self.is_clean_str(s),
            Value::Number(n) => !self.numeric || !self.contains_secret(&n.to_string()),
            Value::Null | Value::Bool(_) => true,
            Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => false,
            Value::Array(items) => items
                .iter()
                .all(|item| self.is_clean_at(item, depth.saturating_add(1))),
            Value::Object(map) => map.iter().all(|(key, item)| {
                !is_secret_key(key) && self.is_clean_at(item, depth.saturating_add(1))
            }),
        }
    }

    /// Whether `text` holds neither a known secret nor the word `bearer` (any case).
    fn is_clean_str(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let secret_at = |i: usize, byte: u8| {
            let word = self.first_bytes.get(usize::from(byte >> 6)).copied();
            word.is_some_and(|w| w >> (byte & 63) & 1 == 1)
                && bytes
                    .get(i..)
                    .is_some_and(|rest| self.secrets.iter().any(|s| rest.starts_with(s.as_bytes())))
        };
        let bearer_at = |i: usize, byte: u8| {
            byte.eq_ignore_ascii_case(&b'b')
                && bytes
                    .get(i..i.saturating_add(BEARER.len()))
                    .is_some_and(|word| word.eq_ignore_ascii_case(BEARER.as_bytes()))
        };
        !bytes
            .iter()
            .enumerate()
            .any(|(i, &byte)| secret_at(i, byte) || bearer_at(i, byte))
    }

    fn redact_at(&self, value: &Value, depth: usize) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact_str(s)),
            Value::Number(n) if self.contains_secret(&n.to_string()) => {
                Value::String(REDACTED.to_owned())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
            Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => {
                Value::String(TRUNCATED.to_owned())
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.redact_at(item, depth.saturating_add(1)))
                    .collect(),
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    let redacted = if is_secret_key(key) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        self.redact_at(item, depth.saturating_add(1))
                    };
                    out.insert(key.clone(), redacted);
                }
                Value::Object(out)
            }
        }
    }

    /// A copy of `text` with known secret values and `Bearer` credentials replaced.
    pub fn redact_str(&self, text: &str) -> String {
        if self.is_clean_str(text) {
            return text.to_owned();
        }
        redact_bearer(&self.redact_known(text))
    }

    fn contains_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// Replaces every (possibly overlapping) occurrence of a known secret; overlapping or touching
    /// occurrences become one marker, so no fragment of a secret is left beside it.
    fn redact_known(&self, text: &str) -> String {
        // Sorted by start: each secret's occurrences are found in order and merged in (no sort
        // instance in the guard's wasm: 2.9 KB).
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for secret in &self.secrets {
            let mut found_spans = Vec::new();
            let mut from = 0;
            while let Some(found) = text.get(from..).and_then(|rest| rest.find(secret.as_str())) {
                let start = from.saturating_add(found);
                found_spans.push((start, start.saturating_add(secret.len())));
                // Continue one character further so overlapping occurrences are found too.
                let step = text
                    .get(start..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                from = start.saturating_add(step);
            }
            spans = merge_sorted(spans, found_spans);
        }
        if spans.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0; // bytes of `text` already handled
        let mut open: Option<(usize, usize)> = None;
        for (start, end) in spans {
            match open {
                Some((s, e)) if start <= e => open = Some((s, e.max(end))),
                _ => {
                    if let Some((s, e)) = open {
                        out.push_str(text.get(copied..s).unwrap_or_default());
                        out.push_str(REDACTED);
                        copied = e;
                    }
                    open = Some((start, end));
                }
            }
        }
        if let Some((s, e)) = open {
            out.push_str(text.get(copied..s).unwrap_or_default());
            out.push_str(REDACTED);
            copied = e;
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        out
    }
}

/// The spans of `a` and `b` (each sorted) in one sorted list.
fn merge_sorted(a: Vec<(usize, usize)>, b: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(a.len().saturating_add(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y < x => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(span) => out.push(span),
            None => return out,
        }
    }
}

/// The encoded forms of `secret` listed in the module documentation (some may equal it).
fn encoded_forms(secret: &str) -> Vec<String> {
    let percent = crate::profile::url::percent_encode(secret, false);
    let form = crate::profile::url::percent_encode(secret, true);
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned();
    let mut ascii_json = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            ascii_json.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(ascii_json, "\\u{unit:04x}");
            }
        }
    }
    let mut forms = vec![
        lowercase_hex(&percent),
        lowercase_hex(&form),
        percent,
        form,
        json.replace('/', "\\/"),
        ascii_json.replace('/', "\\/"),
        json,
        ascii_json,
    ];
    for offset in 0..3 {
        let standard = base64_inner(secret.as_bytes(), offset);
        forms.push(standard.replace('+', "-").replace('/', "_"));
        forms.push(standard);
    }
    forms
}

/// `text` with the hex digits of its `%XX` escapes lower-cased.
fn lowercase_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hex_left = 0u8;
    for c in text.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The standard base64 characters that depend on `bytes` alone when they are encoded after
/// `offset` (0..3) other bytes: what any base64 text containing them at that position holds.
fn base64_inner(bytes: &[u8], offset: usize) -> String {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(bytes);
    let start_bit = offset * 8;
    let end_bit = padded.len() * 8;
    let mut out = String::new();
    let mut bit = 0usize;
    while bit.saturating_add(6) <= end_bit {
        if bit >= start_bit {
            let mut index = 0usize;
            for b in bit..bit.saturating_add(6) {
                let byte = padded.get(b / 8).copied().unwrap_or(0);
                index = index << 1 | usize::from(byte >> (7 - b % 8) & 1);
            }
            out.push(char::from(BASE64.get(index).copied().unwrap_or(b'A')));
        }
        bit = bit.saturating_add(6);
    }
    out
}

/// Replaces the credential following each `Bearer` word (case-insensitive, preceded by a non-letter
/// or the start, followed by whitespace) up to the next whitespace.
fn redact_bearer(text: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` are valid in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower.get(search..).and_then(|rest| rest.find(BEARER)) {
        let word_start = search.saturating_add(found);
        let word_end = word_start.saturating_add(BEARER.len());
        search = word_end;
        let starts_word = lower
            .get(..word_start)
            .and_then(|before| before.chars().next_back())
            .map_or(true, |c| !c.is_alphanumeric());
        let after = lower.get(word_end..).unwrap_or_default();
        let gap = after.len().saturating_sub(after.trim_start().len());
        if !starts_word || gap == 0 {
            continue;
        }
        let token_start = word_end.saturating_add(gap);
        let token_len = lower
            .get(token_start..)
            .unwrap_or_default()
            .find(char::is_whitespace)
            .unwrap_or_else(|| lower.len().saturating_sub(token_start));
        if token_len == 0 {
            continue;
        }
        out.push_str(text.get(copied..token_start).unwrap_or_default());
        out.push_str(REDACTED);
        copied = token_start.saturating_add(token_len);
        search = copied;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn secret_keys_match_any_spelling() {
        for key in [
            "clientSecret",
            "client_secret",
            "X-API-Key",
            "x_api_key",
            "apiKey",
            "Authorization",
            "access_token",
            "refresh-token",
            "TOKEN",
            "password",
            "id_token",
            "Set-Cookie",
            "cookie",
            "secret",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["endpointId", "tokens", "passwordHint", "auth", "url"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn replaces_values_under_secret_keys_whatever_their_type() {
        let r = Redactor::default();
        let out = r.redact_value(&json!({
            "headers": { "X-API-Key": "k-123", "Accept": "application/json" },
            "auth": { "client_secret": { "nested": 1 }, "clientId": "my-client" },
            "list": [ { "password": 42 } ]
        }));
        assert_eq!(
            out,
            json!({
                "headers": { "X-API-Key": REDACTED, "Accept": "application/json" },
                "auth": { "client_secret": REDACTED, "clientId": "my-client" },
                "list": [ { "password": REDACTED } ]
            })
        );
    }

    #[test]
    fn replaces_known_values_in_strings_and_numbers() {
        let r = Redactor::new(vec![
            "s3cr3t-value".into(),
            "abc".into(),
            String::new(),
            "987654".into(),
        ]);
        let out = r.redact_value(&json!({
            "message": "login with s3cr3t-value failed (s3cr3t-value)",
            "s3cr3t-value": "as key",
            "abc": "too short to be a secret",
            "n": 19876543,
            "m": 12
        }));
        assert_eq!(
            out,
            json!({
                "message": "login with [REDACTED] failed ([REDACTED])",
                "s3cr3t-value": "as key",
                "abc": "too short to be a secret",
                "n": REDACTED,
                "m": 12
            })
        );
    }

    #[test]
    fn encoded_forms_of_a_secret_are_redacted() {
        let secret = "Xk9+tQ/Zr7==";
        let r = Redactor::new(vec![secret.into(), "p\"ss wörd".into()]);
        for text in [
            "client_secret=Xk9%2BtQ%2FZr7%3D%3D&grant_type=client_credentials",
            "client_secret=Xk9%2btQ%2fZr7%3d%3d",
            r#"{"echo":"Xk9+tQ\/Zr7=="}"#,
            "WGs5K3RRL1pyNz09",
            "WGs5K3RRL1pyNz09 (url-safe: WGs5K3RRL1pyNz09)",
            // Basic credentials: base64("client:Xk9+tQ/Zr7==") at any alignment.
            "Basic Y2xpZW50OlhrOSt0US9acjc9PQ==",
            "Basic Y2xpZW50czpYazkrdFEvWnI3PT0=",
            "Basic Y2w6WGs5K3RRL1pyNz09",
            r#"{"p":"p\"ss w\u00f6rd"}"#,
            "p%22ss+w%C3%B6rd",
        ] {
            let out = r.redact_str(text);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            for fragment in [
                "Xk9",
                "tQ%2F",
                "WGs5K3RRL1py",
                "OSt0US9a",
                "azkrdFEv",
                "ss+w",
            ] {
                assert!(!out.contains(fragment), "{text} -> {out}");
            }
        }
    }

    #[test]
    fn keys_are_never_redacted() {
        let r = Redactor::new(vec!["time".into(), "endpoints".into()]);
        let out = r.redact_value(&json!({
            "endpoints": { "eventType": "timeout_configured" }, "timestamp": "time"
        }));
        assert_eq!(
            out,
            json!({ "endpoints": { "eventType": "[REDACTED]out_configured" }, "timestamp": REDACTED })
        );
    }

    #[test]
    fn merged_spans_stay_sorted() {
        assert_eq!(
            merge_sorted(vec![(0, 2), (5, 7)], vec![(1, 3), (5, 6), (9, 9)]),
            vec![(0, 2), (1, 3), (5, 6), (5, 7), (9, 9)]
        );
        assert_eq!(merge_sorted(Vec::new(), vec![(4, 8)]), vec![(4, 8)]);
    }

    #[test]
    fn overlapping_secrets_leave_no_fragment() {
        let r = Redactor::new(vec!["abcdef".into(), "defghi".into(), "aaaa".into()]);
        assert_eq!(r.redact_str("x abcdefghi y"), "x [REDACTED] y");
        assert_eq!(r.redact_str("aaaaaa"), "[REDACTED]");
        assert_eq!(r.redact_str("naïve abcdef ü"), "naïve [REDACTED] ü");
    }

    #[test]
    fn redacts_bearer_credentials() {
        let r = Redactor::default();
        assert_eq!(
            r.redact_str("Authorization: Bearer eyJhbGciOi.x.y rest"),
            "Authorization: Bearer [REDACTED] rest"
        );
        assert_eq!(
            r.redact_str("bearer\ttok and BEARER  t2"),
            "bearer\t[REDACTED] and BEARER  [REDACTED]"
        );
        assert_eq!(r.redact_str("Bearer"), "Bearer");
        assert_eq!(r.redact_str("Bearer   "), "Bearer   ");
        assert_eq!(r.redact_str("cbearer x"), "cbearer x");
        assert_eq!(r.redact_str("é Bearer ü"), "é Bearer [REDACTED]");
    }

    #[test]
    fn truncates_deep_nesting() {
        let mut deep = json!("leaf");
        for _ in 0..(MAX_DEPTH + 5) {
            deep = json!([deep]);
        }
        let out = Redactor::default().redact_value(&deep);
        let mut cursor = &out;
        for _ in 0..MAX_DEPTH {
            cursor = &cursor[0];
        }
        assert_eq!(cursor, &json!(TRUNCATED));
    }

    #[test]
    fn debug_does_not_print_secrets() {
        let r = Redactor::new(vec!["hunter2-very-secret".into()]);
        let text = format!("{r:?}");
        assert!(!text.contains("hunter2"));
        assert!(text.starts_with("Redactor { secrets: "));
    }

    fn arb_json(secret: String) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-z ]{0,8}".prop_map(Value::from),
            ("[a-z ]{0,5}", "[a-z ]{0,5}")
                .prop_map(move |(a, b)| Value::from(format!("{a}{secret}{b}"))),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z_-]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn secrets_never_survive(
            (secret, value) in "s3cr[a-z0-9]{2,12}".prop_flat_map(|s| (Just(s.clone()), arb_json(s))),
            wrap_key in "[a-z]{1,6}",
            prefix in "[a-z]{0,4}",
        ) {
            // Also embed the secret in a token value and in encoded forms.
            let basic: String = format!("{prefix}:{secret}");
            let input = json!({
                wrap_key: value,
                "apiKey": secret.clone(),
                "auth": format!("Bearer {secret}"),
                "form": format!("{prefix}={}", crate::profile::url::percent_encode(&secret, true)),
                "basic": format!("Basic {}", base64_inner(basic.as_bytes(), 0)),
            });
            let r = Redactor::new(vec![secret.clone()]);
            let text = serde_json::to_string(&r.redact_value(&input)).unwrap();
            prop_assert!(!text.contains(&secret), "{text}");
            // The base64 characters that only the secret decides, at its place in `basic`.
            let inner = base64_inner(secret.as_bytes(), (prefix.len() + 1) % 3);
            prop_assert!(base64_inner(basic.as_bytes(), 0).contains(&inner));
            prop_assert!(!text.contains(&inner), "{text}");
            // Bearer redaction alone (no known secrets) still hides the token.
            let text = serde_json::to_string(&Redactor::default().redact_value(&input)).unwrap();
            let bearer = format!("Bearer {secret}");
            prop_assert!(!text.contains(&bearer));
        }

        #[test]
        fn the_clean_check_never_skips_a_change(
            (secret, value) in "[0-9a-z]{4,8}".prop_flat_map(|s| (Just(s.clone()), arb_json(s))),
            text in "[ -~]{0,24}",
        ) {
            // "12345" can be part of a number; the text may hold `bearer` in any case.
            let r = Redactor::new(vec![secret, "12345".to_owned()]);
            for value in [value, json!(text), json!({ "apiKey": 1, "x": text }), json!(912_345)] {
                prop_assert_eq!(r.redact_value(&value), r.redact_at(&value, 0));
                prop_assert_eq!(r.redact_str(&text), redact_bearer(&r.redact_known(&text)));
            }
        }
    }
}
