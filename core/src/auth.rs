//! Authentication settings and the OAuth token reuse rule: a token is reused until 60 s before
//! it expires, or until half its lifetime when that is shorter than 2 min.
//!
//! [`Authority`] builds the token request and reads its answer (the driver performs it); the
//! [`TokenCache`] decides when a cached token may still be used. `Debug` never prints a secret.

use crate::error::GuardError;
use crate::profile::oauth::{parse_token_answer, token_request, Token};
use crate::profile::request::{Credentials, HttpRequest, REDACTED};
use crate::profile::url::{BaseUrl, TargetUrl};
use crate::profile::ApiProfile;
use serde_json::Value;
use std::fmt;

/// A cached token is refreshed this long before it expires (the seeds' 60 s buffer).
pub const REFRESH_MARGIN_MS: f64 = 60_000.0;
/// Lifetimes shorter than this are reused for half their length instead (2 min).
pub const SHORT_LIFETIME_MS: f64 = 2.0 * REFRESH_MARGIN_MS;

/// How a client authenticates: nothing, an API key (`X-API-Key`), or OAuth2 client credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// No credentials are sent.
    None,
    /// `X-API-Key: <key>` on every request.
    ApiKey(String),
    /// OAuth2 client credentials; the token is fetched and cached.
    ClientCredentials {
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: String,
        /// Scopes to request.
        scopes: Vec<String>,
        /// A token endpoint other than the profile's default.
        token_url: Option<TargetUrl>,
    },
}

impl AuthConfig {
    /// Reads `{ apiKey }` or `{ clientId, clientSecret, scopes?, tokenUrl? }` (`null`/absent: no
    /// auth). `default_scopes` are requested when `scopes` is not given. Error messages name the
    /// offending field, never its value.
    pub fn from_json(
        value: &Value,
        default_scopes: &[&str],
        allow_insecure_http: bool,
    ) -> Result<Self, GuardError> {
        let obj = match value {
            Value::Null => return Ok(AuthConfig::None),
            Value::Object(obj) => obj,
            _ => return Err(config("auth must be an object")),
        };
        let text = |key: &str| -> Result<Option<String>, GuardError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(_) => Err(config(&format!("auth.{key} must be a non-empty string"))),
            }
        };
        if let Some(key) = text("apiKey")? {
            if obj.contains_key("clientId") || obj.contains_key("clientSecret") {
                return Err(config(
                    "auth takes either apiKey or clientId/clientSecret, not both",
                ));
            }
            return Ok(AuthConfig::ApiKey(key));
        }
        let client_id = text("clientId")?;
        let client_secret = text("clientSecret")?;
        let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
            return Err(config(
                "auth needs apiKey, or both clientId and clientSecret",
            ));
        };
        let scopes = match obj.get("scopes") {
            None | Some(Value::Null) => default_scopes.iter().map(|s| (*s).to_owned()).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| config("auth.scopes must be an array of strings"))?,
            Some(_) => return Err(config("auth.scopes must be an array of strings")),
        };
        let token_url = text("tokenUrl")?
            .map(|url| TargetUrl::new(&url, allow_insecure_http))
            .transpose()?;
        Ok(AuthConfig::ClientCredentials {
            client_id,
            client_secret,
            scopes,
            token_url,
        })
    }

    /// Fails with a clear `AUTH` error when OAuth scopes were given and miss one of `required`
    /// (checked before any request is made).
    pub fn check_scopes(&self, required: &[&str]) -> Result<(), GuardError> {
        if let AuthConfig::ClientCredentials { scopes, .. } = self {
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|r| !scopes.iter().any(|s| s == r))
                .collect();
            if !missing.is_empty() {
                return Err(GuardError::Auth {
                    message: format!("missing required OAuth scopes: {}", missing.join(", ")),
                    status: None,
                    problem: None,
                });
            }
        }
        Ok(())
    }

    /// The secret values this configuration holds, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            AuthConfig::None => Vec::new(),
            AuthConfig::ApiKey(key) => vec![key.clone()],
            AuthConfig::ClientCredentials { client_secret, .. } => vec![client_secret.clone()],
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthConfig::None => f.write_str("None"),
            AuthConfig::ApiKey(_) => f.debug_tuple("ApiKey").field(&REDACTED).finish(),
            AuthConfig::ClientCredentials {
                client_id, scopes, ..
            } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .field("scopes", scopes)
                .finish(),
        }
    }
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

