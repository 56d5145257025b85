//! Summary + bounds -> pass or fail, with one line per missed bound for the CI log.

use std::fmt;
use std::time::Duration;

use crate::stats::{Latency, Summary};
use crate::thresholds::{Bound, Limit, Metric};
use crate::units::format_duration;

/// The outcome of judging one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Every bound the case missed, in bound order.
    pub misses: Vec<Miss>,
    /// The case made no requests, so nothing could be judged; this alone fails it.
    pub no_data: bool,
}

/// One missed bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    /// The bound that was missed.
    pub bound: Bound,
    /// The measured value, formatted (`312.4ms`, `50.00%`, `8.1 req/s`), or why there is none.
    pub actual: String,
    /// False when the metric could not be measured at all; `actual` then says why.
    pub measured: bool,
    /// For `error_rate`: the error causes with counts (`status 500 x25`), most frequent first.
    pub errors: Option<String>,
}

impl Verdict {
    /// True when the case made requests and met every bound.
    pub fn passed(&self) -> bool {
        !self.no_data && self.misses.is_empty()
    }
}

/// Judges one case's summary against its bounds.
pub fn judge(summary: &Summary, bounds: &[Bound]) -> Verdict {
    if summary.requests == 0 {
        return Verdict {
            misses: Vec::new(),
            no_data: true,
        };
    }
    let misses = bounds
        .iter()
        .filter_map(|bound| check(summary, bound))
        .collect();
    Verdict {
        misses,
        no_data: false,
    }
}

/// The miss for `bound`, if `summary` misses it.
fn check(summary: &Summary, bound: &Bound) -> Option<Miss> {
    let miss = |actual: String, measured: bool| {
        let errors = (bound.metric == Metric::ErrorRate).then(|| error_causes(summary));
        Some(Miss {
            bound: bound.clone(),
            actual,
            measured,
            errors,
        })
    };
    match (bound.metric, bound.limit) {
        (Metric::ErrorRate, Limit::RatioAtMost(max)) => {
            let rate = summary.error_rate();
            (rate > max.0)
                .then(|| format!("{:.2}%", rate * 100.0))
                .and_then(|a| miss(a, true))
        }
        (Metric::Throughput, Limit::RateAtLeast(min)) => match summary.throughput {
            Some(rate) if rate < min => miss(format!("{} req/s", format_rate(rate)), true),
            Some(_) => None,
            None => miss(
                "not measurable (the measured span took no time)".into(),
                false,
            ),
        },
        (Metric::Wall, Limit::AtMost(max)) => match summary.wall {
            Some(wall) if wall > max => miss(format_duration(wall), true),
            Some(_) => None,
            None => miss(
                "not measured (the case has no concurrent rounds or bursts)".into(),
                false,
            ),
        },
        (metric, Limit::AtMost(max)) => {
            match summary.latency.as_ref().and_then(|l| latency(l, metric)) {
                Some(value) if value > max => miss(format_duration(value), true),
                Some(_) => None,
                None => miss("no successful requests".into(), false),
            }
        }
        // A bound whose limit does not fit its metric cannot come from `Thresholds::resolve`;
        // reporting it beats silently passing.
        _ => miss(
            "cannot be judged (the limit does not fit the metric)".into(),
            false,
        ),
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
        Metric::ErrorRate | Metric::Throughput | Metric::Wall => return None,
    })
}

/// `status 500 x25, timeout x3`: most frequent first, then by cause (the summary's order).
fn error_causes(summary: &Summary) -> String {
    let mut listed: Vec<String> = summary
        .error_causes
        .iter()
        .map(|(cause, n)| format!("{cause} x{n}"))
        .collect();
    if summary.other_causes > 0 {
        listed.push(format!("other causes x{}", summary.other_causes));
    }
    if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    }
}

/// Requests per second with precision that fits the size: `1234`, `8.1`, `0.042`.
fn format_rate(rate: f64) -> String {
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else if rate >= 1.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.3}")
    }
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Bound {
            metric,
            limit,
            source,
        } = &self.bound;
        if self.measured {
            let op = if matches!(limit, Limit::RateAtLeast(_)) {
                "<"
            } else {
                ">"
            };
            write!(f, "{metric} {} {op} bound {limit} ({source})", self.actual)?;
        } else {
            write!(f, "{metric}: {}; bound {limit} ({source})", self.actual)?;
        }
        if let Some(errors) = &self.errors {
            write!(f, "; errors: {errors}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.no_data {
            return f.write_str("no data: the case made no requests, so no bound could be checked");
        }
        if self.misses.is_empty() {
            return f.write_str("passed: every bound met");
        }
        for (i, miss) in self.misses.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{miss}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
