//! OAuth2 client credentials, shared by both profiles: the token request and its answer.

use super::problem::{clip, describe, parse_error};
use super::request::{Credentials, HttpRequest, REDACTED};
use super::url::{form_encode, BaseUrl, TargetUrl};
use super::{count, is_success, parse_json_body, str_member, ApiProfile};
use crate::error::GuardError;
use serde_json::{Map, Value};
use std::fmt;

/// `POST` of the client credentials grant to the profile's token endpoint (or to
/// `token_url_override`), form-encoded `grant_type=client_credentials&client_id&client_secret&scope`
/// with the scopes space-joined (`scope` is left out when there are none).
pub fn token_request(
    profile: ApiProfile,
    base: &BaseUrl,
    client_id: &str,
    client_secret: &str,
    scopes: &[String],
    token_url_override: Option<&TargetUrl>,
) -> Result<HttpRequest, GuardError> {
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(GuardError::Config(
            "OAuth needs a non-empty clientId and clientSecret".to_owned(),
        ));
    }
    // RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
    let valid_scope = |scope: &String| {
        !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    if !scopes.iter().all(valid_scope) {
        return Err(GuardError::Config(
            "each OAuth scope must be non-empty printable ASCII without spaces, '\"' or '\\'"
                .to_owned(),
        ));
    }
    let url = match token_url_override {
        Some(url) => url.as_str().to_owned(),
        None => base.join(profile.token_path()),
    };
    let scope = scopes.join(" ");
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
    ];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    Ok(HttpRequest::post_form(url, form_encode(&form)))
}

/// An OAuth2 access token. `Debug` hides the token itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer` (as the server spelled it).
    pub token_type: String,
    /// Lifetime in seconds from when the answer arrived.
    pub expires_in_s: u64,
    /// Scopes granted, when the server said.
    pub scope: Option<String>,
}