/// The current OAuth token and until when it is reused.
#[derive(Debug, Default, Clone)]
pub struct TokenCache {
    token: Option<Token>,
    usable_until_ms: f64,
}

impl TokenCache {
    /// The cached credentials while the token may be reused: until [`REFRESH_MARGIN_MS`] before
    /// it expires, or until half its lifetime when that is shorter than [`SHORT_LIFETIME_MS`].
    /// A token answered with `expires_in: 0` is never used.
    pub fn current(&self, now_ms: f64) -> Option<Credentials> {
        self.token
            .as_ref()
            .filter(|_| now_ms < self.usable_until_ms)
            .map(Token::credentials)
    }

    /// Stores a fresh token received at `now_ms`.
    pub fn store(&mut self, token: Token, now_ms: f64) {
        let lifetime_ms = token.expires_in_s as f64 * 1000.0;
        let reuse_ms = if lifetime_ms < SHORT_LIFETIME_MS {
            lifetime_ms / 2.0
        } else {
            lifetime_ms - REFRESH_MARGIN_MS
        };
        self.usable_until_ms = now_ms + reuse_ms;
        self.token = Some(token);
    }

    /// Forgets the token (after a 401), so the next request fetches a new one.
    pub fn invalidate(&mut self) {
        self.token = None;
    }

    /// The access token value, for redaction of anything that might echo it.
    pub fn secret(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.access_token.as_str())
    }
}

/// The credentials of one API base URL, shared by every operation of one instance: the API key,
/// or the OAuth client and its current token. It builds the token request and reads its answer;
/// the driver performs it.
#[derive(Debug, Clone)]
pub struct Authority {
    profile: ApiProfile,
    base: BaseUrl,
    config: AuthConfig,
    cache: TokenCache,
    /// Tokens accepted so far.
    tokens: u64,
}

