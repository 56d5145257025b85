//! A case against the same case in a saved baseline: each `regression:` bound judged on a
//! confidence interval of the change (new / old), so an unchanged service is not flagged for
//! its own spread and a real change is.
//!
//! - Percentiles: the bootstrap interval of the ratio of the two sample percentiles
//!   ([`confidence::compare_percentiles`]). The bootstrap, not Mann-Whitney: Mann-Whitney
//!   tests a shift of the whole distribution's location, while the bound is on one percentile,
//!   and a tail can move while the median does not.
//! - Mean: the delta method on the log of the ratio of means (Welch's variances).
//! - Throughput: successful requests over the measured span, as Poisson counts.

use serde::{Deserialize, Serialize};

use super::{latencies, quantile, Measured, Outcome};
use crate::confidence::{self, Change, Comparison, Moments};
use crate::record::Recorded;
use crate::stats::Summary;
use crate::thresholds::{Metric, RegressionBound};

/// Bootstrap replicates per percentile comparison: the interval's ends move by well under
/// 1 % of the ratio from one seed to another at this count.
const REPLICATES: u32 = 2000;

/// One regression bound and how the statistic moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionJudged {
    /// The bound, with the rule that set it.
    pub bound: RegressionBound,
    /// The statistic in the baseline.
    pub old: Measured,
    /// The statistic in this run.
    pub new: Measured,
    /// The change with its interval and p-value; `None` when one side has nothing to compare
    /// (no successful requests, or no measured span).
    pub comparison: Option<Comparison>,
    /// Pass: within the tolerance; fail: beyond it with the confidence; inconclusive: the
    /// interval straddles the tolerance.
    pub outcome: Outcome,
    /// For an undecided comparison: about how many more requests per side would decide it.
    pub more_requests: Option<u64>,
}

/// Which baseline a case was compared with, and what differs between the run that saved it
/// and this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineUse {
    /// The baseline's name (`perf-baselines/NAME.json`).
    pub name: String,
    /// False when the baseline has no such case: nothing was compared.
    pub has_case: bool,
    /// Host, CPU count, build profile or target that differ: the comparison measures the
    /// machines as well as the code.
    pub mismatches: Vec<Mismatch>,
}

/// One difference between the baseline's run and this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// What differs.
    pub what: MismatchKind,
    /// In the baseline.
    pub baseline: String,
    /// In this run.
    pub run: String,
}

/// What can differ between two runs' machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// The host name.
    Host,
    /// The number of CPUs.
    Cpus,
    /// The build profile (debug or release).
    Build,
    /// The target's base URL.
    Target,
}

/// Judges every regression bound of a case: this run's `new` against the baseline's `old`, on
/// two-sided intervals at `confidence`; `seed` fixes the bootstrap's resamples.
pub fn judge_regressions(
    bounds: &[RegressionBound],
    old: &Recorded,
    new: &Recorded,
    confidence: f64,
    seed: u64,
) -> Vec<RegressionJudged> {
    let before = Summary::of(&old.total, old.elapsed);
    let after = Summary::of(&new.total, new.elapsed);
    bounds
        .iter()
        .map(|bound| {
            let tolerance = bound.tolerance.0;
            let comparison = match bound.metric {
                Metric::Throughput => confidence::compare_rates(
                    old.total.ok(),
                    old.elapsed.as_secs_f64(),
                    new.total.ok(),
                    new.elapsed.as_secs_f64(),
                    tolerance,
                    confidence,
                ),
                Metric::Mean => match (&before.latency, &after.latency) {
                    (Some(a), Some(b)) => confidence::compare_means(
                        moments(old.total.ok(), a),
                        moments(new.total.ok(), b),
                        tolerance,
                        confidence,
                    ),
                    _ => None,
                },
                metric => quantile(metric).and_then(|q| {
                    confidence::compare_percentiles(
                        latencies(&old.total),
                        latencies(&new.total),
                        q,
                        tolerance,
                        confidence,
                        REPLICATES,
                        seed,
                    )
                }),
            };
            let (outcome, more_requests) = match comparison.map(|c| c.change) {
                Some(Change::Within) => (Outcome::Pass, None),
                Some(Change::Regressed) => (Outcome::Fail, None),
                Some(Change::Undecided { more_requests }) => {
                    (Outcome::Inconclusive, Some(more_requests))
                }
                None => (Outcome::Inconclusive, None),
            };
            RegressionJudged {
                bound: bound.clone(),
                old: statistic(&before, bound.metric),
                new: statistic(&after, bound.metric),
                comparison,
                outcome,
                more_requests,
            }
        })
        .collect()
}

fn moments(n: u64, latency: &crate::stats::Latency) -> Moments {
    Moments {
        n,
        mean_ns: latency.mean.as_nanos() as f64,
        stddev_ns: latency.stddev.as_nanos() as f64,
    }
}

/// The statistic a regression bound compares, as measured.
fn statistic(summary: &Summary, metric: Metric) -> Measured {
    use super::Unmeasured;
    if metric == Metric::Throughput {
        return summary.throughput.map_or(
            Measured::Unmeasured(Unmeasured::NoElapsedTime),
            Measured::Rate,
        );
    }
    let Some(latency) = &summary.latency else {
        return Measured::Unmeasured(Unmeasured::NoSuccessfulRequests);
    };
    Measured::Duration(match metric {
        Metric::Mean => latency.mean,
        Metric::P50 => latency.p50,
        Metric::P90 => latency.p90,
        Metric::P95 => latency.p95,
        Metric::P99 => latency.p99,
        _ => return Measured::Unmeasured(Unmeasured::LimitMismatch),
    })
}
