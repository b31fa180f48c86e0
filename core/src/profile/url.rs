//! URL handling without a URL crate: base URL validation and joining, path-segment escaping,
//! query and form encoding, and the transport rule (no credentials over plain HTTP to a remote
//! host unless the user said `allowInsecureHttp`).
//!
//! Error messages never quote the input URL: it may carry user info or a token.

use crate::error::GuardError;
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest id accepted as a path segment (before escaping).
pub const MAX_SEGMENT_CHARS: usize = 512;

/// A validated API or webhook base URL: `http`/`https`, a host, optional port and path prefix, no
/// user info, query or fragment, no trailing slash. Every value has passed the transport rule
/// ([`check_transport`]) when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// The base and a `/` ([`Self::scope`]); the base is all of it but the last byte.
    scope: String,
    loopback: bool,
}

impl BaseUrl {
    /// Parses and validates `input`, then applies the transport rule: `http://` is only accepted for
    /// a loopback host or when `allow_insecure_http` is set.
    pub fn new(input: &str, allow_insecure_http: bool) -> Result<Self, GuardError> {
        let parts = split(input)?;
        if parts.query.is_some() {
            return Err(config("a base URL must not have a query string"));
        }
        let prefix = parts.path.trim_end_matches('/');
        if !prefix.is_empty() && prefix.split('/').skip(1).any(is_bad_prefix_segment) {
            return Err(config(
                "a base URL path must not contain empty, '.' or '..' segments",
            ));
        }
        parts.check_transport(allow_insecure_http)?;
        let port = parts.port.map(|p| format!(":{p}")).unwrap_or_default();
        Ok(BaseUrl {
            scope: format!("{}://{}{port}{prefix}/", parts.scheme, parts.host),
            loopback: parts.loopback,
        })
    }

    /// Whether the host is `localhost`, in 127.0.0.0/8 or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The normalised URL (no trailing slash).
    pub fn as_str(&self) -> &str {
        self.scope
            .get(..self.scope.len().saturating_sub(1))
            .unwrap_or_default()
    }

    /// The prefix every URL under this base starts with (the base and a `/`): credentials meant
    /// for the base follow a redirect only to a URL with this prefix.
    pub fn scope(&self) -> String {
        self.scope.clone()
    }

