//! Errors in a thresholds file, worded for the person who wrote it: file, line, column, what was
//! expected, and the nearest valid name when a metric or section is misspelt.

use thiserror::Error;

use crate::suite::de::{self, Problem};
use crate::suite::suggest::nearest;
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
}

/// A problem found while reading the file's model, with unknown keys named for what they are
/// here: a section at the top, a metric anywhere below.
pub(crate) fn invalid(error: &de::Error, origin: &str) -> ThresholdsError {
    let message = match error.problem() {
        Problem::UnknownKey { key, expected } => {
            let what = if error.path().is_empty() {
                "top-level key"
            } else {
                "metric"
            };
            match nearest(key, expected) {
                Some(best) => format!("unknown {what} `{key}`, did you mean `{best}`?"),
                None => format!(
                    "unknown {what} `{key}`, expected one of: {}",
                    expected.join(", ")
                ),
            }
        }
        _ => error.to_string(),
    };
    ThresholdsError::Invalid(YamlError::new(origin, error.span(), message))
}
