//! Pass/fail counts per check label, rendered like k6's check summary.

/// Pass/fail counts per check label, in declaration order, for the k6-style report.
///
/// Checks that share a label share a line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckTally {
    entries: Vec<(String, u64, u64)>,
}

impl CheckTally {
    /// Counts one evaluation of the check labelled `label`.
    pub fn record(&mut self, label: &str, passed: bool) {
        let (p, f) = (u64::from(passed), u64::from(!passed));
        self.add(label, p, f);
    }

    /// Adds `other`'s counts; labels new to `self` go after its own, in `other`'s order.
    pub fn merge(&mut self, other: &CheckTally) {
        for (label, passed, failed) in &other.entries {
            self.add(label, *passed, *failed);
        }
    }

    fn add(&mut self, label: &str, passed: u64, failed: u64) {
        // A case has a handful of checks: a scan beats hashing the label on every response.
        match self.entries.iter_mut().find(|(l, _, _)| l == label) {
            Some(entry) => {
                entry.1 = entry.1.saturating_add(passed);
                entry.2 = entry.2.saturating_add(failed);
            }
            None => self.entries.push((label.to_owned(), passed, failed)),
        }
    }

    /// Each label with its passed and failed counts, in the order first seen.
    pub fn entries(&self) -> impl Iterator<Item = (&str, u64, u64)> {
        self.entries
            .iter()
            .map(|(label, passed, failed)| (label.as_str(), *passed, *failed))
    }

    /// True when no check was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// One k6-like line per label, columns aligned, e.g. `✓ access token exists  100.00%  (20/20)`;
    /// `✗` marks a label with any failure. Empty for an empty tally.
    pub fn render(&self) -> String {
        let rows: Vec<(&str, String, String, bool)> = self
            .entries
            .iter()
            .map(|(label, passed, failed)| {
                let total = passed.saturating_add(*failed);
                let rate = if total == 0 {
                    0.0
                } else {
                    *passed as f64 * 100.0 / total as f64
                };
                (
                    label.as_str(),
                    format!("{rate:.2}%"),
                    format!("({passed}/{total})"),
                    *failed == 0,
                )
            })
            .collect();
        let label_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let rate_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        rows.iter()
            .map(|(label, rate, counts, ok)| {
                let mark = if *ok { '✓' } else { '✗' };
                format!("{mark} {label:<label_width$}  {rate:>rate_width$}  {counts}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_matches_k6_lines() {
        let mut tally = CheckTally::default();
        for i in 0..20 {
            tally.record("access token exists", true);
            tally.record("status is 201", i % 2 == 0);
        }
        assert_eq!(
            tally.render(),
            "✓ access token exists  100.00%  (20/20)\n✗ status is 201         50.00%  (10/20)"
        );
        let mut alone = CheckTally::default();
        for i in 0..20 {
            alone.record("status is 201", i < 10);
        }
        assert_eq!(alone.render(), "✗ status is 201  50.00%  (10/20)");
        assert_eq!(CheckTally::default().render(), "");
        assert!(CheckTally::default().is_empty() && !alone.is_empty());
    }

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