impl Token {
    /// The credentials to send with API calls.
    pub fn credentials(&self) -> Credentials {
        Credentials::Bearer(self.access_token.clone())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in_s", &self.expires_in_s)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Reads a token endpoint's answer. 408/429/5xx are reported like any API error (so they can be
/// retried); other refusals, and a 2xx carrying an OAuth `error`, are [`GuardError::Auth`] with
/// the status and the OAuth `error`/`error_description`. A 2xx without a usable `access_token` or
/// `expires_in` (a number or numeric string), or with a non-Bearer `token_type`, is
/// [`GuardError::BadResponse`]. `client_secret` is blanked out of any server text that echoes it.
pub fn parse_token_answer(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    client_secret: &str,
) -> Result<Token, GuardError> {
    // Scrub the raw text before it is clipped (a clipped echo would keep part of the secret),
    // and the decoded text after (JSON escapes can spell the secret differently).
    let error_body = || match client_secret {
        "" => body.to_owned(),
        secret => body.replace(secret, REDACTED),
    };
    if status == 408 || status == 429 || status >= 500 {
        return Err(scrub(
            parse_error(status, headers, &error_body()),
            client_secret,
        ));
    }
    let refused = |status: u16| {
        let described = describe(status, headers, &error_body());
        scrub(
            GuardError::Auth {
                message: format!(
                    "token request refused (HTTP {status}): {}",
                    described.message
                ),
                status: Some(status),
                problem: described.problem,
            },
            client_secret,
        )
    };
    if !is_success(status) {
        return Err(refused(status));
    }
    let Value::Object(answer) = parse_json_body(body)? else {
        return Err(bad("the token answer is not a JSON object"));
    };
    if answer.contains_key("error") {
        return Err(refused(status));
    }
    token_from(&answer)
}

fn token_from(answer: &Map<String, Value>) -> Result<Token, GuardError> {
    let access_token = str_member(answer, "access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("the token answer has no access_token"))?;
    let token_type = str_member(answer, "token_type").unwrap_or("Bearer");
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(bad(&format!(
            "unsupported token_type {:?}; only Bearer is supported",
            clip(token_type)
        )));
    }
    let expires_in_s = answer
        .get("expires_in")
        .and_then(|v| count(v).or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
        .ok_or_else(|| bad("the token answer has no valid expires_in"))?;
    Ok(Token {
        access_token: access_token.to_owned(),
        token_type: token_type.to_owned(),
        expires_in_s,
        scope: str_member(answer, "scope").map(clip),
    })
}

fn bad(message: &str) -> GuardError {
    GuardError::BadResponse(message.to_owned())
}

/// Replaces every occurrence of `secret` in the error's server-provided text.
fn scrub(error: GuardError, secret: &str) -> GuardError {
    if secret.is_empty() {
        return error;
    }
    let clean = |text: String| text.replace(secret, REDACTED);
    match error {
        GuardError::Auth {
            message,
            status,
            problem,
        } => GuardError::Auth {
            message: clean(message),
            status,
            problem: problem.map(|p| scrub_value(p, secret)),
        },
        GuardError::Http {
            status,
            message,
            problem,
            attempts,
            endpoint_id,
        } => GuardError::Http {
            status,
            message: clean(message),
            problem: problem.map(|p| scrub_value(p, secret)),
            attempts,
            endpoint_id,
        },
        other => other,
    }
}

/// Scrubs the strings of a bounded problem value (its depth is bounded by the JSON parser).
fn scrub_value(value: Value, secret: &str) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace(secret, REDACTED)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| scrub_value(item, secret))
                .collect(),
        ),
        Value::Object(map) => {
            // Filled by `insert` (the later of two keys that scrub alike wins, as with `collect`):
            // `collect` into a map sorts, one more sort in the binary.
            let mut out = Map::new();
            for (key, item) in map {
                out.insert(key.replace(secret, REDACTED), scrub_value(item, secret));
            }
            Value::Object(out)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Method;
    use crate::ErrorCode;

    const SECRET: &str = "s3cr3t+/=&";

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn token_request_per_profile() {
        let base = BaseUrl::new("https://api-trial.cognigy.ai/", false).unwrap();
        let seed = token_request(
            ApiProfile::SeedV1,
            &base,
            "client-1",
            SECRET,
            &scopes(&["externalService:write", "metrics:write"]),
            None,
        )
        .unwrap();
        assert_eq!(seed.method(), Method::Post);
        assert_eq!(seed.url(), "https://api-trial.cognigy.ai/auth/oauth/token");
        assert_eq!(
            seed.headers(),
            [
                ("Accept".to_owned(), "application/json".to_owned()),
                (
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned()
                )
            ]
        );
        assert_eq!(
            seed.body(),
            Some(
                "grant_type=client_credentials&client_id=client-1&client_secret=s3cr3t%2B%2F%3D%26\
                 &scope=externalService%3Awrite+metrics%3Awrite"
            )
        );
        let v2 = token_request(ApiProfile::CognigyV2, &base, "c", "s", &[], None).unwrap();
        assert_eq!(v2.url(), "https://api-trial.cognigy.ai/auth/oauth2/token");
        assert_eq!(
            v2.body(),
            Some("grant_type=client_credentials&client_id=c&client_secret=s")
        );
        let custom = TargetUrl::new("https://login.example.com/token?tenant=1", false).unwrap();
        let req =
            token_request(ApiProfile::CognigyV2, &base, "c", "s", &[], Some(&custom)).unwrap();
        assert_eq!(req.url(), "https://login.example.com/token?tenant=1");
    }

    #[test]
    fn token_request_refuses_bad_input() {
        let base = BaseUrl::new("https://h", false).unwrap();
        for (id, secret, scope) in [
            ("", "s", "a"),
            ("c", "", "a"),
            ("c", "s", "a b"),
            ("c", "s", ""),
        ] {
            let err = token_request(
                ApiProfile::SeedV1,
                &base,
                id,
                secret,
                &scopes(&[scope]),
                None,
            )
            .unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config);
        }
    }

