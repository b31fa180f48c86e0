//! WebAssembly boundary of cognigy-guard: the only place with `#[wasm_bindgen]`.
//!
//! Every export deserializes its input, calls `cognigy_guard_core`, and serializes the answer.

/// Version of this package, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
