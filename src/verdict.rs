//! Summary + bounds -> a verdict: every bound judged, with the measured value and the bound as
//! numbers, and the rule that set it. Reports turn verdicts into text; nothing here formats.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::Resources;
use crate::stats::{Latency, Summary};
use crate::thresholds::{Bound, Limit, Metric};

/// How a case, or one of its bounds, came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every bound met.
    Pass,
    /// The data cannot tell whether the bound is met (a confidence interval straddles it).
    Inconclusive,
    /// A bound missed, or nothing measured.
    Fail,
}

/// The judgement of one case (or journey step) against its bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The worst outcome of any bound; `Fail` when nothing was measured.
    pub outcome: Outcome,
    /// Every bound with its measured value, in bound order.
    pub bounds: Vec<Judged>,
    /// The case made no requests, so nothing could be judged; this alone fails it.
    pub no_data: bool,
}

/// One bound and what was measured against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    /// The bound, with the rule that set it.
    pub bound: Bound,
    /// The measured value, or why there is none.
    pub measured: Measured,
    /// Whether the bound was met.
    pub outcome: Outcome,
}

/// A measured value, in the unit its metric has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured {
    /// A latency or a wall time.
    Duration(#[serde(with = "crate::units::nanos")] Duration),
    /// A fraction in `[0, 1]` (the error rate).
    Ratio(f64),
    /// Requests per second.
    Rate(f64),
    /// CPU use in percent of one core.
    Percent(f64),
    /// A size in bytes (resident memory).
    Bytes(u64),
    /// A growth in bytes per minute (of resident memory).
    BytesPerMinute(f64),
    /// The metric could not be measured at all; this fails its bound.
    Unmeasured(Unmeasured),
}

/// Why a metric has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmeasured {
    /// No request succeeded, so there is no latency.
    NoSuccessfulRequests,
    /// The measured span took no time, so there is no rate.
    NoElapsedTime,
    /// The case has no concurrent rounds or bursts, so there is no wall time.
    NoRounds,
    /// The bound's limit does not fit its metric (a rate bound on a latency).
    LimitMismatch,
    /// The suite has no managed `target`, so no process's resources were sampled.
    NoManagedTarget,
    /// The managed target was not sampled even once (the case ended within its first second).
    NoResourceSamples,
    /// Too few samples after the warm-up to estimate memory growth; the case must run longer.
    /// This leaves the bound undecided rather than failed.
    TooFewResourceSamples,
}

impl Verdict {
    /// True when the case made requests and met every bound.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// The bounds that were missed, in bound order.
    pub fn misses(&self) -> impl Iterator<Item = &Judged> {
        self.bounds.iter().filter(|j| j.outcome == Outcome::Fail)
    }
}

/// Judges one summary against its bounds; resource bounds are unmeasured (no managed target).
pub fn judge(summary: &Summary, bounds: &[Bound]) -> Verdict {
    judge_with(summary, None, bounds)
}

/// Judges one summary, and the managed target's `resources` when the case has one, against
/// its bounds.
pub fn judge_with(summary: &Summary, resources: Option<&Resources>, bounds: &[Bound]) -> Verdict {
    let judged: Vec<Judged> = bounds
        .iter()
        .map(|b| judge_one(summary, resources, b))
        .collect();
    let no_data = summary.requests == 0;
    let outcome = if no_data {
        Outcome::Fail
    } else {
        judged
            .iter()
            .map(|j| j.outcome)
            .max()
            .unwrap_or(Outcome::Pass)
    };
    Verdict {
        outcome,
        bounds: judged,
        no_data,
    }
}

