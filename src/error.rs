//! Turns the core's `GuardError` into a JS `Error` with `name = 'GuardError'` and the fields of
//! `ErrorFields` (`code`, `status`, `retryAfterMs`, `attempts`, `endpointId`, `errors`, `problem`).

use crate::convert::to_js;
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::GuardError;
use wasm_bindgen::JsValue;

/// The JS value thrown for `err`: an `Error` instance (so stack traces and `instanceof Error`
/// work) named `GuardError`, with every field of the core error copied onto it.
pub fn to_js_error(err: &GuardError) -> JsValue {
    let fields = err.fields();
    let js_err = js_sys::Error::new(&fields.message);
    js_err.set_name("GuardError");
    if let Ok(props) = to_js(&fields) {
        if let Some(obj) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Object>(&props) {
            js_sys::Object::assign(js_err.as_ref(), obj);
        }
    }
    js_err.into()
}

/// Like [`to_js_error`], with every secret known to `redactor` removed from message and fields.
pub fn to_js_error_redacted(err: &GuardError, redactor: &Redactor) -> JsValue {
    let fields = match serde_json::to_value(err.fields()) {
        Ok(value) => redactor.redact_value(&value),
        Err(_) => return to_js_error(err),
    };
    let message = fields
        .get("message")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("error");
    let js_err = js_sys::Error::new(message);
    js_err.set_name("GuardError");
    if let Ok(props) = to_js(&fields) {
        if let Some(obj) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Object>(&props) {
            js_sys::Object::assign(js_err.as_ref(), obj);
        }
    }
    js_err.into()
}
