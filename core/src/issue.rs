//! A validation problem (error or warning) located by a path into the input.

use serde::Serialize;

/// One problem found in an input: where it is, a stable machine code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Path into the input, e.g. `testCases[12].outcome.allowedLatencyMs`; empty for the root.
    pub path: String,
    /// Stable upper-case code, e.g. `OUT_OF_RANGE`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl Issue {
    /// Creates an issue.
    pub fn new(path: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Issue {
            path: path.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}
