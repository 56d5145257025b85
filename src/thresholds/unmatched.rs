//! Rules that bound nothing: a `suites:` key naming no suite, a `cases:` pattern matching no
//! case. Usually a typo or a renamed case, and a bound silently not applied.

use super::Thresholds;

impl Thresholds {
    /// The rules that match none of `ids` (`suite::case`, `suite::case/step`, ...), worded as
    /// `thresholds.yaml: cases."tasks::sbmit_*" matches no case`.
    pub fn unmatched(&self, ids: &[&str]) -> Vec<String> {
        let suites: Vec<&str> = ids
            .iter()
            .filter_map(|id| id.split_once("::"))
            .map(|(s, _)| s)
            .collect();
        let mut out = Vec::new();
        for (suite, _) in &self.suites {
            if !suites.contains(&suite.as_str()) {
                out.push(format!("{}: suites.{suite} matches no suite", self.origin));
            }
        }
        for rule in &self.cases {
            if !ids.iter().any(|id| rule.pattern.matches(id)) {
                out.push(format!(
                    "{}: cases.{:?} matches no case",
                    self.origin, rule.key
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
            t.unmatched(&ids),
            [
                "thresholds.yaml: suites.gone matches no suite",
                "thresholds.yaml: cases.\"tasks::sbmit_*\" matches no case"
            ]
        );
    }
}