impl Authority {
    /// An authority for `config` against `base` on `profile`.
    pub fn new(profile: ApiProfile, base: BaseUrl, config: AuthConfig) -> Self {
        Authority {
            profile,
            base,
            config,
            cache: TokenCache::default(),
            tokens: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The API base URL the credentials are for.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// The credentials when they are at hand: `Some(None)` without auth, the API key, or a
    /// usable cached token; `None` when a token must be fetched first.
    pub fn at_hand(&self, now_ms: f64) -> Option<Option<Credentials>> {
        match &self.config {
            AuthConfig::None => Some(None),
            AuthConfig::ApiKey(key) => Some(Some(Credentials::ApiKey(key.clone()))),
            AuthConfig::ClientCredentials { .. } => self.cache.current(now_ms).map(Some),
        }
    }

    /// The OAuth token request (`CONFIG` without OAuth).
    pub fn token_request(&self) -> Result<HttpRequest, GuardError> {
        match &self.config {
            AuthConfig::ClientCredentials {
                client_id,
                client_secret,
                scopes,
                token_url,
            } => token_request(
                self.profile,
                &self.base,
                client_id,
                client_secret,
                scopes,
                token_url.as_ref(),
            ),
            _ => Err(config("no OAuth client is configured")),
        }
    }

    /// Reads the token answer received at `now_ms`, keeps the token and returns its credentials
    /// (usable for the request that waited for it, however short its lifetime).
    pub fn accept_token(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &str,
        now_ms: f64,
    ) -> Result<Credentials, GuardError> {
        let secret = match &self.config {
            AuthConfig::ClientCredentials { client_secret, .. } => client_secret.as_str(),
            _ => return Err(config("no OAuth client is configured")),
        };
        let token = parse_token_answer(status, headers, body, secret)?;
        let credentials = token.credentials();
        self.cache.store(token, now_ms);
        self.tokens = self.tokens.wrapping_add(1);
        Ok(credentials)
    }

    /// Forgets the cached token after the API answered 401.
    pub fn invalidate(&mut self) {
        self.cache.invalidate();
    }

    /// Whether a 401 may be retried once with a fresh token (OAuth only).
    pub fn can_refresh(&self) -> bool {
        matches!(self.config, AuthConfig::ClientCredentials { .. })
    }

    /// Tokens accepted so far: [`Self::secrets`] can only hold a new one after this changed.
    pub fn tokens_accepted(&self) -> u64 {
        self.tokens
    }

    /// Every secret that must never appear in output: the configured one and the current token.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.config.secrets();
        secrets.extend(self.cache.secret().map(str::to_owned));
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(expires_in_s: u64) -> Token {
        Token {
            access_token: "tok-123456".into(),
            token_type: "Bearer".into(),
            expires_in_s,
            scope: None,
        }
    }

    #[test]
    fn reads_both_auth_modes_and_defaults_scopes() {
        assert_eq!(
            AuthConfig::from_json(&json!({"apiKey": "k-1234"}), &[], false).unwrap(),
            AuthConfig::ApiKey("k-1234".into())
        );
        let oauth = AuthConfig::from_json(
            &json!({"clientId": "c", "clientSecret": "s3cret"}),
            &["a:b"],
            false,
        )
        .unwrap();
        assert!(
            matches!(&oauth, AuthConfig::ClientCredentials { scopes, .. } if scopes == &["a:b"])
        );
        assert_eq!(
            AuthConfig::from_json(&Value::Null, &[], false).unwrap(),
            AuthConfig::None
        );
    }

    #[test]
    fn bad_auth_is_a_config_error_without_the_secret() {
        for bad in [
            json!({"clientId": "c"}),
            json!({"apiKey": 5}),
            json!({"apiKey": "k", "clientId": "c", "clientSecret": "topsecret"}),
            json!({"clientId": "c", "clientSecret": "topsecret", "scopes": "x"}),
            json!({"clientId": "c", "clientSecret": "topsecret", "tokenUrl": "http://remote.example/t"}),
            json!("string"),
        ] {
            let err = AuthConfig::from_json(&bad, &[], false).unwrap_err();
            assert!(!err.to_string().contains("topsecret"), "{err}");
        }
    }

    #[test]
    fn missing_scopes_are_named() {
        let auth = AuthConfig::from_json(
            &json!({"clientId": "c", "clientSecret": "s3cret", "scopes": ["test:read"]}),
            &[],
            false,
        )
        .unwrap();
        let err = auth
            .check_scopes(&["test:execute", "test:read"])
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Auth);
        assert!(err.to_string().contains("test:execute"));
        assert!(AuthConfig::ApiKey("k".into()).check_scopes(&["x"]).is_ok());
    }

    #[test]
    fn token_is_refreshed_sixty_seconds_before_expiry() {
        let mut cache = TokenCache::default();
        assert!(cache.current(0.0).is_none());
        cache.store(token(3600), 1_000.0);
        assert!(cache.current(1_000.0).is_some());
        assert!(cache.current(1_000.0 + 3_539_999.0).is_some());
        assert!(cache.current(1_000.0 + 3_540_000.0).is_none());
        cache.invalidate();
        assert!(cache.current(1_000.0).is_none());
    }

    #[test]
    fn a_short_lived_token_is_used_for_half_its_lifetime() {
        let mut cache = TokenCache::default();
        cache.store(token(30), 1_000.0);
        assert!(cache.current(1_000.0).is_some(), "a 30 s token is usable");
        assert!(cache.current(1_000.0 + 14_999.0).is_some());
        assert!(cache.current(1_000.0 + 15_000.0).is_none());
        // Two minutes and longer: 60 s before expiry; just under: half the lifetime.
        cache.store(token(120), 0.0);
        assert!(cache.current(59_999.0).is_some());
        assert!(cache.current(60_000.0).is_none());
        cache.store(token(119), 0.0);
        assert!(cache.current(59_499.0).is_some());
        assert!(cache.current(59_500.0).is_none());
        cache.store(token(1), 0.0);
        assert!(cache.current(0.0).is_some());
        cache.store(token(0), 0.0);
        assert!(
            cache.current(0.0).is_none(),
            "an expired answer is never used"
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let auth = AuthConfig::ClientCredentials {
            client_id: "c".into(),
            client_secret: "s3cret-value".into(),
            scopes: vec![],
            token_url: None,
        };
        assert!(!format!("{auth:?}").contains("s3cret-value"));
        assert!(!format!("{:?}", AuthConfig::ApiKey("key-value".into())).contains("key-value"));
        let mut cache = TokenCache::default();
        cache.store(token(10), 0.0);
        assert!(!format!("{cache:?}").contains("tok-123456"));
    }
}
