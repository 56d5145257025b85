//! Errors about YAML files: every one names the file, and the line and column where known.

use std::fmt;

use super::span::Span;

/// A problem in a YAML file, with where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The file as the user named it.
    pub origin: String,
    /// Where the problem is; [`Span::UNKNOWN`] when it concerns the whole file.
    pub span: Span,
    /// What is wrong and what was expected.
    pub message: String,
}

/// The name the rest of the crate knows a located suite error by.
pub type Located = YamlError;

impl YamlError {
    /// An error at `span` of `origin`.
    pub fn new(origin: &str, span: Span, message: impl Into<String>) -> Self {
        YamlError {
            origin: origin.to_string(),
            span,
            message: message.into(),
        }
    }

    /// An error at a 1-based (line, column), when known.
    pub fn at(origin: &str, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let span = position.map_or(Span::UNKNOWN, |(line, column)| {
            Span::new(narrow(line), narrow(column))
        });
        Self::new(origin, span, message)
    }

    /// The 1-based (line, column), when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        let Span { line, column } = self.span;
        self.span
            .is_known()
            .then_some((line as usize, column as usize))
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.span.is_known() {
            write!(f, "{}:{}: {}", self.origin, self.span, self.message)
        } else {
            write!(f, "{}: {}", self.origin, self.message)
        }
    }
}

impl std::error::Error for YamlError {}

/// Why a suite file cannot be run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SuiteError {
    /// The file could not be read or is not valid suite YAML.
    #[error("{0}")]
    Syntax(Located),
    /// The YAML is well formed but says something that cannot run.
    #[error("{0}")]
    Invalid(Located),
    /// Several things that cannot run, each at its place, in file order: planning goes on past
    /// the first, as a compiler does, so one edit can fix them all. Never fewer than two.
    #[error("{}", lines(.0))]
    Several(Vec<Located>),
}

impl SuiteError {
    /// The location and message, whichever the variant (of several, the first).
    pub fn located(&self) -> &Located {
        match self {
            SuiteError::Syntax(l) | SuiteError::Invalid(l) => l,
            SuiteError::Several(all) => &all[0],
        }
    }

    /// Every problem, each with its place.
    pub fn all(&self) -> &[Located] {
        match self {
            SuiteError::Syntax(l) | SuiteError::Invalid(l) => std::slice::from_ref(l),
            SuiteError::Several(all) => all,
        }
    }

    /// One error for the problems found, or `None` when there are none.
    pub fn of_all(mut problems: Vec<Located>) -> Option<SuiteError> {
        match problems.len() {
            0 => None,
            1 => problems.pop().map(SuiteError::Invalid),
            _ => Some(SuiteError::Several(problems)),
        }
    }
}

/// One problem a line.
fn lines(all: &[Located]) -> String {
    let lines: Vec<String> = all.iter().map(Located::to_string).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_and_the_position_when_known() {
        let e = YamlError::new("suites/a.yaml", Span::new(3, 7), "unknown key `x`");
        assert_eq!(e.to_string(), "suites/a.yaml:3:7: unknown key `x`");
        assert_eq!(e.position(), Some((3, 7)));
        let e = YamlError::at("suites/a.yaml", None, "not a regular file");
        assert_eq!(e.to_string(), "suites/a.yaml: not a regular file");
        assert_eq!(e.position(), None);
    }
}
