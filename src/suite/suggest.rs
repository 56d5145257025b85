//! "Did you mean": the one place a misspelt name is matched to a valid one, and the one way
//! the suggestion is written.

use std::fmt;

/// The "did you mean" part of a message about a misspelt name: it displays as
/// ", did you mean \`x\`?" when a candidate is close enough and as nothing otherwise, so one
/// format string (`"unknown key \`{key}\`{suggestion} (expected ...)"`) reads right either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Suggestion<'a>(Option<&'a str>);

impl<'a> Suggestion<'a> {
    /// The candidate nearest `word` (see [`nearest`]), if any.
    pub fn of(word: &str, candidates: &[&'a str]) -> Self {
        Suggestion(nearest(word, candidates))
    }

    /// A suggestion already chosen (or none).
    pub fn new(best: Option<&'a str>) -> Self {
        Suggestion(best)
    }

    /// The suggested name, if any.
    pub fn best(&self) -> Option<&'a str> {
        self.0
    }

    /// The suggestion as text, or `otherwise()` when there is none (such as "; declared: a, b").
    pub fn or_else(self, otherwise: impl FnOnce() -> String) -> String {
        match self.0 {
            Some(_) => self.to_string(),
            None => otherwise(),
        }
    }
}

impl fmt::Display for Suggestion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(best) => write!(f, ", did you mean `{best}`?"),
            None => Ok(()),
        }
    }
}

/// The candidate `word` is most plausibly a typo of, if any.
///
/// Plausible means a few edits away (Damerau-Levenshtein: insert, delete, replace, swap two
/// neighbours), at most one per three characters of `word`, and never a rewrite of a whole short
/// word. Among equally distant candidates the one whose differing characters are closest wins,
/// so `p96` gives `p95` rather than `p90`.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let length = word.chars().count();
    let allowed = (length / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), char_gap(word, c), *c))
        .filter(|(distance, _, c)| {
            *distance <= allowed && *distance < length.min(c.chars().count())
        })
        .min_by_key(|(distance, gap, _)| (*distance, *gap))
        .map(|(_, _, c)| c)
}

/// How far apart the characters at the same places are: the tie-break between candidates one
/// edit away (`6` is nearer `5` than `0`).
fn char_gap(a: &str, b: &str) -> u32 {
    a.chars()
        .zip(b.chars())
        .map(|(x, y)| (x as u32).abs_diff(y as u32))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{nearest, Suggestion};

    const METRICS: [&str; 11] = [
        "min",
        "mean",
        "p50",
        "p90",
        "p95",
        "p99",
        "max",
        "stddev",
        "error_rate",
        "throughput",
        "wall",
    ];

    #[test]
    fn suggests_plausible_typos_of_metrics() {
        assert_eq!(nearest("p96", &METRICS), Some("p95"));
        assert_eq!(nearest("stdev", &METRICS), Some("stddev"));
        assert_eq!(nearest("error-rate", &METRICS), Some("error_rate"));
        assert_eq!(nearest("eror_rate", &METRICS), Some("error_rate"));
        assert_eq!(nearest("latency", &METRICS), None);
    }

    #[test]
    fn suggests_plausible_typos_of_keys_and_values() {
        let keys = ["name", "kind", "iterations", "warmup", "concurrency"];
        assert_eq!(nearest("iteration", &keys), Some("iterations"));
        let kinds = ["sequential", "concurrent", "burst"];
        assert_eq!(nearest("sequental", &kinds), Some("sequential"));
        assert_eq!(nearest("soak", &kinds), None);
        let sections = ["defaults", "suites", "cases"];
        assert_eq!(nearest("suite", &sections), Some("suites"));
        assert_eq!(nearest("limits", &sections), None);
    }

    #[test]
    fn swaps_count_as_one_edit_and_short_words_are_not_rewritten() {
        let checks = ["boom", "has_worker"];
        assert_eq!(nearest("has_wroker", &checks), Some("has_worker"));
        assert_eq!(nearest("zzzzzzzzzzzz", &checks), None);
        assert_eq!(nearest("x", &["y", "z"]), None);
        assert_eq!(nearest("anything", &[]), None);
    }

    #[test]
    fn a_suggestion_reads_as_the_tail_of_a_message() {
        let keys = ["iterations", "warmup"];
        let close = Suggestion::of("iteration", &keys);
        assert_eq!(close.best(), Some("iterations"));
        assert_eq!(
            format!("unknown key `iteration`{close}"),
            "unknown key `iteration`, did you mean `iterations`?"
        );
        let far = Suggestion::of("soak", &keys);
        assert_eq!((far.best(), far.to_string()), (None, String::new()));
        assert_eq!(
            Suggestion::new(Some("p95")).to_string(),
            ", did you mean `p95`?"
        );
        let listed = || "; declared: iterations, warmup".to_string();
        assert_eq!(far.or_else(listed), "; declared: iterations, warmup");
        assert_eq!(close.or_else(listed), ", did you mean `iterations`?");
    }
}
