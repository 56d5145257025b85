//! Where a bound comes from: the rule that set it, kept as data so reports and baselines can
//! name it, and written the way users find it in their files.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Metric;

/// The rule that set one bound of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Source {
    /// The case's own `thresholds` in its suite file.
    Inline {
        /// The suite file.
        file: String,
        /// The case's name.
        case: String,
        /// The metric's key in that rule.
        metric: Metric,
    },
    /// A `cases:` key of the thresholds file: an exact `suite::case` or a glob over them.
    Case {
        /// The thresholds file.
        file: String,
        /// The key as written.
        pattern: String,
        /// The metric's key in that rule.
        metric: Metric,
    },
    /// A `suites:` key of the thresholds file.
    Suite {
        /// The thresholds file.
        file: String,
        /// The suite's name.
        suite: String,
        /// The metric's key in that rule.
        metric: Metric,
    },
    /// The thresholds file's `defaults`.
    Defaults {
        /// The thresholds file.
        file: String,
        /// The metric's key in that rule.
        metric: Metric,
    },
    /// No rule set `error_rate`, so it is 0: any error fails the case.
    BuiltinErrorRate,
}

impl fmt::Display for Source {
    /// As users find the rule: `thresholds.yaml: cases."tasks::submit_*".p95`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Inline { file, case, metric } => {
                write!(f, "{file}: case {case} thresholds.{metric}")
            }
            Source::Case {
                file,
                pattern,
                metric,
            } => write!(f, "{file}: cases.{pattern:?}.{metric}"),
            Source::Suite {
                file,
                suite,
                metric,
            } => write!(f, "{file}: suites.{suite}.{metric}"),
            Source::Defaults { file, metric } => write!(f, "{file}: defaults.{metric}"),
            Source::BuiltinErrorRate => {
                f.write_str("built-in default (error_rate 0: any error fails)")
            }
        }
    }
}
