//! Rules that bound nothing: a `suites:` key naming no suite, a `tags:` key no case carries, a
//! `cases:` pattern matching no case, in the file's own rules and in every profile's. Usually a
//! typo or a renamed case, and a bound silently not applied.

use super::{RuleSet, Thresholds};

impl Thresholds {
    /// The rules that match none of `ids` (`suite::case`, `suite::case/step`, ...) or, for tag
    /// rules and a profile's tag lists, none of `tags` (every tag of every case), worded as
    /// `thresholds.yaml: cases."tasks::sbmit_*" matches no case`.
    pub fn unmatched(&self, ids: &[&str], tags: &[&str]) -> Vec<String> {
        let mut out = self.base.unmatched(&self.origin, "", ids, tags);
        for profile in &self.profiles {
            let prefix = format!("profiles.{}.", profile.name);
            out.extend(profile.rules.unmatched(&self.origin, &prefix, ids, tags));
            let lists = [
                ("only_tags", &profile.select.include),
                ("skip_tags", &profile.select.exclude),
            ];
            for (key, list) in lists {
                for tag in list.iter().filter(|t| !tags.contains(&t.as_str())) {
                    out.push(format!(
                        "{}: {prefix}{key}: no case carries tag `{tag}`",
                        self.origin
                    ));
                }
            }
        }
        out
    }
}

impl RuleSet {
    fn unmatched(&self, origin: &str, prefix: &str, ids: &[&str], tags: &[&str]) -> Vec<String> {
        let suites: Vec<&str> = ids
            .iter()
            .filter_map(|id| id.split_once("::"))
            .map(|(s, _)| s)
            .collect();
        let mut out = Vec::new();
        for (suite, _) in &self.suites {
            if !suites.contains(&suite.as_str()) {
                out.push(format!("{origin}: {prefix}suites.{suite} matches no suite"));
            }
        }
        for rule in &self.tags {
            if !tags.contains(&rule.tag.as_str()) {
                out.push(format!(
                    "{origin}: {prefix}tags.{} matches no case",
                    rule.tag
                ));
            }
        }
        for rule in &self.cases {
            if !ids.iter().any(|id| rule.pattern.matches(id)) {
                out.push(format!(
                    "{origin}: {prefix}cases.{:?} matches no case",
                    rule.key
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_rules_that_match_nothing() {
        let t = Thresholds::parse(
            "suites: { tasks: { p95: 1s }, gone: { p95: 1s } }\ncases:\n  \"tasks::submit_*\": { p95: 1s }\n  \"tasks::sbmit_*\": { p95: 1s }\n  \"tasks::flow/step\": { p95: 1s }\n",
            "thresholds.yaml",
        )
        .unwrap();
        let ids = ["tasks::submit_20", "tasks::flow", "tasks::flow/step"];
        assert_eq!(
            t.unmatched(&ids, &[]),
            [
                "thresholds.yaml: suites.gone matches no suite",
                "thresholds.yaml: cases.\"tasks::sbmit_*\" matches no case"
            ]
        );
    }

    #[test]
    fn names_tags_and_profile_rules_that_match_nothing() {
        let t = Thresholds::parse(
            "tags: { auth: { p95: 1s }, raed: { p95: 1s } }\nprofiles:\n  ci:\n    skip_tags: [soak, sloow]\n    tags: { auth: { p95: 2s } }\n    cases: { \"tasks::gone\": { p95: 1s } }\n",
            "thresholds.yaml",
        )
        .unwrap();
        assert_eq!(
            t.unmatched(&["tasks::submit_20"], &["auth", "soak"]),
            [
                "thresholds.yaml: tags.raed matches no case",
                "thresholds.yaml: profiles.ci.cases.\"tasks::gone\" matches no case",
                "thresholds.yaml: profiles.ci.skip_tags: no case carries tag `sloow`",
            ]
        );
    }
}
