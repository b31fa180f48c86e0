//! Sans-IO core of cognigy-guard.
//!
//! Everything here is plain Rust: no JavaScript bindings, no clock, no network. Time comes in as
//! milliseconds, randomness as numbers, HTTP as request descriptions and response bodies. The wasm
//! boundary crate (`cognigy-guard`) converts values, performs the I/O and calls into this crate.

pub mod aggregate;
pub mod error;
pub mod issue;
pub mod json;
pub mod junit;
pub mod model;
pub mod time;

pub use error::{ErrorCode, GuardError};
pub use issue::Issue;
