//! Conversions between JS values and the core's JSON values.
//!
//! Inputs go through `JSON.stringify` and `serde_json` rather than walking JS objects from Rust:
//! it is faster for large payloads, and it turns cyclic or non-JSON input into an ordinary error
//! instead of unbounded recursion.

use cognigy_guard_core::json::{mend_lone_surrogates, MAX_INPUT_BYTES};
use cognigy_guard_core::{GuardError, Issue};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    /// The global `TextEncoder`.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    /// Writes `source` as UTF-8 into `dest`; `dest` is a view of the wasm memory.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &js_sys::JsString, dest: &mut [u8]) -> EncodeResult;

    /// What `encodeInto` reports.
    type EncodeResult;
    #[wasm_bindgen(method, getter)]
    fn read(this: &EncodeResult) -> f64;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeResult) -> f64;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// The Rust string of a JS string, `None` for any other value.
///
/// Native `encodeInto` into wasm memory, where wasm-bindgen's own string conversion copies ASCII
/// one character at a time in JS (8 to 13 % of the time of validating or aggregating 500 cases,
/// measured with `--cpu-prof`).
pub fn string_of(value: &JsValue) -> Option<String> {
    let text = value.dyn_ref::<js_sys::JsString>()?;
    let units = text.length();
    // One byte per UTF-16 code unit first (all of an ASCII text); only what did not fit is
    // encoded again, with room for 3 bytes per unit.
    let mut bytes = vec![0u8; units as usize];
    let (read, mut written) = ENCODER.with(|encoder| {
        let done = encoder.encode_into(text, &mut bytes);
        (done.read() as u32, done.written() as usize)
    });
    if read < units {
        let rest = text.slice(read, units);
        bytes.resize(written.saturating_add(rest.length() as usize * 3), 0);
        let tail = bytes.get_mut(written..).unwrap_or_default();
        written += ENCODER.with(|encoder| encoder.encode_into(&rest, tail).written()) as usize;
    }
    bytes.truncate(written);
    // encodeInto writes only whole characters (lone surrogates as U+FFFD): valid UTF-8.
    Some(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// JSON text of a JS value (at most [`MAX_INPUT_BYTES`]), or an issue when it has no JSON form
/// (undefined, a function, a cycle, a BigInt, a getter that throws) or is too large.
pub fn json_text(value: &JsValue) -> Result<String, Issue> {
    json_text_within(value, MAX_INPUT_BYTES)
}

/// Like [`json_text`], for inputs of at most `max_bytes`.
pub fn json_text_within(value: &JsValue, max_bytes: usize) -> Result<String, Issue> {
    if value.is_undefined() {
        return Err(Issue::new("", "REQUIRED", "no input was given (undefined)"));
    }
    match js_sys::JSON::stringify(value) {
        Ok(text) => json_input(&text, max_bytes)?.ok_or_else(|| {
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

/// JSON text given as a JS string or as UTF-8 bytes, of at most `max_bytes` (`None` for any
/// other value): its size
/// is checked before anything is copied into wasm memory, and the escapes of lone surrogates
/// become U+FFFD ([`mend_lone_surrogates`]).
pub fn json_input(value: &JsValue, max_bytes: usize) -> Result<Option<String>, Issue> {
    let too_large = |size: usize| {
        Issue::new(
            "",
            "TOO_LARGE",
            format!("input is at least {size} bytes; at most {max_bytes} are accepted"),
        )
    };
    let mut text = if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        // UTF-8 bytes (a `Uint8Array` or `Buffer`): one native copy; an invalid sequence reads
        // as U+FFFD, as with `TextDecoder`.
        let size = bytes.length() as usize;
        if size > max_bytes {
            return Err(too_large(size));
        }
        String::from_utf8(bytes.to_vec())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    } else if let Some(text) = value.dyn_ref::<js_sys::JsString>() {
        // UTF-8 takes at least one byte per UTF-16 code unit.
        let units = text.length() as usize;
        if units > max_bytes {
            return Err(too_large(units));
        }
        string_of(value).unwrap_or_default()
    } else {
        return Ok(None);
    };
    mend_lone_surrogates(&mut text);
    Ok(Some(text))
}

/// A plain JS value (objects, arrays, numbers, strings) for a serializable Rust value.
///
/// Serialized to JSON text in Rust and parsed by `JSON.parse`: one boundary crossing whatever
/// the value's size, and one serializer in the binary (the core already needs `serde_json`).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| JsValue::from(js_sys::Error::new(&format!("cannot serialize: {e}"))))?;
    js_sys::JSON::parse(&text)
}

/// The `message` of a thrown JS value, or its string form when it is not an `Error`.
pub fn error_message(thrown: &JsValue) -> String {
    js_sys::Reflect::get(thrown, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// A JS options object as JSON (`undefined`/`null` give `null`); functions inside are dropped by
/// `JSON.stringify`. A value without a JSON form is a `CONFIG` error naming `what`.
pub fn options_json(value: &JsValue, what: &str) -> Result<serde_json::Value, GuardError> {
    if value.is_undefined() || value.is_null() {
        return Ok(serde_json::Value::Null);
    }
    let text = json_text(value)
        .map_err(|issue| GuardError::Config(format!("{what}: {}", issue.message)))?;
    serde_json::from_str(&text).map_err(|_| GuardError::Config(format!("{what}: not JSON")))
}

/// The function stored under `key` of the options `obj`: `None` when absent, `undefined` or
/// `null`, `CONFIG` when it is anything but a function.
pub fn function_option(obj: &JsValue, key: &str) -> Result<Option<js_sys::Function>, GuardError> {
    if !obj.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|_| GuardError::Config(format!("{key} could not be read")))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<js_sys::Function>()
        .map(Some)
        .map_err(|_| GuardError::Config(format!("{key} must be a function")))
}

/// Sets `obj[key] = value` on a plain object (cannot fail for a fresh `Object`).
pub fn set(obj: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `{ at, changed, record, allowed?, retryAfterMs?, period?, probe? }` of a decision on a shared
/// breaker record (`record`: its JSON text; `probe`: -1 for none; `at`: the decision's instant).
pub fn applied_object(
    applied: &cognigy_guard_core::breaker::shared::Applied,
    at: f64,
) -> js_sys::Object {
    let obj = js_sys::Object::new();
    set(&obj, "at", &JsValue::from_f64(at));
    set(&obj, "changed", &JsValue::from_bool(applied.changed));
    let text = serde_json::to_string(&applied.record).unwrap_or_default();
    set(&obj, "record", &JsValue::from_str(&text));
    if let Some(a) = applied.admission {
        set(&obj, "allowed", &JsValue::from_bool(a.allowed));
        set(
            &obj,
            "retryAfterMs",
            &JsValue::from_f64(a.retry_after_ms as f64),
        );
    }
    if let Some(p) = applied.permit {
        set(&obj, "period", &JsValue::from_f64(p.period as f64));
        let probe = p.probe.map_or(-1.0, |id| id as f64);
        set(&obj, "probe", &JsValue::from_f64(probe));
    }
    obj
}
