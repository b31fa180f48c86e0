//! The `TimeoutManager` options (`new TimeoutManager({ ... })`) read from untrusted JSON, with
//! their defaults and ranges as data. Functions (`fetch`, `now`, `onAudit`) and the `store` are
//! the boundary's; everything else is read and checked here.

use super::engine::EngineConfig;
use super::options::manager_option_warnings;
use crate::auth::AuthConfig;
use crate::breaker::config::BreakerConfig;
use crate::error::GuardError;
use crate::issue::Issue;
use crate::options::{flag, string_pairs, text, Range};
use crate::profile::{webhook, ApiProfile, BaseUrl};
use crate::protocol::DEFAULT_MAX_BODY_BYTES;
use serde_json::Value;

/// How long a last-known-good answer stays usable (ms): 5 min by default, at most a year.
pub const CACHE_TTL_MS: Range = Range {
    key: "cacheTtlMs",
    default: 300_000,
    min: 0,
    max: 365 * 86_400_000,
};
/// Answers kept in the last-known-good cache (over all endpoints and request keys).
pub const CACHE_MAX_ENTRIES: Range = Range {
    key: "cacheMaxEntries",
    default: 1_000,
    min: 0,
    max: 1_000_000,
};
/// Bound of a whole call, retries included (ms): the 20 s budget of a Cognigy Extension node.
pub const DEADLINE_MS: Range = Range {
    key: "deadlineMs",
    default: 20_000,
    min: 1,
    max: 3_600_000,
};
/// Longest response body a guarded call reads (bytes).
pub const MAX_RESPONSE_BYTES: Range = Range {
    key: "maxResponseBytes",
    default: DEFAULT_MAX_BODY_BYTES,
    min: 1,
    max: 256 * 1024 * 1024,
};

/// The checked options of one `TimeoutManager`.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerOptions {
    /// The API profile (`cognigy-v2` by default).
    pub profile: ApiProfile,
    /// The API base URL.
    pub base: BaseUrl,
    /// The credentials.
    pub auth: AuthConfig,
    /// The dashboard base URL, if any.
    pub webhook: Option<BaseUrl>,
    /// The dashboard's own headers (checked as HTTP headers).
    pub webhook_headers: Vec<(String, String)>,
    /// Whether `http://` to remote hosts is allowed.
    pub allow_insecure_http: bool,
    /// [`CACHE_TTL_MS`].
    pub cache_ttl_ms: u64,
    /// [`CACHE_MAX_ENTRIES`].
    pub cache_max_entries: usize,
    /// [`DEADLINE_MS`].
    pub deadline_ms: u64,
    /// [`MAX_RESPONSE_BYTES`].
    pub max_response_bytes: u64,
    /// Every endpoint's breaker options.
    pub breaker: BreakerConfig,
    /// A snapshot to restore, if any.
    pub state: Option<Value>,
    /// `UNKNOWN_OPTION` warnings.
    pub warnings: Vec<Issue>,
}

