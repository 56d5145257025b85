//! loadgate: performance assertions for HTTP APIs.
//!
//! Suites of cases live in YAML under `suites/`, NFR bounds in `thresholds.yaml`; each case runs
//! as a `cargo test` trial (`tests/perf.rs` is [`run_harness`] or a [`Harness`]). The code is laid
//! out as the data flows, and the imports between modules form no cycle:
//!
//! - [`suite`]: the YAML model and the one front door every YAML file goes through (exact
//!   positions in every error); [`thresholds`]: the bounds and the rule that sets each;
//!   [`template`]: `{{ ... }}` expressions and data factories;
//! - `plan`: a validated, compiled suite, no I/O;
//! - `exec`: one file per case kind (`sequential`, `concurrent`, `burst`, `load`), each owning
//!   its settings and its run; only the exchange is timed;
//! - [`record`]: what requests leave behind, in bounded memory, mergeable across runs and
//!   machines; [`stats`] -> [`verdict`] -> [`results`] -> [`report`]; [`confidence`]: the
//!   intervals and sequential tests the verdict uses on percentiles and regressions;
//! - [`run`]: the one pipeline (load -> plan -> execute -> record -> judge) that the test
//!   runner ([`harness`]), the command line and the tests all call;
//! - [`reference_api`] (cargo feature `reference-api`, on by default): the embedded server this
//!   repository's own suites measure;
//! - [`schema`]: JSON Schemas of suite files and `thresholds.yaml` for editors; [`cli`] (cargo
//!   feature `cli`, on by default): the `loadgate` command line over [`run`].
//!
//! Everything else is crate-private.

pub(crate) mod checks;
#[cfg(feature = "cli")]
pub mod cli;
pub mod confidence;
pub(crate) mod data;
pub(crate) mod exec;
pub(crate) mod extract;
pub(crate) mod files;
pub(crate) mod fixtures;
pub mod harness;
pub(crate) mod managed;
pub(crate) mod plan;
pub mod record;
pub(crate) mod redact;
#[cfg(feature = "reference-api")]
pub mod reference_api;
pub mod report;
pub mod results;
pub mod run;
pub mod sample;
pub mod schema;
pub mod stats;
pub mod suite;
pub(crate) mod target;
pub mod template;
pub mod thresholds;
pub(crate) mod tls;
pub(crate) mod units;
pub mod verdict;

/// The measuring engine's HTTP/1.1 fast path, for programs that want loadgate's timing of one
/// request without a suite: a connection per user, the request rendered off the clock, the body
/// counted to its last byte; over TLS for `https://` requests.
pub mod engine {
    pub use crate::exec::{
        fast_path, Connection, Opened, Outgoing, Response, Tls, TlsOptions, HTTP2_ONLY,
    };
}

pub use extract::Exchange;
pub use fixtures::SetupContext;
pub use harness::{run_harness, Harness};
