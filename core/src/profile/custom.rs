//! A request the user describes (the guarded `call`): method, URL, headers and body, validated
//! the same way as the profile builders' requests.
//!
//! Rules: the URL passes the transport rule ([`TargetUrl`]); a relative URL (`/path?query`) is
//! resolved against the API base URL; a `GET` never carries a body; header values never hold CR
//! or LF. `.` and `..` path segments (also percent-encoded) are resolved before anything else, so
//! the URL sent is the one judged. Platform credentials are attached only to URLs under the API
//! base URL, so a Cognigy API key or token never travels to a third-party service or another path.

use super::request::{Credentials, HttpRequest, Method};
use super::url::{resolve_dot_segments, BaseUrl, TargetUrl};
use crate::error::GuardError;
use serde_json::Value;

const JSON: &str = "application/json";

/// What the user asked for, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomRequest {
    /// HTTP method name (`GET` when empty).
    pub method: String,
    /// Absolute URL, or a path starting with `/` resolved against the API base URL.
    pub url: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// JSON body (a string is sent as is, anything else as JSON text).
    pub body: Option<Value>,
}

/// The resolved, validated request and whether it targets the API (so carries credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRequest {
    /// The request, without credentials.
    pub request: HttpRequest,
    /// Whether the URL is under the API base URL.
    pub targets_api: bool,
}

/// Validates `spec` into a request. `base` resolves relative URLs and decides whether the URL
/// targets the API.
pub fn custom_request(
    spec: &CustomRequest,
    base: &BaseUrl,
    allow_insecure_http: bool,
) -> Result<ResolvedRequest, GuardError> {
    let method = if spec.method.is_empty() {
        Method::Get
    } else {
        Method::parse(&spec.method)?
    };
    let url = if spec.url.starts_with('/') && !spec.url.starts_with("//") {
        base.join(&spec.url)
    } else {
        spec.url.clone()
    };
    // What is sent is what is judged: `fetch` would resolve the dot segments anyway.
    let url = resolve_dot_segments(url.trim());
    let target = TargetUrl::new(&url, allow_insecure_http)?;
    let body = match (&spec.body, method) {
        (None | Some(Value::Null), _) => None,
        (Some(_), Method::Get) => {
            return Err(GuardError::Config(
                "a GET request cannot carry a body".to_owned(),
            ))
        }
        (Some(Value::String(text)), _) => Some((JSON, text.clone())),
        (Some(value), _) => Some((JSON, value.to_string())),
    };
    let request = HttpRequest::with_body(method, target.as_str().to_owned(), body)
        .with_headers(&spec.headers)?;
    Ok(ResolvedRequest {
        targets_api: is_under(base, target.as_str()),
        request,
    })
}

/// Adds the credentials header to a request built by [`custom_request`].
pub fn with_credentials(
    request: HttpRequest,
    credentials: &Credentials,
) -> Result<HttpRequest, GuardError> {
    request.authorized(credentials)
}

/// Whether `url` (dot segments resolved) lies under `base`: the same scheme, host and port
/// (compared case-insensitively) and the base's path prefix (compared exactly).
fn is_under(base: &BaseUrl, url: &str) -> bool {
    let base = base.as_str();
    let origin_len = base
        .find("://")
        .and_then(|i| {
            let after = i.saturating_add(3);
            base.get(after..)
                .map(|rest| after.saturating_add(rest.find('/').unwrap_or(rest.len())))
        })
        .unwrap_or(base.len());
    let same_origin = url
        .get(..origin_len)
        .zip(base.get(..origin_len))
        .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
    let same_prefix = url.get(origin_len..base.len()) == base.get(origin_len..);
    same_origin && same_prefix && matches!(url.as_bytes().get(base.len()), None | Some(b'/' | b'?'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap()
    }

    fn spec(method: &str, url: &str) -> CustomRequest {
        CustomRequest {
            method: method.into(),
            url: url.into(),
            ..CustomRequest::default()
        }
    }

    #[test]
    fn relative_urls_resolve_against_the_base_and_target_the_api() {
        let r = custom_request(&spec("", "/ext/weather?city=Berlin"), &base(), false).unwrap();
        assert_eq!(
            r.request.url(),
            "https://api-trial.cognigy.ai/ext/weather?city=Berlin"
        );
        assert!(r.targets_api);
        assert_eq!(r.request.method(), Method::Get);
        assert_eq!(r.request.header("Accept"), Some("application/json"));
    }

    #[test]
    fn third_party_urls_do_not_target_the_api() {
        for url in [
            "https://weather.example.com/now",
            "https://api-trial.cognigy.ai.evil.example/x",
        ] {
            let r = custom_request(&spec("GET", url), &base(), false).unwrap();
            assert!(!r.targets_api, "{url}");
        }
    }

    #[test]
    fn dot_segments_are_resolved_before_deciding_what_is_under_the_base() {
        let tenant = BaseUrl::new("https://api.example/tenant-a", false).unwrap();
        for (url, sent, under) in [
            (
                "/../other-tenant/x",
                "https://api.example/other-tenant/x",
                false,
            ),
            (
                "https://api.example/tenant-a/%2e%2e/other",
                "https://api.example/other",
                false,
            ),
            (
                "https://api.example/tenant-a/%2E./b",
                "https://api.example/b",
                false,
            ),
            (
                "https://api.example/tenant-a/x/../../../b",
                "https://api.example/b",
                false,
            ),
            ("/./x/../y", "https://api.example/tenant-a/y", true),
            (
                "/x/%2E%2E/y?next=/../z",
                "https://api.example/tenant-a/y?next=/../z",
                true,
            ),
            (
                "https://api.example/tenant-a/../tenant-a/x",
                "https://api.example/tenant-a/x",
                true,
            ),
            (
                "https://API.example/tenant-a/x",
                "https://API.example/tenant-a/x",
                true,
            ),
            (
                "https://api.example/TENANT-A/x",
                "https://api.example/TENANT-A/x",
                false,
            ),
            (
                "https://api.example/tenant-a/..",
                "https://api.example/",
                false,
            ),
        ] {
            let r = custom_request(&spec("GET", url), &tenant, false).unwrap();
            assert_eq!((r.request.url(), r.targets_api), (sent, under), "{url}");
        }
    }

    #[test]
    fn plain_http_is_refused_unless_loopback_or_allowed() {
        let remote = spec("GET", "http://weather.example.com/now");
        assert!(custom_request(&remote, &base(), false).is_err());
        assert!(custom_request(&remote, &base(), true).is_ok());
        assert!(custom_request(&spec("GET", "http://127.0.0.1:9/x"), &base(), false).is_ok());
    }

    #[test]
    fn get_with_body_and_bad_headers_are_refused() {
        let mut s = spec("GET", "https://x.example/a");
        s.body = Some(json!({ "a": 1 }));
        assert!(custom_request(&s, &base(), false).is_err());
        let mut s = spec("POST", "https://x.example/a");
        s.body = Some(json!({ "a": 1 }));
        let r = custom_request(&s, &base(), false).unwrap();
        assert_eq!(r.request.body(), Some(r#"{"a":1}"#));
        assert_eq!(r.request.header("content-type"), Some("application/json"));
        s.headers = vec![("X-Trace".into(), "a\r\nInjected: 1".into())];
        let err = custom_request(&s, &base(), false).unwrap_err();
        assert!(!err.to_string().contains("Injected"));
        s.headers = vec![("Bad Name".into(), "v".into())];
        assert!(custom_request(&s, &base(), false).is_err());
        assert!(custom_request(&spec("TRACE", "https://x.example/"), &base(), false).is_err());
    }
}
