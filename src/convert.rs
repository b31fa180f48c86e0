//! Conversions between JS values and the core's JSON values.
//!
//! Inputs go through `JSON.stringify` and `serde_json` rather than walking JS objects from Rust:
//! it is faster for large payloads, and it turns cyclic or non-JSON input into an ordinary error
//! instead of unbounded recursion.

use cognigy_guard_core::Issue;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// JSON text of a JS value, or an issue when it has no JSON form (undefined, a function, a
/// cycle, a BigInt, a getter that throws).
pub fn json_text(value: &JsValue) -> Result<String, Issue> {
    if value.is_undefined() {
        return Err(Issue::new("", "REQUIRED", "no input was given (undefined)"));
    }
    match js_sys::JSON::stringify(value) {
        Ok(text) => text.as_string().ok_or_else(|| {
            Issue::new(
                "",
                "TYPE",
                "input has no JSON form (a function or a symbol?)",
            )
        }),
        Err(err) => Err(Issue::new(
            "",
            "NOT_JSON",
            format!("input cannot be converted to JSON: {}", error_message(&err)),
        )),
    }
}

/// A plain JS value (objects, arrays, numbers, strings) for a serializable Rust value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// The `message` of a thrown JS value, or its string form when it is not an `Error`.
pub fn error_message(thrown: &JsValue) -> String {
    js_sys::Reflect::get(thrown, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
