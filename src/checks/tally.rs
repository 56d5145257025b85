//! Pass/fail counts per check label, rendered like k6's check summary.

/// Pass/fail counts per check label, in declaration order, for the k6-style report.
///
/// Checks that share a label share a line.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CheckTally {
    entries: Vec<CheckCount>,
}

/// How often the checks under one label passed and failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckCount {
    /// The check's label.
    pub label: String,
    /// Responses that passed it.
    pub passed: u64,
    /// Responses that failed it.
    pub failed: u64,
    /// Why the first failure failed (the value that came, shortened and redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

impl CheckTally {
    /// Counts one evaluation of the check labelled `label`.
    pub fn record(&mut self, label: &str, passed: bool) {
        let (p, f) = (u64::from(passed), u64::from(!passed));
        self.add(label, p, f);
    }

    /// Counts a failure of the check labelled `label`; `why` is asked for only when the label
    /// has no example of a failure yet, so a failing check costs its reason once.
    pub fn record_failure(&mut self, label: &str, why: impl FnOnce() -> String) {
        self.add(label, 0, 1);
        if let Some(count) = self.entries.iter_mut().find(|c| c.label == label) {
            if count.example.is_none() {
                count.example = Some(why());
            }
        }
    }

    /// The first failure's reason for `label`, if it failed.
    pub fn example(&self, label: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|c| c.label == label)
            .and_then(|c| c.example.as_deref())
    }

    /// Adds `other`'s counts; labels new to `self` go after its own, in `other`'s order.
    pub fn merge(&mut self, other: &CheckTally) {
        for count in &other.entries {
            self.add(&count.label, count.passed, count.failed);
            if let Some(example) = &count.example {
                if let Some(mine) = self.entries.iter_mut().find(|c| c.label == count.label) {
                    mine.example.get_or_insert_with(|| example.clone());
                }
            }
        }
    }

    fn add(&mut self, label: &str, passed: u64, failed: u64) {
        // A case has a handful of checks: a scan beats hashing the label on every response.
        match self.entries.iter_mut().find(|c| c.label == label) {
            Some(count) => {
                count.passed = count.passed.saturating_add(passed);
                count.failed = count.failed.saturating_add(failed);
            }
            None => self.entries.push(CheckCount {
                label: label.to_owned(),
                passed,
                failed,
                example: None,
            }),
        }
    }

    /// Each label with its passed and failed counts, in the order first seen.
    pub fn entries(&self) -> impl Iterator<Item = (&str, u64, u64)> {
        self.entries
            .iter()
            .map(|c| (c.label.as_str(), c.passed, c.failed))
    }

    /// True when no check was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_keeps_order() {
        let mut a = CheckTally::default();
        a.record("first", true);
        a.record("second", false);
        let mut b = CheckTally::default();
        b.record("third", true);
        b.record("second", true);
        b.record("second", true);
        a.merge(&b);
        let entries: Vec<_> = a.entries().collect();
        assert_eq!(
            entries,
            vec![("first", 1, 0), ("second", 2, 1), ("third", 1, 0)]
        );
        let mut empty = CheckTally::default();
        empty.merge(&a);
        assert_eq!(empty, a);
    }
}