fn judge_one(summary: &Summary, resources: Option<&Resources>, bound: &Bound) -> Judged {
    let measured = if bound.metric.is_resource() {
        measure_resources(resources, bound)
    } else {
        measure(summary, bound)
    };
    let met = match (measured, bound.limit) {
        (Measured::Duration(value), Limit::AtMost(max)) => value <= max,
        (Measured::Ratio(value), Limit::RatioAtMost(max)) => value <= max.0,
        (Measured::Rate(value), Limit::RateAtLeast(min)) => value >= min,
        (Measured::Percent(value), Limit::PercentAtMost(max)) => value <= max,
        (Measured::Bytes(value), Limit::BytesAtMost(max)) => value <= max,
        (Measured::BytesPerMinute(value), Limit::BytesPerMinuteAtMost(max)) => value <= max,
        _ => false,
    };
    let outcome = match measured {
        _ if met => Outcome::Pass,
        Measured::Unmeasured(Unmeasured::TooFewResourceSamples) => Outcome::Inconclusive,
        _ => Outcome::Fail,
    };
    Judged {
        bound: bound.clone(),
        measured,
        outcome,
    }
}

/// The value of a resource bound's metric in the managed target's `resources`.
fn measure_resources(resources: Option<&Resources>, bound: &Bound) -> Measured {
    let Some(resources) = resources else {
        return Measured::Unmeasured(Unmeasured::NoManagedTarget);
    };
    if resources.samples() == 0 {
        return Measured::Unmeasured(Unmeasured::NoResourceSamples);
    }
    let value = match (bound.metric, bound.limit) {
        (Metric::CpuMax, Limit::PercentAtMost(_)) => resources.cpu_max().map(Measured::Percent),
        (Metric::RssMax, Limit::BytesAtMost(_)) => resources.rss_max().map(Measured::Bytes),
        (Metric::RssGrowth, Limit::BytesPerMinuteAtMost(_)) => Some(resources.rss_growth().map_or(
            Measured::Unmeasured(Unmeasured::TooFewResourceSamples),
            Measured::BytesPerMinute,
        )),
        _ => return Measured::Unmeasured(Unmeasured::LimitMismatch),
    };
    value.unwrap_or(Measured::Unmeasured(Unmeasured::NoResourceSamples))
}

/// The value of `bound`'s metric in `summary`, in the unit of the bound's limit.
fn measure(summary: &Summary, bound: &Bound) -> Measured {
    match (bound.metric, bound.limit) {
        (Metric::ErrorRate, Limit::RatioAtMost(_)) => Measured::Ratio(summary.error_rate()),
        (Metric::Throughput, Limit::RateAtLeast(_)) => summary.throughput.map_or(
            Measured::Unmeasured(Unmeasured::NoElapsedTime),
            Measured::Rate,
        ),
        (Metric::Wall, Limit::AtMost(_)) => summary.wall.map_or(
            Measured::Unmeasured(Unmeasured::NoRounds),
            Measured::Duration,
        ),
        (metric, Limit::AtMost(_)) => match summary.latency.as_ref().map(|l| latency(l, metric)) {
            Some(Some(value)) => Measured::Duration(value),
            Some(None) => Measured::Unmeasured(Unmeasured::LimitMismatch),
            None => Measured::Unmeasured(Unmeasured::NoSuccessfulRequests),
        },
        // A bound whose limit does not fit its metric cannot come from `Thresholds::resolve`;
        // reporting it beats silently passing.
        _ => Measured::Unmeasured(Unmeasured::LimitMismatch),
    }
}

/// The latency statistic `metric` names, if it names one.
fn latency(latency: &Latency, metric: Metric) -> Option<Duration> {
    Some(match metric {
        Metric::Min => latency.min,
        Metric::Mean => latency.mean,
        Metric::P50 => latency.p50,
        Metric::P90 => latency.p90,
        Metric::P95 => latency.p95,
        Metric::P99 => latency.p99,
        Metric::Max => latency.max,
        Metric::Stddev => latency.stddev,
        Metric::ErrorRate
        | Metric::Throughput
        | Metric::Wall
        | Metric::CpuMax
        | Metric::RssMax
        | Metric::RssGrowth => return None,
    })
}

#[cfg(test)]
mod tests;
