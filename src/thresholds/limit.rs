//! What a bound allows, and the limit each rule sets on a metric.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::suite::{HumanDuration, Metric, Ratio, Rules};
use crate::units::{format_bytes, format_duration};

/// What a bound allows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// A duration the metric must not exceed.
    AtMost(#[serde(with = "crate::units::nanos")] Duration),
    /// A ratio the metric must not exceed.
    RatioAtMost(Ratio),
    /// Requests per second the metric must reach.
    RateAtLeast(f64),
    /// A CPU share, in percent of one core, the metric must not exceed.
    PercentAtMost(f64),
    /// A number of bytes the metric must not exceed.
    BytesAtMost(u64),
    /// A growth in bytes per minute the metric must not exceed.
    BytesPerMinuteAtMost(f64),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::AtMost(d) => f.write_str(&format_bound(*d)),
            Limit::RatioAtMost(r) => write!(f, "{r}"),
            Limit::RateAtLeast(rate) => write!(f, "{rate} req/s"),
            Limit::PercentAtMost(pct) => write!(f, "{pct}%"),
            Limit::BytesAtMost(bytes) => f.write_str(&format_bytes(*bytes as f64)),
            Limit::BytesPerMinuteAtMost(rate) => write!(f, "{}/min", format_bytes(*rate)),
        }
    }
}

/// Formats a bound exactly, the way users write one (`100ms`, `1.5s`, `4s`), where
/// `format_duration` rounds measured values to a readable precision.
fn format_bound(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos >= 1_000_000_000 && nanos.is_multiple_of(1_000_000) {
        format!("{}s", nanos as f64 / 1e9)
    } else if nanos >= 1_000_000 && nanos.is_multiple_of(1_000) {
        format!("{}ms", nanos as f64 / 1e6)
    } else {
        format_duration(d)
    }
}

/// The limit `rules` set on `metric`, if any.
pub fn limit_of(rules: &Rules, metric: Metric) -> Option<Limit> {
    let duration = |d: Option<HumanDuration>| d.map(|d| Limit::AtMost(d.0));
    match metric {
        Metric::Min => duration(rules.min),
        Metric::Mean => duration(rules.mean),
        Metric::P50 => duration(rules.p50),
        Metric::P90 => duration(rules.p90),
        Metric::P95 => duration(rules.p95),
        Metric::P99 => duration(rules.p99),
        Metric::Max => duration(rules.max),
        Metric::Stddev => duration(rules.stddev),
        Metric::ErrorRate => rules.error_rate.map(Limit::RatioAtMost),
        Metric::Throughput => rules.throughput.map(|t| Limit::RateAtLeast(t.0)),
        Metric::Wall => duration(rules.wall),
        Metric::CpuMax => rules.cpu_max.map(|p| Limit::PercentAtMost(p.0)),
        Metric::RssMax => rules.rss_max.map(|b| Limit::BytesAtMost(b.0)),
        Metric::RssGrowth => rules.rss_growth.map(|r| Limit::BytesPerMinuteAtMost(r.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Metric, Ratio};

    #[test]
    fn limits_display_as_users_write_them() {
        assert_eq!(
            Limit::AtMost(Duration::from_millis(100)).to_string(),
            "100ms"
        );
        assert_eq!(
            Limit::AtMost(Duration::from_millis(1500)).to_string(),
            "1.5s"
        );
        assert_eq!(Limit::AtMost(Duration::from_secs(4)).to_string(), "4s");
        assert_eq!(
            Limit::AtMost(Duration::from_micros(2500)).to_string(),
            "2.5ms"
        );
        assert_eq!(
            Limit::AtMost(Duration::from_micros(800)).to_string(),
            "800us"
        );
        assert_eq!(Limit::RatioAtMost(Ratio(0.0)).to_string(), "0%");
        assert_eq!(Limit::RateAtLeast(100.0).to_string(), "100 req/s");
        assert_eq!(Metric::ErrorRate.to_string(), "error_rate");
        assert_eq!(Limit::PercentAtMost(150.0).to_string(), "150%");
        assert_eq!(Limit::BytesAtMost(512 << 20).to_string(), "512MiB");
        assert_eq!(Limit::BytesAtMost(1536 << 20).to_string(), "1.5GiB");
        assert_eq!(Limit::BytesAtMost(1000).to_string(), "1000B");
        assert_eq!(
            Limit::BytesPerMinuteAtMost(1024.0 * 1024.0).to_string(),
            "1MiB/min"
        );
    }
}
