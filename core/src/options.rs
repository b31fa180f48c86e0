//! Reading the option objects users pass (untrusted JSON): every numeric option's default and
//! range is data ([`Range`]), every reader is strict (a value of the wrong type is a `CONFIG`
//! error naming the option, never silently a default), and absent or `null` means the default.

use crate::error::GuardError;
use serde_json::{Map, Value};

/// A whole-number option: its key, default and inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The option's key.
    pub key: &'static str,
    /// Its value when absent or `null`.
    pub default: u64,
    /// The smallest value accepted.
    pub min: u64,
    /// The largest value accepted.
    pub max: u64,
}

impl Range {
    /// The option's value in `options`: the default when absent or `null`, else a whole number
    /// within the range, else `CONFIG`.
    pub fn read(&self, options: &Map<String, Value>) -> Result<u64, GuardError> {
        Ok(self.read_optional(options)?.unwrap_or(self.default))
    }

    /// Like [`Self::read`], `None` when absent or `null` (the default then depends on more than
    /// this option).
    pub fn read_optional(&self, options: &Map<String, Value>) -> Result<Option<u64>, GuardError> {
        match options.get(self.key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .filter(|n| (self.min..=self.max).contains(n))
                .map(Some)
                .ok_or_else(|| {
                    GuardError::Config(format!(
                        "{} must be an integer {}..={}",
                        self.key, self.min, self.max
                    ))
                }),
        }
    }
}

/// `value` as an options object named `what`; `null` is an empty one.
pub fn object<'a>(
    value: &'a Value,
    what: &str,
    empty: &'a Map<String, Value>,
) -> Result<&'a Map<String, Value>, GuardError> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(empty),
        _ => Err(GuardError::Config(format!("{what} must be an object"))),
    }
}

/// A boolean option, `false` when absent or `null`.
pub fn flag(options: &Map<String, Value>, key: &str) -> Result<bool, GuardError> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(GuardError::Config(format!("{key} must be a boolean"))),
    }
}

/// A string option, `None` when absent or `null`.
pub fn text<'a>(options: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, GuardError> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GuardError::Config(format!("{key} must be a string"))),
    }
}

/// `{ name: value }` of strings as ordered pairs (`what` names the option in errors; values are
/// never quoted).
pub fn string_pairs(
    value: Option<&Value>,
    what: &str,
) -> Result<Vec<(String, String)>, GuardError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(GuardError::Config(format!(
                    "{what}.{} must be a string",
                    crate::profile::problem::clip(k)
                ))),
            })
            .collect(),
        Some(_) => Err(GuardError::Config(format!(
            "{what} must be an object of strings"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const R: Range = Range {
        key: "n",
        default: 7,
        min: 1,
        max: 10,
    };

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn ranges_give_the_default_or_a_checked_whole_number() {
        assert_eq!(R.read(&map(json!({}))), Ok(7));
        assert_eq!(R.read(&map(json!({"n": null}))), Ok(7));
        assert_eq!(R.read(&map(json!({"n": 10}))), Ok(10));
        for bad in [
            json!(0),
            json!(11),
            json!(2.5),
            json!("3"),
            json!(-1),
            json!(true),
        ] {
            let err = R.read(&map(json!({ "n": bad }))).unwrap_err();
            assert_eq!(err.to_string(), "n must be an integer 1..=10");
        }
        assert_eq!(R.read_optional(&map(json!({}))), Ok(None));
    }

    #[test]
    fn flags_and_texts_are_strict() {
        assert_eq!(flag(&map(json!({})), "f"), Ok(false));
        assert_eq!(flag(&map(json!({"f": true})), "f"), Ok(true));
        assert!(flag(&map(json!({"f": "yes"})), "f").is_err());
        assert!(flag(&map(json!({"f": 1})), "f").is_err());
        assert_eq!(text(&map(json!({"t": "x"})), "t"), Ok(Some("x")));
        assert!(text(&map(json!({"t": 1})), "t").is_err());
        let empty = Map::new();
        assert!(object(&json!(3), "opts", &empty).is_err());
        assert_eq!(object(&Value::Null, "opts", &empty).map(Map::len), Ok(0));
    }

    #[test]
    fn string_pairs_name_the_key_never_the_value() {
        let pairs = string_pairs(Some(&json!({"a": "1", "b": "2"})), "h").unwrap();
        assert_eq!(pairs, [("a".into(), "1".into()), ("b".into(), "2".into())]);
        let err = string_pairs(Some(&json!({"x": 5})), "h").unwrap_err();
        assert_eq!(err.to_string(), "h.x must be a string");
        assert!(string_pairs(Some(&json!([])), "h").is_err());
    }
}
