//! Suite errors: every one names the file, and the line and column where known.

pub use crate::yaml::YamlError as Located;

/// Why a suite file cannot be run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SuiteError {
    /// The file could not be read or is not valid suite YAML.
    #[error("{0}")]
    Syntax(Located),
    /// The YAML is well formed but says something that cannot run.
    #[error("{0}")]
    Invalid(Located),
}

impl SuiteError {
    /// The location and message, whichever the variant.
    pub fn located(&self) -> &Located {
        match self {
            SuiteError::Syntax(l) | SuiteError::Invalid(l) => l,
        }
    }
}
