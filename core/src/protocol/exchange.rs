//! What the driver performs for one [`super::Step::Send`]: an [`Exchange`] (the request with its
//! timeout, body limit and redirect rule), and how it can fail ([`Failure`]).

use crate::error::GuardError;
use crate::json::write;
use crate::profile::HttpRequest;

/// Redirects an exchange may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirects {
    /// Any (the request carries nothing secret).
    Follow,
    /// At most [`MAX_REDIRECTS`] hops, each to a URL that starts with this prefix once `.` and
    /// `..` are resolved (the request carries credentials meant for that prefix only). Any other
    /// redirect is handed back as the 3xx answer it is.
    Within(String),
    /// None: a 3xx is handed back as it is.
    Never,
}

/// Most redirect hops one exchange follows.
pub const MAX_REDIRECTS: u32 = 5;

/// One HTTP exchange for the driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The request, credentials included.
    pub request: HttpRequest,
    /// Abort it after this long (ms, at least 1).
    pub timeout_ms: u64,
    /// Cancel the body stream past this many bytes and report [`Failure::TooLarge`].
    pub max_body_bytes: u64,
    /// Which redirects to follow.
    pub redirects: Redirects,
    /// Whether the caller's `AbortSignal` aborts it (not for a cancel request sent after the
    /// signal fired).
    pub abortable: bool,
    /// Whether concurrent identical exchanges of one instance may be served by one fetch (the
    /// OAuth token request).
    pub shared: bool,
}

impl Exchange {
    /// The JSON text the JS driver reads (`{ method, url, headers, body?, maxBytes, redirect,
    /// within?, abortable, shared }`); it carries the credentials headers.
    pub fn to_wire(&self) -> String {
        let (redirect, within) = match &self.redirects {
            Redirects::Follow => ("follow", None),
            Redirects::Within(prefix) => ("manual", Some(prefix.as_str())),
            Redirects::Never => ("manual", None),
        };
        let mut out = String::with_capacity(128);
        out.push_str("{\"method\":");
        write::string(&mut out, self.request.method().as_str());
        out.push_str(",\"url\":");
        write::string(&mut out, self.request.url());
        out.push_str(",\"headers\":[");
        for (i, (name, value)) in self.request.headers().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            write::string(&mut out, name);
            out.push(',');
            write::string(&mut out, value);
            out.push(']');
        }
        out.push(']');
        if let Some(body) = self.request.body() {
            out.push_str(",\"body\":");
            write::string(&mut out, body);
        }
        out.push_str(",\"maxBytes\":");
        write::uint(&mut out, self.max_body_bytes);
        out.push_str(",\"redirect\":");
        write::string(&mut out, redirect);
        if let Some(within) = within {
            out.push_str(",\"within\":");
            write::string(&mut out, within);
        }
        out.push_str(",\"abortable\":");
        write::boolean(&mut out, self.abortable);
        out.push_str(",\"shared\":");
        write::boolean(&mut out, self.shared);
        out.push('}');
        out
    }
}

/// How an exchange ended without a usable answer, as the driver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Its timeout fired first.
    Timeout,
    /// No HTTP answer (refused, reset, DNS, CORS, a body that broke off, a `fetch` that threw).
    Network(String),
    /// The body was longer than [`Exchange::max_body_bytes`].
    TooLarge,
    /// What `fetch` gave was not a usable response (no status, a throwing getter, ...).
    Malformed(String),
}

impl Failure {
    /// The wire code the JS driver uses: 1 timeout, 2 network, 3 too large, 4 malformed.
    pub fn from_code(code: u32, message: String) -> Self {
        match code {
            1 => Failure::Timeout,
            3 => Failure::TooLarge,
            4 => Failure::Malformed(message),
            _ => Failure::Network(message),
        }
    }

    /// The error this failure is for `exchange`.
    pub fn into_error(self, exchange: &Exchange) -> GuardError {
        match self {
            Failure::Timeout => GuardError::Timeout {
                timeout_ms: exchange.timeout_ms,
                attempts: 1,
                endpoint_id: None,
            },
            Failure::Network(message) => GuardError::Network {
                message: crate::profile::problem::clip(&message),
                attempts: 1,
                endpoint_id: None,
            },
            Failure::TooLarge => GuardError::TooLarge {
                limit_bytes: exchange.max_body_bytes,
            },
            Failure::Malformed(message) => GuardError::BadResponse(format!(
                "fetch gave no usable response: {}",
                crate::profile::problem::clip(&message)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{BaseUrl, Credentials};

    fn exchange(redirects: Redirects) -> Exchange {
        let base = BaseUrl::new("https://api.example.com/base", false).unwrap();
        let request = crate::profile::seed_v1::execution_status(
            &base,
            &Credentials::ApiKey("key-1234".into()),
            "e1",
        )
        .unwrap();
        Exchange {
            request,
            timeout_ms: 500,
            max_body_bytes: 1024,
            redirects,
            abortable: true,
            shared: false,
        }
    }

    #[test]
    fn the_wire_form_names_the_redirect_rule() {
        let wire: serde_json::Value = serde_json::from_str(
            &exchange(Redirects::Within("https://api.example.com/base/".into())).to_wire(),
        )
        .unwrap();
        assert_eq!(wire["redirect"], "manual");
        assert_eq!(wire["within"], "https://api.example.com/base/");
        assert_eq!(wire["maxBytes"], 1024);
        assert_eq!(wire["method"], "GET");
        assert!(wire.get("body").is_none());
        let wire: serde_json::Value =
            serde_json::from_str(&exchange(Redirects::Never).to_wire()).unwrap();
        assert_eq!(wire["redirect"], "manual");
        assert!(wire.get("within").is_none());
        let wire: serde_json::Value =
            serde_json::from_str(&exchange(Redirects::Follow).to_wire()).unwrap();
        assert_eq!(wire["redirect"], "follow");
    }

    #[test]
    fn the_wire_text_is_the_drivers_shape_with_every_string_escaped() {
        let mut ex = exchange(Redirects::Within("https://h/\"q\"".into()));
        ex.request = HttpRequest::post_json(
            "https://h/a\\b".into(),
            &serde_json::json!({ "k": "line\n\u{1}é" }),
        )
        .with_headers(&[("X-A".into(), "v \"w\"".into())])
        .unwrap();
        ex.shared = true;
        assert_eq!(
            ex.to_wire(),
            r#"{"method":"POST","url":"https://h/a\\b","headers":[["Accept","application/json"],["Content-Type","application/json"],["X-A","v \"w\""]],"body":"{\"k\":\"line\\n\\u0001é\"}","maxBytes":1024,"redirect":"manual","within":"https://h/\"q\"","abortable":true,"shared":true}"#
        );
    }

    #[test]
    fn failures_become_their_errors() {
        let ex = exchange(Redirects::Follow);
        assert_eq!(
            Failure::from_code(1, String::new()).into_error(&ex).code(),
            crate::ErrorCode::Timeout
        );
        let too_large = Failure::from_code(3, String::new()).into_error(&ex);
        assert_eq!(too_large.fields().reason, Some("TOO_LARGE"));
        assert_eq!(too_large.code(), crate::ErrorCode::BadResponse);
        assert_eq!(
            Failure::from_code(4, "status getter threw".into())
                .into_error(&ex)
                .code(),
            crate::ErrorCode::BadResponse
        );
        assert_eq!(
            Failure::from_code(99, "x".into()).into_error(&ex).code(),
            crate::ErrorCode::Network
        );
    }
}