    #[test]
    fn good_token_answers() {
        let token = parse_token_answer(
            200,
            &[],
            r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":3600,"scope":"test:read"}"#,
            SECRET,
        )
        .unwrap();
        assert_eq!(
            token,
            Token {
                access_token: "tok-1".into(),
                token_type: "Bearer".into(),
                expires_in_s: 3600,
                scope: Some("test:read".into())
            }
        );
        assert_eq!(token.credentials(), Credentials::Bearer("tok-1".into()));
        let token = parse_token_answer(
            200,
            &[],
            r#"{"access_token":"t","token_type":"bearer","expires_in":"60","extra":1}"#,
            SECRET,
        )
        .unwrap();
        assert_eq!((token.expires_in_s, token.scope), (60, None));
        let token =
            parse_token_answer(200, &[], r#"{"access_token":"t","expires_in":1}"#, "").unwrap();
        assert_eq!(token.token_type, "Bearer");
    }

    #[test]
    fn oauth_errors_become_auth_errors_without_the_secret() {
        let long_echo = format!(
            r#"{{"error":"invalid_client","error_description":"{}{SECRET}"}}"#,
            "x".repeat(290)
        );
        let err = parse_token_answer(401, &[], &long_echo, SECRET).unwrap_err();
        assert!(!err.to_string().contains("s3cr"), "{err}");
        let escaped = r#"{"error":"invalid_client","error_description":"s3cr3t+\/=&"}"#;
        let err = parse_token_answer(401, &[], escaped, SECRET).unwrap_err();
        assert!(!err.to_string().contains(SECRET), "{err}");
        let body = format!(
            r#"{{"error":"invalid_client","error_description":"client secret {SECRET} is wrong"}}"#
        );
        let err = parse_token_answer(401, &[], &body, SECRET).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Auth);
        let message = err.to_string();
        assert_eq!(
            message,
            "token request refused (HTTP 401): invalid_client: client secret [REDACTED] is wrong"
        );
        assert_eq!(err.fields().status, Some(401));
        let err = parse_token_answer(
            400,
            &[],
            r#"{"error":"invalid_scope","error_description":"scope test:admin not allowed"}"#,
            SECRET,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "token request refused (HTTP 400): invalid_scope: scope test:admin not allowed"
        );
        let err = parse_token_answer(200, &[], r#"{"error":"access_denied"}"#, SECRET).unwrap_err();
        assert_eq!(
            err.to_string(),
            "token request refused (HTTP 200): access_denied"
        );
        let problem = format!(r#"{{"title":"Unauthorized","status":401,"detail":"{SECRET}"}}"#);
        let err = parse_token_answer(401, &[], &problem, SECRET).unwrap_err();
        let shown = format!("{err:?} {}", serde_json::to_string(&err.fields()).unwrap());
        assert!(!shown.contains(SECRET), "{shown}");
    }

    #[test]
    fn retryable_token_failures_keep_their_kind() {
        let headers = vec![("Retry-After".to_owned(), "3".to_owned())];
        let err = parse_token_answer(429, &headers, "", SECRET).unwrap_err();
        assert_eq!(err.fields().retry_after_ms, Some(3000));
        let body = format!(r#"{{"message":"db down for {SECRET}"}}"#);
        let err = parse_token_answer(503, &[], &body, SECRET).unwrap_err();
        assert_eq!(err.to_string(), "HTTP 503: db down for [REDACTED]");
    }

    #[test]
    fn malformed_token_answers_are_bad_responses() {
        for body in [
            "",
            "{",
            "[]",
            r#"{"token_type":"Bearer","expires_in":1}"#,
            r#"{"access_token":"","expires_in":1}"#,
            r#"{"access_token":7,"expires_in":1}"#,
            r#"{"access_token":"t"}"#,
            r#"{"access_token":"t","expires_in":-5}"#,
            r#"{"access_token":"t","expires_in":"soon"}"#,
            r#"{"access_token":"t","expires_in":1,"token_type":"mac"}"#,
        ] {
            let err = parse_token_answer(200, &[], body, SECRET).unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadResponse, "{body}");
        }
    }

    #[test]
    fn debug_hides_tokens() {
        let token = Token {
            access_token: "tok-secret".into(),
            token_type: "Bearer".into(),
            expires_in_s: 1,
            scope: None,
        };
        let shown = format!("{token:?} {:?}", token.credentials());
        assert!(!shown.contains("tok-secret"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }

    proptest::proptest! {
        #[test]
        fn token_parser_never_panics(status in 0u16..1000, body in ".{0,200}") {
            let _ = parse_token_answer(status, &[], &body, "x");
        }
    }
}
