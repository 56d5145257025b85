//! The bounds one rule sets, as users write them: under `defaults`, a suite, a case pattern of
//! `thresholds.yaml`, or a case's own `thresholds` in its suite file.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::trust::{Confidence, OnInconclusive, RegressionRules};
use super::values::{ByteRate, ByteSize, HumanDuration, Percent, Ratio};

/// A metric a bound can constrain. `Display` gives the key users write in YAML.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Fastest successful request.
    Min,
    /// Mean latency of successful requests.
    Mean,
    /// Median latency.
    P50,
    /// 90th percentile latency.
    P90,
    /// 95th percentile latency.
    P95,
    /// 99th percentile latency.
    P99,
    /// Slowest successful request.
    Max,
    /// Sample standard deviation of latency.
    Stddev,
    /// Errors divided by requests.
    ErrorRate,
    /// Requests per second over the measured span (a lower bound).
    Throughput,
    /// Wall time of the slowest concurrent round or burst.
    Wall,
    /// Highest CPU use of the managed target, in percent of one core.
    CpuMax,
    /// Highest resident memory of the managed target.
    RssMax,
    /// How fast the managed target's resident memory grows once warmed up.
    RssGrowth,
}

impl Metric {
    /// Every metric, in the order bounds are reported.
    pub const ALL: [Metric; 14] = [
        Metric::Min,
        Metric::Mean,
        Metric::P50,
        Metric::P90,
        Metric::P95,
        Metric::P99,
        Metric::Max,
        Metric::Stddev,
        Metric::ErrorRate,
        Metric::Throughput,
        Metric::Wall,
        Metric::CpuMax,
        Metric::RssMax,
        Metric::RssGrowth,
    ];

    /// The YAML key, e.g. `p95` or `error_rate`.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Min => "min",
            Metric::Mean => "mean",
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::Max => "max",
            Metric::Stddev => "stddev",
            Metric::ErrorRate => "error_rate",
            Metric::Throughput => "throughput",
            Metric::Wall => "wall",
            Metric::CpuMax => "cpu_max",
            Metric::RssMax => "rss_max",
            Metric::RssGrowth => "rss_growth",
        }
    }

    /// True for the metrics of the managed target's process rather than of requests: they
    /// belong to a whole case, not to a journey step.
    pub fn is_resource(self) -> bool {
        matches!(self, Metric::CpuMax | Metric::RssMax | Metric::RssGrowth)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A positive, finite rate in requests per second, written as `10`, `2.5` or `10 req/s`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Throughput(pub f64);

impl Throughput {
    /// A throughput, if `value` is positive and finite.
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && value > 0.0).then_some(Self(value))
    }

    /// Parses `10`, `2.5`, `10/s` or `10 req/s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let number = trimmed
            .strip_suffix("req/s")
            .or_else(|| trimmed.strip_suffix("/s"))
            .unwrap_or(trimmed)
            .trim();
        number.parse().ok().and_then(Self::new).ok_or_else(|| {
            format!("invalid throughput `{trimmed}`: expected a positive number of requests per second, such as `10`")
        })
    }
}

impl<'de> Deserialize<'de> for Throughput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ThroughputVisitor;
        impl Visitor<'_> for ThroughputVisitor {
            type Value = Throughput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a positive number of requests per second, such as `10`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Throughput::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Throughput::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
        }
        deserializer.deserialize_any(ThroughputVisitor)
    }
}

/// The bounds one rule sets; every metric is optional. Also the shape of a case's inline
/// `thresholds` in its suite file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of metrics to bounds, such as `{ p95: 500ms, error_rate: 1% }`"
)]
pub struct Rules {
    /// Upper bound on the fastest request.
    pub min: Option<HumanDuration>,
    /// Upper bound on mean latency.
    pub mean: Option<HumanDuration>,
    /// Upper bound on median latency.
    pub p50: Option<HumanDuration>,
    /// Upper bound on 90th percentile latency.
    pub p90: Option<HumanDuration>,
    /// Upper bound on 95th percentile latency.
    pub p95: Option<HumanDuration>,
    /// Upper bound on 99th percentile latency.
    pub p99: Option<HumanDuration>,
    /// Upper bound on the slowest request.
    pub max: Option<HumanDuration>,
    /// Upper bound on the latency standard deviation.
    pub stddev: Option<HumanDuration>,
    /// Upper bound on errors / requests.
    pub error_rate: Option<Ratio>,
    /// Lower bound on requests per second.
    pub throughput: Option<Throughput>,
    /// Upper bound on the slowest round's wall time.
    pub wall: Option<HumanDuration>,
    /// Upper bound on the managed target's CPU use, in percent of one core (`150%`).
    pub cpu_max: Option<Percent>,
    /// Upper bound on the managed target's resident memory (`512MiB`).
    pub rss_max: Option<ByteSize>,
    /// Upper bound on the growth of the managed target's resident memory (`1MiB/min`).
    pub rss_growth: Option<ByteRate>,
    /// Judge percentile bounds (p50, p90, p95, p99) and regressions on a confidence interval at
    /// this level (`95%`) instead of the point estimate: met or missed only with that
    /// confidence, inconclusive when the interval straddles the bound.
    pub confidence: Option<Confidence>,
    /// What an inconclusive verdict does: `fail`, `pass`, or `warn` (the default: pass, with a
    /// warning that says how many more requests would decide it).
    pub on_inconclusive: Option<OnInconclusive>,
    /// How far statistics may move from the baseline (`PERF_BASELINE`): `{ p95: 10%, mean:
    /// 10%, throughput: -10% }`.
    pub regression: Option<RegressionRules>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_accepts_positive_rates_only() {
        assert_eq!(Throughput::parse("10").unwrap().0, 10.0);
        assert_eq!(Throughput::parse("2.5 req/s").unwrap().0, 2.5);
        assert_eq!(Throughput::parse("4/s").unwrap().0, 4.0);
        for bad in ["0", "-3", "fast", "inf", "NaN"] {
            let err = Throughput::parse(bad).unwrap_err();
            assert!(
                err.contains("positive number of requests per second"),
                "{bad}: {err}"
            );
        }
    }
}
