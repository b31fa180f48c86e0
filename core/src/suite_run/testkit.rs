//! Test driver: feeds a machine scripted answers with a simulated clock.

use super::{Input, Machine, ProgressEvent, Step};
use crate::error::GuardError;
use crate::profile::{Credentials, HttpRequest};

/// Simulated time one exchange takes, in ms.
pub const EXCHANGE_MS: f64 = 10.0;
/// Steps after which a driver gives up (a machine that never ends is a bug).
const MAX_STEPS: usize = 100_000;

/// What the driver saw.
#[derive(Debug, Default)]
pub struct Log {
    /// Every request sent, in order.
    pub requests: Vec<HttpRequest>,
    /// Every sleep, in order.
    pub sleeps: Vec<u64>,
    /// The timeout of every request.
    pub timeouts: Vec<u64>,
    /// Progress events.
    pub progress: Vec<ProgressEvent>,
    /// Simulated time when the machine finished.
    pub end: f64,
}

/// A 2xx answer with `body`.
pub fn ok(body: &str) -> Input {
    Input::Response {
        status: 200,
        headers: Vec::new(),
        body: body.to_owned(),
    }
}

/// An answer with `status` and an empty body.
pub fn status(status: u16) -> Input {
    Input::Response {
        status,
        headers: Vec::new(),
        body: String::new(),
    }
}

/// A 429 with `Retry-After: seconds`.
pub fn too_many(seconds: u32) -> Input {
    Input::Response {
        status: 429,
        headers: vec![("Retry-After".to_owned(), seconds.to_string())],
        body: String::new(),
    }
}

/// A network failure.
pub fn network() -> Input {
    Input::Failed(GuardError::Network {
        message: "connection reset".to_owned(),
        attempts: 1,
        endpoint_id: None,
    })
}

/// Drives `machine` from `start`, answering its requests with `replies` in order (then with
/// network failures), and cancelling before request number `cancel_at` (0-based) when given.
pub fn drive_until<M: Machine>(
    machine: &mut M,
    start: f64,
    replies: Vec<Input>,
    cancel_at: Option<usize>,
) -> (Result<M::Output, GuardError>, Log) {
    let credentials = Credentials::ApiKey("test-key-0000".to_owned());
    let mut replies = replies.into_iter();
    let mut log = Log::default();
    let mut now = start;
    let mut step = machine.start(now);
    let mut cancelled = false;
    for n in 0..MAX_STEPS {
        log.progress.extend(machine.take_progress());
        step = match step {
            Step::Done(result) => {
                log.end = now;
                return (result, log);
            }
            Step::Sleep { ms } => {
                log.sleeps.push(ms);
                now += ms as f64;
                machine.on_wake(now, (n % 7) as f64 / 7.0)
            }
            Step::Send { call, timeout_ms } => {
                if !cancelled && cancel_at == Some(log.requests.len()) {
                    cancelled = true;
                    step = machine.cancel(now);
                    continue;
                }
                log.timeouts.push(timeout_ms);
                let creds = call.needs_credentials().then_some(&credentials);
                match machine.request(call, creds) {
                    Ok(request) => log.requests.push(request),
                    Err(e) => {
                        step = machine.on_reply(Input::Failed(e), now, 0.5);
                        continue;
                    }
                }
                let reply = replies.next().unwrap_or_else(network);
                now += match &reply {
                    Input::Failed(GuardError::Timeout { .. }) => timeout_ms as f64,
                    _ => EXCHANGE_MS.min(timeout_ms as f64),
                };
                machine.on_reply(reply, now, (n % 5) as f64 / 5.0)
            }
        };
    }
    panic!("the machine did not finish within {MAX_STEPS} steps");
}

/// [`drive_until`] without cancellation.
pub fn drive<M: Machine>(
    machine: &mut M,
    start: f64,
    replies: Vec<Input>,
) -> (Result<M::Output, GuardError>, Log) {
    drive_until(machine, start, replies, None)
}

/// Random exchange outcomes for property tests: one of `statuses` with one of `bodies` (and
/// sometimes a `Retry-After`), a network failure or a timeout.
pub fn any_input(
    statuses: Vec<u16>,
    bodies: Vec<String>,
) -> impl proptest::strategy::Strategy<Value = Input> {
    use proptest::prelude::*;
    prop_oneof![
        (
            prop::sample::select(statuses),
            prop::sample::select(bodies),
            prop::option::of(0u32..100)
        )
            .prop_map(|(status, body, retry)| Input::Response {
                status,
                headers: retry
                    .map(|s| vec![("Retry-After".to_owned(), s.to_string())])
                    .unwrap_or_default(),
                body,
            }),
        Just(network()),
        Just(Input::Failed(GuardError::Timeout {
            timeout_ms: 1,
            attempts: 1,
            endpoint_id: None
        })),
    ]
}
