//! Circuit breaker options: the camelCase JSON the JS constructor receives, its defaults
//! (docs/API.md) and its validation.

use crate::error::GuardError;
use serde_json::{Map, Value};

/// Longest duration any breaker option may name: 365 days, in milliseconds.
pub const MAX_DURATION_MS: u64 = 365 * 24 * 60 * 60 * 1000;
/// Longest open time when `maxResetTimeoutMs` is not set (or `resetTimeoutMs` when longer): 10
/// minutes.
pub const DEFAULT_MAX_RESET_TIMEOUT_MS: u64 = 10 * 60 * 1000;
/// Largest `slidingWindowSize` (bounds the memory one breaker uses).
pub const MAX_WINDOW_SIZE: u32 = 10_000;
/// Largest `halfOpenMaxCalls`.
pub const MAX_HALF_OPEN_CALLS: u32 = 1_000;
/// Largest `openBackoffMultiplier`.
pub const MAX_BACKOFF_MULTIPLIER: f64 = 1_000.0;
/// `slidingWindowSize` used when only `failureRateThreshold` is given.
pub const DEFAULT_WINDOW_SIZE: u32 = 20;

/// Validated circuit breaker configuration.
///
/// Read from the JS options object by [`BreakerConfig::from_json`] (camelCase keys, missing or
/// `null` keys take the API.md defaults, unknown keys such as `now` are ignored) and validated
/// while doing so.
/// Rust callers may also build one with struct syntax over [`BreakerConfig::default`] and
/// call [`BreakerConfig::validate`] (which [`super::CircuitBreaker::new`] does).
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures (slow calls included) that open a closed breaker. Default 3.
    pub failure_threshold: u32,
    /// How long the breaker stays open before admitting probes, in ms. Default 30 000.
    pub reset_timeout_ms: u64,
    /// Probes admitted at the same time while half-open. Default 1.
    pub half_open_max_calls: u32,
    /// Successful probes that close a half-open breaker. Default 1.
    pub success_threshold: u32,
    /// Optional failure-rate rule: open when this fraction (0 < x ≤ 1) of the calls in the
    /// sliding window failed.
    pub failure_rate_threshold: Option<f64>,
    /// Calls the failure-rate window holds (count-based). Default 20 when the rule is on.
    pub sliding_window_size: Option<u32>,
    /// Calls the window must hold before the rate is judged. Default: the window size.
    pub minimum_calls: Option<u32>,
    /// A success slower than this many ms counts as a failure.
    pub slow_call_ms: Option<u64>,
    /// Each reopen from half-open multiplies the open time by this (≥ 1). Default 1.
    pub open_backoff_multiplier: f64,
    /// Upper bound of every open period (the growing open time, a Retry-After extension, a
    /// restored snapshot). Default: [`DEFAULT_MAX_RESET_TIMEOUT_MS`], or `reset_timeout_ms` when
    /// that is longer.
    pub max_reset_timeout_ms: Option<u64>,
    /// A probe not reported within this many ms expires and counts as a failure.
    /// Default: `reset_timeout_ms`.
    pub half_open_timeout_ms: Option<u64>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 3,
            reset_timeout_ms: 30_000,
            half_open_max_calls: 1,
            success_threshold: 1,
            failure_rate_threshold: None,
            sliding_window_size: None,
            minimum_calls: None,
            slow_call_ms: None,
            open_backoff_multiplier: 1.0,
            max_reset_timeout_ms: None,
            half_open_timeout_ms: None,
        }
    }
}

/// Bounds of one integer option, with the name used in error messages.
struct IntOption {
    name: &'static str,
    min: u64,
    max: u64,
}

