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
    /// A `tags:` key of the thresholds file: the first of the case's tags with a rule for the
    /// metric, in the file's order.
    Tag {
        /// The thresholds file.
        file: String,
        /// The tag.
        tag: String,
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
    /// A rule of the profile in use (`profiles.NAME.` in the thresholds file).
    Profile {
        /// The profile's name.
        profile: String,
        /// The rule within the profile: a case, tag, suite or defaults rule.
        within: Box<Source>,
    },
}

impl Source {
    /// The file a rule is written in and the rule's path there (`suites.workers.p95`); `None`
    /// for the built-in bound.
    fn written(&self) -> Option<(&str, String)> {
        self.rule()
            .map(|(file, path)| (file, format!("{path}.{}", self.metric())))
    }

    /// The file and the path of the rule itself, without the key (`suites.workers`).
    fn rule(&self) -> Option<(&str, String)> {
        match self {
            Source::Inline { file, case, .. } => Some((file, format!("case {case} thresholds"))),
            Source::Case { file, pattern, .. } => Some((file, format!("cases.{pattern:?}"))),
            Source::Tag { file, tag, .. } => Some((file, format!("tags.{tag}"))),
            Source::Suite { file, suite, .. } => Some((file, format!("suites.{suite}"))),
            Source::Defaults { file, .. } => Some((file, "defaults".to_string())),
            Source::BuiltinErrorRate => None,
            Source::Profile { profile, within } => within
                .rule()
                .map(|(file, path)| (file, format!("profiles.{profile}.{path}"))),
        }
    }

    /// The metric whose key the rule sets.
    pub fn metric(&self) -> Metric {
        match self {
            Source::Inline { metric, .. }
            | Source::Case { metric, .. }
            | Source::Tag { metric, .. }
            | Source::Suite { metric, .. }
            | Source::Defaults { metric, .. } => *metric,
            Source::BuiltinErrorRate => Metric::ErrorRate,
            Source::Profile { within, .. } => within.metric(),
        }
    }

    /// Where another key of the same rule is written: `thresholds.yaml: defaults.confidence`,
    /// `thresholds.yaml: cases."tasks::*".regression.p95`.
    pub fn at_key(&self, key: &str) -> String {
        match self.rule() {
            Some((file, path)) => format!("{file}: {path}.{key}"),
            None => format!("built-in default ({key})"),
        }
    }
}

impl fmt::Display for Source {
    /// As users find the rule: `thresholds.yaml: cases."tasks::submit_*".p95`,
    /// `thresholds.yaml: profiles.ci.defaults.p95`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.written() {
            Some((file, path)) => write!(f, "{file}: {path}"),
            None => f.write_str("built-in default (error_rate 0: any error fails)"),
        }
    }
}
