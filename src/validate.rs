//! Validation exports: pure, synchronous, never throwing (API.md "Validation").

use crate::convert::{json_input, json_text, to_js};
use crate::error::to_js_error;
use cognigy_guard_core::json::MAX_INPUT_BYTES;
use cognigy_guard_core::profile::seed_v1::timeout_payload;
use cognigy_guard_core::validation::{
    validate_test_execution_json, validate_timeout_config_json, Validated,
};
use cognigy_guard_core::Issue;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Validates a TimeoutConfig given as any JS value. Never throws.
#[wasm_bindgen(js_name = validateTimeoutConfig, unchecked_return_type = "Validation<TimeoutConfig>")]
pub fn validate_timeout_config(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
) -> JsValue {
    from_js_value(&input, validate_timeout_config_json)
}

/// Validates a TimeoutConfig given as JSON text. Never throws.
#[wasm_bindgen(js_name = validateTimeoutConfigJson, unchecked_return_type = "Validation<TimeoutConfig>")]
pub fn validate_timeout_config_text(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsValue {
    from_text(&text, validate_timeout_config_json)
}

/// Validates a TestExecutionPayload given as any JS value. Never throws.
#[wasm_bindgen(js_name = validateTestExecution, unchecked_return_type = "Validation<TestExecution>")]
pub fn validate_test_execution(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
) -> JsValue {
    from_js_value(&input, validate_test_execution_json)
}

/// Validates a TestExecutionPayload given as JSON text. Never throws.
#[wasm_bindgen(js_name = validateTestExecutionJson, unchecked_return_type = "Validation<TestExecution>")]
pub fn validate_test_execution_text(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsValue {
    from_text(&text, validate_test_execution_json)
}

/// The seed's wire payload for a TimeoutConfig (`PUT .../externalServices/{id}/configuration`).
/// Throws `GuardError` with code `VALIDATION` and every issue in `errors`.
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

fn from_js_value<T: Serialize>(input: &JsValue, validate: fn(&str) -> Validated<T>) -> JsValue {
    validate_or_report(json_text(input), validate)
}

/// Validates JSON text with `validate`; anything but a string is one `TYPE` error at the root.
fn from_text<T: Serialize>(text: &JsValue, validate: fn(&str) -> Validated<T>) -> JsValue {
    let text = json_input(text, MAX_INPUT_BYTES).and_then(|text| {
        text.ok_or_else(|| Issue::new("", "TYPE", "expected JSON text (a string)"))
    });
    validate_or_report(text, validate)
}

/// The validation of `text`, or the reason there is no text as the one error.
fn validate_or_report<T: Serialize>(
    text: Result<String, Issue>,
    validate: fn(&str) -> Validated<T>,
) -> JsValue {
    match text {
        Ok(text) => answer(&validate(&text)),
        Err(issue) => answer(&Validated::<T> {
            value: None,
            errors: vec![issue],
            warnings: Vec::new(),
        }),
    }
}

fn answer<T: Serialize>(result: &Validated<T>) -> JsValue {
    // Serializing plain JSON data cannot fail; `null` would only mark an internal bug.
    to_js(result).unwrap_or(JsValue::NULL)
}
