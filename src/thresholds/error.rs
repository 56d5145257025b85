//! Errors in a thresholds file, worded for the person who wrote it: file, line, column, what was
//! expected, and the nearest valid name when a metric or section is misspelt.

use thiserror::Error;

use crate::suite::de::{self, Problem};
use crate::suite::suggest::Suggestion;
use crate::suite::YamlError;

/// Why a thresholds file could not be used.
#[derive(Debug, Error)]
pub enum ThresholdsError {
    /// The file could not be read: missing, not a regular file, too large, or not UTF-8.
    #[error("{0}")]
    Read(YamlError),
    /// The text is not a valid thresholds file.
    #[error("{0}")]
    Invalid(YamlError),
    /// The profile asked for (`PERF_PROFILE`, `--profile`) is not defined in the file.
    #[error("{origin}: unknown profile `{name}`{}", profile_hint(hint.as_deref(), known))]
    UnknownProfile {
        /// The thresholds file.
        origin: String,
        /// The name asked for.
        name: String,
        /// The nearest defined name, if one is close.
        hint: Option<String>,
        /// Every defined profile, in file order.
        known: Vec<String>,
    },
}

fn profile_hint(hint: Option<&str>, known: &[String]) -> String {
    let mut text = Suggestion::new(hint).to_string();
    if known.is_empty() {
        text.push_str(" (the file defines no `profiles`)");
    } else {
        text.push_str(&format!(" (profiles: {})", known.join(", ")));
    }
    text
}

/// A problem found while reading the file's model, with unknown keys named for what they are
/// here: a section at the top, a metric anywhere below.
pub(crate) fn invalid(error: &de::Error, origin: &str) -> ThresholdsError {
    let message = match error.problem() {
        Problem::UnknownKey { key, expected } => {
            let path = error.path();
            let in_profile = path
                .strip_prefix("profiles.")
                .is_some_and(|name| !name.contains('.'));
            let what = if path.is_empty() {
                "top-level key"
            } else if in_profile {
                "profile key"
            } else {
                "metric"
            };
            let listed = || format!(", expected one of: {}", expected.join(", "));
            let hint = Suggestion::of(key, expected).or_else(listed);
            format!("unknown {what} `{key}`{hint}")
        }
        _ => error.to_string(),
    };
    ThresholdsError::Invalid(YamlError::new(origin, error.span(), message))
}
