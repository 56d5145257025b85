//! The load over time: users or arrivals per second at each moment of a run, as constant
//! levels, spawn-rate ramps or linear stages; and, for arrivals, when the i-th one is due.

use std::time::Duration;

/// Load as a function of time: piecewise linear from `start`, one piece per stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The level at time zero.
    pub start: f64,
    /// `(duration, target)`: each piece goes linearly from the previous level to `target`.
    pub pieces: Vec<(Duration, f64)>,
}

impl Shape {
    /// A constant level for `duration`.
    pub fn constant(level: f64, duration: Duration) -> Self {
        Shape {
            start: level,
            pieces: vec![(duration, level)],
        }
    }

    /// From zero up to `level` at `per_second`, then constant, for `duration` in all.
    pub fn ramp(level: f64, per_second: f64, duration: Duration) -> Self {
        let rise = Duration::from_secs_f64((level / per_second).max(0.0)).min(duration);
        let reached = if duration.is_zero() {
            0.0
        } else {
            level.min(per_second * rise.as_secs_f64())
        };
        let mut pieces = vec![(rise, reached)];
        if rise < duration {
            pieces.push((duration - rise, reached));
        }
        Shape { start: 0.0, pieces }
    }

    /// The whole run.
    pub fn duration(&self) -> Duration {
        self.pieces.iter().map(|(d, _)| *d).sum()
    }

    /// The highest level at any time.
    pub fn peak(&self) -> f64 {
        self.pieces
            .iter()
            .map(|(_, t)| *t)
            .fold(self.start, f64::max)
    }

    /// The level at `t` (the last target after the end).
    pub fn at(&self, t: Duration) -> f64 {
        let mut from = self.start;
        let mut begun = Duration::ZERO;
        for &(length, target) in &self.pieces {
            if t < begun + length {
                let share = (t - begun).as_secs_f64() / length.as_secs_f64();
                return from + (target - from) * share;
            }
            begun += length;
            from = target;
        }
        from
    }

    /// Each piece as `(from, to, start level, target)`.
    pub fn spans(&self) -> Vec<(Duration, Duration, f64, f64)> {
        let mut from = Duration::ZERO;
        let mut level = self.start;
        self.pieces
            .iter()
            .map(|&(length, target)| {
                let span = (from, from + length, level, target);
                from += length;
                level = target;
                span
            })
            .collect()
    }

    /// When arrival number `i` (from 0) is due, reading the shape as arrivals per second: the
    /// time at which the integral of the rate reaches `i`. `None` past the end.
    pub fn arrival(&self, i: u64) -> Option<Duration> {
        let wanted = i as f64;
        let mut done = 0.0;
        let mut begun = 0.0;
        let mut from = self.start;
        for &(length, target) in &self.pieces {
            let t = length.as_secs_f64();
            let here = t * (from + target) / 2.0;
            if wanted < done + here {
                // Within this piece the count grows as from*x + (target - from) * x^2 / (2t):
                // solve for x, in the form that stays exact when the slope is zero.
                let n = wanted - done;
                let a = (target - from) / (2.0 * t);
                let root = (from * from + 4.0 * a * n).max(0.0).sqrt();
                let x = if from + root > 0.0 {
                    2.0 * n / (from + root)
                } else {
                    0.0
                };
                return Some(Duration::from_secs_f64(begun + x.clamp(0.0, t)));
            }
            done += here;
            begun += t;
            from = target;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: f64) -> Duration {
        Duration::from_secs_f64(n)
    }

    #[test]
    fn constant_rate_arrivals_are_evenly_spaced() {
        let shape = Shape::constant(50.0, s(2.0));
        assert_eq!(shape.arrival(0), Some(s(0.0)));
        assert_eq!(shape.arrival(1), Some(s(0.02)));
        assert_eq!(shape.arrival(99), Some(s(1.98)));
        assert_eq!(shape.arrival(100), None);
    }

    #[test]
    fn a_linear_ramp_integrates_to_its_area() {
        // 0 -> 100/s over 10 s: 500 arrivals; the n-th at sqrt(n / 5) seconds.
        let shape = Shape {
            start: 0.0,
            pieces: vec![(s(10.0), 100.0)],
        };
        let at = shape.arrival(125).unwrap().as_secs_f64();
        assert!((at - 5.0).abs() < 1e-9, "{at}");
        assert!(shape.arrival(499).is_some());
        assert_eq!(shape.arrival(500), None);
        // Down again: 100 -> 0 over 10 s also holds 500.
        let down = Shape {
            start: 100.0,
            pieces: vec![(s(10.0), 0.0)],
        };
        assert!(down.arrival(499).is_some() && down.arrival(500).is_none());
    }

    #[test]
    fn levels_and_stages() {
        let shape = Shape {
            start: 0.0,
            pieces: vec![(s(10.0), 20.0), (s(10.0), 20.0), (s(5.0), 0.0)],
        };
        assert_eq!(shape.at(s(5.0)), 10.0);
        assert_eq!(shape.at(s(15.0)), 20.0);
        assert_eq!(shape.at(s(22.5)), 10.0);
        assert_eq!(shape.duration(), s(25.0));
        assert_eq!(shape.peak(), 20.0);
        assert_eq!(shape.spans()[2], (s(20.0), s(25.0), 20.0, 0.0));
        let ramp = Shape::ramp(100.0, 10.0, s(60.0));
        assert_eq!(ramp.at(s(5.0)), 50.0);
        assert_eq!(ramp.at(s(30.0)), 100.0);
        assert_eq!(ramp.duration(), s(60.0));
    }
}
