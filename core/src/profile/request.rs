//! The HTTP request description the builders produce and the credentials they attach.

use crate::error::GuardError;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Placeholder printed instead of a secret.
pub const REDACTED: &str = "[REDACTED]";

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// HTTP method of a request. Serialized upper-case (`"GET"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`: never carries a body.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
}

impl Method {
    /// The method as sent on the wire (`"GET"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    /// Parses a method name (ASCII case-insensitive): GET, POST, PUT, DELETE or PATCH.
    pub fn parse(name: &str) -> Result<Self, GuardError> {
        let method = [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Patch,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(name));
        method.ok_or_else(|| {
            GuardError::Config("method must be one of GET, POST, PUT, DELETE, PATCH".to_owned())
        })
    }
}

/// How a request authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A Cognigy API key, sent as `X-API-Key`.
    ApiKey(String),
    /// An OAuth2 access token, sent as `Authorization: Bearer <token>`.
    Bearer(String),
}

impl Credentials {
    /// The header carrying these credentials; refuses values no HTTP header may hold (without
    /// quoting them).
    pub fn header(&self) -> Result<(String, String), GuardError> {
        let (name, scheme, secret, what) = match self {
            Credentials::ApiKey(key) => ("X-API-Key", "", key, "API key"),
            Credentials::Bearer(token) => ("Authorization", "Bearer ", token, "token"),
        };
        if secret.is_empty() || !is_header_value(secret) {
            return Err(GuardError::Config(format!(
                "the {what} is empty or holds characters an HTTP header cannot carry"
            )));
        }
        let mut value = String::with_capacity(scheme.len() + secret.len());
        value.push_str(scheme);
        value.push_str(secret);
        Ok((name.to_owned(), value))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ApiKey(_) => write!(f, "ApiKey({REDACTED})"),
            Credentials::Bearer(_) => write!(f, "Bearer({REDACTED})"),
        }
    }
}

/// Visible ASCII, space and tab: what a header value may hold without being rejected by `fetch`.
fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// One HTTP request for the boundary to perform. Built only by the profile builders, which
/// guarantee: a `GET` has no body, every request has `Accept: application/json`, a JSON body comes
/// with `Content-Type: application/json` and a form body with
/// `application/x-www-form-urlencoded`.
///
/// Serializes to `{ method, url, headers: [[name, value], ...], body? }`. The serialized form carries
/// the credentials headers (the boundary needs them for `fetch`); its `Debug` output does not.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    /// What `Debug` shows instead of the URL when the URL is a secret (see [`super::SecretUrl`]).
    #[serde(skip)]
    shown_url: Option<String>,
}

impl HttpRequest {
    /// A `GET` (no body).
    pub(crate) fn get(url: String) -> Self {
        Self::new(Method::Get, url, None)
    }

    /// A `POST` without a body.
    pub(crate) fn post_empty(url: String) -> Self {
        Self::new(Method::Post, url, None)
    }

    /// A `POST` with a JSON body.
    pub(crate) fn post_json(url: String, body: &Value) -> Self {
        Self::new(Method::Post, url, Some((JSON, body.to_string())))
    }

    /// A `PUT` with a JSON body.
    pub(crate) fn put_json(url: String, body: &Value) -> Self {
        Self::new(Method::Put, url, Some((JSON, body.to_string())))
    }

    /// A `POST` with an already form-encoded body.
    pub(crate) fn post_form(url: String, form: String) -> Self {
        Self::new(Method::Post, url, Some((FORM, form)))
    }

    /// A request of any method with an optional body of the given content type (used by
    /// [`super::custom`], which checks that a `GET` has no body).
    pub(crate) fn with_body(method: Method, url: String, body: Option<(&str, String)>) -> Self {
        Self::new(method, url, body)
    }

    fn new(method: Method, url: String, body: Option<(&str, String)>) -> Self {
        let mut headers = vec![("Accept".to_owned(), JSON.to_owned())];
        let body = body.map(|(content_type, text)| {
            headers.push(("Content-Type".to_owned(), content_type.to_owned()));
            text
        });
        HttpRequest {
            method,
            url,
            headers,
            body,
            shown_url: None,
        }
    }

    /// A `POST` with a JSON body to a URL that is a secret: its `Debug` output shows only the
    /// URL's origin.
    pub(crate) fn post_json_secret(url: &super::SecretUrl, body: &Value) -> Self {
        let mut request = Self::post_json(url.as_str().to_owned(), body);
        request.shown_url = Some(url.redacted());
        request
    }

    /// Adds the credentials header.
    pub(crate) fn authorized(mut self, credentials: &Credentials) -> Result<Self, GuardError> {
        self.headers.push(credentials.header()?);
        Ok(self)
    }