    /// Appends `path`, which must start with `/` and hold only escaped segments (see
    /// [`path_segment`]).
    pub fn join(&self, path: &str) -> String {
        let base = self.as_str();
        let mut url = String::with_capacity(base.len() + path.len());
        url.push_str(base);
        url.push_str(path);
        url
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated absolute URL used exactly as given (a CI webhook, a token URL): same rules as
/// [`BaseUrl`] except that a query string is allowed and nothing is normalised.
#[derive(Clone, PartialEq, Eq)]
pub struct TargetUrl {
    url: String,
}

impl TargetUrl {
    /// Validates `input` (surrounding whitespace is trimmed) and applies the transport rule.
    pub fn new(input: &str, allow_insecure_http: bool) -> Result<Self, GuardError> {
        split(input)?.check_transport(allow_insecure_http)?;
        Ok(TargetUrl {
            url: input.trim().to_owned(),
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for TargetUrl {
    /// Hides the query string: webhook URLs often carry a token there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.url.split_once('?') {
            Some((before, _)) => write!(f, "TargetUrl({before}?[REDACTED])"),
            None => write!(f, "TargetUrl({})", self.url),
        }
    }
}

/// A validated absolute URL that is a secret itself (a Cognigy REST Endpoint URL: its path holds the
/// URL token). Same rules as [`TargetUrl`]; `Debug` and `Display` show only its origin followed by `…`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    url: String,
    origin: String,
}

impl SecretUrl {
    /// Validates `input` (surrounding whitespace is trimmed) and applies the transport rule. Errors
    /// never quote the input.
    pub fn new(input: &str, allow_insecure_http: bool) -> Result<Self, GuardError> {
        let parts = split(input)?;
        parts.check_transport(allow_insecure_http)?;
        let origin = match parts.port {
            Some(port) => format!("{}://{}:{port}", parts.scheme, parts.host),
            None => format!("{}://{}", parts.scheme, parts.host),
        };
        Ok(SecretUrl {
            url: input.trim().to_owned(),
            origin,
        })
    }

    /// The whole URL, for the request only: never put it in a message, report or log.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// What may be shown of it: `scheme://host[:port]…`.
    pub fn redacted(&self) -> String {
        format!("{}…", self.origin)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Validates `url` and applies the transport rule: `http://` is refused unless the host is
/// loopback or `allow_insecure_http` is set.
pub fn check_transport(url: &str, allow_insecure_http: bool) -> Result<(), GuardError> {
    TargetUrl::new(url, allow_insecure_http).map(drop)
}

/// Percent-encodes an untrusted id (endpoint, suite, execution, task, playbook, run, flow) for use as
/// one URL path segment: RFC 3986 unreserved characters are kept, every other byte is `%XX`.
/// Empty, `.` and `..` are refused, as are ids longer than [`MAX_SEGMENT_CHARS`]; `what` names the id
/// in the message.
pub fn path_segment(what: &str, id: &str) -> Result<String, GuardError> {
    if id.is_empty() || id == "." || id == ".." {
        return Err(config(&format!("{what} must not be empty, '.' or '..'")));
    }
    if id.chars().count() > MAX_SEGMENT_CHARS {
        return Err(config(&format!(
            "{what} is longer than {MAX_SEGMENT_CHARS} characters"
        )));
    }
    Ok(percent_encode(id, false))
}

/// `url` with the `.` and `..` segments of its path resolved as RFC 3986 (5.2.4) and browsers
/// do, percent-encoded ones (`%2e`, `%2E.`, ...) included; the scheme, authority and query are
/// kept as given. `..` never climbs above the root.
pub fn resolve_dot_segments(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i.saturating_add(3));
    let path_start = url
        .get(authority_start..)
        .and_then(|rest| rest.find(['/', '?']))
        .map_or(url.len(), |i| authority_start.saturating_add(i));
    let path_end = url
        .get(path_start..)
        .and_then(|rest| rest.find('?'))
        .map_or(url.len(), |i| path_start.saturating_add(i));
    let (Some(head), Some(path), Some(tail)) = (
        url.get(..path_start),
        url.get(path_start..path_end),
        url.get(path_end..),
    ) else {
        return url.to_owned();
    };
    if path.is_empty() {
        return url.to_owned();
    }
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.into_iter().enumerate() {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        match decoded.as_str() {
            "." | ".." => {
                if decoded == ".." {
                    kept.pop();
                }
                // A trailing dot segment leaves the directory: `/a/b/..` is `/a/`.
                if i == last {
                    kept.push("");
                }
            }
            _ => kept.push(segment),
        }
    }
    format!("{head}/{}{tail}", kept.join("/"))
}

/// `?k=v&k2=v2` with every key and value percent-encoded; empty for no pairs.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    format!("?{}", encode_pairs(pairs, false))
}

/// An `application/x-www-form-urlencoded` body (spaces become `+`).
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    encode_pairs(pairs, true)
}

fn encode_pairs(pairs: &[(&str, &str)], space_as_plus: bool) -> String {
    pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{}={}",
                percent_encode(key, space_as_plus),
                percent_encode(value, space_as_plus)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Keeps RFC 3986 unreserved bytes, writes every other byte of the UTF-8 text as `%XX`.
pub(crate) fn percent_encode(text: &str, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' if space_as_plus => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

/// The pieces of an absolute http(s) URL.
struct Parts<'a> {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
    path: &'a str,
    query: Option<&'a str>,
    loopback: bool,
}

impl Parts<'_> {
    fn check_transport(&self, allow_insecure_http: bool) -> Result<(), GuardError> {
        if self.scheme == "https" || self.loopback || allow_insecure_http {
            return Ok(());
        }
        Err(GuardError::Config(format!(
            "refusing http:// to {}: credentials and data would travel in clear text; use https:// \
             or set allowInsecureHttp: true (trusted networks only)",
            self.host
        )))
    }
}

/// Splits and validates an absolute URL. Accepts only printable ASCII from RFC 3986's character set
/// with well-formed `%XX` escapes, so nothing a browser would reinterpret (`\`, spaces, controls)
/// gets through.
fn split(input: &str) -> Result<Parts<'_>, GuardError> {
    let url = input.trim();
    if !url.bytes().all(is_uri_byte) || !valid_escapes(url) {
        return Err(config(
            "URL holds characters that must be percent-encoded (spaces, non-ASCII, '\\', ...) or a \
             malformed %-escape",
        ));
    }
    if url.contains('#') {
        return Err(config("URL must not have a fragment ('#')"));
    }
    let (scheme, rest) =
        strip_scheme(url).ok_or_else(|| config("URL must start with https:// (or http://)"))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(config(
            "URL must not contain user info (credentials belong in the auth options)",
        ));
    }
    let (host, port, loopback) = split_authority(authority)?;
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    Ok(Parts {
        scheme,
        host,
        port,
        path,
        query,
        loopback,
    })
}

