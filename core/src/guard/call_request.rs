//! The request object of `TimeoutManager.call(endpointId, { url, method?, headers?, body?,
//! timeoutMs?, fallbackTemplate?, cacheKey? })`, read from untrusted JSON, resolved against the
//! instance's base URL ([`resolve_call`]) and kept per request text ([`RecentCalls`]).

use super::call::CallOptions;
use super::operation::Target;
use crate::cache::request_key;
use crate::error::GuardError;
use crate::options::{string_pairs, text, Range};
use crate::profile::custom::{custom_request, CustomRequest};
use crate::profile::BaseUrl;
use serde_json::{Map, Value};
use std::rc::Rc;

/// Resolved call requests one instance keeps ([`RecentCalls`]).
pub const RECENT_CALLS: usize = 32;

/// A per-call attempt timeout (ms), instead of the policy's `maxWaitTimeMs`.
pub const CALL_TIMEOUT_MS: Range = Range {
    key: "timeoutMs",
    default: 0,
    min: 1,
    max: 3_600_000,
};

/// Reads a call request: what to send, and the call's own options.
pub fn call_request(value: &Value) -> Result<(CustomRequest, CallOptions), GuardError> {
    let Value::Object(o) = value else {
        return Err(config("call request must be an object { url, ... }"));
    };
    let url = text(o, "url")?.ok_or_else(|| config("call request needs url (a string)"))?;
    let method = text(o, "method")?.unwrap_or_default().to_owned();
    let options = CallOptions {
        timeout_ms: CALL_TIMEOUT_MS.read_optional(o)?,
        fallback_template: template(o.get("fallbackTemplate").unwrap_or(&Value::Null))?,
        cache_key: text(o, "cacheKey")?.map(str::to_owned),
    };
    let request = CustomRequest {
        method,
        url: url.to_owned(),
        headers: string_pairs(o.get("headers"), "headers")?,
        body: o.get("body").cloned(),
    };
    Ok((request, options))
}

/// A call request resolved: what to send and the call's options, its cache key set.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCall {
    /// The validated request (without credentials).
    pub target: Target,
    /// The call's options; `cache_key` is the given `cacheKey`, else the method and URL for
    /// `GET`/`HEAD` ([`request_key`]).
    pub options: CallOptions,
}

/// Reads and validates a call request against `base` (relative URLs, whether it targets the
/// API) and the transport rule.
pub fn resolve_call(
    value: &Value,
    base: &BaseUrl,
    allow_insecure_http: bool,
) -> Result<ResolvedCall, GuardError> {
    let (spec, mut options) = call_request(value)?;
    let resolved = custom_request(&spec, base, allow_insecure_http)?;
    options.cache_key = request_key(
        options.cache_key.as_deref(),
        resolved.request.method().as_str(),
        resolved.request.url(),
    );
    Ok(ResolvedCall {
        target: Target::Custom {
            request: resolved.request,
            targets_api: resolved.targets_api,
        },
        options,
    })
}

/// The last [`RECENT_CALLS`] call requests resolved by one instance, keyed by their JSON text
/// (only valid ones are kept): a repeated request is read and validated once. The resolution
/// depends on the text and on the instance's base URL and transport rule, which never change.
#[derive(Debug, Default)]
pub struct RecentCalls {
    /// Oldest first.
    entries: Vec<(String, Rc<ResolvedCall>)>,
}

impl RecentCalls {
    /// The call request of JSON text `text`: kept, or resolved by `resolve` (from the text) and
    /// kept when valid, evicting the oldest beyond [`RECENT_CALLS`].
    pub fn get_or_resolve(
        &mut self,
        text: String,
        resolve: impl FnOnce(&str) -> Result<ResolvedCall, GuardError>,
    ) -> Result<Rc<ResolvedCall>, GuardError> {
        if let Some((_, hit)) = self.entries.iter().rev().find(|(kept, _)| *kept == text) {
            return Ok(Rc::clone(hit));
        }
        let resolved = Rc::new(resolve(&text)?);
        if self.entries.len() >= RECENT_CALLS {
            self.entries.remove(0);
        }
        self.entries.push((text, Rc::clone(&resolved)));
        Ok(resolved)
    }

