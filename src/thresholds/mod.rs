//! `thresholds.yaml`: NFR bounds for cases, and which rule sets each bound.
//!
//! For each metric independently, the most specific rule wins: a case's inline thresholds (from
//! its suite file) > an exact `suite::case` key > the most literal glob pattern that matches (ties:
//! the later one in the file) > the case's suite > `defaults`. When nothing sets `error_rate`,
//! its bound is 0: any error fails the case.

mod error;
mod file;
mod limit;
mod source;
mod unmatched;

use std::path::Path;

pub use crate::suite::{Metric, Rules, Throughput};
pub use error::ThresholdsError;
pub use limit::{limit_of, Limit};
pub use source::Source;

use crate::suite::{de, yaml, Ratio};
use file::{CaseRule, File};

/// One bound a case must meet, and the rule it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bound {
    /// What is measured.
    pub metric: Metric,
    /// What is allowed.
    pub limit: Limit,
    /// The rule that set it; shown as `thresholds.yaml: cases."tasks::submit_*".p95`.
    pub source: Source,
}

/// The parsed thresholds file.
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    origin: String,
    defaults: Rules,
    suites: Vec<(String, Rules)>,
    cases: Vec<CaseRule>,
}

impl Thresholds {
    /// No rules at all: every case gets only the built-in `error_rate` bound of 0.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads and parses a thresholds file; errors name `path` as given. A missing file is an
    /// error; callers that treat a missing default file as "no thresholds" check for it first.
    pub fn load(path: &Path) -> Result<Self, ThresholdsError> {
        let origin = path.display().to_string();
        let text = yaml::read_file(path, &origin).map_err(ThresholdsError::Read)?;
        Self::parse(&text, &origin)
    }

    /// Parses thresholds YAML; `origin` names the text in errors and bound sources. An empty
    /// text, or one of only comments, sets no rules.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ThresholdsError> {
        let node = yaml::parse_node(text, origin).map_err(ThresholdsError::Invalid)?;
        let file: File = de::from_node(&node).map_err(|e| error::invalid(&e, origin))?;
        Ok(Thresholds {
            origin: origin.to_string(),
            defaults: file.defaults.unwrap_or_default(),
            suites: file.suites.map(|s| s.0).unwrap_or_default(),
            cases: file.cases.map(|c| c.0).unwrap_or_default(),
        })
    }

    /// Bounds for one case (or journey step, `case/step`), one per metric that any rule sets,
    /// in `Metric::ALL` order. `inline` are the case's own thresholds with the suite file they
    /// are written in.
    pub fn resolve(&self, suite: &str, case: &str, inline: Option<(&Rules, &str)>) -> Vec<Bound> {
        let name = format!("{suite}::{case}");
        let exact = self.cases.iter().find(|c| c.key == name);
        let mut globs: Vec<(usize, &CaseRule)> = self
            .cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key != name && c.pattern.matches(&name))
            .collect();
        // Most literal first; among equals, the later rule in the file first.
        globs.sort_by(|(i, a), (j, b)| b.literal_chars.cmp(&a.literal_chars).then(j.cmp(i)));
        let suite_rules = self.suites.iter().find(|(s, _)| s == suite).map(|(_, r)| r);

        Metric::ALL
            .into_iter()
            .filter_map(|metric| {
                let file = || self.origin.clone();
                let case_source = |c: &CaseRule| Source::Case {
                    file: file(),
                    pattern: c.key.clone(),
                    metric,
                };
                let found = inline
                    .and_then(|(rules, suite_file)| {
                        let source = Source::Inline {
                            file: suite_file.to_string(),
                            case: case.to_string(),
                            metric,
                        };
                        limit_of(rules, metric).map(|l| (l, source))
                    })
                    .or_else(|| {
                        exact.and_then(|c| Some((limit_of(&c.rules, metric)?, case_source(c))))
                    })
                    .or_else(|| {
                        globs
                            .iter()
                            .find_map(|(_, c)| Some((limit_of(&c.rules, metric)?, case_source(c))))
                    })
                    .or_else(|| {
                        let limit = limit_of(suite_rules?, metric)?;
                        let source = Source::Suite {
                            file: file(),
                            suite: suite.to_string(),
                            metric,
                        };
                        Some((limit, source))
                    })
                    .or_else(|| {
                        let limit = limit_of(&self.defaults, metric)?;
                        Some((
                            limit,
                            Source::Defaults {
                                file: file(),
                                metric,
                            },
                        ))
                    })
                    .or_else(|| {
                        (metric == Metric::ErrorRate)
                            .then_some((Limit::RatioAtMost(Ratio(0.0)), Source::BuiltinErrorRate))
                    });
                found.map(|(limit, source)| Bound {
                    metric,
                    limit,
                    source,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