const FAILURE_THRESHOLD: IntOption = IntOption {
    name: "failureThreshold",
    min: 1,
    max: u32::MAX as u64,
};
const RESET_TIMEOUT: IntOption = IntOption {
    name: "resetTimeoutMs",
    min: 1,
    max: MAX_DURATION_MS,
};
const HALF_OPEN_MAX_CALLS: IntOption = IntOption {
    name: "halfOpenMaxCalls",
    min: 1,
    max: MAX_HALF_OPEN_CALLS as u64,
};
const SUCCESS_THRESHOLD: IntOption = IntOption {
    name: "successThreshold",
    min: 1,
    max: u32::MAX as u64,
};
const SLIDING_WINDOW_SIZE: IntOption = IntOption {
    name: "slidingWindowSize",
    min: 1,
    max: MAX_WINDOW_SIZE as u64,
};
const MINIMUM_CALLS: IntOption = IntOption {
    name: "minimumCalls",
    min: 1,
    max: MAX_WINDOW_SIZE as u64,
};
const SLOW_CALL: IntOption = IntOption {
    name: "slowCallMs",
    min: 1,
    max: MAX_DURATION_MS,
};
const MAX_RESET_TIMEOUT: IntOption = IntOption {
    name: "maxResetTimeoutMs",
    min: 1,
    max: MAX_DURATION_MS,
};
const HALF_OPEN_TIMEOUT: IntOption = IntOption {
    name: "halfOpenTimeoutMs",
    min: 1,
    max: MAX_DURATION_MS,
};

impl IntOption {
    fn below_min(&self) -> GuardError {
        config_error(format!("{} must be at least {}", self.name, self.min))
    }

    fn above_max(&self) -> GuardError {
        config_error(format!("{} must be at most {}", self.name, self.max))
    }

    fn check(&self, value: u64) -> Result<u64, GuardError> {
        if value < self.min {
            Err(self.below_min())
        } else if value > self.max {
            Err(self.above_max())
        } else {
            Ok(value)
        }
    }

    /// Reads the option from `options`, checking type, integrality and bounds (`None` when
    /// absent or `null`).
    fn parse(&self, options: &Map<String, Value>) -> Result<Option<u64>, GuardError> {
        let Some(value) = number(options, self.name)? else {
            return Ok(None);
        };
        if value.fract() != 0.0 {
            Err(config_error(format!("{} must be an integer", self.name)))
        } else if value < self.min as f64 {
            Err(self.below_min())
        } else if value > self.max as f64 {
            Err(self.above_max())
        } else {
            // In range, integral and finite: the conversion is exact.
            Ok(Some(value as u64))
        }
    }

    fn parse_u32(&self, options: &Map<String, Value>) -> Result<Option<u32>, GuardError> {
        self.parse(options)?
            .map(|v| u32::try_from(v).map_err(|_| self.above_max()))
            .transpose()
    }

    fn check_u32(&self, value: u32) -> Result<(), GuardError> {
        self.check(u64::from(value)).map(|_| ())
    }
}

fn config_error(message: String) -> GuardError {
    GuardError::Config(message)
}

/// The number under `name` in `options` (`None` when absent or `null`; JSON numbers are
/// finite); any other type is a `CONFIG` error naming the option.
fn number(options: &Map<String, Value>, name: &str) -> Result<Option<f64>, GuardError> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| config_error(format!("{name} must be a number"))),
    }
}

