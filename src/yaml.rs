//! The one place YAML is read: size limits, alias-bomb refusal, and error messages with
//! `file:line:column` and a "did you mean" for misspelt keys.
//!
//! serde_yaml is the parser; keeping it behind this module means it can be swapped in one place.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A YAML problem with where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The file as the user named it.
    pub origin: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for YamlError {}

impl YamlError {
    /// An error at a known position.
    pub fn at(origin: &str, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        Self {
            origin: origin.to_string(),
            position,
            message: message.into(),
        }
    }
}

/// Reads a file as text, refusing one over [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<String, YamlError> {
    let origin = path.display().to_string();
    let bytes = crate::files::read_capped(path, MAX_FILE_BYTES).map_err(|e| match e {
        crate::files::CappedReadError::Io(e) => {
            YamlError::at(&origin, None, format!("cannot read file: {e}"))
        }
        too_large => YamlError::at(&origin, None, too_large.to_string()),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        YamlError::at(
            &origin,
            None,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Parses YAML text into `T`, turning serde_yaml's errors into [`YamlError`]s.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, YamlError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(YamlError::at(
            origin,
            None,
            format!(
                "document is {} bytes; the limit is {MAX_FILE_BYTES} bytes",
                text.len()
            ),
        ));
    }
    serde_yaml::from_str(text).map_err(|e| convert(&e, origin))
}

/// Converts a serde_yaml error: location split out, misspelt keys and values given a suggestion.
pub fn convert(error: &serde_yaml::Error, origin: &str) -> YamlError {
    let position = error.location().map(|l| (l.line(), l.column()));
    let mut message = error.to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    if message.contains("repetition limit exceeded") || message.contains("recursion limit exceeded")
    {
        message = format!("{message}: aliases expand too far; the file is refused");
    }
    YamlError::at(origin, position, with_suggestion(&message))
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" with the nearest valid name.
fn with_suggestion(message: &str) -> String {
    for (marker, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        let Some(start) = message.find(marker) else {
            continue;
        };
        let rest = &message[start + marker.len()..];
        let Some(end) = rest.find('`') else { continue };
        let found = &rest[..end];
        let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
        let prefix = message[..start].to_string();
        let list = expected
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut out = format!("{prefix}unknown {noun} `{found}`");
        if let Some(best) = nearest(found, &expected) {
            out.push_str(&format!(", did you mean `{best}`?"));
        }
        if !list.is_empty() {
            out.push_str(&format!(" (expected one of {list})"));
        }
        return out;
    }
    message.to_string()
}

/// The candidate closest to `word`, if any is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The 1-based line and column of the first occurrence of `needle` (such as `name: submit_20`
/// or `iterations:`) at or after `from_line`, where it starts a key: at the start of the line's
/// text or after `{`, `,`, `-` or a space, as in block and flow style alike.
pub fn find_line(text: &str, from_line: usize, needle: &str) -> Option<(usize, usize)> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find_map(|(i, line)| {
            line.match_indices(needle).find_map(|(at, _)| {
                let before = line[..at].chars().next_back();
                matches!(before, None | Some(' ' | '{' | ',' | '-' | '\t'))
                    .then_some((i + 1, at + 1))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Case {
        name: String,
        iterations: Option<u32>,
    }

    #[test]
    fn unknown_key_gets_location_and_suggestion() {
        let err = parse::<Vec<Case>>("- name: a\n  iteration: 3\n", "suites/x.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "suites/x.yaml:2:3: .[0]: unknown key `iteration`, did you mean `iterations`? \
             (expected one of `name`, `iterations`)"
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            text.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        let err = parse::<serde_yaml::Value>(&text, "bomb.yaml").unwrap_err();
        assert!(err.message.contains("refused"), "{err}");
    }

    #[test]
    fn oversized_text_is_refused() {
        let text = "#".repeat(MAX_FILE_BYTES as usize + 1);
        let err = parse::<serde_yaml::Value>(&text, "big.yaml").unwrap_err();
        assert!(err.message.contains("limit"), "{err}");
    }

    #[test]
    fn finds_lines_for_later_checks() {
        let text = "cases:\n  - name: a\n    kind: burst\n  - name: b\n    size: 3\n";
        assert_eq!(find_line(text, 1, "name: b"), Some((4, 5)));
        assert_eq!(find_line(text, 4, "size:"), Some((5, 5)));
    }
}
