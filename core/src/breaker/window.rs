//! Count-based sliding window of call outcomes for the failure-rate rule.

use std::collections::VecDeque;

/// The outcomes (failed or not) of the last `capacity` calls, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SlidingWindow {
    capacity: usize,
    outcomes: VecDeque<bool>,
    failures: usize,
}

impl SlidingWindow {
    /// An empty window holding at most `capacity` outcomes (at least one).
    pub fn new(capacity: u32) -> Self {
        SlidingWindow {
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX).max(1),
            outcomes: VecDeque::new(),
            failures: 0,
        }
    }

    /// Records one outcome, dropping the oldest when full.
    pub fn push(&mut self, failed: bool) {
        if self.outcomes.len() >= self.capacity {
            if let Some(true) = self.outcomes.pop_front() {
                self.failures = self.failures.saturating_sub(1);
            }
        }
        self.outcomes.push_back(failed);
        if failed {
            self.failures = self.failures.saturating_add(1);
        }
    }

    /// Forgets every outcome.
    pub fn clear(&mut self) {
        self.outcomes.clear();
        self.failures = 0;
    }

    /// Outcomes held.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether no outcome is held.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Failed outcomes held.
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// Whether at least `minimum_calls` outcomes are held and the failed fraction is at least
    /// `threshold`.
    pub fn rate_reached(&self, minimum_calls: u32, threshold: f64) -> bool {
        let enough = usize::try_from(minimum_calls).is_ok_and(|min| self.len() >= min);
        enough && !self.is_empty() && self.failures as f64 >= threshold * self.len() as f64
    }

    /// The outcomes as text, oldest first: `1` for a failure, `0` for a success.
    pub fn encode(&self) -> String {
        self.outcomes
            .iter()
            .map(|&failed| if failed { '1' } else { '0' })
            .collect()
    }

    /// Rebuilds a window from [`Self::encode`] text, keeping the newest `capacity` outcomes.
    /// `None` when the text holds anything but `0` and `1`.
    pub fn decode(capacity: u32, text: &str) -> Option<Self> {
        let mut window = SlidingWindow::new(capacity);
        for c in text.chars() {
            match c {
                '0' => window.push(false),
                '1' => window.push(true),
                _ => return None,
            }
        }
        Some(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slides_and_counts() {
        let mut w = SlidingWindow::new(3);
        w.push(true);
        w.push(true);
        w.push(false);
        assert_eq!((w.len(), w.failures()), (3, 2));
        w.push(false);
        assert_eq!((w.len(), w.failures()), (3, 1));
        assert_eq!(w.encode(), "100");
        w.clear();
        assert!(w.is_empty());
        assert_eq!(w.failures(), 0);
    }

    #[test]
    fn rate_needs_minimum_calls() {
        let mut w = SlidingWindow::new(4);
        w.push(true);
        assert!(!w.rate_reached(2, 0.5));
        w.push(false);
        assert!(w.rate_reached(2, 0.5));
        assert!(!w.rate_reached(2, 0.51));
        assert!(!SlidingWindow::new(4).rate_reached(0, 0.5));
    }

    #[test]
    fn decode_round_trips_and_trims() {
        let w = SlidingWindow::decode(3, "11010").unwrap();
        assert_eq!(w.encode(), "010");
        assert_eq!(w.failures(), 1);
        assert!(SlidingWindow::decode(3, "01x").is_none());
    }
}
