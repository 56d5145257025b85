//! Summary + bounds -> a verdict: every bound judged, with the measured value and the bound as
//! numbers, and the rule that set it. Reports turn verdicts into text; nothing here formats.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::confidence::{self, Interval, Latencies};
use crate::record::{Resources, Series};
use crate::stats::{Latency, Summary};
use crate::thresholds::{Bound, Limit, Metric, OnInconclusive};

mod regression;

pub use regression::{judge_regressions, BaselineUse, Mismatch, MismatchKind, RegressionJudged};

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
    /// Each regression bound against the baseline, when the run compares with one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<RegressionJudged>,
    /// The baseline compared with, and what differs between its run and this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineUse>,
    /// What an inconclusive outcome does to the run.
    #[serde(default)]
    pub on_inconclusive: OnInconclusive,
    /// Rounds of requests an adaptive case ran (1 when it is not adaptive).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub rounds: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
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
    /// For a percentile judged with a confidence: its interval, which decided the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    /// For an undecided bound: about how many more requests would decide it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_requests: Option<u64>,
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

    /// True when this verdict fails its test: a bound missed (or nothing measured), or one
    /// undecided under `on_inconclusive: fail`.
    pub fn fails(&self) -> bool {
        match self.outcome {
            Outcome::Pass => false,
            Outcome::Fail => true,
            Outcome::Inconclusive => self.on_inconclusive == OnInconclusive::Fail,
        }
    }

    /// The largest number of more requests any undecided bound or regression asks for.
    pub fn more_requests(&self) -> Option<u64> {
        self.bounds
            .iter()
            .filter_map(|j| j.more_requests)
            .chain(self.regressions.iter().filter_map(|r| r.more_requests))
            .max()
    }

    /// Adds the regression judgements, and recomputes the outcome.
    pub fn add_regressions(&mut self, regressions: Vec<RegressionJudged>) {
        self.regressions = regressions;
        self.outcome = self.worst();
    }

    fn worst(&self) -> Outcome {
        if self.no_data {
            return Outcome::Fail;
        }
        self.bounds
            .iter()
            .map(|j| j.outcome)
            .chain(self.regressions.iter().map(|r| r.outcome))
            .max()
            .unwrap_or(Outcome::Pass)
    }
}

/// What a case (or part of one) is judged on.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Its statistics.
    pub summary: &'a Summary,
    /// Its recorded requests, for confidence intervals.
    pub series: Option<&'a Series>,
    /// The managed target's CPU and memory, when the case has one.
    pub resources: Option<&'a Resources>,
    /// Judge percentile bounds on two-sided intervals at this level (one look's share of an
    /// adaptive case's error budget), not on the point estimate.
    pub confidence: Option<f64>,
}

impl<'a> Evidence<'a> {
    /// Point estimates only: no series, no resources, no confidence.
    pub fn of(summary: &'a Summary) -> Self {
        Evidence {
            summary,
            series: None,
            resources: None,
            confidence: None,
        }
    }
}

/// Judges one summary against its bounds; resource bounds are unmeasured (no managed target).
pub fn judge(summary: &Summary, bounds: &[Bound]) -> Verdict {
    judge_evidence(&Evidence::of(summary), bounds)
}

/// Judges one summary, and the managed target's `resources` when the case has one, against
/// its bounds.
pub fn judge_with(summary: &Summary, resources: Option<&Resources>, bounds: &[Bound]) -> Verdict {
    judge_evidence(
        &Evidence {
            resources,
            ..Evidence::of(summary)
        },
        bounds,
    )
}

/// Judges `evidence` against `bounds`: percentile bounds on confidence intervals when it has a
/// confidence and a series, every other bound on its measured value.
pub fn judge_evidence(evidence: &Evidence, bounds: &[Bound]) -> Verdict {
    let judged: Vec<Judged> = bounds.iter().map(|b| judge_one(evidence, b)).collect();
    let mut verdict = Verdict {
        outcome: Outcome::Pass,
        bounds: judged,
        no_data: evidence.summary.requests == 0,
        regressions: Vec::new(),
        baseline: None,
        on_inconclusive: OnInconclusive::default(),
        rounds: 1,
    };
    verdict.outcome = verdict.worst();
    verdict
}

/// The quantile a percentile metric names.
pub(crate) fn quantile(metric: Metric) -> Option<f64> {
    match metric {
        Metric::P50 => Some(0.50),
        Metric::P90 => Some(0.90),
        Metric::P95 => Some(0.95),
        Metric::P99 => Some(0.99),
        _ => None,
    }
}

/// The successful latencies of `series`: exact while it keeps them, else its histogram.
pub(crate) fn latencies(series: &Series) -> Latencies<'_> {
    match series.exact_nanos() {
        Some(exact) => Latencies::Exact(exact),
        None => Latencies::Histogram(series.histogram()),
    }
}

fn judge_one(evidence: &Evidence, bound: &Bound) -> Judged {
    let summary = evidence.summary;
    let measured = if bound.metric.is_resource() {
        measure_resources(evidence.resources, bound)
    } else {
        measure(summary, bound)
    };
    if let (Some(level), Some(series), Some(q), Limit::AtMost(max), Measured::Duration(_)) = (
        evidence.confidence,
        evidence.series,
        quantile(bound.metric),
        bound.limit,
        measured,
    ) {
        let max_ns = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        if let Some((interval, decision)) =
            confidence::judge_percentile(latencies(series), q, max_ns, level)
        {
            let (outcome, more_requests) = match decision {
                confidence::Decision::Met => (Outcome::Pass, None),
                confidence::Decision::Missed => (Outcome::Fail, None),
                confidence::Decision::Undecided { more_requests } => {
                    (Outcome::Inconclusive, Some(more_requests))
                }
            };
            return Judged {
                bound: bound.clone(),
                measured,
                outcome,
                interval: Some(interval),
                more_requests,
            };
        }
    }
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
        interval: None,
        more_requests: None,
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
