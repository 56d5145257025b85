//! Verdicts that can be trusted on percentiles: distribution-free confidence intervals for a
//! percentile, a decision against a bound that can be "undecided" (with an estimate of the
//! requests that would decide it), repeated looks for adaptive sampling that keep their error
//! rates, and comparisons of a run with a baseline as a ratio with an interval.
//!
//! Methods, and where they come from:
//!
//! - **Percentile interval** ([`percentile_interval`]): the order-statistic interval. The number
//!   of observations at or below the true q-quantile is Binomial(n, q), so the ranks `l` and `u`
//!   with `P(B <= l-1) <= a/2` and `P(B >= u) <= a/2` give `P(X_(l) <= x_q <= X_(u)) >= 1-a`
//!   whatever the distribution (Conover, *Practical Nonparametric Statistics*, 3rd ed., §3.2;
//!   Hahn & Meeker, *Statistical Intervals*, ch. 5). Exact binomial tails, from statrs. A side
//!   whose rank falls outside `1..=n` is unbounded: with 50 requests nothing bounds a p95 from
//!   above at 95 % (`0.95^50 = 0.077 > 0.025`). For a histogram-backed series the ranks map to
//!   bucket bounds: the lowest value of the lower rank's bucket, the highest of the upper's, so
//!   the interval only widens (by at most the histogram's 0.1 %).
//! - **Adaptive sampling** ([`Sequential`]): looks at doubling request counts; each look spends a
//!   share of the error budget `a` proportional to the requests it added (a linear
//!   alpha-spending function, Lan & DeMets 1983, *Biometrika* 70(3), 659-663), and the union
//!   bound over looks keeps the total error at most `a` however the looks correlate.
//! - **Regression of a percentile** ([`compare_percentiles`]): the percentile bootstrap of the
//!   ratio new/old. Each replicate draws the resampled order statistic directly: the k-th
//!   smallest of n values drawn from the empirical distribution is the empirical quantile at
//!   `U_(k) ~ Beta(k, n-k+1)` (David & Nagaraja, *Order Statistics*, §2.2), one Beta draw per
//!   side, so a replicate costs O(log n) whatever n is. Beta from two Gamma draws (Marsaglia &
//!   Tsang 2000, *ACM TOMS* 26(3)).
//! - **Regression of the mean** ([`compare_means`]): the delta method on the log of the ratio of
//!   means, with each side's own variance (as Welch's test).
//! - **Regression of throughput** ([`compare_rates`]): the log ratio of two Poisson rates,
//!   variance `1/c_old + 1/c_new`.

mod compare;
mod ecdf;
mod interval;
mod sequential;

pub use compare::{
    compare_means, compare_percentiles, compare_rates, lognormal_sample, Change, Comparison,
    Moments,
};
pub use interval::{judge_percentile, percentile_interval, Decision, Interval};
pub use sequential::Sequential;

use hdrhistogram::Histogram;

/// Successful latencies of one series, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub enum Latencies<'a> {
    /// Every value, in any order. Percentiles are Hyndman & Fan type 8, the harness's point
    /// estimate.
    Exact(&'a [u64]),
    /// A histogram (3 significant digits), when there were too many values to keep.
    Histogram(&'a Histogram<u64>),
}

impl Latencies<'_> {
    /// How many values.
    pub fn len(&self) -> u64 {
        match self {
            Latencies::Exact(values) => values.len() as u64,
            Latencies::Histogram(h) => h.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The most more-requests an estimate gives: beyond it, "about N more" means "not with this
/// spread".
pub const MORE_REQUESTS_CAP: u64 = 1_000_000_000;

/// `n * (have / need)^2 - n`: the requests to add so that a half-width `have` at `n`, shrinking
/// like `1/sqrt(n)`, comes down to `need`; at least 1, at most [`MORE_REQUESTS_CAP`].
fn more_for_width(n: u64, have: f64, need: f64) -> u64 {
    let n = n.max(1) as f64;
    if !(have.is_finite() && need.is_finite()) || need <= 0.0 {
        return MORE_REQUESTS_CAP;
    }
    let wanted = n * (have / need).powi(2);
    let more = (wanted - n).ceil();
    if more.is_nan() || more >= MORE_REQUESTS_CAP as f64 {
        MORE_REQUESTS_CAP
    } else {
        (more as u64).max(1)
    }
}

/// `1 - confidence`, when `confidence` lies strictly between 0 and 1.
fn alpha(confidence: f64) -> Option<f64> {
    (confidence > 0.0 && confidence < 1.0).then_some(1.0 - confidence)
}

#[cfg(test)]
mod tests;
