//! The `TestSuiteRunner` options (`new TestSuiteRunner({ ... })`) and the per-run options
//! (`run(payload, { ... })`) read from untrusted JSON, with their defaults and ranges as data.
//! Functions (`fetch`, `now`, `onAudit`, `onProgress`) and `signal` are the boundary's.

use super::poll::{
    Timing, DEFAULT_MAX_POLL_INTERVAL_MS, DEFAULT_POLL_INTERVAL_MS, MAX_DEADLINE_MS,
    MAX_POLL_INTERVAL_LIMIT_MS,
};
use crate::aggregate::AggregateOptions;
use crate::auth::AuthConfig;
use crate::error::GuardError;
use crate::guard::options::unknown_keys;
use crate::issue::Issue;
use crate::options::{flag, text, Range};
use crate::profile::{ApiProfile, BaseUrl, TargetUrl};
use serde_json::{Map, Value};

/// The first poll interval (ms).
pub const POLL_INTERVAL_MS: Range = Range {
    key: "pollIntervalMs",
    default: DEFAULT_POLL_INTERVAL_MS,
    min: 1,
    max: MAX_POLL_INTERVAL_LIMIT_MS,
};
/// The longest poll interval (ms).
pub const MAX_POLL_INTERVAL_MS: Range = Range {
    key: "maxPollIntervalMs",
    default: DEFAULT_MAX_POLL_INTERVAL_MS,
    min: 1,
    max: MAX_POLL_INTERVAL_LIMIT_MS,
};
/// The run's deadline (ms); its default depends on the run (see [`Timing`]).
pub const DEADLINE_MS: Range = Range {
    key: "deadlineMs",
    default: 0,
    min: 1,
    max: MAX_DEADLINE_MS,
};
/// Runs in flight at once (Cognigy allows 10 concurrent playbook runs); further runs queue.
pub const MAX_CONCURRENT_RUNS: Range = Range {
    key: "maxConcurrentRuns",
    default: 10,
    min: 1,
    max: 1_000,
};

/// Keys of the `TestSuiteRunner` options.
pub const RUNNER_KEYS: [&str; 11] = [
    "api",
    "baseUrl",
    "auth",
    "pollIntervalMs",
    "maxPollIntervalMs",
    "deadlineMs",
    "fetch",
    "now",
    "onAudit",
    "allowInsecureHttp",
    "maxConcurrentRuns",
];

/// The checked options of one `TestSuiteRunner`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerOptions {
    /// The API profile (`cognigy-v2` by default).
    pub profile: ApiProfile,
    /// The API base URL.
    pub base: BaseUrl,
    /// The credentials; [`AuthConfig::None`] when not given (then every method that makes a
    /// platform request fails with [`auth_needed`] before sending).
    pub auth: AuthConfig,
    /// Poll timing and deadline.
    pub timing: Timing,
    /// [`MAX_CONCURRENT_RUNS`].
    pub max_concurrent_runs: usize,
    /// Whether `http://` to remote hosts is allowed.
    pub allow_insecure_http: bool,
    /// `UNKNOWN_OPTION` warnings.
    pub warnings: Vec<Issue>,
}

impl RunnerOptions {
    /// Reads and checks `value` (`CONFIG` naming the offending option; never a secret).
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        let Value::Object(o) = value else {
            return Err(GuardError::Config(
                "TestSuiteRunner options must be an object".to_owned(),
            ));
        };
        let allow_insecure_http = flag(o, "allowInsecureHttp")?;
        let profile = text(o, "api")?.map_or(Ok(ApiProfile::default()), ApiProfile::parse)?;
        let base_url = text(o, "baseUrl")?
            .ok_or_else(|| GuardError::Config("baseUrl is required".to_owned()))?;
        let base = BaseUrl::new(base_url, allow_insecure_http)?;
        let auth = AuthConfig::from_json(
            o.get("auth").unwrap_or(&Value::Null),
            profile.spec().suite_scopes,
            allow_insecure_http,
        )?;
        let timing = Timing {
            poll_interval_ms: POLL_INTERVAL_MS.read(o)?,
            max_poll_interval_ms: MAX_POLL_INTERVAL_MS.read(o)?,
            deadline_ms: DEADLINE_MS.read_optional(o)?,
        };
        timing.validate()?;
        let mut warnings = unknown_keys(value, "", &RUNNER_KEYS);
        if let Some(auth) = o.get("auth") {
            warnings.extend(unknown_keys(
                auth,
                "auth.",
                &crate::guard::options::AUTH_KEYS,
            ));
        }
        Ok(RunnerOptions {
            profile,
            base,
            auth,
            timing,
            max_concurrent_runs: usize::try_from(MAX_CONCURRENT_RUNS.read(o)?)
                .unwrap_or(usize::MAX),
            allow_insecure_http,
            warnings,
        })
    }
}

