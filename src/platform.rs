//! Platform bindings on the JS global object, as gloo does: they work in Node and in browsers
//! (never `window`). `fetch`, `setTimeout`/`clearTimeout` (through gloo-timers) and
//! `AbortController` are looked up on `globalThis`; a caller may inject its own `fetch` and clock.

use crate::convert::error_message;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Milliseconds since the Unix epoch that never go backwards, from `Date.now()` or an injected
/// `now()` function. The core takes every instant from here.
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

    /// The current time in milliseconds; repeats the last reading when the source goes backwards
    /// or returns something that is not a finite number.
    pub fn now(&self) -> f64 {
        let raw = match &self.custom {
            Some(f) => f
                .call0(&JsValue::UNDEFINED)
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(f64::NAN),
            None => js_sys::Date::now(),
        };
        let t = if raw.is_finite() {
            raw.max(self.last.get())
        } else {
            self.last.get()
        };
        self.last.set(t);
        t
    }

    /// The latest reading, without reading the source again.
    pub fn last(&self) -> f64 {
        self.last.get()
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout` that is cleared if the future is dropped).
pub async fn sleep(ms: u64) {
    let ms = u32::try_from(ms).unwrap_or(u32::MAX);
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// One HTTP exchange as the platform performs it.
pub struct FetchRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Absolute URL.
    pub url: &'a str,
    /// Header names and values.
    pub headers: &'a [(String, String)],
    /// Body text, if any.
    pub body: Option<&'a str>,
}

/// What came back: status, the headers the core needs, and the body text.
#[derive(Debug)]
pub struct FetchResponse {
    /// HTTP status.
    pub status: u16,
    /// Value of `Retry-After`, if present.
    pub retry_after: Option<String>,
    /// Value of `Content-Type`, if present.
    pub content_type: Option<String>,
    /// Body text.
    pub body: String,
}

impl FetchResponse {
    /// The headers the core's parsers read, as name/value pairs.
    pub fn headers(&self) -> Vec<(String, String)> {
        let pairs = [
            ("retry-after", &self.retry_after),
            ("content-type", &self.content_type),
        ];
        pairs
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| (name.to_owned(), v.clone())))
            .collect()
    }
}

/// Why a fetch did not produce a response.
#[derive(Debug)]
pub enum FetchFailure {
    /// The abort signal fired (timeout or cancellation: the caller knows which).
    Aborted,
    /// No HTTP answer: connection refused or reset, DNS, CORS, a body that broke off.
    Network(String),
}

/// Performs HTTP with the global `fetch` or an injected one (same signature as `fetch`).
pub struct Fetcher {
    custom: Option<Function>,
}

impl Fetcher {
    /// A fetcher calling `custom` when given, `globalThis.fetch` otherwise.
    pub fn new(custom: Option<Function>) -> Self {
        Fetcher { custom }
    }

    /// The injected `fetch`, if any.
    pub fn custom(&self) -> Option<Function> {
        self.custom.clone()
    }

    /// The injected `fetch`, or `globalThis.fetch` looked up at call time (read as a property,
    /// so the generated glue holds no direct `fetch(` call: the inline entry must not seem to
    /// fetch its wasm), with the `this` it needs.
    fn function(&self) -> Result<(Function, JsValue), JsValue> {
        if let Some(f) = &self.custom {
            return Ok((f.clone(), JsValue::UNDEFINED));
        }
        let global: JsValue = js_sys::global().into();
        Reflect::get(&global, &JsValue::from_str("fetch"))?
            .dyn_into::<Function>()
            .map(|f| (f, global))
            .map_err(|_| JsValue::from(js_sys::Error::new("fetch is not available on globalThis")))
    }

    /// Sends `req`, aborting when `signal` fires, and reads the whole body.
    pub async fn send(
        &self,
        req: &FetchRequest<'_>,
        signal: &web_sys::AbortSignal,
    ) -> Result<FetchResponse, FetchFailure> {
        let init = web_sys::RequestInit::new();
        init.set_method(req.method);
        let headers = Object::new();
        for (name, value) in req.headers {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&headers, &name.into(), &value.into());
        }
        init.set_headers(&headers);
        if let Some(body) = req.body {
            init.set_body(&JsValue::from_str(body));
        }
        init.set_signal(Some(signal));

        let promise = self
            .function()
            .and_then(|(f, this)| f.call2(&this, &req.url.into(), &init))
            .map(|v| Promise::resolve(&v))
            .map_err(|e| failure(&e, signal))?;
        let response: web_sys::Response = JsFuture::from(promise)
            .await
            .map_err(|e| failure(&e, signal))?
            .unchecked_into();
        let header = |name: &str| response.headers().get(name).ok().flatten();
        let retry_after = header("retry-after");
        let content_type = header("content-type");
        let text = response.text().map_err(|e| failure(&e, signal))?;
        let body = JsFuture::from(text)
            .await
            .map_err(|e| failure(&e, signal))?
            .as_string()
            .unwrap_or_default();
        Ok(FetchResponse {
            status: response.status(),
            retry_after,
            content_type,
            body,
        })
    }
}

fn failure(thrown: &JsValue, signal: &web_sys::AbortSignal) -> FetchFailure {
    if signal.aborted() {
        FetchFailure::Aborted
    } else {
        FetchFailure::Network(error_message(thrown))
    }
}

/// An `AbortController` from the global constructor.
pub fn abort_controller() -> Result<web_sys::AbortController, JsValue> {
    web_sys::AbortController::new()
}
