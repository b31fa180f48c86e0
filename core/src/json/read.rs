//! Typed reads of the fields of a `serde_json::Value` object, for the readers of snapshots and
//! records. Errors are worded as serde's (`invalid type: string "x", expected u32`, ``missing
//! field `state` ``); unknown keys are ignored. A struct is read from an object only (serde
//! also takes an array of its fields in order).

use serde_json::{Map, Value};

/// A read value, or the message saying why it could not be read.
pub type Read<T> = Result<T, String>;

/// serde's words for an unexpected value: ``integer `5` ``, `string "x"`, `map`, ...
fn unexpected(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => {
            let text = n.to_string();
            if text.contains(['.', 'e', 'E']) {
                format!("floating point `{text}`")
            } else {
                format!("floating point `{text}.0`")
            }
        }
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    }
}

/// `invalid type: <value>, expected <expected>`.
pub fn invalid_type(value: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", unexpected(value))
}

/// A whole number that fits in `u64`.
pub fn u64(value: &Value) -> Read<u64> {
    whole(value, u64::MAX, "u64")
}

/// A whole number that fits in `u32`.
pub fn u32(value: &Value) -> Read<u32> {
    whole(value, u64::from(u32::MAX), "u32").map(|n| n as u32)
}

fn whole(value: &Value, max: u64, expected: &str) -> Read<u64> {
    match value {
        Value::Number(n) if n.is_f64() => Err(invalid_type(value, expected)),
        Value::Number(n) => match n.as_u64() {
            Some(v) if v <= max => Ok(v),
            _ => Err(format!("invalid value: integer `{n}`, expected {expected}")),
        },
        _ => Err(invalid_type(value, expected)),
    }
}

/// Any number.
pub fn f64(value: &Value) -> Read<f64> {
    value.as_f64().ok_or_else(|| invalid_type(value, "f64"))
}

/// A string.
pub fn string(value: &Value) -> Read<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid_type(value, "a string"))
}

/// An array whose every item `item` reads.
pub fn seq<T>(value: &Value, item: impl Fn(&Value) -> Read<T>) -> Read<Vec<T>> {
    match value {
        Value::Array(items) => items.iter().map(item).collect(),
        _ => Err(invalid_type(value, "a sequence")),
    }
}

/// A unit variant named by a string (`variants`: each name with its value).
pub fn variant<T: Copy>(value: &Value, variants: &[(&str, T)]) -> Read<T> {
    let Value::String(name) = value else {
        return Err(invalid_type(value, "string or map"));
    };
    variants
        .iter()
        .find(|(n, _)| n == name)
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<String> = variants.iter().map(|(n, _)| format!("`{n}`")).collect();
            format!(
                "unknown variant `{name}`, expected one of {}",
                names.join(", ")
            )
        })
}

/// The fields of the object `value` is (`name`: the struct's name in messages).
pub fn fields<'a>(value: &'a Value, name: &str) -> Read<Fields<'a>> {
    match value {
        Value::Object(map) => Ok(Fields(map)),
        _ => Err(invalid_type(value, &format!("struct {name}"))),
    }
}

/// The fields of one object. serde reports the first wrong field in key order, then the first
/// missing required one: readers read fields in key order ([`Fields::present`] for required
/// ones) and check [`missing`] after.
#[derive(Clone, Copy)]
pub struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// The field read by `read`, `None` when absent.
    pub fn present<T>(&self, key: &str, read: impl Fn(&Value) -> Read<T>) -> Read<Option<T>> {
        self.0.get(key).map(read).transpose()
    }

    /// The field read by `read`, `T::default()` when absent.
    pub fn or_default<T: Default>(&self, key: &str, read: impl Fn(&Value) -> Read<T>) -> Read<T> {
        Ok(self.present(key, read)?.unwrap_or_default())
    }

    /// An optional field: `None` when absent or `null`.
    pub fn optional<T>(&self, key: &str, read: impl Fn(&Value) -> Read<T>) -> Read<Option<T>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value).map(Some),
        }
    }
}

/// A required field read by [`Fields::present`]: ``missing field `key` `` when absent.
pub fn missing<T>(value: Option<T>, key: &str) -> Read<T> {
    value.ok_or_else(|| format!("missing field `{key}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// serde's message for reading `value` as a `T`.
    fn serde_says<T: for<'de> Deserialize<'de> + std::fmt::Debug>(value: &Value) -> String {
        T::deserialize(value).unwrap_err().to_string()
    }

    #[test]
    fn messages_are_serde_s() {
        for value in [
            json!(null),
            json!(true),
            json!(-1),
            json!(5_000_000_000u64),
            json!(1.5),
            json!(2.0),
            json!(1e300),
            json!("x\"y"),
            json!([1]),
            json!({ "a": 1 }),
        ] {
            if let Err(e) = u32(&value) {
                assert_eq!(e, serde_says::<u32>(&value), "{value}");
            }
            if let Err(e) = u64(&value) {
                assert_eq!(e, serde_says::<u64>(&value), "{value}");
            }
            if let Err(e) = f64(&value) {
                assert_eq!(e, serde_says::<f64>(&value), "{value}");
            }
            if let Err(e) = string(&value) {
                assert_eq!(e, serde_says::<String>(&value), "{value}");
            }
            if let Err(e) = seq(&value, f64) {
                assert_eq!(e, serde_says::<Vec<f64>>(&value), "{value}");
            }
        }
        assert_eq!(u32(&json!(7)), Ok(7));
        assert_eq!(u64(&json!(5_000_000_000u64)), Ok(5_000_000_000));
        assert_eq!(f64(&json!(3)), Ok(3.0));
        assert_eq!(seq(&json!([1, 2.5]), f64), Ok(vec![1.0, 2.5]));
    }

    #[test]
    fn variants_and_fields() {
        let v = [("a", 1), ("b_c", 2)];
        assert_eq!(variant(&json!("b_c"), &v), Ok(2));
        assert_eq!(
            variant(&json!("z"), &v).unwrap_err(),
            "unknown variant `z`, expected one of `a`, `b_c`"
        );
        assert_eq!(
            variant(&json!(1), &v).unwrap_err(),
            "invalid type: integer `1`, expected string or map"
        );
        assert_eq!(
            fields(&json!("x"), "S").err(),
            Some("invalid type: string \"x\", expected struct S".to_owned())
        );
        let obj = json!({ "n": 1, "z": null });
        let f = fields(&obj, "S").unwrap();
        assert_eq!(f.present("n", u32), Ok(Some(1)));
        assert_eq!(f.present("m", u32), Ok(None));
        assert_eq!(f.or_default("m", u32), Ok(0));
        assert_eq!(f.optional("z", f64), Ok(None));
        assert!(f.or_default("z", u32).is_err());
        assert_eq!(missing(None::<u32>, "m").unwrap_err(), "missing field `m`");
    }
}
