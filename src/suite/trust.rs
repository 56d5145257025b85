//! The keys that say how sure a verdict must be: `confidence`, `on_inconclusive` and
//! `regression` in a rule, `adaptive` in a case.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::values::{deserialize_by_parse, percent_or_fraction};

/// A confidence level, written `95%` or `0.95`; from 50 % to 99.99 %.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Confidence(pub f64);

impl Confidence {
    /// Parses `95%`, `99.9 %` or `0.95`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match percent_or_fraction(text) {
            Some(v) if (0.5..=0.9999).contains(&v) => Ok(Self(v)),
            _ => Err(format!(
                "invalid confidence `{text}`: expected a level from 50% to 99.99%, such as `95%`"
            )),
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", (self.0 * 1e4).round() / 1e2)
    }
}

/// What an inconclusive verdict (the data cannot tell whether a bound is met) does to the run.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OnInconclusive {
    /// The case fails, as if the bound were missed.
    Fail,
    /// The case passes; reports still show it as inconclusive.
    Pass,
    /// The case passes with a warning saying how many more requests would decide it (the
    /// default: a gate that fails for want of data is a gate that flakes).
    #[default]
    Warn,
}

/// How far a statistic may move from the baseline before it counts as a regression: `10%`
/// (latencies may grow 10 %) or `-10%` (throughput may drop 10 %).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Tolerance(pub f64);

impl Tolerance {
    /// Parses `10%`, `-10 %`, `0.1` or `-0.1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match percent_or_fraction(text) {
            Some(v) if v.is_finite() && v > -1.0 => Ok(Self(v)),
            _ => Err(format!(
                "invalid tolerance `{text}`: expected a change such as `10%` or `-10%`"
            )),
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+}%", (self.0 * 1e4).round() / 1e2)
    }
}

/// A latency tolerance: how much the statistic may grow (not negative).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Growth(pub Tolerance);

/// A throughput tolerance: how much it may drop, written negative (`-10%`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Decline(pub Tolerance);

impl Growth {
    /// Parses `10%`; a negative growth is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = Tolerance::parse(text)?;
        if t.0 < 0.0 {
            return Err(format!(
                "invalid tolerance `{}`: a latency tolerance is how much it may grow, such as `10%`",
                text.trim()
            ));
        }
        Ok(Self(t))
    }
}

impl Decline {
    /// Parses `-10%`; a positive value is refused, since throughput regresses by dropping.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = Tolerance::parse(text)?;
        if t.0 > 0.0 {
            return Err(format!(
                "invalid tolerance `{}`: a throughput tolerance is how much it may drop, \
                 written negative, such as `-10%`",
                text.trim()
            ));
        }
        Ok(Self(t))
    }
}

/// `regression:` in a rule: per statistic, how far it may move from the baseline's.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of statistics to tolerances, such as `{ p95: 10%, throughput: -10% }`"
)]
pub struct RegressionRules {
    /// How much the median may grow.
    pub p50: Option<Growth>,
    /// How much the 90th percentile may grow.
    pub p90: Option<Growth>,
    /// How much the 95th percentile may grow.
    pub p95: Option<Growth>,
    /// How much the 99th percentile may grow.
    pub p99: Option<Growth>,
    /// How much the mean may grow.
    pub mean: Option<Growth>,
    /// How much throughput may drop (negative: `-10%`).
    pub throughput: Option<Decline>,
}

/// `adaptive:` in a case: collect more requests in rounds until every bound is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping such as `{ max_requests: 2000 }`"
)]
pub struct Adaptive {
    /// The most requests the case may make in all its rounds together (at least 1).
    pub max_requests: u64,
}

/// `Deserialize` through the type's `parse` (as the other values), and a JSON Schema of a
/// string matching `$pattern` or a number.
macro_rules! by_parse {
    ($type:ty, $expecting:literal, $name:literal, $description:literal, $pattern:expr) => {
        deserialize_by_parse!($type, $expecting);

        impl JsonSchema for $type {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "description": $description,
                    "anyOf": [
                        { "type": "string", "pattern": $pattern },
                        { "type": "number" }
                    ]
                })
            }
        }
    };
}

const LEVEL_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%?\s*$";
const SIGNED_PATTERN: &str = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%?\s*$";

by_parse!(
    Confidence,
    "a confidence level such as `95%`",
    "Confidence",
    "A confidence level from 50% to 99.99%: `95%` or `0.95`.",
    LEVEL_PATTERN
);
by_parse!(
    Tolerance,
    "a tolerance such as `10%`",
    "Tolerance",
    "A relative change: `10%`, `-10%`.",
    SIGNED_PATTERN
);
by_parse!(
    Growth,
    "a tolerance such as `10%`",
    "Growth",
    "How much a latency statistic may grow over the baseline's: `10%`.",
    SIGNED_PATTERN
);
by_parse!(
    Decline,
    "a tolerance such as `-10%`",
    "Decline",
    "How much throughput may drop below the baseline's, negative: `-10%`.",
    SIGNED_PATTERN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_levels_parse_as_written() {
        assert_eq!(Confidence::parse("95%").unwrap().0, 0.95);
        assert_eq!(Confidence::parse("0.99").unwrap().0, 0.99);
        assert_eq!(Confidence::parse("95%").unwrap().to_string(), "95%");
        for bad in ["100%", "40%", "1.5", "sure", ""] {
            assert!(Confidence::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tolerances_keep_their_direction() {
        assert_eq!(Growth::parse("10%").unwrap().0 .0, 0.1);
        assert_eq!(Decline::parse("-10%").unwrap().0 .0, -0.1);
        assert!(Growth::parse("-10%").unwrap_err().contains("may grow"));
        assert!(Decline::parse("10%").unwrap_err().contains("negative"));
        assert!(Tolerance::parse("-150%").is_err());
        assert_eq!(Tolerance(0.1).to_string(), "+10%");
        let pattern = regex::Regex::new(SIGNED_PATTERN).unwrap();
        for good in ["10%", "-10 %", "0.1", "+5%"] {
            assert!(
                pattern.is_match(good) && Tolerance::parse(good).is_ok(),
                "{good}"
            );
        }
    }
}
