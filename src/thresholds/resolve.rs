//! Which rule bounds each metric of a case: the candidates in order of precedence, and for each
//! metric the first that sets it.

use super::file::CaseRule;
use super::{
    limit_of, Bound, Limit, Metric, Policy, RegressionBound, RuleSet, Rules, Setting, Source,
    Thresholds, REGRESSION_METRICS,
};
use crate::suite::Ratio;

/// A rule that may bound a case, and where it is written.
struct Candidate<'a> {
    rules: &'a Rules,
    /// The profile it belongs to; `None` for the file's own rules and inline ones.
    profile: Option<&'a str>,
    rule: Rule<'a>,
}

/// Where a candidate rule is written.
enum Rule<'a> {
    Inline { file: &'a str, case: &'a str },
    Case(&'a str),
    Tag(&'a str),
    Suite(&'a str),
    Defaults,
}

impl Thresholds {
    /// Bounds for one case (or journey step, `case/step`), one per metric that any rule sets,
    /// in `Metric::ALL` order. `inline` are the case's own thresholds with the suite file they
    /// are written in. Tag rules do not apply: see [`Thresholds::resolve_tagged`].
    pub fn resolve(&self, suite: &str, case: &str, inline: Option<(&Rules, &str)>) -> Vec<Bound> {
        self.resolve_tagged(suite, case, &[], inline)
    }

    /// [`Thresholds::resolve`] for a case carrying `tags`: between the glob patterns and the
    /// suite, the `tags:` rules of its tags apply, the first in the file's order for each metric.
    pub fn resolve_tagged(
        &self,
        suite: &str,
        case: &str,
        tags: &[String],
        inline: Option<(&Rules, &str)>,
    ) -> Vec<Bound> {
        let candidates = self.candidates(suite, case, tags, inline);
        Metric::ALL
            .into_iter()
            .filter_map(|metric| {
                let found = candidates.iter().find_map(|c| {
                    let limit = limit_of(c.rules, metric)?;
                    Some((limit, self.source(c, metric)))
                });
                let found = found.or_else(|| {
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

    /// How sure the verdicts of one case must be, resolved like its bounds: for `confidence`,
    /// `on_inconclusive` and each `regression` statistic, the most specific rule that sets it.
    pub fn resolve_policy(
        &self,
        suite: &str,
        case: &str,
        tags: &[String],
        inline: Option<(&Rules, &str)>,
    ) -> Policy {
        let candidates = self.candidates(suite, case, tags, inline);
        // The metric in a setting's source is the one its key is shown under.
        let confidence = candidates.iter().find_map(|c| {
            let level = c.rules.confidence?;
            Some(Setting {
                value: level,
                source: self.source(c, Metric::P95),
            })
        });
        let on_inconclusive = candidates.iter().find_map(|c| {
            let what = c.rules.on_inconclusive?;
            Some(Setting {
                value: what,
                source: self.source(c, Metric::P95),
            })
        });
        let regression = REGRESSION_METRICS
            .into_iter()
            .filter_map(|metric| {
                candidates.iter().find_map(|c| {
                    let rules = c.rules.regression.as_ref()?;
                    let tolerance = match metric {
                        Metric::P50 => rules.p50.map(|g| g.0),
                        Metric::P90 => rules.p90.map(|g| g.0),
                        Metric::P95 => rules.p95.map(|g| g.0),
                        Metric::P99 => rules.p99.map(|g| g.0),
                        Metric::Mean => rules.mean.map(|g| g.0),
                        Metric::Throughput => rules.throughput.map(|d| d.0),
                        _ => None,
                    }?;
                    Some(RegressionBound {
                        metric,
                        tolerance,
                        source: self.source(c, metric),
                    })
                })
            })
            .collect();
        Policy {
            confidence,
            on_inconclusive,
            regression,
        }
    }

    /// The rules that may bound a case, most specific first.
    fn candidates<'a>(
        &'a self,
        suite: &'a str,
        case: &'a str,
        tags: &[String],
        inline: Option<(&'a Rules, &'a str)>,
    ) -> Vec<Candidate<'a>> {
        let name = format!("{suite}::{case}");
        let profile = self.active.map(|i| &self.profiles[i]);
        // The profile's rules first at every level, then the file's own.
        let sets: Vec<(Option<&str>, &RuleSet)> = profile
            .map(|p| (Some(p.name.as_str()), &p.rules))
            .into_iter()
            .chain([(None, &self.base)])
            .collect();
        let mut candidates: Vec<Candidate> = Vec::new();
        if let Some((rules, file)) = inline {
            candidates.push(Candidate {
                rules,
                profile: None,
                rule: Rule::Inline { file, case },
            });
        }
        for &(profile, set) in &sets {
            candidates.extend(
                set.cases
                    .iter()
                    .filter(|c| c.key == name)
                    .map(|c| Candidate {
                        rules: &c.rules,
                        profile,
                        rule: Rule::Case(&c.key),
                    }),
            );
        }
        for &(profile, set) in &sets {
            let mut globs: Vec<(usize, &CaseRule)> = set
                .cases
                .iter()
                .enumerate()
                .filter(|(_, c)| c.key != name && c.pattern.matches(&name))
                .collect();
            // Most literal first; among equals, the later rule in the file first.
            globs.sort_by(|(i, a), (j, b)| b.literal_chars.cmp(&a.literal_chars).then(j.cmp(i)));
            candidates.extend(globs.into_iter().map(|(_, c)| Candidate {
                rules: &c.rules,
                profile,
                rule: Rule::Case(&c.key),
            }));
        }
        for &(profile, set) in &sets {
            candidates.extend(set.tags.iter().filter(|t| tags.contains(&t.tag)).map(|t| {
                Candidate {
                    rules: &t.rules,
                    profile,
                    rule: Rule::Tag(&t.tag),
                }
            }));
        }
        for &(profile, set) in &sets {
            candidates.extend(set.suites.iter().filter(|(s, _)| s == suite).map(|(s, r)| {
                Candidate {
                    rules: r,
                    profile,
                    rule: Rule::Suite(s),
                }
            }));
        }
        for &(profile, set) in &sets {
            candidates.push(Candidate {
                rules: &set.defaults,
                profile,
                rule: Rule::Defaults,
            });
        }

        candidates
    }

    fn source(&self, candidate: &Candidate, metric: Metric) -> Source {
        let file = self.origin.clone();
        let source = match candidate.rule {
            Rule::Inline { file, case } => Source::Inline {
                file: file.to_string(),
                case: case.to_string(),
                metric,
            },
            Rule::Case(pattern) => Source::Case {
                file,
                pattern: pattern.to_string(),
                metric,
            },
            Rule::Tag(tag) => Source::Tag {
                file,
                tag: tag.to_string(),
                metric,
            },
            Rule::Suite(suite) => Source::Suite {
                file,
                suite: suite.to_string(),
                metric,
            },
            Rule::Defaults => Source::Defaults { file, metric },
        };
        match candidate.profile {
            Some(profile) => Source::Profile {
                profile: profile.to_string(),
                within: Box::new(source),
            },
            None => source,
        }
    }
}
