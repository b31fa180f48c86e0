//! Outgoing webhooks: the dashboard metrics sync and the CI gate notification. They carry no
//! platform credentials; both target URL types have passed the transport rule when they were made
//! ([`BaseUrl::new`], [`TargetUrl::new`]), so both are checked the same way.

use super::request::HttpRequest;
use super::url::{BaseUrl, TargetUrl};
use crate::error::GuardError;
use serde_json::{json, Value};

/// `POST {webhookBase}/metrics/timeout-sync` with body `{ "events": [...] }` and an
/// `Idempotency-Key` header.
pub fn dashboard_sync(
    webhook_base: &BaseUrl,
    events: &[Value],
    idempotency_key: &str,
) -> Result<HttpRequest, GuardError> {
    let url = webhook_base.join("/metrics/timeout-sync");
    HttpRequest::post_json(url, &json!({ "events": events })).idempotent(idempotency_key)
}

/// `POST` of `body` to the CI webhook URL exactly as given, with an `Idempotency-Key` header.
pub fn ci_webhook(
    url: &TargetUrl,
    body: &Value,
    idempotency_key: &str,
) -> Result<HttpRequest, GuardError> {
    HttpRequest::post_json(url.as_str().to_owned(), body).idempotent(idempotency_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Method;
    use crate::ErrorCode;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dashboard_sync_request() {
        let base = BaseUrl::new("https://monitoring.example.com/", false).unwrap();
        let events = [
            json!({"eventType": "timeout_triggered"}),
            json!({"eventType": "x"}),
        ];
        let req = dashboard_sync(&base, &events, "sync-7").unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url(),
            "https://monitoring.example.com/metrics/timeout-sync"
        );
        assert_eq!(
            req.headers(),
            headers(&[
                ("Accept", "application/json"),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", "sync-7")
            ])
        );
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"events": [{"eventType": "timeout_triggered"}, {"eventType": "x"}]})
        );
        assert_eq!(req.header("authorization"), None);
        let empty = dashboard_sync(&base, &[], "k").unwrap();
        assert_eq!(empty.body(), Some("{\"events\":[]}"));
        let err = dashboard_sync(&base, &events, "bad\nkey").unwrap_err();
        assert_eq!(err.code(), ErrorCode::Config);
    }

    #[test]
    fn ci_webhook_request() {
        let url = TargetUrl::new("https://ci.example.com/hooks/gate?token=t", false).unwrap();
        let body = json!({"execution_id": "e1", "status": "passed", "pass_rate": 1.0,
                          "coverage": {}, "timestamp": "2024-01-01T00:00:00Z"});
        let req = ci_webhook(&url, &body, "e1-gate").unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(req.url(), "https://ci.example.com/hooks/gate?token=t");
        assert_eq!(req.header("Idempotency-Key"), Some("e1-gate"));
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        let sent: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(sent, body);
    }

    #[test]
    fn webhooks_follow_the_transport_rule() {
        assert!(BaseUrl::new("http://monitoring.example.com", false).is_err());
        assert!(TargetUrl::new("http://ci.example.com/hook", false).is_err());
        assert!(BaseUrl::new("http://localhost:9000", false).is_ok());
        assert!(TargetUrl::new("http://ci.internal/hook", true).is_ok());
    }
}
