//! The breaker's notion of time: caller-supplied wall-clock instants turned into a clock that
//! never runs backwards.

/// Largest instant accepted, in ms from the epoch (the JS `Date` range). Beyond it f64 loses
/// whole milliseconds, so larger inputs are clamped to it.
pub const MAX_EPOCH_MS: f64 = 8.64e15;

/// Turns the `now` values callers pass in (epoch ms, possibly going backwards) into a
/// monotonic timeline.
///
/// A step backwards counts as no time elapsed and the next steps forward are measured from
/// the new, lower wall time, so a clock jumped back by an hour does not freeze the breaker
/// for an hour. Non-finite `now` values are ignored. While the wall clock never went back,
/// the monotonic time equals the wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    /// Monotonic time of the last step (`-MAX_EPOCH_MS` before any finite step, so the
    /// first finite step can never move it backwards).
    mono: f64,
    /// Wall time of the last step; `None` until a finite `now` was seen.
    wall: Option<f64>,
}

impl Clock {
    /// A clock that has seen no time yet.
    pub fn new() -> Self {
        Clock {
            mono: -MAX_EPOCH_MS,
            wall: None,
        }
    }

    /// A clock whose last step was at `wall_ms` (monotonic time equal to it).
    pub fn at(wall_ms: f64) -> Self {
        let wall = clamp_instant(wall_ms);
        Clock {
            mono: wall,
            wall: Some(wall),
        }
    }

    /// Steps to wall time `now` and returns the monotonic time.
    pub fn tick(&mut self, now: f64) -> f64 {
        if now.is_nan() {
            return self.mono;
        }
        let now = clamp_instant(now);
        match self.wall {
            None => self.mono = self.mono.max(now),
            Some(last) if now > last => self.mono += now - last,
            Some(_) => {}
        }
        self.wall = Some(now);
        self.mono
    }

    /// Wall time of the last step, if any.
    pub fn wall(&self) -> Option<f64> {
        self.wall
    }

    /// The wall-clock instant matching monotonic instant `mono_ms` (for reports).
    pub fn to_wall(&self, mono_ms: f64) -> f64 {
        match self.wall {
            Some(wall) => mono_ms - (self.mono - wall),
            None => mono_ms,
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// Clamps an instant into `[-MAX_EPOCH_MS, MAX_EPOCH_MS]` (NaN becomes 0).
pub fn clamp_instant(ms: f64) -> f64 {
    if ms.is_nan() {
        0.0
    } else {
        ms.clamp(-MAX_EPOCH_MS, MAX_EPOCH_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_forward_clock() {
        let mut c = Clock::new();
        assert_eq!(c.tick(1000.0), 1000.0);
        assert_eq!(c.tick(1500.0), 1500.0);
        assert_eq!(c.to_wall(1200.0), 1200.0);
    }

    #[test]
    fn backwards_step_is_no_time_and_later_steps_count_again() {
        let mut c = Clock::at(10_000.0);
        assert_eq!(c.tick(4_000.0), 10_000.0);
        assert_eq!(c.tick(4_500.0), 10_500.0);
        assert_eq!(c.wall(), Some(4_500.0));
        assert_eq!(c.to_wall(10_500.0), 4_500.0);
        assert_eq!(c.to_wall(10_000.0), 4_000.0);
    }

    #[test]
    fn a_nan_first_step_never_lets_time_run_backwards() {
        let mut c = Clock::new();
        let first = c.tick(f64::NAN);
        assert!(c.tick(-6.7e137) >= first);
        let mut c = Clock::new();
        c.tick(f64::NAN);
        assert_eq!(c.tick(1_000.0), 1_000.0);
    }

    #[test]
    fn ignores_nan_and_clamps_infinities() {
        let mut c = Clock::new();
        assert_eq!(c.tick(f64::NAN), -MAX_EPOCH_MS);
        assert_eq!(c.wall(), None);
        assert_eq!(c.tick(f64::INFINITY), MAX_EPOCH_MS);
        assert_eq!(c.tick(f64::NEG_INFINITY), MAX_EPOCH_MS);
        assert_eq!(c.tick(-MAX_EPOCH_MS + 5.0), MAX_EPOCH_MS + 5.0);
        assert_eq!(c.tick(f64::NAN), MAX_EPOCH_MS + 5.0);
    }
}
