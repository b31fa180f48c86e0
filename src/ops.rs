//! The operations in progress, stepped by the one JS driver (`js/driver.mjs`) through plain
//! values: every async export (`call`, `configureTimeout`, `syncMetrics`, `run`, ...) opens an
//! [`Operation`] here and returns its handle; the driver feeds it events and performs what it asks
//! (`fetch`, timers). No export awaits anything and the wasm imports no `fetch` and no timers.
//!
//! `__opAdvance(handle, kind, status, retryAfter, contentType, text)` feeds one event and answers
//! a code: `> 0` send the exchange `__opExchange(handle)` with that timeout in ms, `< 0` sleep
//! `-code - 1` ms, `0` finished (`__opResult(handle)` returns the value or throws the
//! `GuardError`). Event kinds: 0 start, 1 woke, 2 cancel (the caller's signal fired), 3 response
//! (`status`, the two headers and the body `text`), 11 timeout, 12 network error, 13 body too
//! large, 14 unusable response (`text` is the message).

use crate::platform::Clock;
use cognigy_guard_core::protocol::exchange::Failure;
use cognigy_guard_core::protocol::operation::{Action, Event, Operation};
use cognigy_guard_core::protocol::Machine;
use cognigy_guard_core::GuardError;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Turns an operation's outcome into what the promise settles with.
pub type Finish<T> = Box<dyn FnMut(Result<T, GuardError>) -> Result<JsValue, JsValue>>;

/// An operation of any machine, as the table holds it.
trait Stepped {
    fn advance(&mut self, event: Event) -> Action;
    fn exchange_wire(&self) -> Option<String>;
    fn timeout_ms(&self) -> Option<u64>;
    fn progress_wire(&mut self) -> Option<String>;
    fn settle(&mut self) -> Result<JsValue, JsValue>;
}

struct Entry<M: Machine> {
    op: Operation<M>,
    clock: Rc<Clock>,
    finish: Finish<M::Output>,
}

impl<M: Machine> Stepped for Entry<M> {
    fn advance(&mut self, event: Event) -> Action {
        let now = self.clock.now();
        self.op.advance(event, now, js_sys::Math::random())
    }

    fn exchange_wire(&self) -> Option<String> {
        self.op.exchange().map(|e| e.to_wire())
    }

    fn timeout_ms(&self) -> Option<u64> {
        self.op.exchange().map(|e| e.timeout_ms)
    }

    fn progress_wire(&mut self) -> Option<String> {
        let events = self.op.take_progress();
        if events.is_empty() {
            return None;
        }
        serde_json::to_string(&events).ok()
    }

    fn settle(&mut self) -> Result<JsValue, JsValue> {
        let outcome = self.op.take_output().unwrap_or_else(|| {
            Err(GuardError::Config(
                "the operation is not finished".to_owned(),
            ))
        });
        (self.finish)(outcome)
    }
}

thread_local! {
    static OPS: RefCell<BTreeMap<u32, Box<dyn Stepped>>> = RefCell::new(BTreeMap::new());
    static NEXT: Cell<u32> = const { Cell::new(1) };
}

/// Stores `machine` as a new operation with credentials from `authority`, time from `clock` and
/// its outcome turned into JS by `finish`; returns its handle.
pub fn open<M: Machine + 'static>(
    machine: M,
    authority: Option<cognigy_guard_core::protocol::operation::SharedAuthority>,
    clock: Rc<Clock>,
    finish: Finish<M::Output>,
) -> u32 {
    let entry = Entry {
        op: Operation::new(machine, authority),
        clock,
        finish,
    };
    insert(Box::new(entry))
}

/// Stores an operation that already failed (bad arguments): it settles with `error`.
pub fn failed(error: JsValue) -> u32 {
    let machine = Failed(Some(error));
    insert(Box::new(machine))
}

fn insert(op: Box<dyn Stepped>) -> u32 {
    OPS.with(|ops| {
        let mut ops = ops.borrow_mut();
        let mut handle = NEXT.with(Cell::get);
        while handle == 0 || ops.contains_key(&handle) {
            handle = handle.wrapping_add(1);
        }
        NEXT.with(|next| next.set(handle.wrapping_add(1)));
        ops.insert(handle, op);
        handle
    })
}

