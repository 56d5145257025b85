//! The order-statistic confidence interval of a percentile, and a decision against a bound.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

use super::ecdf::Ecdf;
use super::{alpha, Latencies, MORE_REQUESTS_CAP};

/// A two-sided confidence interval for a percentile, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The level, e.g. 0.95.
    pub confidence: f64,
    /// The lower end; 0 when the lower rank falls below the smallest value.
    pub low_ns: u64,
    /// The upper end; `None` when the upper rank falls above the largest value: too few
    /// requests to bound the percentile from above at this level.
    pub high_ns: Option<u64>,
}

/// A percentile against an upper bound, at a confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The interval lies at or below the bound: met with the confidence.
    Met,
    /// The interval lies above the bound: missed with the confidence.
    Missed,
    /// The interval straddles the bound.
    Undecided {
        /// About this many more requests would decide it, if the percentile stayed where it is.
        more_requests: u64,
    },
}

/// The 1-based ranks `(l, u)` of the interval's ends among `n` values, each `None` when it
/// falls outside `1..=n` (that side is unbounded).
fn ranks(n: u64, q: f64, a: f64) -> Option<(Option<u64>, Option<u64>)> {
    let b = Binomial::new(q, n).ok()?;
    let tail = a / 2.0;
    // l - 1 is the largest j with P(B <= j) <= a/2.
    let lower = if b.cdf(0) > tail {
        None
    } else {
        let (mut lo, mut hi) = (0, n); // cdf(lo) <= tail; find the last such j
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if b.cdf(mid) <= tail {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo + 1).filter(|&l| l <= n)
    };
    // u - 1 is the smallest j with P(B <= j) >= 1 - a/2, and u must not exceed n.
    let upper = if n == 0 || b.cdf(n - 1) < 1.0 - tail {
        None
    } else {
        let (mut lo, mut hi) = (0, n - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if b.cdf(mid) >= 1.0 - tail {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo + 1)
    };
    Some((lower, upper))
}

/// About how many more requests would decide `q`-quantile <= `bound` at error `a`, if the
/// distribution stayed as observed: the least n' for which the interval's end on the far side
/// of the bound, rank `u(n')` (or `l(n')`) of n', read at the same position `u / (n' + 1)` of the
/// observed distribution, no longer reaches across the bound.
fn more_to_decide(ecdf: &Ecdf, q: f64, bound: u64, a: f64) -> u64 {
    let n = ecdf.len();
    let met = ecdf.quantile(q) <= bound as f64;
    let decided = |m: u64| -> bool {
        let Some((lower, upper)) = ranks(m, q, a) else {
            return false;
        };
        let at = |rank: u64, low: bool| {
            let position = rank as f64 / (m as f64 + 1.0);
            let observed = ((position * (n as f64 + 1.0)).round() as u64).clamp(1, n);
            ecdf.at_rank(observed, low)
        };
        if met {
            upper.is_some_and(|u| at(u, false) <= bound)
        } else {
            lower.is_some_and(|l| at(l, true) > bound)
        }
    };
    let mut high = n.max(1).saturating_mul(2);
    while !decided(high) {
        if high >= MORE_REQUESTS_CAP {
            return MORE_REQUESTS_CAP;
        }
        high = high.saturating_mul(2);
    }
    let mut low = n;
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if decided(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    (high - n).clamp(1, MORE_REQUESTS_CAP)
}

/// The distribution-free two-sided interval of the q-quantile at `confidence` (see the module
/// documentation). `None` when there is no data, or `q` or `confidence` is not strictly between
/// 0 and 1.
pub fn percentile_interval(data: Latencies, q: f64, confidence: f64) -> Option<Interval> {
    interval_of(&Ecdf::of(data), q, confidence)
}

fn interval_of(ecdf: &Ecdf, q: f64, confidence: f64) -> Option<Interval> {
    let a = alpha(confidence)?;
    let n = ecdf.len();
    if n == 0 || !(q > 0.0 && q < 1.0) {
        return None;
    }
    let (lower, upper) = ranks(n, q, a)?;
    Some(Interval {
        confidence,
        low_ns: lower.map_or(0, |l| ecdf.at_rank(l, true)),
        high_ns: upper.map(|u| ecdf.at_rank(u, false)),
    })
}

/// The interval of the q-quantile and whether it is at most `bound_ns`, with the confidence.
///
/// For an undecided bound, the more-requests estimate assumes the distribution stays as
/// observed (see `more_to_decide`); it is an estimate, not a promise.
pub fn judge_percentile(
    data: Latencies,
    q: f64,
    bound_ns: u64,
    confidence: f64,
) -> Option<(Interval, Decision)> {
    let ecdf = Ecdf::of(data);
    let interval = interval_of(&ecdf, q, confidence)?;
    let bound = bound_ns;
    if interval.high_ns.is_some_and(|h| h <= bound) {
        return Some((interval, Decision::Met));
    }
    if interval.low_ns > bound {
        return Some((interval, Decision::Missed));
    }
    let more_requests = more_to_decide(&ecdf, q, bound, 1.0 - confidence);
    Some((interval, Decision::Undecided { more_requests }))
}
