//! perfgate: performance assertions for HTTP APIs.
//!
//! Suites of cases live in YAML under `suites/`, NFR bounds in `thresholds.yaml`; each case runs as
//! a `cargo test` trial. The data flows suite -> plan -> execution -> samples -> statistics ->
//! verdict -> reports, and the modules below follow that order.

pub mod units;
pub mod yaml;
pub mod suite;
pub mod data;
pub mod template;
pub mod thresholds;
pub mod fixtures;
pub mod plan;
pub mod exec;
pub mod fixtures;
pub mod harness;
pub mod plan;
pub mod reference_api;
pub mod report;
pub mod extract;
pub mod checks;
pub mod redact;
pub mod sample;
pub mod stats;
pub mod suite;
pub mod target;
pub mod template;
pub mod thresholds;
pub mod units;
pub mod verdict;
pub mod yaml;

pub use harness::{run_harness, Harness};
