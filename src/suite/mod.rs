//! The YAML model of a suite file: what users write under `suites/`.
//!
//! These are plain serde types with `deny_unknown_fields`, so a typo is an error with a location.
//! Checks that span several fields (which keys a case kind needs) happen in [`crate::plan`].

mod error;
mod load;
mod model;
mod rules;
mod values;

pub use error::{Located, SuiteError};
pub use load::{discover, load_file, parse_str, SuiteSource, MAX_FILE_BYTES};
pub use model::*;
pub use rules::{Metric, Rules, Throughput};
pub use values::{ByteSize, HumanDuration, Ratio};
