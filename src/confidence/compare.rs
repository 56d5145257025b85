//! This run against a baseline: the ratio new/old of a statistic with a confidence interval, a
//! one-sided p-value, and whether the change is within its tolerance.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::ecdf::Ecdf;
use super::{alpha, more_for_width, Latencies, MORE_REQUESTS_CAP};

/// Whether a change is within its tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The whole interval is on the allowed side of the tolerance.
    Within,
    /// The whole interval is beyond the tolerance.
    Regressed,
    /// The interval straddles the tolerance.
    Undecided {
        /// About this many more requests per side would decide it.
        more_requests: u64,
    },
}

/// The change of one statistic, new / old.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The point estimate of new / old.
    pub ratio: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
    /// The interval's level.
    pub confidence: f64,
    /// One-sided p-value of "no change beyond the tolerance": small means a regression.
    pub p_value: f64,
    /// Against the tolerance.
    pub change: Change,
    /// The whole interval is on the good side of 1: a significant improvement.
    pub improved: bool,
}

/// Count, mean and sample standard deviation of one side's latencies, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Successful requests.
    pub n: u64,
    /// Their mean.
    pub mean_ns: f64,
    /// Their sample standard deviation.
    pub stddev_ns: f64,
}

/// Which way is bad: latencies regress upwards, throughput downwards.
#[derive(Clone, Copy)]
enum Worse {
    Up,
    Down,
}

/// The decision, improvement and more-requests estimate for an interval of the ratio against
/// the limit `1 + tolerance`; `n` is the smaller side's request count.
fn decide(ratio: f64, low: f64, high: f64, tolerance: f64, worse: Worse, n: u64) -> (Change, bool) {
    let limit = 1.0 + tolerance;
    let (regressed, within, improved) = match worse {
        Worse::Up => (low > limit, high <= limit, high < 1.0),
        Worse::Down => (high < limit, low >= limit, low > 1.0),
    };
    let change = if regressed {
        Change::Regressed
    } else if within {
        Change::Within
    } else {
        // Half-width in log space against the distance of the estimate from the limit.
        let have = (high.ln() - low.ln()) / 2.0;
        let need = (limit.ln() - ratio.ln()).abs();
        Change::Undecided {
            more_requests: more_for_width(n, have, need),
        }
    };
    (change, improved)
}