fn strip_scheme(url: &str) -> Option<(&'static str, &str)> {
    [("https", "https://"), ("http", "http://")]
        .into_iter()
        .find_map(|(scheme, prefix)| {
            let head = url.get(..prefix.len())?;
            let rest = url.get(prefix.len()..)?;
            head.eq_ignore_ascii_case(prefix).then_some((scheme, rest))
        })
}

/// Host (lower-cased, IPv6 in brackets), optional port, and whether the host is loopback.
fn split_authority(authority: &str) -> Result<(String, Option<u16>, bool), GuardError> {
    let (host, port, loopback) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or_else(|| config("URL has an unterminated IPv6 address"))?;
        let ip: Ipv6Addr = inside
            .parse()
            .map_err(|_| config("URL has an invalid IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| config("URL has text after its IPv6 address"))?,
            ),
        };
        (format!("[{ip}]"), port, ip.is_loopback())
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let labels = host.strip_suffix('.').unwrap_or(host);
        let valid = labels.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        });
        if !valid {
            return Err(config("URL must have a host name or IP address"));
        }
        let host = host.to_ascii_lowercase();
        let loopback =
            host == "localhost" || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
        (host, port, loopback)
    };
    let port = port
        .map(|p| {
            Some(p)
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p != 0)
                .ok_or_else(|| config("URL port must be a number from 1 to 65535"))
        })
        .transpose()?;
    Ok((host, port, loopback))
}

fn is_uri_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&byte)
}