/// Takes operation `handle` out of the table while `f` runs (the clock is JS and may call back),
/// then puts it back.
fn with_op<T>(handle: u32, f: impl FnOnce(&mut dyn Stepped) -> T) -> Option<T> {
    let mut op = OPS.with(|ops| ops.borrow_mut().remove(&handle))?;
    let result = f(op.as_mut());
    OPS.with(|ops| ops.borrow_mut().insert(handle, op));
    Some(result)
}

/// An operation that settles with an error given when it was opened.
struct Failed(Option<JsValue>);

impl Stepped for Failed {
    fn advance(&mut self, _event: Event) -> Action {
        Action::Done
    }
    fn exchange_wire(&self) -> Option<String> {
        None
    }
    fn timeout_ms(&self) -> Option<u64> {
        None
    }
    fn progress_wire(&mut self) -> Option<String> {
        None
    }
    fn settle(&mut self) -> Result<JsValue, JsValue> {
        Err(self.0.take().unwrap_or(JsValue::UNDEFINED))
    }
}

fn event(
    kind: u32,
    status: u16,
    retry_after: Option<String>,
    content_type: Option<String>,
    text: Option<String>,
) -> Event {
    match kind {
        0 => Event::Start,
        1 => Event::Woke,
        2 => Event::Cancel,
        3 => {
            let headers = [("retry-after", retry_after), ("content-type", content_type)]
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
                .collect();
            Event::Response {
                status,
                headers,
                body: text.unwrap_or_default(),
            }
        }
        code => Event::Failed(Failure::from_code(
            code.saturating_sub(10),
            text.unwrap_or_default(),
        )),
    }
}

/// Feeds one event to operation `handle`; answers the next step's code (see the module docs).
/// An unknown handle answers 0 (its result is then a `CONFIG` error).
#[wasm_bindgen(js_name = __opAdvance, skip_typescript)]
pub fn op_advance(
    handle: u32,
    kind: u32,
    status: u16,
    retry_after: Option<String>,
    content_type: Option<String>,
    text: Option<String>,
) -> f64 {
    let event = event(kind, status, retry_after, content_type, text);
    with_op(handle, |op| match op.advance(event) {
        Action::Done => 0.0,
        Action::Sleep(ms) => -(ms as f64) - 1.0,
        // The operation guarantees a timeout of at least 1 ms.
        Action::Send => op.timeout_ms().unwrap_or(1).max(1) as f64,
    })
    .unwrap_or(0.0)
}

/// The exchange operation `handle` asked to send, as JSON text (see
/// `cognigy_guard_core::protocol::exchange::Exchange::to_wire`).
#[wasm_bindgen(js_name = __opExchange, skip_typescript)]
pub fn op_exchange(handle: u32) -> Option<String> {
    with_op(handle, |op| op.exchange_wire()).flatten()
}

/// Progress events of operation `handle` since the last call, as JSON text (`undefined` when
/// there are none).
#[wasm_bindgen(js_name = __opProgress, skip_typescript)]
pub fn op_progress(handle: u32) -> Option<String> {
    with_op(handle, |op| op.progress_wire()).flatten()
}

/// Ends operation `handle`: its value, or throws its `GuardError`.
#[wasm_bindgen(js_name = __opResult, skip_typescript)]
pub fn op_result(handle: u32) -> Result<JsValue, JsValue> {
    let op = OPS.with(|ops| ops.borrow_mut().remove(&handle));
    match op {
        Some(mut op) => op.settle(),
        None => Err(crate::error::to_js_error(&GuardError::Config(
            "the operation is unknown or already settled".to_owned(),
        ))),
    }
}

/// Forgets operation `handle` (the driver could not finish it).
#[wasm_bindgen(js_name = __opDrop, skip_typescript)]
pub fn op_drop(handle: u32) {
    OPS.with(|ops| ops.borrow_mut().remove(&handle));
}
