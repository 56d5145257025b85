//! The report folder (`target/perf/` by default): every process of a run adds its cases, and
//! the aggregate files always describe every case of the run so far.
//!
//! A runner such as cargo-nextest starts each case in a process of its own, so no process sees
//! the whole run. Each one therefore, under an exclusive lock on `<dir>/.lock`:
//!
//! 1. reads the run marker `cases/run.json`; when it names another run, the run is new: the
//!    previous run's case files are removed and the marker rewritten;
//! 2. writes each of its cases to `cases/case-<id>.json` (a case that runs again replaces its
//!    file);
//! 3. reads every case file of the run and writes `results.json`, `junit.xml`, `stats.csv`,
//!    `stats_history.csv`, `summary.md` and `report.html` from them.
//!
//! Processes of one run share cargo-nextest's `NEXTEST_RUN_ID`; without it every process is a
//! run of its own. Every file is written to a temporary file in the same folder and renamed over
//! the old one, so a reader sees the old file or the new one, never a part.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::csv::{HistoryCsv, StatsCsv};
use super::disk::{rewrite_run_part, write_atomically, FolderLock, ReportError, TEMP_SUFFIX};
use super::html::Html;
use super::json::{Json, RunResults, REPORT_SCHEMA};
use super::junit::Junit;
use super::markdown::Markdown;
use super::meta::{to_millis, RunInfo};
use super::{scrub, Report};
use crate::results::CaseResult;

/// The whole run as data.
pub const RESULTS_JSON: &str = "results.json";
/// JUnit XML for CI.
pub const JUNIT_XML: &str = "junit.xml";
/// Locust's `stats.csv` columns.
pub const STATS_CSV: &str = "stats.csv";
/// Locust's `stats_history.csv` columns.
pub const STATS_HISTORY_CSV: &str = "stats_history.csv";
/// A Markdown summary (also appended to `GITHUB_STEP_SUMMARY` when that is set).
pub const SUMMARY_MD: &str = "summary.md";
/// The self-contained HTML report.
pub const REPORT_HTML: &str = "report.html";

/// The folder of per-case files and the run marker.
const CASES: &str = "cases";
const MARKER: &str = "run.json";
const LOCK: &str = ".lock";

/// The report folder of one run, as one process sees it.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    dir: PathBuf,
    run_id: String,
    started: SystemTime,
    profile: Option<String>,
}

/// One case as a process left it, in `cases/`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    schema: u32,
    run_id: String,
    result: CaseResult,
}

/// Which run the case files belong to, since when, and where its step summary begins.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunMarker {
    run_id: String,
    #[serde(with = "crate::units::rfc3339")]
    started: SystemTime,
    /// The `GITHUB_STEP_SUMMARY` file and its length before this run first wrote to it: each
    /// process rewrites the run's part from there, so the summary holds the run once.
    step_summary: Option<(PathBuf, u64)>,
}

