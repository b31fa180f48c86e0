//! Sans-IO core of cognigy-guard.
//!
//! Everything here is plain Rust: no JavaScript bindings, no clock, no network. Time comes in as
//! milliseconds, randomness as numbers, HTTP as request descriptions and response bodies. The wasm
//! boundary crate (`cognigy-guard`) converts values, performs the I/O and calls into this crate.

pub mod aggregate;
pub mod audit;
pub mod auth;
pub mod breaker;
pub mod cache;
pub mod error;
pub mod fallback;
pub mod guard;
pub mod issue;
pub mod json;
pub mod junit;
pub mod model;
pub mod options;
pub mod outbox;
pub mod profile;
pub mod protocol;
pub mod redact;
pub mod retry;
pub mod suite_run;
pub mod time;
pub mod validation;

pub use error::{ErrorCode, GuardError};
pub use issue::Issue;
