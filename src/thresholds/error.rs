//! Errors in a thresholds file, worded for the person who wrote it: file, line, column, what was
//! expected, and the nearest valid key when a key is misspelt.

use thiserror::Error;

/// Why a thresholds file could not be used.
#[derive(Debug, Error)]
pub enum ThresholdsError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read thresholds file: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is over the size limit, so it is refused before parsing.
    #[error(
        "{origin}: thresholds file is larger than {limit} bytes (1 MiB); refusing to parse it"
    )]
    TooLarge {
        /// Where the text came from.
        origin: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The text is not a valid thresholds file.
    #[error("{origin}{}: {message}", at(.location))]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// One-based line and column, when known.
        location: Option<(usize, usize)>,
        /// What is wrong and what was expected.
        message: String,
    },
}

fn at(location: &Option<(usize, usize)>) -> String {
    location.map_or_else(String::new, |(line, column)| format!(":{line}:{column}"))
}

/// Keys allowed at the top of the file, as serde lists them in its errors.
const TOP_LEVEL_KEYS: [&str; 3] = ["defaults", "suites", "cases"];

/// Turns a serde_yaml error into one that names the file and explains the problem.
pub(crate) fn from_yaml(err: &serde_yaml::Error, origin: &str) -> ThresholdsError {
    let location = err.location().map(|l| (l.line(), l.column()));
    let mut message = err.to_string();
    if let Some((line, column)) = location {
        // The location goes in front, as `file:line:col`; drop serde_yaml's trailing copy.
        message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
    }
    let message = explain_unknown_key(&message).unwrap_or(message);
    ThresholdsError::Invalid {
        origin: origin.to_string(),
        location,
        message,
    }
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" as "unknown metric `x`, did you
/// mean `a`?"; `None` when `message` is not about an unknown key.
fn explain_unknown_key(message: &str) -> Option<String> {
    let rest = &message[message.find("unknown field `")? + "unknown field `".len()..];
    let (unknown, tail) = rest.split_once('`')?;
    // Backquoted names alternate with separators: `a`, `b`, `c`.
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let what = if expected == TOP_LEVEL_KEYS {
        "top-level key"
    } else {
        "metric"
    };
    Some(match nearest(unknown, &expected) {
        Some(suggestion) => format!("unknown {what} `{unknown}`, did you mean `{suggestion}`?"),
        None => format!(
            "unknown {what} `{unknown}`, expected one of: {}",
            expected.join(", ")
        ),
    })
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo. Ties go
/// to the candidate whose differing characters are nearest (`p96` -> `p95`, not `p90`).
fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let allowed = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), char_gap(word, c), *c))
        .filter(|(distance, _, _)| *distance <= allowed)
        .min_by_key(|(distance, gap, _)| (*distance, *gap))
        .map(|(_, _, c)| c)
}

fn char_gap(a: &str, b: &str) -> u32 {
    a.chars()
        .zip(b.chars())
        .map(|(x, y)| (x as u32).abs_diff(y as u32))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        let metrics = [
            "min",
            "mean",
            "p50",
            "p90",
            "p95",
            "p99",
            "max",
            "stddev",
            "error_rate",
        ];
        assert_eq!(nearest("p96", &metrics), Some("p95"));
        assert_eq!(nearest("stdev", &metrics), Some("stddev"));
        assert_eq!(nearest("error-rate", &metrics), Some("error_rate"));
        assert_eq!(nearest("latency", &metrics), None);
    }

    #[test]
    fn lists_the_keys_when_nothing_is_close() {
        let message = "unknown field `latency`, expected one of `min`, `mean`";
        assert_eq!(
            explain_unknown_key(message).unwrap(),
            "unknown metric `latency`, expected one of: min, mean"
        );
        assert_eq!(explain_unknown_key("invalid type: sequence"), None);
    }
}