impl BreakerConfig {
    /// Reads and validates the options object; unknown keys are ignored.
    fn read(o: &Map<String, Value>) -> Result<Self, GuardError> {
        let d = BreakerConfig::default();
        let config = BreakerConfig {
            failure_threshold: FAILURE_THRESHOLD
                .parse_u32(o)?
                .unwrap_or(d.failure_threshold),
            reset_timeout_ms: RESET_TIMEOUT.parse(o)?.unwrap_or(d.reset_timeout_ms),
            half_open_max_calls: HALF_OPEN_MAX_CALLS
                .parse_u32(o)?
                .unwrap_or(d.half_open_max_calls),
            success_threshold: SUCCESS_THRESHOLD
                .parse_u32(o)?
                .unwrap_or(d.success_threshold),
            failure_rate_threshold: number(o, "failureRateThreshold")?,
            sliding_window_size: SLIDING_WINDOW_SIZE.parse_u32(o)?,
            minimum_calls: MINIMUM_CALLS.parse_u32(o)?,
            slow_call_ms: SLOW_CALL.parse(o)?,
            open_backoff_multiplier: number(o, "openBackoffMultiplier")?
                .unwrap_or(d.open_backoff_multiplier),
            max_reset_timeout_ms: MAX_RESET_TIMEOUT.parse(o)?,
            half_open_timeout_ms: HALF_OPEN_TIMEOUT.parse(o)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Builds a validated configuration from a JSON options object (`null` means defaults).
    pub fn from_json(options: &serde_json::Value) -> Result<Self, GuardError> {
        if options.is_null() {
            return Ok(BreakerConfig::default());
        }
        match options {
            Value::Object(map) => BreakerConfig::read(map),
            _ => Err(config_error(
                "circuit breaker options must be an object".to_owned(),
            )),
        }
    }

    /// Checks every bound and every relation between options; the message names the first
    /// offending option.
    pub fn validate(&self) -> Result<(), GuardError> {
        FAILURE_THRESHOLD.check_u32(self.failure_threshold)?;
        RESET_TIMEOUT.check(self.reset_timeout_ms)?;
        HALF_OPEN_MAX_CALLS.check_u32(self.half_open_max_calls)?;
        SUCCESS_THRESHOLD.check_u32(self.success_threshold)?;
        if let Some(rate) = self.failure_rate_threshold {
            if !(rate.is_finite() && rate > 0.0 && rate <= 1.0) {
                return Err(config_error(
                    "failureRateThreshold must be a fraction greater than 0 and at most 1"
                        .to_owned(),
                ));
            }
        } else if self.sliding_window_size.is_some() || self.minimum_calls.is_some() {
            return Err(config_error(
                "slidingWindowSize and minimumCalls need failureRateThreshold".to_owned(),
            ));
        }
        if let Some(size) = self.sliding_window_size {
            SLIDING_WINDOW_SIZE.check_u32(size)?;
        }
        if let Some(min) = self.minimum_calls {
            MINIMUM_CALLS.check_u32(min)?;
            if min > self.window_size() {
                return Err(config_error(
                    "slidingWindowSize must not be smaller than minimumCalls".to_owned(),
                ));
            }
        }
        if let Some(slow) = self.slow_call_ms {
            SLOW_CALL.check(slow)?;
        }
        let m = self.open_backoff_multiplier;
        if !(m.is_finite() && (1.0..=MAX_BACKOFF_MULTIPLIER).contains(&m)) {
            return Err(config_error(format!(
                "openBackoffMultiplier must be a number from 1 to {MAX_BACKOFF_MULTIPLIER}"
            )));
        }
        if let Some(max) = self.max_reset_timeout_ms {
            MAX_RESET_TIMEOUT.check(max)?;
            if max < self.reset_timeout_ms {
                return Err(config_error(
                    "maxResetTimeoutMs must not be smaller than resetTimeoutMs".to_owned(),
                ));
            }
        }
        if let Some(timeout) = self.half_open_timeout_ms {
            HALF_OPEN_TIMEOUT.check(timeout)?;
        }
        Ok(())
    }

    /// Whether the failure-rate rule is on.
    pub fn rate_rule_enabled(&self) -> bool {
        self.failure_rate_threshold.is_some()
    }

    /// Size of the failure-rate window (meaningful when the rule is on).
    pub fn window_size(&self) -> u32 {
        self.sliding_window_size.unwrap_or(DEFAULT_WINDOW_SIZE)
    }

    /// Calls the window must hold before the rate is judged.
    pub fn effective_minimum_calls(&self) -> u32 {
        self.minimum_calls.unwrap_or_else(|| self.window_size())
    }

    /// How long a probe may stay unreported before it expires.
    pub fn effective_half_open_timeout_ms(&self) -> u64 {
        self.half_open_timeout_ms.unwrap_or(self.reset_timeout_ms)
    }

    /// Longest open time: `maxResetTimeoutMs`, or when unset the larger of
    /// [`DEFAULT_MAX_RESET_TIMEOUT_MS`] and `resetTimeoutMs`.
    pub fn max_open_ms(&self) -> u64 {
        self.max_reset_timeout_ms
            .unwrap_or(DEFAULT_MAX_RESET_TIMEOUT_MS.max(self.reset_timeout_ms))
    }

    /// The open time after one more reopen: `current × multiplier`, at most
    /// [`Self::max_open_ms`] and at least `reset_timeout_ms`.
    pub fn grown_open_ms(&self, current: u64) -> u64 {
        let grown = (current as f64 * self.open_backoff_multiplier).ceil();
        let max = self.max_open_ms();
        if grown.is_finite() && grown < max as f64 {
            (grown as u64).max(self.reset_timeout_ms)
        } else {
            max
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(options: serde_json::Value) -> String {
        match BreakerConfig::from_json(&options) {
            Err(GuardError::Config(message)) => message,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_match_api_md() {
        let c = BreakerConfig::from_json(&json!({})).unwrap();
        assert_eq!(c, BreakerConfig::default());
        assert_eq!(c.failure_threshold, 3);
        assert_eq!(c.reset_timeout_ms, 30_000);
        assert_eq!(c.half_open_max_calls, 1);
        assert_eq!(c.success_threshold, 1);
        assert_eq!(c.open_backoff_multiplier, 1.0);
        assert_eq!(c.effective_half_open_timeout_ms(), 30_000);
        assert!(!c.rate_rule_enabled());
        assert_eq!(BreakerConfig::from_json(&json!(null)).unwrap(), c);
    }

    #[test]
    fn reads_camel_case_and_ignores_unknown_keys() {
        let c = BreakerConfig::from_json(&json!({
            "failureThreshold": 5, "resetTimeoutMs": 1000, "halfOpenMaxCalls": 2,
            "successThreshold": 2, "failureRateThreshold": 0.5, "slidingWindowSize": 10,
            "minimumCalls": 4, "slowCallMs": 800, "openBackoffMultiplier": 2,
            "maxResetTimeoutMs": 8000, "halfOpenTimeoutMs": 500, "now": "ignored",
            "successThreshold_typo": true
        }))
        .unwrap();
        assert_eq!(c.failure_threshold, 5);
        assert_eq!(c.reset_timeout_ms, 1000);
        assert_eq!(c.half_open_max_calls, 2);
        assert_eq!(c.success_threshold, 2);
        assert_eq!(c.failure_rate_threshold, Some(0.5));
        assert_eq!(c.window_size(), 10);
        assert_eq!(c.effective_minimum_calls(), 4);
        assert_eq!(c.slow_call_ms, Some(800));
        assert_eq!(c.open_backoff_multiplier, 2.0);
        assert_eq!(c.max_open_ms(), 8000);
        assert_eq!(c.effective_half_open_timeout_ms(), 500);
    }

    #[test]
    fn null_values_take_defaults() {
        let c = BreakerConfig::from_json(&json!({ "failureThreshold": null })).unwrap();
        assert_eq!(c.failure_threshold, 3);
    }

    #[test]
    fn rate_rule_defaults() {
        let c = BreakerConfig::from_json(&json!({ "failureRateThreshold": 1 })).unwrap();
        assert_eq!(c.window_size(), DEFAULT_WINDOW_SIZE);
        assert_eq!(c.effective_minimum_calls(), DEFAULT_WINDOW_SIZE);
    }

    #[test]
    fn rejects_bad_values_with_named_messages() {
        assert_eq!(
            err(json!({ "failureThreshold": 0 })),
            "failureThreshold must be at least 1"
        );
        assert_eq!(
            err(json!({ "failureThreshold": -2 })),
            "failureThreshold must be at least 1"
        );
        assert_eq!(
            err(json!({ "failureThreshold": 1.5 })),
            "failureThreshold must be an integer"
        );
        assert_eq!(
            err(json!({ "failureThreshold": "3" })),
            "failureThreshold must be a number"
        );
        assert_eq!(
            err(json!({ "successThreshold": 0 })),
            "successThreshold must be at least 1"
        );
        assert_eq!(
            err(json!({ "halfOpenMaxCalls": 0 })),
            "halfOpenMaxCalls must be at least 1"
        );
        assert_eq!(
            err(json!({ "halfOpenMaxCalls": 1001 })),
            "halfOpenMaxCalls must be at most 1000"
        );
        assert_eq!(
            err(json!({ "resetTimeoutMs": -1 })),
            "resetTimeoutMs must be at least 1"
        );
        assert_eq!(
            err(json!({ "resetTimeoutMs": 1e300 })),
            format!("resetTimeoutMs must be at most {MAX_DURATION_MS}")
        );
        assert!(err(json!({ "failureRateThreshold": 0 })).starts_with("failureRateThreshold"));
        assert!(err(json!({ "failureRateThreshold": 1.5 })).starts_with("failureRateThreshold"));
        assert_eq!(
            err(json!({ "failureRateThreshold": 0.5, "slidingWindowSize": 5, "minimumCalls": 6 })),
            "slidingWindowSize must not be smaller than minimumCalls"
        );
        assert_eq!(
            err(json!({ "failureRateThreshold": 0.5, "minimumCalls": 21 })),
            "slidingWindowSize must not be smaller than minimumCalls"
        );
        assert!(err(json!({ "slidingWindowSize": 5 })).contains("need failureRateThreshold"));
        assert!(err(json!({ "openBackoffMultiplier": 0.5 })).starts_with("openBackoffMultiplier"));
        assert_eq!(
            err(json!({ "resetTimeoutMs": 5000, "maxResetTimeoutMs": 4000 })),
            "maxResetTimeoutMs must not be smaller than resetTimeoutMs"
        );
        assert_eq!(
            err(json!({ "slowCallMs": 0 })),
            "slowCallMs must be at least 1"
        );
        assert_eq!(
            err(json!({ "halfOpenTimeoutMs": 0 })),
            "halfOpenTimeoutMs must be at least 1"
        );
        assert_eq!(
            err(json!([1, 2])),
            "circuit breaker options must be an object"
        );
    }

    /// Every option key the reader knows: the breaker option keys that are data (not the JS-only
    /// `now`, `store`, `name` and `leaseMs`).
    fn keys() -> impl Iterator<Item = &'static str> {
        crate::guard::options::BREAKER_KEYS
            .into_iter()
            .filter(|k| !matches!(*k, "now" | "store" | "name" | "leaseMs"))
    }

    #[test]
    fn every_option_rejects_other_types_and_reads_null_as_default() {
        for key in keys() {
            for wrong in [json!("1"), json!(true), json!([1]), json!({ "n": 1 })] {
                assert_eq!(
                    err(json!({ key: wrong })),
                    format!("{key} must be a number"),
                    "{key}"
                );
            }
            let null = BreakerConfig::from_json(&json!({ key: null })).unwrap();
            assert_eq!(null, BreakerConfig::default(), "{key}");
        }
    }

    #[test]
    fn typed_configs_are_validated() {
        let typed = BreakerConfig {
            open_backoff_multiplier: f64::NAN,
            ..BreakerConfig::default()
        };
        assert!(typed.validate().is_err());
        let zero = BreakerConfig {
            failure_threshold: 0,
            ..BreakerConfig::default()
        };
        assert_eq!(
            zero.validate().unwrap_err(),
            GuardError::Config("failureThreshold must be at least 1".into())
        );
    }

    #[test]
    fn open_time_growth_is_capped() {
        let c = BreakerConfig {
            reset_timeout_ms: 1000,
            open_backoff_multiplier: 2.0,
            max_reset_timeout_ms: Some(5000),
            ..BreakerConfig::default()
        };
        assert_eq!(c.grown_open_ms(1000), 2000);
        assert_eq!(c.grown_open_ms(4000), 5000);
        assert_eq!(c.grown_open_ms(u64::MAX), 5000);
        let flat = BreakerConfig::default();
        assert_eq!(flat.grown_open_ms(30_000), 30_000);
    }
}
