//! Validation exports: pure, synchronous, never throwing (docs/API.md "Validation").
//!
//! Each takes an optional `{ value }` (default true): with `value: false` the answer carries no
//! normalised value (`{ ok, warnings }` or `{ ok: false, errors, warnings }`), which saves
//! serializing the whole payload back to JS when only the verdict is wanted. The TimeoutConfig
//! exports belong to feature `guard`, the TestExecution ones to `suites`.

use crate::convert::{json_input, json_text, to_js};
#[cfg(feature = "guard")]
use crate::error::to_js_error;
use cognigy_guard_core::json::MAX_INPUT_BYTES;
#[cfg(feature = "guard")]
use cognigy_guard_core::profile::seed_v1::timeout_payload;
#[cfg(feature = "suites")]
use cognigy_guard_core::validation::validate_test_execution_json;
#[cfg(feature = "guard")]
use cognigy_guard_core::validation::validate_timeout_config_json;
use cognigy_guard_core::validation::Validated;
use cognigy_guard_core::Issue;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Validates a TimeoutConfig given as any JS value. Never throws.
#[cfg(feature = "guard")]
#[wasm_bindgen(js_name = validateTimeoutConfig, unchecked_return_type = "Validation<TimeoutConfig>")]
pub fn validate_timeout_config(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: Option<JsValue>,
) -> JsValue {
    validate_or_report(json_text(&input), options, validate_timeout_config_json)
}

/// Validates a TimeoutConfig given as JSON text or its UTF-8 bytes. Never throws.
#[cfg(feature = "guard")]
#[wasm_bindgen(js_name = validateTimeoutConfigJson, unchecked_return_type = "Validation<TimeoutConfig>")]
pub fn validate_timeout_config_text(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: Option<JsValue>,
) -> JsValue {
    validate_or_report(text_input(&text), options, validate_timeout_config_json)
}

/// Validates a TestExecutionPayload given as any JS value. Never throws.
#[cfg(feature = "suites")]
#[wasm_bindgen(js_name = validateTestExecution, unchecked_return_type = "Validation<TestExecution>")]
pub fn validate_test_execution(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: Option<JsValue>,
) -> JsValue {
    validate_or_report(json_text(&input), options, validate_test_execution_json)
}

/// Validates a TestExecutionPayload given as JSON text or its UTF-8 bytes. Never throws.
#[cfg(feature = "suites")]
#[wasm_bindgen(js_name = validateTestExecutionJson, unchecked_return_type = "Validation<TestExecution>")]
pub fn validate_test_execution_text(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: Option<JsValue>,
) -> JsValue {
    validate_or_report(text_input(&text), options, validate_test_execution_json)
}

/// The seed's wire payload for a TimeoutConfig (`PUT .../externalServices/{id}/configuration`).
/// Throws `GuardError` with code `VALIDATION` and every issue in `errors`.
#[cfg(feature = "guard")]
#[wasm_bindgen(js_name = buildTimeoutPayload, unchecked_return_type = "SeedTimeoutPayload")]
pub fn build_timeout_payload(
    #[wasm_bindgen(unchecked_param_type = "TimeoutConfigInput | TimeoutConfig")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let text = json_text(&config)
        .map_err(|issue| to_js_error(&cognigy_guard_core::GuardError::Validation(vec![issue])))?;
    let (config, _warnings) = validate_timeout_config_json(&text)
        .into_result()
        .map_err(|e| to_js_error(&e))?;
    to_js(&timeout_payload(&config))
}

/// The text of a JSON-text input; anything but a string or bytes is one `TYPE` error at the root.
fn text_input(text: &JsValue) -> Result<String, Issue> {
    json_input(text, MAX_INPUT_BYTES)?
        .ok_or_else(|| Issue::new("", "TYPE", "expected JSON text (a string or UTF-8 bytes)"))
}

/// Whether the answer carries the value: `options.value`, default true. Options that are not an
/// object, or a `value` that is not a boolean, are an issue at `(options)`.
fn wants_value(options: Option<JsValue>) -> Result<bool, Issue> {
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok(true);
    };
    let bad = |message: &str| Issue::new("(options)", "TYPE", message);
    if !options.is_object() {
        return Err(bad("validation options must be an object"));
    }
    match js_sys::Reflect::get(&options, &JsValue::from_str("value")) {
        Ok(value) if value.is_undefined() => Ok(true),
        Ok(value) => value
            .as_bool()
            .ok_or_else(|| bad("options.value must be a boolean")),
        Err(_) => Err(bad("validation options could not be read")),
    }
}

/// The validation of `text` with `validate`, or the reason there is no text (or no usable
/// options) as the one error.
fn validate_or_report<T: Serialize>(
    text: Result<String, Issue>,
    options: Option<JsValue>,
    validate: fn(&str) -> Validated<T>,
) -> JsValue {
    let checked = wants_value(options).and_then(|with_value| Ok((text?, with_value)));
    let answer = match checked {
        Ok((text, true)) => to_js(&validate(&text)),
        Ok((text, false)) => to_js(&Verdict(&validate(&text))),
        Err(issue) => to_js(&Validated::<T> {
            value: None,
            errors: vec![issue],
            warnings: Vec::new(),
        }),
    };
    // Serializing plain JSON data cannot fail; `null` would only mark an internal bug.
    answer.unwrap_or(JsValue::NULL)
}

/// A validation's answer without its value: `{ ok: true, warnings }` or
/// `{ ok: false, errors, warnings }`.
struct Verdict<'a, T>(&'a Validated<T>);

impl<T> Serialize for Verdict<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ok = self.0.is_ok();
        let mut s = serializer.serialize_struct("Verdict", 3)?;
        s.serialize_field("ok", &ok)?;
        if !ok {
            s.serialize_field("errors", &self.0.errors)?;
        }
        s.serialize_field("warnings", &self.0.warnings)?;
        s.end()
    }
}
