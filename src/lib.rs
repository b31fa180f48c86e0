//! WebAssembly boundary of cognigy-guard: the only place with `#[wasm_bindgen]`.
//!
//! Every export follows one pattern: convert the JS input, call `cognigy_guard_core`, convert the
//! answer back, and turn a core `GuardError` into a JS `Error` named `GuardError` (see [`error`]).
//!
//! Feature `guard` compiles the guard exports, feature `suites` the test suite exports; the
//! package ships one module of each (scripts/build.mjs). Both have the shared boundary code
//! (`convert`, `error`, `ops`, `platform`) and `wasmMemoryBytes`, so each registers the
//! `GuardError` class and steps its own operations.

#[cfg(feature = "guard")]
pub mod circuit_breaker;
pub mod convert;
pub mod error;
pub mod ops;
pub mod platform;
#[cfg(feature = "suites")]
pub mod test_suite_runner;
#[cfg(feature = "guard")]
pub mod timeout_manager;
pub mod validate;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated. Development builds (feature `debug-panic`) print
/// Rust panics to the JS console; release builds abort without the extra code.
#[wasm_bindgen(start)]
fn start() {
    #[cfg(feature = "debug-panic")]
    console_error_panic_hook::set_once();
}

/// The package version, as built.
#[cfg(feature = "guard")]
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Bytes of WebAssembly linear memory the module holds now (it grows, never shrinks), for
/// watching memory use over a long-running process. The entries export the sum over the
/// instantiated modules (`js/suites.mjs`).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

#[wasm_bindgen(typescript_custom_section)]
const TS_VALIDATION: &str = include_str!("ts/validation.d.ts");

#[cfg(feature = "guard")]
#[wasm_bindgen(typescript_custom_section)]
const TS_GUARD: &str = include_str!("ts/guard.d.ts");

#[cfg(feature = "suites")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TEST_SUITE_RUNNER: &str = include_str!("ts/test_suite_runner.d.ts");
