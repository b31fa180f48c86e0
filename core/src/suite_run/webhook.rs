//! The CI webhook: `POST {webhookUrl}` with the seed's body and one `Idempotency-Key` for every
//! attempt, at most [`MAX_WEBHOOK_ATTEMPTS`] attempts with exponential backoff. A webhook that
//! never succeeds is reported in the delivery record; it never fails the run.

use super::reply::{classify, Verdict};
use super::{already_finished, fail, Call, Input, Machine, ProgressEvent, Step};
use crate::aggregate::WebhookDelivery;
use crate::error::GuardError;
use crate::profile::webhook::ci_webhook;
use crate::profile::{Credentials, HttpRequest, TargetUrl};
use serde_json::Value;

/// Attempts at delivering the CI webhook.
pub const MAX_WEBHOOK_ATTEMPTS: u32 = 3;
/// Time allowed for one attempt (less when the deadline is nearer, but never under
/// [`MIN_WEBHOOK_TIMEOUT_MS`]).
pub const WEBHOOK_TIMEOUT_MS: u64 = 10_000;
/// Shortest time allowed for one attempt, even at the deadline: the report is ready by then and
/// deserves one delivery attempt.
pub const MIN_WEBHOOK_TIMEOUT_MS: u64 = 1_000;
/// Backoff before the second attempt; doubled for each further one (with jitter on its upper half).
pub const WEBHOOK_BACKOFF_MS: u64 = 500;
/// Longest idempotency key derived from an execution id.
const MAX_KEY_CHARS: usize = 200;

/// The `Idempotency-Key` of the CI webhook of execution `execution_id`: `cg-ci-` followed by the
/// id with every character outside `[A-Za-z0-9._-]` replaced by `_` (at most 200 characters).
/// Stable across attempts and across reruns of the same aggregation.
pub fn idempotency_key(execution_id: &str) -> String {
    let safe: String = execution_id
        .chars()
        .take(MAX_KEY_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("cg-ci-{safe}")
}

/// Delivers one CI webhook.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    url: TargetUrl,
    body: Value,
    key: String,
    deadline_at: f64,
    attempts: u32,
    finished: bool,
}

impl WebhookSender {
    /// A sender of `body` to `url` with `key`, waiting between attempts only while the run's
    /// deadline (`deadline_at`, epoch ms) allows.
    pub fn new(url: TargetUrl, body: Value, key: String, deadline_at: f64) -> Self {
        WebhookSender {
            url,
            body,
            key,
            deadline_at,
            attempts: 0,
            finished: false,
        }
    }

    fn remaining(&self, now: f64) -> u64 {
        let left = self.deadline_at - now;
        if left.is_finite() && left > 0.0 {
            left.floor() as u64
        } else {
            0
        }
    }

    fn attempt(&mut self, now: f64) -> Step<WebhookDelivery> {
        self.attempts = self.attempts.saturating_add(1);
        Step::Send {
            call: Call::CiWebhook,
            timeout_ms: WEBHOOK_TIMEOUT_MS
                .min(self.remaining(now))
                .max(MIN_WEBHOOK_TIMEOUT_MS),
        }
    }

    fn done(&mut self, delivered: bool) -> Step<WebhookDelivery> {
        self.finished = true;
        Step::Done(Ok(WebhookDelivery {
            delivered,
            attempts: self.attempts,
            idempotency_key: self.key.clone(),
        }))
    }
}

/// The wait before attempt `attempt + 1`: `WEBHOOK_BACKOFF_MS × 2^(attempt-1)`, its upper half
/// jittered by `random`.
fn backoff(attempt: u32, random: f64) -> u64 {
    let full = WEBHOOK_BACKOFF_MS.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = full / 2;
    half.saturating_add((half as f64 * random).floor() as u64)
}

impl Machine for WebhookSender {
    type Output = WebhookDelivery;

    fn start(&mut self, now: f64) -> Step<WebhookDelivery> {
        self.attempt(now)
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<WebhookDelivery> {
        if self.finished {
            return fail(already_finished());
        }
        match classify(input, now) {
            Verdict::Success { .. } => self.done(true),
            Verdict::Transient { retry_after_ms, .. } if self.attempts < MAX_WEBHOOK_ATTEMPTS => {
                let wait = retry_after_ms.unwrap_or_else(|| backoff(self.attempts, random));
                if wait.saturating_add(MIN_WEBHOOK_TIMEOUT_MS) < self.remaining(now) {
                    Step::Sleep { ms: wait }
                } else {
                    self.done(false)
                }
            }
            Verdict::Transient { .. } | Verdict::Fatal(_) => self.done(false),
        }
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<WebhookDelivery> {
        if self.finished {
            return fail(already_finished());
        }
        self.attempt(now)
    }

    fn cancel(&mut self, _now: f64) -> Step<WebhookDelivery> {
        if self.finished {
            return fail(already_finished());
        }
        self.done(false)
    }

    fn request(
        &self,
        call: Call,
        _credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        match call {
            Call::CiWebhook => ci_webhook(&self.url, &self.body, &self.key),
            other => Err(GuardError::Config(format!(
                "the webhook sender does not send {other:?}"
            ))),
        }
    }

    fn take_progress(&mut self) -> Vec<ProgressEvent> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite_run::testkit::{drive, ok, status};
    use serde_json::json;

    fn sender(deadline_at: f64) -> WebhookSender {
        let url = TargetUrl::new("https://ci.example.com/hook?x=1", false).unwrap();
        WebhookSender::new(
            url,
            json!({"a": 1}),
            idempotency_key("exec 1/ü"),
            deadline_at,
        )
    }

    #[test]
    fn keys_are_safe_and_stable() {
        assert_eq!(idempotency_key("exec 1/ü"), "cg-ci-exec_1__");
        assert_eq!(idempotency_key("e-1.x_y"), "cg-ci-e-1.x_y");
        assert_eq!(idempotency_key(&"x".repeat(999)).len(), 206);
    }

    #[test]
    fn delivered_on_the_third_attempt_with_the_same_key() {
        let mut machine = sender(1e12);
        let (result, log) = drive(&mut machine, 0.0, vec![status(500), status(503), ok("{}")]);
        let delivery = result.unwrap();
        assert_eq!(
            delivery,
            WebhookDelivery {
                delivered: true,
                attempts: 3,
                idempotency_key: "cg-ci-exec_1__".into()
            }
        );
        let keys: Vec<_> = log
            .requests
            .iter()
            .map(|r| r.header("Idempotency-Key").unwrap().to_owned())
            .collect();
        assert_eq!(keys, ["cg-ci-exec_1__"; 3]);
        assert_eq!(log.sleeps.len(), 2);
        assert!((250..=500).contains(&log.sleeps[0]));
        assert!((500..=1000).contains(&log.sleeps[1]));
        assert_eq!(log.requests[0].url(), "https://ci.example.com/hook?x=1");
    }

    #[test]
    fn gives_up_after_three_attempts_or_a_client_error_or_the_deadline() {
        let (result, _) = drive(&mut sender(1e12), 0.0, vec![status(500); 5]);
        assert_eq!(result.unwrap().attempts, 3);
        let (result, _) = drive(&mut sender(1e12), 0.0, vec![status(400), ok("{}")]);
        let delivery = result.unwrap();
        assert_eq!((delivery.delivered, delivery.attempts), (false, 1));
        let (result, log) = drive(&mut sender(100.0), 0.0, vec![status(500), ok("{}")]);
        assert_eq!(result.unwrap().attempts, 1);
        assert_eq!(log.timeouts, [MIN_WEBHOOK_TIMEOUT_MS]);
    }
}
