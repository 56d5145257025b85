//! Reports: one file per output format behind the [`Report`] trait, all reading
//! [`CaseResult`]s; [`text`] words values the same way for every format that prints words.
//!
//! After a run, [`ReportFiles::write`] puts every file format in the report folder
//! (`target/perf/` by default): `results.json` ([`RunResults`]), `junit.xml`, `stats.csv` and
//! `stats_history.csv` (Locust's columns), `summary.md` and `report.html`.

mod console;
mod csv;
mod disk;
mod files;
mod html;
mod json;
mod junit;
mod markdown;
mod markup;
mod meta;
mod progress;
mod scrub;
mod svg;
pub mod text;

use std::io;

pub use self::csv::{HistoryCsv, StatsCsv};
pub use console::Console;
pub(crate) use disk::write_atomically;
pub use disk::ReportError;
pub use files::{
    ReportFiles, JUNIT_XML, REPORT_HTML, RESULTS_JSON, STATS_CSV, STATS_HISTORY_CSV, SUMMARY_MD,
};
pub use html::Html;
pub use json::{Json, RunResults, REPORT_SCHEMA};
pub use junit::Junit;
pub use markdown::Markdown;
pub use meta::{Build, RunInfo};
pub use progress::Progress;
pub(crate) use scrub::redacted;
pub use scrub::strip_credentials;
pub use text::failure_message;

use crate::results::CaseResult;

/// An output format.
pub trait Report {
    /// Writes the results of one run.
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()>;
}
