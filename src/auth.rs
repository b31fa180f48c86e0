//! Credentials for API requests: the API key as is, or an OAuth token fetched once, cached, shared
//! by concurrent callers (one token request in flight at a time) and reused by the core's
//! `TokenCache` rule.

use crate::http::HttpClient;
use cognigy_guard_core::auth::{AuthConfig, TokenCache};
use cognigy_guard_core::profile::oauth::{parse_token_answer, token_request};
use cognigy_guard_core::profile::{ApiProfile, BaseUrl, Credentials};
use cognigy_guard_core::GuardError;
use js_sys::Promise;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// Time allowed for one token request.
const TOKEN_TIMEOUT_MS: u64 = 10_000;

/// Hands out credentials for one API base URL.
pub struct Authenticator {
    profile: ApiProfile,
    base: BaseUrl,
    config: AuthConfig,
    http: Rc<HttpClient>,
    cache: RefCell<TokenCache>,
    /// The token request in flight, awaited by every caller that needs a token meanwhile.
    inflight: RefCell<Option<Promise>>,
    /// How the last token request ended, for the callers that awaited it.
    last_failure: RefCell<Option<GuardError>>,
}

impl Authenticator {
    /// An authenticator for `config` against `base`.
    pub fn new(
        profile: ApiProfile,
        base: BaseUrl,
        config: AuthConfig,
        http: Rc<HttpClient>,
    ) -> Rc<Self> {
        Rc::new(Authenticator {
            profile,
            base,
            config,
            http,
            cache: RefCell::new(TokenCache::default()),
            inflight: RefCell::new(None),
            last_failure: RefCell::new(None),
        })
    }

    /// The configuration (for scope checks and redaction).
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Every secret value that must never appear in output: the configured secret and the
    /// current token.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.config.secrets();
        secrets.extend(self.cache.borrow().secret().map(str::to_owned));
        secrets
    }

    /// Credentials for the next request (`None` without auth). With OAuth, a valid cached token,
    /// or the result of the one token request in flight.
    pub async fn credentials(self: &Rc<Self>) -> Result<Option<Credentials>, GuardError> {
        if let Some(credentials) = self.credentials_now() {
            return Ok(credentials);
        }
        let pending = self.inflight.borrow().clone();
        let promise = match pending {
            Some(promise) => promise,
            None => {
                let me = Rc::clone(self);
                let promise = future_to_promise(async move {
                    let outcome = me.fetch_token().await;
                    *me.last_failure.borrow_mut() = outcome.err();
                    me.inflight.borrow_mut().take();
                    Ok(JsValue::UNDEFINED)
                });
                *self.inflight.borrow_mut() = Some(promise.clone());
                promise
            }
        };
        // The promise never rejects: the outcome is in the cache or in `last_failure`.
        let _ = JsFuture::from(promise).await;
        if let Some(credentials) = self.cache.borrow().current(self.http.now()) {
            return Ok(Some(credentials));
        }
        Err(self.last_failure.borrow().clone().unwrap_or_else(|| {
            GuardError::BadResponse(
                "the token answer has expired already (expires_in 0)".to_owned(),
            )
        }))
    }

    /// The credentials when they are at hand without a request: `Some(None)` without auth, the
    /// API key, or a valid cached token; `None` when a token must be fetched first
    /// ([`Self::credentials`] does it).
    pub fn credentials_now(&self) -> Option<Option<Credentials>> {
        match &self.config {
            AuthConfig::None => Some(None),
            AuthConfig::ApiKey(key) => Some(Some(Credentials::ApiKey(key.clone()))),
            AuthConfig::ClientCredentials { .. } => {
                self.cache.borrow().current(self.http.now()).map(Some)
            }
        }
    }

    /// Forgets the cached token after the API answered 401, so the next call fetches a new one.
    pub fn invalidate(&self) {
        self.cache.borrow_mut().invalidate();
    }

    /// Whether a 401 may be retried once with a fresh token (OAuth only).
    pub fn can_refresh(&self) -> bool {
        matches!(self.config, AuthConfig::ClientCredentials { .. })
    }

    async fn fetch_token(&self) -> Result<(), GuardError> {
        let AuthConfig::ClientCredentials {
            client_id,
            client_secret,
            scopes,
            token_url,
        } = &self.config
        else {
            return Ok(());
        };
        let request = token_request(
            self.profile,
            &self.base,
            client_id,
            client_secret,
            scopes,
            token_url.as_ref(),
        )?;
        let response = self
            .http
            .send(&request, TOKEN_TIMEOUT_MS, None)
            .await
            .map_err(|e| e.into_guard_error(TOKEN_TIMEOUT_MS, 1, None))?;
        let token = parse_token_answer(
            response.status,
            &response.headers(),
            &response.body,
            client_secret,
        )?;
        self.cache.borrow_mut().store(token, self.http.now());
        Ok(())
    }
}