/// The ratio of the q-quantiles new/old with a percentile-bootstrap interval from
/// `replicates` resamples (the exact bootstrap of an order statistic, by Beta draws; see the
/// module documentation), and the decision against `tolerance` (`0.10`: may grow 10 %).
/// `seed` fixes the resamples. `None` when either side is empty, or an input is out of range.
pub fn compare_percentiles(
    old: Latencies,
    new: Latencies,
    q: f64,
    tolerance: f64,
    confidence: f64,
    replicates: u32,
    seed: u64,
) -> Option<Comparison> {
    let a = alpha(confidence)?;
    if old.is_empty() || new.is_empty() || !(q > 0.0 && q < 1.0) || replicates < 10 {
        return None;
    }
    let (before, after) = (Ecdf::of(old), Ecdf::of(new));
    let (p_old, p_new) = (before.quantile(q), after.quantile(q));
    if p_old <= 0.0 {
        return None;
    }
    let ratio = p_new / p_old;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut ratios: Vec<f64> = (0..replicates)
        .map(|_| {
            let b = resampled_quantile(&before, q, &mut rng).max(1.0);
            resampled_quantile(&after, q, &mut rng) / b
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = ((p * replicates as f64).floor() as usize).min(ratios.len() - 1);
        ratios[i]
    };
    let (low, high) = (at(a / 2.0), at(1.0 - a / 2.0));
    let limit = 1.0 + tolerance;
    let allowed = ratios.iter().filter(|&&r| r <= limit).count();
    let p_value = (allowed as f64 + 1.0) / (replicates as f64 + 1.0);
    let n = before.len().min(after.len());
    let (change, improved) = decide(ratio, low, high, tolerance, Worse::Up, n);
    Some(Comparison {
        ratio,
        low,
        high,
        confidence,
        p_value,
        change,
        improved,
    })
}

/// The q-quantile of one bootstrap resample of `ecdf`: the order statistic of rank
/// `k = ceil(q n)` of n draws is the empirical quantile at a Beta(k, n-k+1) draw.
fn resampled_quantile(ecdf: &Ecdf, q: f64, rng: &mut SmallRng) -> f64 {
    let n = ecdf.len();
    let k = ((q * n as f64).ceil() as u64).clamp(1, n);
    let u = beta(k as f64, (n - k + 1) as f64, rng);
    let rank = ((u * n as f64).ceil() as u64).clamp(1, n);
    ecdf.at_rank(rank, false) as f64
}

/// Mean ratio new/old by the delta method on its logarithm, each side with its own variance;
/// decided against `tolerance` like [`compare_percentiles`].
pub fn compare_means(
    old: Moments,
    new: Moments,
    tolerance: f64,
    confidence: f64,
) -> Option<Comparison> {
    if old.n == 0 || new.n == 0 || old.mean_ns <= 0.0 || new.mean_ns <= 0.0 {
        return None;
    }
    let variance = |m: Moments| (m.stddev_ns / m.mean_ns).powi(2) / m.n as f64;
    let se = (variance(old) + variance(new)).sqrt();
    log_normal_comparison(
        new.mean_ns / old.mean_ns,
        se,
        tolerance,
        confidence,
        Worse::Up,
        old.n.min(new.n),
    )
}

/// Throughput ratio new/old from successful requests over seconds, as Poisson counts (log
/// ratio variance `1/c_old + 1/c_new`). `tolerance` is negative (`-0.10`: may drop 10 %).
pub fn compare_rates(
    old_count: u64,
    old_secs: f64,
    new_count: u64,
    new_secs: f64,
    tolerance: f64,
    confidence: f64,
) -> Option<Comparison> {
    let positive = |secs: f64| secs.is_finite() && secs > 0.0;
    if old_count == 0 || new_count == 0 || !positive(old_secs) || !positive(new_secs) {
        return None;
    }
    let ratio = (new_count as f64 / new_secs) / (old_count as f64 / old_secs);
    let se = (1.0 / old_count as f64 + 1.0 / new_count as f64).sqrt();
    log_normal_comparison(
        ratio,
        se,
        tolerance,
        confidence,
        Worse::Down,
        old_count.min(new_count),
    )
}

/// A ratio whose logarithm is normal with standard error `se`.
fn log_normal_comparison(
    ratio: f64,
    se: f64,
    tolerance: f64,
    confidence: f64,
    worse: Worse,
    n: u64,
) -> Option<Comparison> {
    let a = alpha(confidence)?;
    if !(ratio.is_finite() && ratio > 0.0 && se.is_finite() && tolerance > -1.0) {
        return None;
    }
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - a / 2.0);
    let (low, high) = ((ratio.ln() - z * se).exp(), (ratio.ln() + z * se).exp());
    let limit = (1.0 + tolerance).ln();
    let p_value = if se == 0.0 {
        let beyond = match worse {
            Worse::Up => ratio.ln() > limit,
            Worse::Down => ratio.ln() < limit,
        };
        if beyond {
            0.0
        } else {
            1.0
        }
    } else {
        let z0 = match worse {
            Worse::Up => (ratio.ln() - limit) / se,
            Worse::Down => (limit - ratio.ln()) / se,
        };
        1.0 - normal.cdf(z0)
    };
    let (change, improved) = decide(ratio, low, high, tolerance, worse, n);
    let change = match change {
        Change::Undecided { more_requests } => Change::Undecided {
            more_requests: more_requests.min(MORE_REQUESTS_CAP),
        },
        other => other,
    };
    Some(Comparison {
        ratio,
        low,
        high,
        confidence,
        p_value,
        change,
        improved,
    })
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the `U^(1/shape)` boost).
fn gamma(shape: f64, rng: &mut SmallRng) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Beta(a, b) draw from two Gamma draws.
fn beta(a: f64, b: f64, rng: &mut SmallRng) -> f64 {
    let x = gamma(a, rng);
    let y = gamma(b, rng);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        0.5
    }
}

/// Draws from a lognormal with `median` and `sigma`, for tests and the trust benchmark.
pub fn lognormal_sample(median: f64, sigma: f64, n: usize, seed: u64) -> Vec<u64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n)
        .map(|_| (median * (sigma * normal(&mut rng)).exp()).round().max(1.0) as u64)
        .collect()
}
