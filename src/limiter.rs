//! A first-in-first-out limit on concurrent runs (Cognigy allows 10 concurrent playbook runs):
//! runs beyond the limit wait in a queue until a running one ends.

use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Admits at most `max` holders of a [`Permit`] at a time.
pub struct Limiter {
    max: usize,
    active: Cell<usize>,
    waiting: RefCell<VecDeque<Function>>,
}

/// A place among the running; dropping it admits the next waiter.
pub struct Permit {
    limiter: Rc<Limiter>,
}

impl Limiter {
    /// A limiter admitting `max` (at least 1) at a time.
    pub fn new(max: usize) -> Rc<Self> {
        Rc::new(Limiter {
            max: max.max(1),
            active: Cell::new(0),
            waiting: RefCell::new(VecDeque::new()),
        })
    }

    /// Waits for a place.
    pub async fn acquire(self: &Rc<Self>) -> Permit {
        if self.active.get() < self.max {
            self.active.set(self.active.get().saturating_add(1));
        } else {
            let limiter = Rc::clone(self);
            let turn = Promise::new(&mut move |resolve, _reject| {
                limiter.waiting.borrow_mut().push_back(resolve);
            });
            // The releasing permit hands its place over: `active` stays as it is.
            let _ = JsFuture::from(turn).await;
        }
        Permit {
            limiter: Rc::clone(self),
        }
    }

    /// Runs holding a place right now.
    pub fn active(&self) -> usize {
        self.active.get()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let next = self.limiter.waiting.borrow_mut().pop_front();
        match next {
            Some(resolve) => {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
            None => self
                .limiter
                .active
                .set(self.limiter.active.get().saturating_sub(1)),
        }
    }
}
