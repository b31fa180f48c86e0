//! [`Operation`]: a [`Machine`] with what every platform request needs, so the driver only performs
//! exchanges and timers.
//!
//! For a call that needs credentials, the operation takes them from the shared [`Authority`]; when
//! an OAuth token must be fetched first it sends the token request (marked shared, so the driver
//! serves concurrent callers with one fetch), then the request. A 401 to a request that carried a
//! token invalidates it and the request is sent once more with a fresh one. All of this happens
//! within the `timeout_ms` the machine gave its `Send`, so a machine's deadline holds. Requests
//! that carry credentials follow redirects only under the base URL; a token request follows none.

use super::exchange::{Exchange, Failure, Redirects};
use super::{Call, Input, Machine, Step};
use crate::auth::Authority;
use crate::error::GuardError;
use crate::profile::Credentials;
use crate::suite_run::ProgressEvent;
use std::cell::RefCell;
use std::rc::Rc;

/// Longest token answer read.
const MAX_TOKEN_BODY_BYTES: u64 = 64 * 1024;
/// Longest time allowed for a token request, whatever the exchange's budget.
pub const TOKEN_TIMEOUT_MS: u64 = 10_000;

/// Credentials shared by the operations of one instance.
pub type SharedAuthority = Rc<RefCell<Authority>>;

/// What happened since the last [`Operation::advance`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Begin.
    Start,
    /// The requested sleep is over.
    Woke,
    /// The caller's `AbortSignal` fired.
    Cancel,
    /// The exchange got an HTTP answer.
    Response {
        /// HTTP status.
        status: u16,
        /// The headers the parsers read, names lower-case.
        headers: Vec<(String, String)>,
        /// The body text (within the exchange's limit).
        body: String,
    },
    /// The exchange got no usable answer.
    Failed(Failure),
}

/// What the driver does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Perform [`Operation::exchange`].
    Send,
    /// Wait this many ms, then feed [`Event::Woke`].
    Sleep(u64),
    /// Finished: [`Operation::take_output`] holds the outcome.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The OAuth token request is out.
    Token,
    /// The machine's request is out, with credentials when `authorized`.
    Request { authorized: bool },
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    call: Call,
    asked_at: f64,
    budget_ms: u64,
    refreshed: bool,
    stage: Stage,
}

/// A machine run by the driver; see the module documentation.
pub struct Operation<M: Machine> {
    machine: M,
    authority: Option<SharedAuthority>,
    pending: Option<Pending>,
    exchange: Option<Exchange>,
    output: Option<Result<M::Output, GuardError>>,
    cancelled: bool,
}

impl<M: Machine> Operation<M> {
    /// Runs `machine`, taking credentials from `authority` (none when `None`).
    pub fn new(machine: M, authority: Option<SharedAuthority>) -> Self {
        Operation {
            machine,
            authority,
            pending: None,
            exchange: None,
            output: None,
            cancelled: false,
        }
    }

    /// The machine.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The exchange to perform after [`Action::Send`].
    pub fn exchange(&self) -> Option<&Exchange> {
        self.exchange.as_ref()
    }

    /// The outcome, once [`Action::Done`] was returned (taken once).
    pub fn take_output(&mut self) -> Option<Result<M::Output, GuardError>> {
        self.output.take()
    }

    /// The machine's progress events since the last call.
    pub fn take_progress(&mut self) -> Vec<ProgressEvent> {
        self.machine.take_progress()
    }

    /// Feeds `event` at `now` (`random` uniform in `[0, 1)`) and returns the next action. Events
    /// that make no sense now (an answer with no exchange out, anything after the end) never
    /// panic: the former is passed to the machine as it is, the latter repeats [`Action::Done`].
    pub fn advance(&mut self, event: Event, now: f64, random: f64) -> Action {
        if self.output.is_some() {
            return Action::Done;
        }
        let exchange = self.exchange.take();
        let pending = self.pending.take();
        let step = match event {
            Event::Start => self.machine.start(now),
            Event::Woke => self.machine.on_wake(now, random),
            Event::Cancel if self.cancelled => return self.wait_again(pending, exchange),
            Event::Cancel => {
                self.cancelled = true;
                self.machine.cancel(now)
            }
            Event::Response {
                status,
                headers,
                body,
            } => return self.answered(pending, status, headers, body, now, random),
            Event::Failed(failure) => {
                let error = match &exchange {
                    Some(exchange) => failure.into_error(exchange),
                    None => GuardError::Network {
                        message: "the exchange failed".to_owned(),
                        attempts: 1,
                        endpoint_id: None,
                    },
                };
                self.machine.on_reply(Input::Failed(error), now, random)
            }
        };
        self.follow(step, now, random)
    }

    /// A second cancel while the cancel request is out: keep waiting for it.
    fn wait_again(&mut self, pending: Option<Pending>, exchange: Option<Exchange>) -> Action {
        self.pending = pending;
        match exchange {
            Some(exchange) => {
                self.exchange = Some(exchange);
                Action::Send
            }
            None => Action::Done,
        }
    }

    /// Performs the machine's steps until one needs the driver.
    fn follow(&mut self, mut step: Step<M::Output>, now: f64, random: f64) -> Action {
        loop {
            step = match step {
                Step::Done(result) => {
                    self.output = Some(result);
                    return Action::Done;
                }
                Step::Sleep { ms } => return Action::Sleep(ms),
                Step::Send { call, timeout_ms } => {
                    let pending = Pending {
                        call,
                        asked_at: now,
                        budget_ms: timeout_ms.max(1),
                        refreshed: false,
                        stage: Stage::Request { authorized: false },
                    };
                    match self.send(pending, now) {
                        Ok(action) => return action,
                        Err(error) => self.machine.on_reply(Input::Failed(error), now, random),
                    }
                }
            };
        }
    }

