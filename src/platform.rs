//! Platform bindings on the JS global object, as gloo does (never `window`): the clock. `fetch`
//! and timers live in the JS driver (`js/driver.mjs`); the wasm imports neither.

use js_sys::Function;
use std::cell::Cell;
use wasm_bindgen::JsValue;

/// Milliseconds since the Unix epoch from `Date.now()` or an injected `now()` function. The core
/// takes every instant from here and copes with readings that go backwards or jump; a reading
/// that is not a finite number (or a `now` that throws) falls back to `Date.now()`.
pub struct Clock {
    custom: Option<Function>,
    last: Cell<f64>,
}

impl Clock {
    /// A clock reading `now` when it is a function, `Date.now()` otherwise.
    pub fn new(now: Option<Function>) -> Self {
        Clock {
            custom: now,
            last: Cell::new(0.0),
        }
    }

    /// The current time in milliseconds.
    pub fn now(&self) -> f64 {
        let t = self
            .custom
            .as_ref()
            .and_then(|f| f.call0(&JsValue::UNDEFINED).ok())
            .and_then(|v| v.as_f64())
            .filter(|t| t.is_finite())
            .unwrap_or_else(js_sys::Date::now);
        self.last.set(t);
        t
    }

    /// The latest reading, without reading the source again.
    pub fn last(&self) -> f64 {
        self.last.get()
    }
}