    /// Adds an `Idempotency-Key` header (1..=255 visible ASCII characters).
    pub(crate) fn idempotent(mut self, key: &str) -> Result<Self, GuardError> {
        let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(GuardError::Config(
                "idempotency key must be 1 to 255 visible ASCII characters".to_owned(),
            ));
        }
        self.headers
            .push(("Idempotency-Key".to_owned(), key.to_owned()));
        Ok(self)
    }

    /// Adds caller-supplied headers (e.g. a dashboard's own auth). Names must be HTTP tokens,
    /// values visible ASCII, space or tab (no CR/LF); the error names the header, never its value.
    /// A header the request already carries (`Accept`, `Content-Type`, credentials) is replaced.
    pub fn with_headers(mut self, headers: &[(String, String)]) -> Result<Self, GuardError> {
        for (name, value) in headers {
            if !is_header_name(name) {
                return Err(GuardError::Config(
                    "a header name is empty or not an HTTP token".to_owned(),
                ));
            }
            if !is_header_value(value) {
                return Err(GuardError::Config(format!(
                    "header {name} holds characters an HTTP header cannot carry (CR, LF, controls or non-ASCII)"
                )));
            }
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            self.headers.push((name.clone(), value.clone()));
        }
        Ok(self)
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The absolute URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers, in sending order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }

    /// The body text, if any.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
}

/// Whether `name` is an RFC 9110 token (what `fetch` accepts as a header name).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Headers whose values are secrets.
fn is_secret_header(name: &str) -> bool {
    [
        "authorization",
        "x-api-key",
        "proxy-authorization",
        "cookie",
    ]
    .iter()
    .any(|secret| name.eq_ignore_ascii_case(secret))
}

impl fmt::Debug for HttpRequest {
    /// Prints secret headers, form bodies (they hold the client secret) and query strings (webhook
    /// URLs may carry a token there) as `[REDACTED]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match (&self.shown_url, self.url.split_once('?')) {
            (Some(shown), _) => shown.clone(),
            (None, Some((before, _))) => format!("{before}?{REDACTED}"),
            (None, None) => self.url.clone(),
        };
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_secret_header(name) {
                    REDACTED
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        let body = match (&self.body, self.header("Content-Type")) {
            (Some(_), Some(FORM)) => Some(REDACTED),
            (body, _) => body.as_deref(),
        };
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &headers)
            .field("body", &body)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_has_no_body_and_accepts_json() {
        let req = HttpRequest::get("https://h/x".into());
        assert_eq!(req.method(), Method::Get);
        assert_eq!(req.body(), None);
        assert_eq!(
            req.headers(),
            [("Accept".into(), "application/json".into())]
        );
        let post = HttpRequest::post_empty("https://h/x".into());
        assert_eq!(post.body(), None);
        assert_eq!(post.header("content-type"), None);
    }

    #[test]
    fn json_and_form_bodies_carry_their_content_type() {
        let req = HttpRequest::put_json("https://h/x".into(), &json!({"a": 1}));
        assert_eq!(req.method(), Method::Put);
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        assert_eq!(req.body(), Some("{\"a\":1}"));
        let form = HttpRequest::post_form("https://h/t".into(), "a=b".into());
        assert_eq!(
            form.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn serializes_camel_case_with_header_pairs() {
        let req = HttpRequest::post_json("https://h/x".into(), &json!({}))
            .idempotent("k-1")
            .unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "method": "POST",
                "url": "https://h/x",
                "headers": [["Accept", "application/json"], ["Content-Type", "application/json"],
                            ["Idempotency-Key", "k-1"]],
                "body": "{}"
            })
        );
        let get = serde_json::to_value(HttpRequest::get("https://h".into())).unwrap();
        assert!(get.get("body").is_none());
    }

    #[test]
    fn credentials_make_headers_and_refuse_injection() {
        let (name, value) = Credentials::ApiKey("k1".into()).header().unwrap();
        assert_eq!((name.as_str(), value.as_str()), ("X-API-Key", "k1"));
        let (name, value) = Credentials::Bearer("t1".into()).header().unwrap();
        assert_eq!(
            (name.as_str(), value.as_str()),
            ("Authorization", "Bearer t1")
        );
        for bad in ["", "a\r\nX-Evil: 1", "ключ"] {
            let err = Credentials::ApiKey(bad.into()).header().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::Config);
            assert!(!err.to_string().contains("Evil"));
        }
    }

    #[test]
    fn idempotency_key_is_validated() {
        let req = HttpRequest::get("https://h".into());
        assert!(req.clone().idempotent("").is_err());
        assert!(req.clone().idempotent("a b").is_err());
        assert!(req.clone().idempotent(&"k".repeat(256)).is_err());
        assert!(req.idempotent(&"k".repeat(255)).is_ok());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let req = HttpRequest::post_form(
            "https://h/hook?token=querysecret".into(),
            "client_secret=formsecret".into(),
        )
        .authorized(&Credentials::Bearer("tokensecret".into()))
        .unwrap();
        let shown = format!("{req:?} {:?}", Credentials::ApiKey("keysecret".into()));
        for secret in ["querysecret", "formsecret", "tokensecret", "keysecret"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(shown.contains("https://h/hook?[REDACTED]"));
        let json_req = HttpRequest::post_json("https://h".into(), &json!({"events": []}));
        assert!(format!("{json_req:?}").contains("{\\\"events\\\":[]}"));
    }
}
