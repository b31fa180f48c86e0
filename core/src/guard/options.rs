//! The option keys the `TimeoutManager` and `CircuitBreaker` constructors know, and the
//! `UNKNOWN_OPTION` warnings for any other key (a misspelt `failureTreshold` or `cacheTTLMs` would
//! otherwise be ignored silently). Unknown keys are still ignored; the warning says so and names
//! the known key it most likely meant.

use crate::issue::Issue;
use serde_json::Value;

/// The warning code.
pub const UNKNOWN_OPTION: &str = "UNKNOWN_OPTION";

/// Keys of the `TimeoutManager` options (docs/API.md).
pub const MANAGER_KEYS: [&str; 16] = [
    "api",
    "baseUrl",
    "auth",
    "webhookUrl",
    "webhookHeaders",
    "breaker",
    "cacheTtlMs",
    "cacheMaxEntries",
    "deadlineMs",
    "fetch",
    "now",
    "onAudit",
    "state",
    "allowInsecureHttp",
    "maxResponseBytes",
    "store",
];

/// Keys of `auth`.
pub const AUTH_KEYS: [&str; 5] = ["apiKey", "clientId", "clientSecret", "scopes", "tokenUrl"];

/// Keys of the `CircuitBreaker` options (also `TimeoutManager`'s `breaker`).
pub const BREAKER_KEYS: [&str; 15] = [
    "failureThreshold",
    "resetTimeoutMs",
    "halfOpenMaxCalls",
    "successThreshold",
    "failureRateThreshold",
    "slidingWindowSize",
    "minimumCalls",
    "slowCallMs",
    "openBackoffMultiplier",
    "maxResetTimeoutMs",
    "halfOpenTimeoutMs",
    "now",
    "store",
    "name",
    "leaseMs",
];

/// `UNKNOWN_OPTION` warnings for the `TimeoutManager` options `options` (JSON; anything but an
/// object gives none), its `auth` and `breaker` objects included.
pub fn manager_option_warnings(options: &Value) -> Vec<Issue> {
    let mut warnings = unknown_keys(options, "", &MANAGER_KEYS);
    if let Some(auth) = options.get("auth") {
        warnings.extend(unknown_keys(auth, "auth.", &AUTH_KEYS));
    }
    if let Some(breaker) = options.get("breaker") {
        warnings.extend(unknown_keys(breaker, "breaker.", &BREAKER_KEYS));
    }
    warnings
}

/// `UNKNOWN_OPTION` warnings for the `CircuitBreaker` options `options` (JSON).
pub fn breaker_option_warnings(options: &Value) -> Vec<Issue> {
    unknown_keys(options, "", &BREAKER_KEYS)
}

/// One warning per key of the object `value` that is not in `known`, at `prefix` + key.
pub fn unknown_keys(value: &Value, prefix: &str, known: &[&str]) -> Vec<Issue> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    map.keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| {
            let shown = crate::profile::problem::clip(key);
            let hint = closest(key, known)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            Issue::new(
                format!("{prefix}{shown}"),
                UNKNOWN_OPTION,
                format!("unknown option `{shown}` is ignored{hint}"),
            )
        })
        .collect()
}

/// The known key `key` most likely meant: equal ignoring case, `-` and `_`, else within 2 edits.
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let fold = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let key = fold(key);
    if key.len() > 64 {
        return None;
    }
    known
        .iter()
        .map(|k| (edit_distance(&key, &fold(k)), *k))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

/// Levenshtein distance of two short strings.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i.saturating_add(1)];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous
                .get(j)
                .map_or(usize::MAX, |d| d.saturating_add(usize::from(ca != cb)));
            let delete = previous
                .get(j.saturating_add(1))
                .map_or(usize::MAX, |d| d.saturating_add(1));
            let insert = current.get(j).map_or(usize::MAX, |d| d.saturating_add(1));
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn misspelt_keys_are_warned_about_with_the_likely_key() {
        let warnings = manager_option_warnings(&json!({
            "baseUrl": "https://x.example", "cacheTTLMs": 1000, "deadlineMs": 5,
            "breaker": { "failureTreshold": 2, "resetTimeoutMs": 1 },
            "auth": { "apiKey": "k", "apikey": "k" },
            "somethingElse": true,
        }));
        let got: Vec<(&str, &str, &str)> = warnings
            .iter()
            .map(|w| (w.path.as_str(), w.code.as_str(), w.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "cacheTTLMs",
                    UNKNOWN_OPTION,
                    "unknown option `cacheTTLMs` is ignored; did you mean `cacheTtlMs`?"
                ),
                (
                    "somethingElse",
                    UNKNOWN_OPTION,
                    "unknown option `somethingElse` is ignored"
                ),
                (
                    "auth.apikey",
                    UNKNOWN_OPTION,
                    "unknown option `apikey` is ignored; did you mean `apiKey`?"
                ),
                (
                    "breaker.failureTreshold",
                    UNKNOWN_OPTION,
                    "unknown option `failureTreshold` is ignored; did you mean `failureThreshold`?"
                ),
            ]
        );
        let breaker = breaker_option_warnings(&json!({ "halfOpenMaxCall": 1, "now": null }));
        assert_eq!(breaker.len(), 1);
        assert!(breaker[0]
            .message
            .ends_with("did you mean `halfOpenMaxCalls`?"));
    }

    #[test]
    fn known_keys_and_non_objects_give_no_warning() {
        let all: serde_json::Map<String, Value> = MANAGER_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), Value::Null))
            .collect();
        assert!(manager_option_warnings(&Value::Object(all)).is_empty());
        for value in [
            Value::Null,
            json!("x"),
            json!([1]),
            json!({ "auth": "k", "breaker": 3 }),
        ] {
            assert!(manager_option_warnings(&value).is_empty(), "{value}");
        }
        assert_eq!(edit_distance(&['a', 'b'], &[]), 2);
        assert_eq!(closest(&"x".repeat(100), &MANAGER_KEYS), None);
    }
}
