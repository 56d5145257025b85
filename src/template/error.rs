//! The one error type of template compilation, and the "did you mean" helper.

use std::fmt::Display;

use crate::suite::suggest::Suggestion;

/// A template that cannot be compiled; its `Display` is the full message shown to users.
///
/// Messages quote the offending `{{ ... }}` expression and, where a name was mistyped, suggest
/// the nearest valid one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    message: String,
}

impl TemplateError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// An error about the expression `source`: "`{what}` in `{source}`".
    pub(crate) fn in_expr(what: impl Display, source: &str) -> Self {
        Self::new(format!("{what} in `{}`", snippet(source)))
    }

    /// Prefixes the message with where the template sits, e.g. "factory `worker`".
    pub(crate) fn context(self, place: impl Display) -> Self {
        Self::new(format!("{place}: {}", self.message))
    }

    /// Appends ", did you mean `x`?" when a candidate is close enough to `name`.
    pub(crate) fn suggest<'c>(
        mut self,
        name: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Self {
        let suggestion = Suggestion::new(nearest(name, candidates));
        self.message.push_str(&suggestion.to_string());
        self
    }

    /// The message, as also given by `Display`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The candidate most similar to `name`, if any is similar enough to be a plausible typo.
fn nearest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        // Jaro-Winkler favours shared prefixes; the edit distance catches typos in short names
        // (`sq` for `seq`) that it scores low.
        .filter(|(score, c)| {
            *score >= 0.8 || (name.len() >= 2 && strsim::damerau_levenshtein(name, c) <= 1)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Long expressions are cut so that messages stay on one readable line.
fn snippet(source: &str) -> String {
    const MAX_CHARS: usize = 80;
    let one_line = source.lines().next().unwrap_or("");
    if one_line.chars().count() > MAX_CHARS || one_line.len() < source.len() {
        let cut: String = one_line.chars().take(MAX_CHARS).collect();
        format!("{cut}...")
    } else {
        one_line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name_only_when_close() {
        let err = TemplateError::new("unknown function `random_integer`")
            .suggest("random_integer", ["seq", "random_int", "random_float"]);
        assert_eq!(
            err.to_string(),
            "unknown function `random_integer`, did you mean `random_int`?"
        );
        let err = TemplateError::new("unknown").suggest("zzz", ["seq", "uuid"]);
        assert_eq!(err.to_string(), "unknown");
    }

    #[test]
    fn long_and_multiline_expressions_are_cut() {
        let long = format!("{{{{ {} }}}}", "x".repeat(200));
        let msg = TemplateError::in_expr("bad", &long).to_string();
        assert!(msg.len() < 110, "{msg}");
        assert!(msg.ends_with("...`"), "{msg}");
        let msg = TemplateError::in_expr("bad", "{{ a\nb }}").to_string();
        assert_eq!(msg, "bad in `{{ a...`");
    }
}
