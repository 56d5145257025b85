//! perfgate: performance assertions for HTTP APIs.
//!
//! Suites of cases live in YAML under `suites/`, NFR bounds in `thresholds.yaml`; each case runs as
//! a `cargo test` trial. The data flows suite -> plan -> execution -> samples -> statistics ->
//! verdict -> reports, and the modules below follow that order.

pub mod units;
pub mod sample;

pub mod stats;
pub mod thresholds;
pub mod verdict;
