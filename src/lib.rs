//! loadgate: performance assertions for HTTP APIs.
//!
//! Suites of cases live in YAML under `suites/`, NFR bounds in `thresholds.yaml`; each case runs as
//! a `cargo test` trial. The data flows suite -> plan -> execution -> samples -> statistics ->
//! verdict -> reports:
//!
//! - [`suite`] (YAML model, read through [`yaml`]), [`template`] and [`data`] (fresh data per
//!   request), [`thresholds`] (the NFR bounds);
//! - [`plan`]: a validated, compiled suite, no I/O;
//! - [`exec`]: one file per case kind, producing [`sample`]s; [`extract`], [`checks`] judge
//!   responses after the timer stops; [`record`] holds what requests leave behind in bounded
//!   memory;
//! - [`stats`] -> [`verdict`] -> [`report`], with [`redact`] keeping secrets out of every output;
//! - [`harness`]: the libtest-mimic runner; [`target`] picks the server, by default the embedded
//!   [`reference_api`]; [`managed`] starts a suite's own server and samples its CPU and memory.

pub mod checks;
pub mod data;
pub mod exec;
pub mod extract;
pub mod files;
pub mod fixtures;
pub mod harness;
pub mod managed;
pub mod plan;
pub mod record;
pub mod redact;
#[cfg(feature = "reference-api")]
pub mod reference_api;
pub mod report;
pub mod results;
pub mod run;
pub mod sample;
pub mod stats;
pub mod suite;
pub mod target;
pub mod template;
pub mod thresholds;
pub mod units;
pub mod verdict;

pub use harness::{run_harness, Harness};