/// The `CONFIG` error of `method` on a runner made without `auth`: it makes platform requests
/// (nothing was sent).
pub fn auth_needed(method: &str) -> GuardError {
    GuardError::Config(format!(
        "{method} makes platform requests and needs the runner's auth: {{ apiKey }} or \
         {{ clientId, clientSecret }}; nothing was sent"
    ))
}

/// The options of one run (`run`, `runPlaybook`): aggregation and the CI webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Gate threshold, baseline and known names.
    pub aggregate: AggregateOptions,
    /// The CI webhook, if any.
    pub webhook_url: Option<TargetUrl>,
}

/// The run option keys that go to the aggregation.
const AGGREGATE_KEYS: [&str; 4] = [
    "passThreshold",
    "baselineIntentCoverage",
    "knownIntents",
    "knownEntities",
];

impl RunOptions {
    /// Reads `value` (`null`: defaults); `signal` and `onProgress` are ignored here.
    pub fn from_json(value: &Value, allow_insecure_http: bool) -> Result<Self, GuardError> {
        let o = match value {
            Value::Null => return Ok(Self::defaults()),
            Value::Object(o) => o,
            _ => {
                return Err(GuardError::Config(
                    "run options must be an object".to_owned(),
                ))
            }
        };
        // Inserted one by one: `collect` into a map sorts, one more sort in the binary per site.
        let mut picked = Map::new();
        for key in &AGGREGATE_KEYS {
            if let Some(v) = o.get(*key).filter(|v| !v.is_null()) {
                picked.insert((*key).to_owned(), v.clone());
            }
        }
        let webhook_url = text(o, "webhookUrl")?
            .map(|url| TargetUrl::new(url, allow_insecure_http))
            .transpose()?;
        Ok(RunOptions {
            aggregate: AggregateOptions::from_json(&Value::Object(picked))?,
            webhook_url,
        })
    }

    fn defaults() -> Self {
        RunOptions {
            aggregate: AggregateOptions::default(),
            webhook_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn runner(extra: Value) -> Result<RunnerOptions, GuardError> {
        let mut value =
            json!({ "baseUrl": "https://api.example.com", "auth": { "apiKey": "k-1234" } });
        if let (Some(o), Value::Object(extra)) = (value.as_object_mut(), extra) {
            o.extend(extra);
        }
        RunnerOptions::from_json(&value)
    }

    #[test]
    fn defaults_ranges_and_strict_types() {
        let o = runner(json!({})).unwrap();
        assert_eq!(o.timing, Timing::default());
        assert_eq!(o.max_concurrent_runs, 10);
        assert!(!o.allow_insecure_http);
        for (key, bad) in [
            ("maxConcurrentRuns", json!(0)),
            ("pollIntervalMs", json!(1.5)),
            ("deadlineMs", json!(-1)),
            ("allowInsecureHttp", json!("true")),
        ] {
            let err = runner(json!({ key: bad })).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
        assert!(
            runner(json!({ "pollIntervalMs": 20_000 })).is_err(),
            "above the max interval"
        );
        let bare =
            RunnerOptions::from_json(&json!({ "baseUrl": "https://a.example.com" })).unwrap();
        assert_eq!(bare.auth, AuthConfig::None, "auth is optional");
        assert!(RunnerOptions::from_json(
            &json!({ "baseUrl": "https://a.example.com", "auth": { "apiKey": "" } })
        )
        .is_err());
        assert!(auth_needed("runPlaybook")
            .to_string()
            .contains("runPlaybook"));
        let warned = runner(json!({ "pollIntervallMs": 5 })).unwrap();
        assert_eq!(warned.warnings.len(), 1);
    }

    #[test]
    fn run_options_pick_the_aggregation_and_check_the_webhook() {
        let o = RunOptions::from_json(&json!({ "passThreshold": 0.5, "webhookUrl": "https://ci.example.com/h", "signal": {} }), false).unwrap();
        assert_eq!(o.aggregate.pass_threshold, 0.5);
        assert!(o.webhook_url.is_some());
        assert!(RunOptions::from_json(&json!({ "passThreshold": 2 }), false).is_err());
        assert!(
            RunOptions::from_json(&json!({ "webhookUrl": "http://ci.example.com" }), false)
                .is_err()
        );
        assert!(RunOptions::from_json(&json!(4), false).is_err());
        assert_eq!(
            RunOptions::from_json(&Value::Null, false).unwrap(),
            RunOptions::defaults()
        );
    }
}