    /// Sends the request of `pending` with the credentials at hand, or the token request first.
    fn send(&mut self, pending: Pending, now: f64) -> Result<Action, GuardError> {
        if !self.machine.needs_credentials(pending.call) {
            return self.send_request(pending, None, now);
        }
        let at_hand = match &self.authority {
            Some(authority) => authority.try_borrow().map_err(busy)?.at_hand(now),
            None => Some(None),
        };
        match at_hand {
            Some(credentials) => self.send_request(pending, credentials, now),
            None => self.send_token_request(pending, now),
        }
    }

    fn send_request(
        &mut self,
        pending: Pending,
        credentials: Option<Credentials>,
        now: f64,
    ) -> Result<Action, GuardError> {
        let timeout_ms = remaining(&pending, now)?;
        let request = self.machine.request(pending.call, credentials.as_ref())?;
        let redirects = match (&credentials, &self.authority) {
            (None, _) => match self.machine.redirect_scope(pending.call) {
                Some(prefix) => Redirects::Within(prefix),
                None => Redirects::Follow,
            },
            (Some(_), Some(authority)) => {
                Redirects::Within(authority.try_borrow().map_err(busy)?.base().scope())
            }
            (Some(_), None) => Redirects::Never,
        };
        self.exchange = Some(Exchange {
            request,
            timeout_ms,
            max_body_bytes: self.machine.max_body_bytes(pending.call),
            redirects,
            abortable: !self.cancelled,
            shared: false,
        });
        self.pending = Some(Pending {
            stage: Stage::Request {
                authorized: credentials.is_some(),
            },
            ..pending
        });
        Ok(Action::Send)
    }

    fn send_token_request(&mut self, pending: Pending, now: f64) -> Result<Action, GuardError> {
        let timeout_ms = remaining(&pending, now)?.min(TOKEN_TIMEOUT_MS);
        let request = match &self.authority {
            Some(authority) => authority.try_borrow().map_err(busy)?.token_request()?,
            None => return Err(GuardError::Config("no OAuth client is configured".into())),
        };
        self.exchange = Some(Exchange {
            request,
            timeout_ms,
            max_body_bytes: MAX_TOKEN_BODY_BYTES,
            redirects: Redirects::Never,
            abortable: !self.cancelled,
            shared: true,
        });
        self.pending = Some(Pending {
            stage: Stage::Token,
            ..pending
        });
        Ok(Action::Send)
    }

    /// An HTTP answer to the exchange of `pending` (`None`: nothing was out; the machine gets it).
    fn answered(
        &mut self,
        pending: Option<Pending>,
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        now: f64,
        random: f64,
    ) -> Action {
        let outcome = match pending.map(|p| (p, p.stage)) {
            None => None,
            Some((pending, Stage::Token)) => {
                self.token_answered(pending, status, &headers, &body, now)
            }
            Some((pending, Stage::Request { authorized })) => {
                let refresh = status == 401 && authorized && !pending.refreshed;
                match &self.authority {
                    Some(authority) if refresh && can_refresh(authority) => {
                        if let Ok(mut authority) = authority.try_borrow_mut() {
                            authority.invalidate();
                        }
                        let retry = Pending {
                            refreshed: true,
                            ..pending
                        };
                        Some(self.send_token_request(retry, now))
                    }
                    _ => None,
                }
            }
        };
        let step = match outcome {
            Some(Ok(action)) => return action,
            Some(Err(error)) => self.machine.on_reply(Input::Failed(error), now, random),
            None => self.machine.on_reply(
                Input::Response {
                    status,
                    headers,
                    body,
                },
                now,
                random,
            ),
        };
        self.follow(step, now, random)
    }

    fn token_answered(
        &mut self,
        pending: Pending,
        status: u16,
        headers: &[(String, String)],
        body: &str,
        now: f64,
    ) -> Option<Result<Action, GuardError>> {
        let credentials = match &self.authority {
            Some(authority) => authority
                .try_borrow_mut()
                .map_err(busy)
                .and_then(|mut a| a.accept_token(status, headers, body, now)),
            None => Err(GuardError::Config("no OAuth client is configured".into())),
        };
        Some(credentials.and_then(|c| self.send_request(pending, Some(c), now)))
    }
}

fn can_refresh(authority: &SharedAuthority) -> bool {
    authority.try_borrow().is_ok_and(|a| a.can_refresh())
}

/// Time left of the exchange's budget (at least 1 ms), or `TIMEOUT` once it is spent.
fn remaining(pending: &Pending, now: f64) -> Result<u64, GuardError> {
    let spent = now - pending.asked_at;
    let spent = if spent.is_finite() && spent > 0.0 {
        spent.ceil() as u64
    } else {
        0
    };
    match pending.budget_ms.checked_sub(spent) {
        Some(left) if left >= 1 => Ok(left),
        _ => Err(GuardError::Timeout {
            timeout_ms: pending.budget_ms,
            attempts: 1,
            endpoint_id: None,
        }),
    }
}

/// The authority is borrowed elsewhere (cannot happen: operations run one step at a time).
fn busy<E>(_: E) -> GuardError {
    GuardError::Config("the credentials are in use by another step".to_owned())
}

#[cfg(test)]
mod tests;
