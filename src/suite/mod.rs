//! The YAML model of a suite file (what users write under `suites/`) and the one front door
//! through which every YAML file is read.
//!
//! The model types are plain serde types with `deny_unknown_fields`, so a typo is an error with
//! a location. A case's kind-specific keys are kept apart as [`KindSettings`] and read by that
//! kind's own settings type (the kind registry in `exec`) while [`crate::plan`] plans the suite;
//! checks that span several fields happen there too. [`yaml`] parses text into a [`Node`] tree
//! that keeps every position, and [`de`] reads typed values from it with errors at the exact
//! node at fault.

pub mod de;
mod error;
mod files;
mod model;
pub mod node;
mod raw;
mod rules;
mod schema;
pub mod span;
pub mod suggest;
mod tags;
mod trust;
mod values;
pub mod yaml;

pub use error::{Located, SuiteError, YamlError};
pub use files::{discover, load_file, parse_str, SuiteSource};
pub use model::*;
pub use node::Node;
pub use raw::{fields_of, Raw};
pub use rules::{Metric, Rules, Throughput};
pub use span::{Span, Spanned};
pub use tags::{check_tag, TagFilter, TAG_PATTERN};
pub use trust::{
    Adaptive, Confidence, Decline, Growth, OnInconclusive, RegressionRules, Tolerance,
};
pub use values::{ByteRate, ByteSize, HumanDuration, Percent, Ratio};
pub use yaml::MAX_FILE_BYTES;
