//! Repeated looks at a growing sample with a fixed total error budget.

use super::alpha;

/// The looks of an adaptive case: at doubling request counts up to `max_requests`, each at
/// a confidence that spends part of the budget `1 - confidence`.
///
/// The look after `n` requests, when the previous look was after `previous`, spends
/// `a (n - previous) / max_requests` (a linear spending function, Lan & DeMets 1983); the last
/// look (at `max_requests` or beyond) spends what is left. By the union bound, the chance that
/// any look's interval misses is at most `a`, so deciding at the first look that can does not
/// raise the error rate above the stated one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    /// The overall confidence, e.g. 0.95.
    pub confidence: f64,
    /// The most requests all looks together may use.
    pub max_requests: u64,
}

impl Sequential {
    /// The confidence of the look after `n` requests, the previous look having been after
    /// `previous` (0 for the first).
    pub fn look(&self, previous: u64, n: u64) -> f64 {
        let Some(a) = alpha(self.confidence) else {
            return self.confidence;
        };
        let max = self.max_requests.max(1) as f64;
        let before = (previous as f64 / max).min(1.0);
        let now = if n >= self.max_requests {
            1.0
        } else {
            n as f64 / max
        };
        let spent = (a * (now - before)).max(a * 1e-6);
        1.0 - spent
    }

    /// The request count of the next look after a look at `n`: `2n`, at most `max_requests`;
    /// `None` once `n` has reached it.
    pub fn next(&self, n: u64) -> Option<u64> {
        (n < self.max_requests).then(|| n.saturating_mul(2).clamp(n + 1, self.max_requests))
    }
}
