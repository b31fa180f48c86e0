//! The operations in progress, stepped by the one JS driver (`js/driver.mjs`) through plain
//! values: every async export (`call`, `configureTimeout`, `syncMetrics`, `run`, ...) opens an
//! [`Operation`] here and returns its handle; the driver feeds it events and performs what it asks
//! (`fetch`, timers). No export awaits anything and the wasm imports no `fetch` and no timers.
//!
//! `__opAdvance(handle, kind, status, retryAfter, contentType, text)` feeds one event and answers
//! a code: `> 0` send an exchange, `< 0` sleep `-code - 1` ms, `0` finished (`__opResult(handle)`
//! returns the value or throws the `GuardError`). A send's code is `timeoutMs + SEND_SPAN * (2 *
//! shape + fresh)`: the timeout (1 to `SEND_SPAN - 1` ms) and the exchange's shape, a number
//! that stands for the exchange without its timeout. Equal exchanges of the last
//! [`SHAPES_KEPT`] get one shape; `fresh` is 1 the first time a shape is given out (also when a
//! number is given again after wrapping around), and then the driver reads the exchange as JSON
//! text with `__opExchange(handle)` (it also does so for a shape it no longer knows). Event
//! kinds: 0 start, 1 woke, 2 cancel (the caller's signal fired), 3 response (`status`, the two
//! headers and the body `text`), 11 timeout, 12 network error, 13 body too large, 14 unusable
//! response (`text` is the message).

use crate::platform::Clock;
use cognigy_guard_core::protocol::exchange::{Exchange, Failure};
use cognigy_guard_core::protocol::operation::{Action, Event, Operation};
use cognigy_guard_core::protocol::Machine;
use cognigy_guard_core::GuardError;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Turns an operation's outcome into what the promise settles with.
pub type Finish<T> = Box<dyn FnMut(Result<T, GuardError>) -> Result<JsValue, JsValue>>;

/// The factor of a send code's shape part (2^31: `setTimeout` takes at most 2^31 - 1 ms).
pub const SEND_SPAN: f64 = 2_147_483_648.0;
/// Exchange shapes remembered; the driver keeps as many parsed ones.
pub const SHAPES_KEPT: usize = 32;
/// Shape numbers: `2 * shape + 1` times [`SEND_SPAN`] plus a timeout stays below 2^53.
const SHAPES: u32 = 1 << 21;

/// An operation of any machine, as the table holds it.
trait Stepped {
    fn advance(&mut self, event: Event) -> Action;
    fn exchange(&self) -> Option<&Exchange>;
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

    fn exchange(&self) -> Option<&Exchange> {
        self.op.exchange()
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
    /// The open operations by handle (no order needed: a `HashMap`, whose code makes the guard
    /// module 2.0 KiB smaller gzipped than this `BTreeMap` instance did).
    static OPS: RefCell<HashMap<u32, Box<dyn Stepped>>> = RefCell::new(HashMap::new());
    static NEXT: Cell<u32> = const { Cell::new(1) };
    static SHAPE_TABLE: RefCell<Shapes> = RefCell::new(Shapes::default());
}

/// The exchanges given out lately, each with its shape number (oldest first).
#[derive(Default)]
struct Shapes {
    kept: Vec<(u32, Exchange)>,
    next: u32,
}

impl Shapes {
    /// The shape of `exchange` and whether it is given out for the first time.
    fn of(&mut self, exchange: &Exchange) -> (u32, bool) {
        if let Some((shape, _)) = self
            .kept
            .iter()
            .rev()
            .find(|(_, kept)| same_shape(kept, exchange))
        {
            return (*shape, false);
        }
        let shape = self.next;
        self.next = (self.next + 1) % SHAPES;
        // A number given again after wrapping around no longer stands for its old exchange.
        self.kept.retain(|(kept, _)| *kept != shape);
        if self.kept.len() >= SHAPES_KEPT {
            self.kept.remove(0);
        }
        self.kept.push((shape, exchange.clone()));
        (shape, true)
    }
}

/// Whether `a` and `b` differ at most in their timeout.
fn same_shape(a: &Exchange, b: &Exchange) -> bool {
    let Exchange {
        request,
        timeout_ms: _,
        max_body_bytes,
        redirects,
        abortable,
        shared,
    } = a;
    *request == b.request
        && *max_body_bytes == b.max_body_bytes
        && *redirects == b.redirects
        && *abortable == b.abortable
        && *shared == b.shared
}

/// The step code of sending `exchange` (see the module docs).
fn send_code(exchange: &Exchange) -> f64 {
    // The operation guarantees a timeout of at least 1 ms.
    let timeout = exchange.timeout_ms.clamp(1, SEND_SPAN as u64 - 1) as f64;
    let (shape, fresh) = SHAPE_TABLE.with(|shapes| shapes.borrow_mut().of(exchange));
    timeout + SEND_SPAN * f64::from(2 * shape + u32::from(fresh))
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
    fn exchange(&self) -> Option<&Exchange> {
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
        // `Send` always comes with an exchange.
        Action::Send => op.exchange().map_or(0.0, send_code),
    })
    .unwrap_or(0.0)
}

/// The exchange operation `handle` asked to send, as JSON text (see
/// `cognigy_guard_core::protocol::exchange::Exchange::to_wire`).
#[wasm_bindgen(js_name = __opExchange, skip_typescript)]
pub fn op_exchange(handle: u32) -> Option<String> {
    with_op(handle, |op| op.exchange().map(Exchange::to_wire)).flatten()
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