fn valid_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i.saturating_add(1)..i.saturating_add(3))
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// `.`/`..` (also percent-encoded, which browsers treat the same) or empty.
fn is_bad_prefix_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded.is_empty() || decoded == "." || decoded == ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn base(url: &str) -> BaseUrl {
        BaseUrl::new(url, false).unwrap()
    }

    fn config_error(result: Result<impl fmt::Debug, GuardError>) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Config);
        err.to_string()
    }

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            base("https://api-trial.cognigy.ai/").as_str(),
            "https://api-trial.cognigy.ai"
        );
        assert_eq!(
            base("  HTTPS://API.Example.COM:8443//  ").as_str(),
            "https://api.example.com:8443"
        );
        assert_eq!(base("https://host/prefix/").as_str(), "https://host/prefix");
        assert_eq!(base("https://host/a/b").join("/x"), "https://host/a/b/x");
        assert_eq!(base("http://[::1]:3000").as_str(), "http://[::1]:3000");
        assert_eq!(base("https://host").to_string(), "https://host");
    }

    #[test]
    fn bad_base_urls_are_refused_without_echoing_them() {
        let cases = [
            "ftp://host",
            "host.example",
            "https://",
            "https://:443",
            "https://user:pw@host",
            "https://host?x=1",
            "https://host/#frag",
            "https://host/a b",
            "https://hóst",
            "https://host\\evil.com",
            "https://host:0",
            "https://host:99999",
            "https://host:",
            "https://host:+80",
            "https://a..b",
            "https://.",
            "https://[::1",
            "https://[zz]",
            "https://[::1]x",
            "https://host/%zz",
            "https://host/a/../b",
            "https://host/a//b",
            "https://host/%2E%2e/b",
        ];
        for case in cases {
            let message = config_error(BaseUrl::new(case, true));
            assert!(!message.contains("pw"), "{case}: {message}");
        }
    }

    #[test]
    fn loopback_detection() {
        for url in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://127.9.8.7:1",
            "http://[::1]",
            "http://[0:0:0:0:0:0:0:1]/x",
            "http://LOCALHOST",
        ] {
            assert!(base(url).is_loopback(), "{url}");
        }
        for url in [
            "https://localhost.evil.com",
            "https://128.0.0.1",
            "https://[::2]",
            "https://127.1",
            "https://example.com",
        ] {
            assert!(!base(url).is_loopback(), "{url}");
        }
    }

    #[test]
    fn secret_urls_show_only_their_origin() {
        let url =
            SecretUrl::new(" https://endpoint-trial.cognigy.ai/0123abcdTOKEN ", false).unwrap();
        assert_eq!(
            url.as_str(),
            "https://endpoint-trial.cognigy.ai/0123abcdTOKEN"
        );
        assert_eq!(url.redacted(), "https://endpoint-trial.cognigy.ai…");
        assert_eq!(url.to_string(), url.redacted());
        assert!(!format!("{url:?}").contains("TOKEN"));
        let local = SecretUrl::new("http://127.0.0.1:8787/endpoint/tok?x=1", false).unwrap();
        assert_eq!(local.redacted(), "http://127.0.0.1:8787…");
        let refused = config_error(SecretUrl::new("http://example.com/SECRETTOKEN", false));
        assert!(!refused.contains("SECRETTOKEN"), "{refused}");
        assert!(SecretUrl::new("https://host/a b", false).is_err());
    }

    #[test]
    fn transport_rule() {
        assert!(check_transport("http://localhost:8080/hook", false).is_ok());
        assert!(check_transport("http://127.0.0.1/hook", false).is_ok());
        assert!(check_transport("https://example.com/hook?token=1", false).is_ok());
        let message = config_error(check_transport("http://example.com/hook", false));
        assert!(message.contains("clear text"), "{message}");
        assert!(message.contains("allowInsecureHttp"), "{message}");
        assert!(check_transport("http://example.com/hook", true).is_ok());
        assert!(BaseUrl::new("http://10.0.0.5", false).is_err());
        assert!(BaseUrl::new("http://10.0.0.5", true).is_ok());
        // A host that merely looks like loopback is not exempt.
        assert!(check_transport("http://127.0.0.1.nip.io", false).is_err());
    }

    #[test]
    fn target_urls_are_kept_as_given() {
        let url = TargetUrl::new(" https://ci.example.com/hooks/X/?token=abc ", false).unwrap();
        assert_eq!(url.as_str(), "https://ci.example.com/hooks/X/?token=abc");
        assert_eq!(
            format!("{url:?}"),
            "TargetUrl(https://ci.example.com/hooks/X/?[REDACTED])"
        );
        config_error(TargetUrl::new("https://ci.example.com/#x", false));
    }

    #[test]
    fn path_segments_escape_hostile_ids() {
        let seg = |id: &str| path_segment("taskId", id).unwrap();
        assert_eq!(seg("ext_svc.weather-01~"), "ext_svc.weather-01~");
        assert_eq!(seg("../x"), "..%2Fx");
        assert_eq!(seg("a/b"), "a%2Fb");
        assert_eq!(seg("%2e%2e"), "%252e%252e");
        assert_eq!(seg("a b"), "a%20b");
        assert_eq!(seg("ü"), "%C3%BC");
        assert_eq!(seg("a?b#c"), "a%3Fb%23c");
        assert_eq!(seg("..."), "...");
        for bad in ["", ".", ".."] {
            let message = config_error(path_segment("taskId", bad));
            assert!(message.starts_with("taskId must not be empty"), "{message}");
        }
        assert!(path_segment("x", &"a".repeat(MAX_SEGMENT_CHARS)).is_ok());
        config_error(path_segment("x", &"a".repeat(MAX_SEGMENT_CHARS + 1)));
    }

    #[test]
    fn query_and_form_encoding() {
        assert_eq!(query_string(&[]), "");
        assert_eq!(
            query_string(&[("limit", "100"), ("skip", "0")]),
            "?limit=100&skip=0"
        );
        assert_eq!(query_string(&[("q", "a b&c")]), "?q=a%20b%26c");
        assert_eq!(
            form_encode(&[("scope", "test:execute test:read"), ("s", "p+=&%")]),
            "scope=test%3Aexecute+test%3Aread&s=p%2B%3D%26%25"
        );
    }

    proptest::proptest! {
        #[test]
        fn url_parsing_never_panics(input in ".{0,80}") {
            let _ = BaseUrl::new(&input, false);
            let _ = TargetUrl::new(&input, true);
        }

        #[test]
        fn path_segments_never_contain_delimiters(id in ".{1,40}") {
            if let Ok(seg) = path_segment("id", &id) {
                proptest::prop_assert!(!seg.contains(['/', '?', '#', ' ']));
                proptest::prop_assert!(seg != "." && seg != "..");
            }
        }
    }
}
