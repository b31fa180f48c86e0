//! Validation exports: pure, synchronous, never throwing (API.md "Validation").

use crate::convert::{json_text, to_js};
use crate::error::to_js_error;
use cognigy_guard_core::profile::seed_v1::timeout_payload;
use cognigy_guard_core::validation::{
    validate_test_execution_json, validate_timeout_config_json, Validated,
};
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
pub fn validate_timeout_config_text(text: &str) -> JsValue {
    answer(&validate_timeout_config_json(text))
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
pub fn validate_test_execution_text(text: &str) -> JsValue {
    answer(&validate_test_execution_json(text))
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
    match json_text(input) {
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
