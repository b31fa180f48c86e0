//! The request object of `TimeoutManager.call(endpointId, { url, method?, headers?, body?,
//! timeoutMs?, fallbackTemplate?, cacheKey? })`, read from untrusted JSON.

use super::call::CallOptions;
use crate::error::GuardError;
use crate::options::{string_pairs, text, Range};
use crate::profile::custom::CustomRequest;
use serde_json::{Map, Value};

/// A per-call attempt timeout (ms), instead of the policy's `maxWaitTimeMs`.
pub const CALL_TIMEOUT_MS: Range = Range {
    key: "timeoutMs",
    default: 0,
    min: 1,
    max: 3_600_000,
};

/// Reads a call request: what to send, and the call's own options.
pub fn call_request(value: &Value) -> Result<(CustomRequest, CallOptions), GuardError> {
    let Value::Object(o) = value else {
        return Err(config("call request must be an object { url, ... }"));
    };
    let url = text(o, "url")?.ok_or_else(|| config("call request needs url (a string)"))?;
    let method = text(o, "method")?.unwrap_or_default().to_owned();
    let options = CallOptions {
        timeout_ms: CALL_TIMEOUT_MS.read_optional(o)?,
        fallback_template: template(o.get("fallbackTemplate").unwrap_or(&Value::Null))?,
        cache_key: text(o, "cacheKey")?.map(str::to_owned),
    };
    let request = CustomRequest {
        method,
        url: url.to_owned(),
        headers: string_pairs(o.get("headers"), "headers")?,
        body: o.get("body").cloned(),
    };
    Ok((request, options))
}

/// A fallback template given as an object or a string holding one (`null`: none).
pub fn template(value: &Value) -> Result<Option<Map<String, Value>>, GuardError> {
    let bad = || config("fallbackTemplate must be a JSON object (or a string holding one)");
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map.clone())),
        Value::String(text) => match crate::json::parse_untrusted(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn config(message: &str) -> GuardError {
    GuardError::Config(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_call_request_is_read_strictly() {
        let (request, options) = call_request(&json!({
            "url": "/x", "method": "POST", "headers": { "X-Trace": "t" }, "body": { "q": 1 },
            "timeoutMs": 500, "fallbackTemplate": "{\"m\":1}", "cacheKey": "k"
        }))
        .unwrap();
        assert_eq!(
            (request.url.as_str(), request.method.as_str()),
            ("/x", "POST")
        );
        assert_eq!(request.headers, [("X-Trace".to_owned(), "t".to_owned())]);
        assert_eq!(options.timeout_ms, Some(500));
        assert_eq!(options.cache_key.as_deref(), Some("k"));
        assert_eq!(options.fallback_template.unwrap()["m"], 1);
        for bad in [
            json!(42),
            json!({}),
            json!({ "url": 5 }),
            json!({ "url": "/x", "timeoutMs": 0 }),
            json!({ "url": "/x", "method": 1 }),
            json!({ "url": "/x", "cacheKey": [] }),
            json!({ "url": "/x", "headers": { "a": 1 } }),
            json!({ "url": "/x", "fallbackTemplate": "[1]" }),
        ] {
            assert_eq!(
                call_request(&bad).map(|_| ()).unwrap_err().code(),
                crate::ErrorCode::Config,
                "{bad}"
            );
        }
    }
}