    /// Requests kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A fallback template given as an object or a string holding one (`null`: none).
pub fn template(value: &Value) -> Result<Option<Map<String, Value>>, GuardError> {
    let bad = || config("fallbackTemplate must be a JSON object (or a string holding one)");
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map.clone())),
        Value::String(text) => match crate::json::parse_untrusted(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api.example.com/v1", false).unwrap()
    }

    /// Resolves `text` through `recent`, counting the resolutions in `resolved`.
    fn through(recent: &mut RecentCalls, text: &str, resolved: &mut u32) -> Rc<ResolvedCall> {
        recent
            .get_or_resolve(text.to_owned(), |t| {
                *resolved += 1;
                resolve_call(&serde_json::from_str(t).unwrap(), &base(), false)
            })
            .unwrap()
    }

    fn url_of(call: &ResolvedCall) -> &str {
        match &call.target {
            Target::Custom { request, .. } => request.url(),
            Target::Invoke { .. } => "",
        }
    }

    #[test]
    fn a_repeated_request_text_is_resolved_once() {
        let mut recent = RecentCalls::default();
        let mut resolved = 0;
        let a = through(&mut recent, r#"{"url":"/a"}"#, &mut resolved);
        let again = through(&mut recent, r#"{"url":"/a"}"#, &mut resolved);
        assert_eq!(resolved, 1);
        assert!(Rc::ptr_eq(&a, &again));
        assert_eq!(url_of(&a), "https://api.example.com/v1/a");
        assert_eq!(
            a.options.cache_key.as_deref(),
            Some("GET https://api.example.com/v1/a")
        );
    }

    #[test]
    fn different_requests_to_one_endpoint_never_share_a_resolution() {
        let mut recent = RecentCalls::default();
        let mut resolved = 0;
        let a = through(&mut recent, r#"{"url":"/a"}"#, &mut resolved);
        let b = through(&mut recent, r#"{"url":"/b"}"#, &mut resolved);
        assert_eq!(resolved, 2);
        assert_eq!(url_of(&b), "https://api.example.com/v1/b");
        assert_ne!(a.options.cache_key, b.options.cache_key);
        // A changed option is another text: resolved anew, with the new option.
        let timed = through(
            &mut recent,
            r#"{"url":"/a","timeoutMs":250}"#,
            &mut resolved,
        );
        assert_eq!(resolved, 3);
        assert_eq!(timed.options.timeout_ms, Some(250));
        assert_eq!(a.options.timeout_ms, None);
        let keyed = through(&mut recent, r#"{"url":"/a","cacheKey":"k"}"#, &mut resolved);
        assert_eq!(keyed.options.cache_key.as_deref(), Some("k"));
        assert_eq!(resolved, 4);
    }

    #[test]
    fn invalid_requests_are_not_kept_and_the_cache_is_bounded() {
        let mut recent = RecentCalls::default();
        let bad = recent.get_or_resolve(r#"{"url":5}"#.to_owned(), |t| {
            resolve_call(&serde_json::from_str(t).unwrap(), &base(), false)
        });
        assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::Config);
        assert!(recent.is_empty());
        let mut resolved = 0;
        for i in 0..(RECENT_CALLS + 8) {
            through(&mut recent, &format!(r#"{{"url":"/r{i}"}}"#), &mut resolved);
        }
        assert_eq!(recent.len(), RECENT_CALLS);
        // The newest are kept, the oldest were evicted and resolve anew.
        let newest = format!(r#"{{"url":"/r{}"}}"#, RECENT_CALLS + 7);
        through(&mut recent, &newest, &mut resolved);
        assert_eq!(resolved as usize, RECENT_CALLS + 8);
        through(&mut recent, r#"{"url":"/r0"}"#, &mut resolved);
        assert_eq!(resolved as usize, RECENT_CALLS + 9);
        assert_eq!(recent.len(), RECENT_CALLS);
    }

    #[test]
    fn a_call_request_is_read_strictly() {
        let (request, options) = call_request(&json!({
            "url": "/x", "method": "POST", "headers": { "X-Trace": "t" }, "body": { "q": 1 },
            "timeoutMs": 500, "fallbackTemplate": "{\"m\":1}", "cacheKey": "k"
        }))
        .unwrap();
        assert_eq!(
            (request.url.as_str(), request.method.as_str()),
            ("/x", "POST")
        );
        assert_eq!(request.headers, [("X-Trace".to_owned(), "t".to_owned())]);
        assert_eq!(options.timeout_ms, Some(500));
        assert_eq!(options.cache_key.as_deref(), Some("k"));
        assert_eq!(options.fallback_template.unwrap()["m"], 1);
        for bad in [
            json!(42),
            json!({}),
            json!({ "url": 5 }),
            json!({ "url": "/x", "timeoutMs": 0 }),
            json!({ "url": "/x", "method": 1 }),
            json!({ "url": "/x", "cacheKey": [] }),
            json!({ "url": "/x", "headers": { "a": 1 } }),
            json!({ "url": "/x", "fallbackTemplate": "[1]" }),
        ] {
            assert_eq!(
                call_request(&bad).map(|_| ()).unwrap_err().code(),
                crate::ErrorCode::Config,
                "{bad}"
            );
        }
    }
}
