//! Degraded answers built from an endpoint's fallback template, and the queue of notifications
//! about every degraded answer served (the seed's `notification_queue` / `flush_notifications`).

use crate::time::iso8601;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Default number of notifications kept before the oldest are dropped.
pub const DEFAULT_NOTIFICATION_CAPACITY: usize = 1000;

/// A copy of `template` marked as degraded: `metadata.degraded = true` and
/// `metadata.timestamp = iso8601(now_ms)`.
///
/// `metadata` is created when absent (the seed raised `KeyError` there). When `metadata` exists but
/// is not an object, it is replaced by an object that keeps the old value under `metadata.value`.
pub fn degraded_answer(template: &Map<String, Value>, now_ms: f64) -> Value {
    let mut answer = template.clone();
    let mut metadata = match answer.remove("metadata") {
        Some(Value::Object(existing)) => existing,
        Some(other) => Map::from_iter([("value".to_owned(), other)]),
        None => Map::new(),
    };
    metadata.insert("degraded".to_owned(), Value::Bool(true));
    metadata.insert("timestamp".to_owned(), Value::String(iso8601(now_ms)));
    answer.insert("metadata".to_owned(), Value::Object(metadata));
    Value::Object(answer)
}

/// Where a degraded answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DegradedSource {
    /// A last-known-good response from the cache.
    Cache,
    /// The endpoint's fallback template.
    Fallback,
}

/// What was done instead of the live call; always matches the [`DegradedSource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationAction {
    /// A cached response was served (`"cache_served"`).
    CacheServed,
    /// The fallback template was served (`"fallback_injected"`).
    FallbackInjected,
}

/// One degraded answer, as queued for the caller:
/// `{ endpointId, action, source, reason, timestamp }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The guarded endpoint.
    pub endpoint_id: String,
    /// `"cache_served"` or `"fallback_injected"`.
    pub action: NotificationAction,
    /// `"cache"` or `"fallback"`, as in the call result's `source`.
    pub source: DegradedSource,
    /// Why the live call was not used (e.g. an error code such as `TIMEOUT`); must not hold secrets.
    pub reason: String,
    /// When the degraded answer was served (ISO-8601).
    pub timestamp: String,
}

impl Notification {
    /// A notification for a degraded answer from `source`, served at `now_ms`.
    pub fn new(
        endpoint_id: impl Into<String>,
        source: DegradedSource,
        reason: impl Into<String>,
        now_ms: f64,
    ) -> Self {
        Notification {
            endpoint_id: endpoint_id.into(),
            action: match source {
                DegradedSource::Cache => NotificationAction::CacheServed,
                DegradedSource::Fallback => NotificationAction::FallbackInjected,
            },
            source,
            reason: reason.into(),
            timestamp: iso8601(now_ms),
        }
    }
}

/// A bounded FIFO of [`Notification`]s; when full, the oldest one is dropped and counted.
#[derive(Debug, Clone)]
pub struct NotificationQueue {
    capacity: usize,
    items: VecDeque<Notification>,
    dropped: u64,
}

impl Default for NotificationQueue {
    fn default() -> Self {
        NotificationQueue::new(DEFAULT_NOTIFICATION_CAPACITY)
    }
}

impl NotificationQueue {
    /// An empty queue holding at most `capacity` notifications (0 keeps none: every push is
    /// counted as dropped).
    pub fn new(capacity: usize) -> Self {
        NotificationQueue {
            capacity,
            items: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Appends a notification, dropping the oldest ones beyond the capacity.
    pub fn push(&mut self, notification: Notification) {
        self.items.push_back(notification);
        while self.items.len() > self.capacity {
            self.items.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Removes and returns every queued notification, oldest first.
    pub fn drain(&mut self) -> Vec<Notification> {
        self.items.drain(..).collect()
    }

    /// Number of queued notifications.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Notifications dropped because the queue was full, since creation.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T0: f64 = 1_700_000_000_123.0;
    const T0_ISO: &str = "2023-11-14T22:13:20.123Z";

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn creates_metadata_when_absent() {
        let template = object(json!({"text": "Weather unavailable"}));
        assert_eq!(
            degraded_answer(&template, T0),
            json!({
                "text": "Weather unavailable",
                "metadata": {"degraded": true, "timestamp": T0_ISO}
            })
        );
        assert!(
            !template.contains_key("metadata"),
            "the template is not modified"
        );
    }

    #[test]
    fn keeps_existing_metadata_fields() {
        let template = object(json!({"metadata": {"source": "static", "degraded": false}, "n": 1}));
        assert_eq!(
            degraded_answer(&template, T0),
            json!({"n": 1, "metadata": {"source": "static", "degraded": true, "timestamp": T0_ISO}})
        );
    }

    #[test]
    fn wraps_non_object_metadata() {
        let template = object(json!({"metadata": "v1"}));
        assert_eq!(
            degraded_answer(&template, T0),
            json!({"metadata": {"value": "v1", "degraded": true, "timestamp": T0_ISO}})
        );
        let template = object(json!({"metadata": null}));
        assert_eq!(
            degraded_answer(&template, T0)["metadata"],
            json!({"value": null, "degraded": true, "timestamp": T0_ISO})
        );
    }

    #[test]
    fn notification_serializes_to_the_documented_shape() {
        let n = Notification::new("weather", DegradedSource::Fallback, "TIMEOUT", T0);
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            json!({
                "endpointId": "weather",
                "action": "fallback_injected",
                "source": "fallback",
                "reason": "TIMEOUT",
                "timestamp": T0_ISO
            })
        );
        let n = Notification::new("weather", DegradedSource::Cache, "CIRCUIT_OPEN", T0);
        assert_eq!(n.action, NotificationAction::CacheServed);
        assert_eq!(serde_json::to_value(&n).unwrap()["action"], "cache_served");
    }

    #[test]
    fn queue_is_fifo_bounded_and_counts_drops() {
        let mut q = NotificationQueue::new(3);
        for i in 0..5 {
            q.push(Notification::new(
                format!("ep{i}"),
                DegradedSource::Cache,
                "TIMEOUT",
                T0,
            ));
        }
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped(), 2);
        let ids: Vec<String> = q.drain().into_iter().map(|n| n.endpoint_id).collect();
        assert_eq!(ids, ["ep2", "ep3", "ep4"]);
        assert!(q.is_empty());
        assert!(q.drain().is_empty());
        assert_eq!(q.dropped(), 2, "draining is not dropping");

        let mut none = NotificationQueue::new(0);
        none.push(Notification::new("a", DegradedSource::Cache, "x", T0));
        assert_eq!((none.len(), none.dropped()), (0, 1));
        assert_eq!(
            NotificationQueue::default().capacity,
            DEFAULT_NOTIFICATION_CAPACITY
        );
    }
}
