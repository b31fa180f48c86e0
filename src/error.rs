//! Turns the core's `GuardError` into a JS `Error` with `name = 'GuardError'` and the fields of
//! `ErrorFields` (`code`, `status`, `retryAfterMs`, `attempts`, `endpointId`, `errors`, `problem`).

use crate::convert::to_js;
use cognigy_guard_core::redact::Redactor;
use cognigy_guard_core::GuardError;
use js_sys::Function;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;

thread_local! {
    /// The package's `GuardError` class (`js/guard-error.mjs`), registered by every entry.
    static CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the JS `GuardError` class the errors are made from (called once by each entry).
#[wasm_bindgen(js_name = __registerErrorClass, skip_typescript)]
pub fn register_error_class(class: Function) {
    CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// A new JS error with `code` and `message`: an instance of the registered `GuardError` class
/// (`new GuardError(code, message)`), else an `Error` named `GuardError`.
fn new_error(code: &str, message: &str) -> js_sys::Error {
    let made = CLASS.with(|c| {
        c.borrow().as_ref().and_then(|class| {
            let args = js_sys::Array::of2(&JsValue::from_str(code), &JsValue::from_str(message));
            js_sys::Reflect::construct(class, &args).ok()
        })
    });
    match made {
        Some(err) => err.unchecked_into(),
        None => {
            let err = js_sys::Error::new(message);
            err.set_name("GuardError");
            err
        }
    }
}

/// The JS value thrown for `err`: a `GuardError` (an `Error`, so stack traces and `instanceof
/// Error` work) with every field of the core error copied onto it.
pub fn to_js_error(err: &GuardError) -> JsValue {
    match serde_json::to_value(err.fields()) {
        Ok(fields) => from_fields(&fields),
        Err(_) => new_error("CONFIG", "error").into(),
    }
}

/// Like [`to_js_error`], with every secret known to `redactor` removed from message and fields.
pub fn to_js_error_redacted(err: &GuardError, redactor: &Redactor) -> JsValue {
    match serde_json::to_value(err.fields()) {
        Ok(fields) => from_fields(&redactor.redact_value(&fields)),
        Err(_) => to_js_error(err),
    }
}

/// The `GuardError` of an error's JSON fields.
fn from_fields(fields: &serde_json::Value) -> JsValue {
    let text = |key: &str| fields.get(key).and_then(serde_json::Value::as_str);
    let js_err = new_error(
        text("code").unwrap_or("CONFIG"),
        text("message").unwrap_or("error"),
    );
    if let Ok(props) = to_js(fields) {
        if let Some(obj) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Object>(&props) {
            js_sys::Object::assign(js_err.as_ref(), obj);
        }
    }
    js_err.into()
}
