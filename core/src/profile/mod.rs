//! API profiles: request builders and response parsers for the two wire dialects cognigy-guard
//! speaks (`seed-v1`, the paths of the seed documents, and `cognigy-v2`, the real platform), so the
//! wasm boundary never assembles a URL or reads a JSON field by hand. See `docs/WIRE.md`.
//!
//! Builders return an [`HttpRequest`] the boundary hands to `fetch` unchanged; parsers take the
//! status, the response headers and the body text and return typed values or a [`GuardError`].

pub mod cognigy_v2;
pub mod custom;
pub mod endpoint;
pub mod oauth;
pub mod problem;
pub mod request;
pub mod seed_v1;
pub mod simulator;
pub mod url;
pub mod webhook;

pub use problem::{parse_error, retry_after_header};
pub use request::{Credentials, HttpRequest, Method};
pub use url::{check_transport, path_segment, BaseUrl, SecretUrl, TargetUrl};

use crate::error::GuardError;
use crate::json::parse_untrusted;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which wire dialect a client speaks. Serialized as `"seed-v1"` / `"cognigy-v2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ApiProfile {
    /// The REST paths the seed documents use (served by the simulator, not by the platform).
    #[serde(rename = "seed-v1")]
    SeedV1,
    /// The real Cognigy REST API (`/new/v2.0/...`).
    #[default]
    #[serde(rename = "cognigy-v2")]
    CognigyV2,
}

/// What a profile offers and needs, as data: the boundary reads this table instead of branching
/// on the profile.
#[derive(Debug, PartialEq, Eq)]
pub struct ProfileSpec {
    /// The profile.
    pub profile: ApiProfile,
    /// Its wire name.
    pub name: &'static str,
    /// Path of the OAuth token endpoint under the base URL.
    pub token_path: &'static str,
    /// OAuth scopes a `TimeoutManager` requests when `auth.scopes` is not given.
    pub guard_scopes: &'static [&'static str],
    /// OAuth scopes a `TimeoutManager` client must have.
    pub guard_required_scopes: &'static [&'static str],
    /// Whether a `TimeoutManager` may authenticate with an API key.
    pub guard_api_key: bool,
    /// Whether `configureTimeout` also uploads the policy (`PUT`).
    pub remote_configure: bool,
    /// Whether `invokeExternalService` exists.
    pub invoke: bool,
    /// OAuth scopes a `TestSuiteRunner` requests when `auth.scopes` is not given.
    pub suite_scopes: &'static [&'static str],
    /// Whether the seed-v1 execution API (`run`, `submit`, `waitForCompletion`, `fetchResults`)
    /// exists.
    pub executions: bool,
    /// Whether Cognigy Playbooks (`runPlaybook`) exist.
    pub playbooks: bool,
}

/// Every profile.
pub const PROFILES: [ProfileSpec; 2] = [
    ProfileSpec {
        profile: ApiProfile::SeedV1,
        name: "seed-v1",
        token_path: "/auth/oauth/token",
        guard_scopes: &[
            "externalService:write",
            "bot:read",
            "metrics:write",
            "audit:write",
        ],
        guard_required_scopes: &["externalService:write", "metrics:write"],
        guard_api_key: false,
        remote_configure: true,
        invoke: true,
        suite_scopes: &["test:execute", "test:read", "webhook:write"],
        executions: true,
        playbooks: false,
    },
    ProfileSpec {
        profile: ApiProfile::CognigyV2,
        name: "cognigy-v2",
        token_path: "/auth/oauth2/token",
        guard_scopes: &[],
        guard_required_scopes: &[],
        guard_api_key: true,
        remote_configure: false,
        invoke: false,
        suite_scopes: &[],
        executions: false,
        playbooks: true,
    },
];

impl ApiProfile {
    /// Parses `"seed-v1"` or `"cognigy-v2"`; anything else is a [`GuardError::Config`].
    pub fn parse(name: &str) -> Result<Self, GuardError> {
        PROFILES
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.profile)
            .ok_or_else(|| {
                GuardError::Config(format!(
                    "unknown api profile {:?}; expected \"cognigy-v2\" or \"seed-v1\"",
                    problem::clip(name)
                ))
            })
    }

    /// The profile's row of [`PROFILES`].
    pub fn spec(self) -> &'static ProfileSpec {
        match self {
            ApiProfile::SeedV1 => &PROFILES[0],
            ApiProfile::CognigyV2 => &PROFILES[1],
        }
    }

    /// The wire name of the profile.
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// Path of the token endpoint under the base URL.
    pub fn token_path(self) -> &'static str {
        self.spec().token_path
    }
}

/// The value of the first header called `name` (ASCII case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Whether `status` is a 2xx success.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Parses a response body as untrusted JSON (size and depth bounded); failures are
/// [`GuardError::BadResponse`] and never quote the body.
pub fn parse_json_body(body: &str) -> Result<Value, GuardError> {
    parse_untrusted(body).map_err(|issue| GuardError::BadResponse(issue.message))
}

/// A JSON answer passed through as a value (run results, invoke answers): a non-2xx status becomes
/// the error [`parse_error`] describes; an empty 2xx body is `null`.
pub fn parse_json_answer(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Value, GuardError> {
    if !is_success(status) {
        return Err(parse_error(status, headers, body));
    }
    if body.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_json_body(body)
}

/// A 2xx answer that must be a JSON object; `what` names it in error messages.
pub(crate) fn parse_object_answer(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    what: &str,
) -> Result<Map<String, Value>, GuardError> {
    match parse_json_answer(status, headers, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(GuardError::BadResponse(format!(
            "{what}: expected a JSON object"
        ))),
    }
}

/// A string member of a JSON object.
pub(crate) fn str_member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// A non-negative integer (also written as `3.0`), saturating at `u64::MAX`.
pub(crate) fn count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

/// Owned header pairs from literals (for tests).
#[cfg(test)]
pub(crate) fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_round_trip_and_default_is_cognigy_v2() {
        assert_eq!(ApiProfile::default(), ApiProfile::CognigyV2);
        assert_eq!(ApiProfile::parse("seed-v1").unwrap(), ApiProfile::SeedV1);
        assert_eq!(
            serde_json::from_str::<ApiProfile>("\"cognigy-v2\"").unwrap(),
            ApiProfile::CognigyV2
        );
        assert_eq!(serde_json::to_value(ApiProfile::SeedV1).unwrap(), "seed-v1");
        assert_eq!(ApiProfile::CognigyV2.as_str(), "cognigy-v2");
        let err = ApiProfile::parse("v3").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Config);
        assert!(err.to_string().contains("\"v3\""));
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let headers = h(&[("content-type", "a"), ("Retry-After", "5")]);
        assert_eq!(header(&headers, "Content-Type"), Some("a"));
        assert_eq!(header(&headers, "retry-after"), Some("5"));
        assert_eq!(header(&headers, "x"), None);
    }

    #[test]
    fn json_answer_passes_values_and_maps_errors() {
        assert_eq!(
            parse_json_answer(200, &[], "{\"a\":[1]}").unwrap(),
            serde_json::json!({"a": [1]})
        );
        assert_eq!(parse_json_answer(204, &[], "").unwrap(), Value::Null);
        let err = parse_json_answer(200, &[], "{\"a\":").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::BadResponse);
        assert!(!err.to_string().contains("\"a\""));
        let err = parse_json_answer(500, &[], "oops").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Http);
        let err = parse_object_answer(200, &[], "[1]", "task").unwrap_err();
        assert_eq!(
            err,
            GuardError::BadResponse("task: expected a JSON object".into())
        );
    }

    #[test]
    fn debug_of_requests_and_credentials_never_shows_secrets() {
        let base = BaseUrl::new("https://api.example.com", false).unwrap();
        let key = Credentials::ApiKey("KEY-SECRET-1".into());
        let bearer = Credentials::Bearer("TOKEN-SECRET-2".into());
        let token = oauth::parse_token_answer(
            200,
            &[],
            r#"{"access_token":"TOKEN-SECRET-3","token_type":"Bearer","expires_in":60}"#,
            "CLIENT-SECRET-4",
        )
        .unwrap();
        let requests = [
            oauth::token_request(
                ApiProfile::SeedV1,
                &base,
                "client",
                "CLIENT-SECRET-4",
                &["test:read".to_owned()],
                None,
            )
            .unwrap(),
            seed_v1::invoke(&base, &bearer, "svc").unwrap(),
            seed_v1::execution_status(&base, &token.credentials(), "e1").unwrap(),
            cognigy_v2::task(&base, &key, "t1").unwrap(),
        ];
        let shown = format!("{requests:?} {key:?} {bearer:?} {token:?}");
        for secret in ["KEY-SECRET", "TOKEN-SECRET", "CLIENT-SECRET"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        // The serialized request is what `fetch` needs, so it does carry the credentials.
        let sent = serde_json::to_string(&requests[3]).unwrap();
        assert!(sent.contains("KEY-SECRET-1"));
    }

    /// Every strict prefix of a good answer is a bad response, never a panic or a success.
    #[test]
    fn truncated_answers_are_bad_responses() {
        type Parser = fn(u16, &[(String, String)], &str) -> Result<(), GuardError>;
        let cases: [(Parser, &str); 6] = [
            (
                |s, h, b| seed_v1::parse_submit(s, h, b).map(drop),
                r#"{"execution_id":"e1","status":"queued"}"#,
            ),
            (
                |s, h, b| seed_v1::parse_status(s, h, b).map(drop),
                r#"{"status":"running","progress":{"completed":1,"total":2}}"#,
            ),
            (
                |s, h, b| seed_v1::parse_configure(s, h, b).map(drop),
                r#"{"endpointId":"x","status":"configured"}"#,
            ),
            (
                |s, h, b| cognigy_v2::parse_task(s, h, b).map(drop),
                r#"{"_id":"t1","status":"done","data":{"playbookRunId":"r1"}}"#,
            ),
            (
                |s, h, b| cognigy_v2::parse_intents_page(s, h, b).map(drop),
                r#"{"items":[{"_id":"1","name":"a"}],"total":1}"#,
            ),
            (
                |s, h, b| oauth::parse_token_answer(s, h, b, "x").map(drop),
                r#"{"access_token":"t","token_type":"Bearer","expires_in":60}"#,
            ),
        ];
        for (parse, good) in cases {
            assert_eq!(parse(200, &[], good), Ok(()), "{good}");
            for cut in 1..good.len() {
                let result = parse(200, &[], &good[..cut]);
                assert_eq!(
                    result.map_err(|e| e.code()),
                    Err(crate::ErrorCode::BadResponse),
                    "{}",
                    &good[..cut]
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn json_parsing_never_panics(body in ".{0,300}", status in 0u16..700) {
            let _ = parse_json_body(&body);
            let _ = parse_json_answer(status, &[], &body);
        }
    }

    #[test]
    fn counts_accept_integral_numbers_only() {
        assert_eq!(count(&serde_json::json!(3)), Some(3));
        assert_eq!(count(&serde_json::json!(3.0)), Some(3));
        assert_eq!(count(&serde_json::json!(3.5)), None);
        assert_eq!(count(&serde_json::json!(-1)), None);
        assert_eq!(count(&serde_json::json!("3")), None);
    }
}