impl ReportFiles {
    /// The folder `dir` for this process's run, started now. The run id is
    /// `NEXTEST_RUN_ID` when cargo-nextest started the process, else one drawn once per process.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        static PROCESS_RUN: OnceLock<String> = OnceLock::new();
        let run_id = PROCESS_RUN.get_or_init(|| {
            std::env::var("NEXTEST_RUN_ID")
                .ok()
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
        });
        ReportFiles {
            dir: dir.into(),
            run_id: run_id.clone(),
            started: to_millis(SystemTime::now()),
            profile: std::env::var("PERF_PROFILE").ok().filter(|p| !p.is_empty()),
        }
    }

    /// Records `profile` as the run's profile (the one its bounds came from; none for a run
    /// without one) instead of `PERF_PROFILE`'s.
    pub fn with_profile(mut self, profile: Option<String>) -> Self {
        self.profile = profile;
        self
    }

    /// Belongs to run `id` instead (processes of one run must name the same id).
    pub fn with_run_id(mut self, id: impl Into<String>) -> Self {
        self.run_id = id.into();
        self
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// `PERF_REPORT_DIR` when set; else `perf/` in the target directory: `CARGO_TARGET_DIR`,
    /// else the one holding the running test binary, else `target/` of the package under test.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("PERF_REPORT_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir).join("perf");
        }
        // Cargo marks its target directory with CACHEDIR.TAG; test binaries live below it.
        let from_binary = std::env::current_exe().ok().and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        });
        let target = from_binary.unwrap_or_else(|| {
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map_or_else(|| PathBuf::from("."), PathBuf::from)
                .join("target")
        });
        target.join("perf")
    }

    /// Adds `results` to the run's case files and rewrites every report from all of them.
    /// Every text goes through `redact` first (the run's redactor), so no file holds a secret.
    /// Returns what `results.json` now holds.
    pub fn write(
        &self,
        results: &[CaseResult],
        redact: &dyn Fn(&str) -> String,
    ) -> Result<RunResults, ReportError> {
        let cases_dir = self.dir.join(CASES);
        fs::create_dir_all(&cases_dir).map_err(|source| ReportError::Write {
            path: cases_dir.clone(),
            source,
        })?;
        let _lock = FolderLock::acquire(&self.dir.join(LOCK))?;
        let mut marker = self.enter_run()?;
        for result in results {
            let file = CaseFile {
                schema: REPORT_SCHEMA,
                run_id: self.run_id.clone(),
                result: scrub::redacted(result, redact),
            };
            let path = cases_dir.join(case_file_name(&result.id));
            write_atomically(&path, |out| json_to(out, &file))?;
        }
        let cases = self.read_cases()?;
        let mut run = RunInfo::collect(&self.run_id, marker.started, &cases);
        run.profile = self.profile.clone();
        let reports: [(&str, &dyn Report); 6] = [
            (RESULTS_JSON, &Json(&run)),
            (JUNIT_XML, &Junit(&run)),
            (STATS_CSV, &StatsCsv),
            (
                STATS_HISTORY_CSV,
                &HistoryCsv {
                    started: run.started,
                },
            ),
            (SUMMARY_MD, &Markdown),
            (REPORT_HTML, &Html(&run)),
        ];
        for (name, report) in reports {
            write_atomically(&self.dir.join(name), |out| report.write(&cases, out))?;
        }
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let mut markdown = Vec::new();
            let _ = Markdown.write(&cases, &mut markdown);
            marker.step_summary = Some(rewrite_run_part(
                Path::new(&path),
                marker.step_summary.take(),
                &markdown,
            )?);
            self.save_marker(&marker)?;
        }
        Ok(RunResults::new(run, cases))
    }

    /// The marker of this run, written now if the folder held another run (whose case files
    /// and leftover temporary files are removed then).
    fn enter_run(&self) -> Result<RunMarker, ReportError> {
        let path = self.dir.join(CASES).join(MARKER);
        let current = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<RunMarker>(&bytes).ok(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(ReportError::Read { path, source }),
        };
        let marker = match current {
            Some(mut same) if same.run_id == self.run_id => {
                same.started = same.started.min(self.started);
                same
            }
            _ => {
                self.clear_previous_run()?;
                RunMarker {
                    run_id: self.run_id.clone(),
                    started: self.started,
                    step_summary: None,
                }
            }
        };
        self.save_marker(&marker)?;
        Ok(marker)
    }

    fn save_marker(&self, marker: &RunMarker) -> Result<(), ReportError> {
        let path = self.dir.join(CASES).join(MARKER);
        write_atomically(&path, |out| json_to(out, marker))
    }

    fn clear_previous_run(&self) -> Result<(), ReportError> {
        for dir in [self.dir.join(CASES), self.dir.clone()] {
            for path in entries(&dir)? {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let stale_case = dir.ends_with(CASES) && is_case_file(name);
                if stale_case || name.ends_with(TEMP_SUFFIX) {
                    fs::remove_file(&path).map_err(|source| ReportError::Write { path, source })?;
                }
            }
        }
        Ok(())
    }

    /// Every case file of this run, ordered by case id.
    fn read_cases(&self) -> Result<Vec<CaseResult>, ReportError> {
        let mut cases = Vec::new();
        for path in entries(&self.dir.join(CASES))? {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !is_case_file(name) {
                continue;
            }
            let bytes = fs::read(&path).map_err(|source| ReportError::Read {
                path: path.clone(),
                source,
            })?;
            let file: CaseFile = serde_json::from_slice(&bytes)
                .map_err(|source| ReportError::Parse { path, source })?;
            if file.run_id == self.run_id {
                cases.push(file.result);
            }
        }
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(cases)
    }
}

/// `case-<id>.json` with every character but ASCII letters, digits, `-` and `_` percent-encoded:
/// one file per id, valid on every file system.
fn case_file_name(id: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');
    format!(
        "case-{}.json",
        percent_encoding::utf8_percent_encode(id, KEEP)
    )
}

fn is_case_file(name: &str) -> bool {
    name.starts_with("case-") && name.ends_with(".json")
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let read = |source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    fs::read_dir(dir)
        .map_err(read)?
        .map(|entry| entry.map(|e| e.path()).map_err(read))
        .collect()
}

fn json_to<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_file_names_are_distinct_and_portable() {
        assert_eq!(
            case_file_name("tasks::submit_20"),
            "case-tasks%3A%3Asubmit_20.json"
        );
        assert_ne!(case_file_name("a::b_c"), case_file_name("a_::b"));
        assert_eq!(case_file_name("x/../y"), "case-x%2F%2E%2E%2Fy.json");
    }

    #[test]
    fn the_default_folder_is_perf_in_the_target_directory() {
        let dir = ReportFiles::default_dir();
        assert!(dir.ends_with("perf"), "{}", dir.display());
        if std::env::var_os("PERF_REPORT_DIR").is_none()
            && std::env::var_os("CARGO_TARGET_DIR").is_none()
        {
            // This test binary lives in cargo's target directory.
            let target = dir.parent().unwrap();
            assert!(target.join("CACHEDIR.TAG").is_file(), "{}", dir.display());
        }
    }
}