impl ManagerOptions {
    /// Reads and checks `value` (`CONFIG` or `AUTH` naming the offending option; never a
    /// secret).
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        let o = match value {
            Value::Object(map) => map,
            _ => {
                return Err(GuardError::Config(
                    "TimeoutManager options must be an object with baseUrl".to_owned(),
                ))
            }
        };
        let allow_insecure_http = flag(o, "allowInsecureHttp")?;
        let profile = text(o, "api")?.map_or(Ok(ApiProfile::CognigyV2), ApiProfile::parse)?;
        let spec = profile.spec();
        let base_url = text(o, "baseUrl")?
            .ok_or_else(|| GuardError::Config("baseUrl is required (a string)".to_owned()))?;
        let base = BaseUrl::new(base_url, allow_insecure_http)?;
        let auth = AuthConfig::from_json(
            o.get("auth").unwrap_or(&Value::Null),
            spec.guard_scopes,
            allow_insecure_http,
        )?;
        if !spec.guard_api_key && matches!(auth, AuthConfig::ApiKey(_)) {
            return Err(GuardError::Config(format!(
                "api '{}' authenticates with OAuth: auth {{ clientId, clientSecret }}",
                spec.name
            )));
        }
        auth.check_scopes(spec.guard_required_scopes)?;
        let webhook = text(o, "webhookUrl")?
            .map(|url| BaseUrl::new(url, allow_insecure_http))
            .transpose()?;
        let webhook_headers = string_pairs(o.get("webhookHeaders"), "webhookHeaders")?;
        // Checks names and values once, so a sync never fails on them.
        webhook::dashboard_sync(
            &BaseUrl::new("https://example.invalid", false)?,
            &[],
            "check",
        )?
        .with_headers(&webhook_headers)?;
        let breaker = BreakerConfig::from_json(o.get("breaker").unwrap_or(&Value::Null))?;
        Ok(ManagerOptions {
            profile,
            base,
            auth,
            webhook,
            webhook_headers,
            allow_insecure_http,
            cache_ttl_ms: CACHE_TTL_MS.read(o)?,
            cache_max_entries: usize::try_from(CACHE_MAX_ENTRIES.read(o)?).unwrap_or(usize::MAX),
            deadline_ms: DEADLINE_MS.read(o)?,
            max_response_bytes: MAX_RESPONSE_BYTES.read(o)?,
            breaker,
            state: o.get("state").filter(|s| !s.is_null()).cloned(),
            warnings: manager_option_warnings(value),
        })
    }

    /// The engine's settings, with the outbox's idempotency-key `prefix` and the jitter `seed`.
    pub fn engine_config(&self, outbox_prefix: String, seed: u64) -> EngineConfig {
        EngineConfig {
            breaker: self.breaker.clone(),
            cache_ttl_ms: self.cache_ttl_ms,
            cache_max_entries: self.cache_max_entries,
            deadline_ms: self.deadline_ms,
            outbox_prefix,
            seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_ranges_come_from_the_table() {
        let o =
            ManagerOptions::from_json(&json!({ "baseUrl": "https://api.example.com" })).unwrap();
        assert_eq!(o.profile, ApiProfile::CognigyV2);
        assert_eq!(
            (
                o.cache_ttl_ms,
                o.cache_max_entries,
                o.deadline_ms,
                o.max_response_bytes
            ),
            (300_000, 1_000, 20_000, 8 * 1024 * 1024)
        );
        assert!(o.warnings.is_empty());
        for (key, bad) in [
            ("deadlineMs", json!(0)),
            ("cacheTtlMs", json!(-5)),
            ("maxResponseBytes", json!(300 * 1024 * 1024)),
            ("allowInsecureHttp", json!("yes")),
            ("webhookUrl", json!(5)),
            ("api", json!(2)),
        ] {
            let mut value = json!({ "baseUrl": "https://api.example.com" });
            value[key] = bad;
            let err = ManagerOptions::from_json(&value).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn profile_rules_are_data() {
        let seed_with_key = json!({ "api": "seed-v1", "baseUrl": "https://a.example.com", "auth": { "apiKey": "k-1234" } });
        assert!(ManagerOptions::from_json(&seed_with_key).is_err());
        let seed = json!({ "api": "seed-v1", "baseUrl": "https://a.example.com", "auth": { "clientId": "c", "clientSecret": "s3cret" } });
        let o = ManagerOptions::from_json(&seed).unwrap();
        let AuthConfig::ClientCredentials { scopes, .. } = &o.auth else {
            panic!("oauth expected")
        };
        assert_eq!(scopes.len(), 4, "the seed's default scopes");
        let missing = json!({ "api": "seed-v1", "baseUrl": "https://a.example.com", "auth": { "clientId": "c", "clientSecret": "s3cret", "scopes": ["bot:read"] } });
        assert_eq!(
            ManagerOptions::from_json(&missing).unwrap_err().code(),
            crate::ErrorCode::Auth
        );
    }

    #[test]
    fn misspelt_keys_are_warned_and_bad_headers_refused() {
        let o = ManagerOptions::from_json(
            &json!({ "baseUrl": "https://a.example.com", "cacheTTLMs": 5, "breaker": { "failureTreshold": 2 } }),
        )
        .unwrap();
        let paths: Vec<&str> = o.warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["cacheTTLMs", "breaker.failureTreshold"]);
        let bad = json!({ "baseUrl": "https://a.example.com", "webhookHeaders": { "X-Token": "a\r\nb" } });
        assert!(ManagerOptions::from_json(&bad).is_err());
    }
}
