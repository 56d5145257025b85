//! `thresholds.yaml`: NFR bounds for cases, and which rule sets each bound.
//!
//! For each metric independently, the most specific rule wins: a case's inline thresholds (from
//! its suite file) > an exact `suite::case` key > the most literal glob pattern that matches (ties:
//! the later one in the file) > the first of the case's tags (in the file's order) with a rule >
//! the case's suite > `defaults`. When nothing sets `error_rate`, its bound is 0: any error fails
//! the case. An active profile's rules win over the file's own at each level.

mod error;
mod file;
mod limit;
mod resolve;
mod source;
mod unmatched;

use std::path::Path;

pub use crate::suite::{Confidence, Metric, OnInconclusive, Rules, Throughput, Tolerance};
pub use error::ThresholdsError;
pub use limit::{limit_of, Limit};
pub use source::Source;

use crate::suite::suggest::nearest;
use crate::suite::{check_tag, de, yaml, Spanned, TagFilter, YamlError};
use file::{CaseRule, File, ProfileSpec, TagRule};

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

/// Statistics a `regression:` rule can bound, in the order they are reported.
pub const REGRESSION_METRICS: [Metric; 6] = [
    Metric::Mean,
    Metric::P50,
    Metric::P90,
    Metric::P95,
    Metric::P99,
    Metric::Throughput,
];

/// How sure the verdicts of one case must be: its `confidence`, `on_inconclusive` and
/// `regression` keys, each from the most specific rule that sets it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Percentile bounds and regressions are judged on intervals at this level.
    pub confidence: Option<Setting<Confidence>>,
    /// What an inconclusive verdict does to the run (`warn` when no rule says).
    pub on_inconclusive: Option<Setting<OnInconclusive>>,
    /// How far each statistic may move from the baseline's.
    pub regression: Vec<RegressionBound>,
}

impl Policy {
    /// What an inconclusive verdict does to the run.
    pub fn on_inconclusive(&self) -> OnInconclusive {
        self.on_inconclusive
            .as_ref()
            .map(|s| s.value)
            .unwrap_or_default()
    }
}

/// One setting of a case, and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// The rule that set it (its metric is a stand-in: show it with [`Source::at_key`]).
    pub source: Source,
}

/// A tolerance on one statistic against the baseline, and the rule that set it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegressionBound {
    /// The statistic compared (mean, a percentile, or throughput).
    pub metric: Metric,
    /// How far it may move: up for latencies, down (negative) for throughput.
    pub tolerance: Tolerance,
    /// The rule that set it; shown as `thresholds.yaml: defaults.regression.p95`.
    pub source: Source,
}

/// The parsed thresholds file, with the profile in use, if any.
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    origin: String,
    base: RuleSet,
    profiles: Vec<Profile>,
    /// Index into `profiles`.
    active: Option<usize>,
}

/// The rules of one level of precedence each: the file's own, or one profile's.
#[derive(Debug, Clone, Default)]
struct RuleSet {
    defaults: Rules,
    suites: Vec<(String, Rules)>,
    tags: Vec<TagRule>,
    cases: Vec<CaseRule>,
}

/// A named profile: which cases it runs and the rules it puts over the file's.
#[derive(Debug, Clone)]
struct Profile {
    name: String,
    select: TagFilter,
    rules: RuleSet,
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
        let mut profiles = Vec::new();
        for entry in file.profiles.map(|p| p.0).unwrap_or_default() {
            let select = selection(&entry.name, &entry.spec, origin)?;
            let spec = entry.spec;
            profiles.push(Profile {
                name: entry.name,
                select,
                rules: RuleSet::of(spec.defaults, spec.suites, spec.tags, spec.cases),
            });
        }
        Ok(Thresholds {
            origin: origin.to_string(),
            base: RuleSet::of(file.defaults, file.suites, file.tags, file.cases),
            profiles,
            active: None,
        })
    }

    /// The same rules with profile `name` in use; an unknown name is an error listing the
    /// profiles the file defines.
    pub fn with_profile(mut self, name: &str) -> Result<Self, ThresholdsError> {
        match self.profiles.iter().position(|p| p.name == name) {
            Some(index) => {
                self.active = Some(index);
                Ok(self)
            }
            None => {
                let known = self.profile_names();
                Err(ThresholdsError::UnknownProfile {
                    origin: self.origin.clone(),
                    name: name.to_string(),
                    hint: nearest(name, &known).map(str::to_string),
                    known: known.iter().map(|k| k.to_string()).collect(),
                })
            }
        }
    }

    /// The profile in use, if any.
    pub fn profile(&self) -> Option<&str> {
        self.active.map(|i| self.profiles[i].name.as_str())
    }

    /// The profiles the file defines, in file order.
    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.name.as_str()).collect()
    }

    /// The cases the profile in use runs, by tag (everything when no profile is in use).
    pub fn selection(&self) -> TagFilter {
        self.active
            .map(|i| self.profiles[i].select.clone())
            .unwrap_or_default()
    }

    /// The file as named in errors and sources.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl RuleSet {
    fn of(
        defaults: Option<Rules>,
        suites: Option<file::Entries<file::SuiteRule>>,
        tags: Option<file::Entries<TagRule>>,
        cases: Option<file::Entries<CaseRule>>,
    ) -> Self {
        RuleSet {
            defaults: defaults.unwrap_or_default(),
            suites: suites.map(|s| s.0).unwrap_or_default(),
            tags: tags.map(|t| t.0).unwrap_or_default(),
            cases: cases.map(|c| c.0).unwrap_or_default(),
        }
    }
}

/// A profile's `only_tags` and `skip_tags`, each tag checked where it is written.
fn selection(name: &str, spec: &ProfileSpec, origin: &str) -> Result<TagFilter, ThresholdsError> {
    let read = |key: &str, list: &Option<Vec<Spanned<String>>>| {
        let mut tags = Vec::new();
        for (index, tag) in list.iter().flatten().enumerate() {
            check_tag(tag).map_err(|message| {
                let message = format!("profiles.{name}.{key}[{index}]: {message}");
                ThresholdsError::Invalid(YamlError::new(origin, tag.span, message))
            })?;
            tags.push(tag.value.clone());
        }
        Ok(tags)
    };
    Ok(TagFilter {
        include: read("only_tags", &spec.only_tags)?,
        exclude: read("skip_tags", &spec.skip_tags)?,
    })
}

/// The JSON Schema of `thresholds.yaml`, from the serde model the file is read with.
pub(crate) fn file_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<File>()
}

#[cfg(test)]
mod tests;
