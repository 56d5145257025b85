//! What a run loads: its configuration, the thresholds with the profile in use, every suite
//! planned, and which of the planned cases the tag filter and the profile select.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::baseline::{BASELINE_DIR_VAR, BASELINE_VAR, SAVE_BASELINE_VAR};
use crate::exec::{Case, Kind, TlsOptions};
use crate::fixtures::Fixtures;
use crate::plan::plan_suite;
use crate::report::ReportFiles;
use crate::suite::{self, SuiteError, SuiteSource, SuiteSpec, TagFilter};
use crate::target::{FrontEnd, BASE_URL_VAR};
use crate::thresholds::Thresholds;

/// Where suites and thresholds are, what to target, which cases run, and the Rust fixtures
/// suites may name.
#[derive(Debug, Clone)]
pub struct Config {
    /// Suite files, and folders scanned for them.
    pub suites: Vec<PathBuf>,
    /// Suites held in memory rather than in files (`loadgate probe`'s), loaded after the files.
    pub sources: Vec<SuiteSource>,
    /// The thresholds file.
    pub thresholds: PathBuf,
    /// True when the thresholds file was named (environment or builder): then it must exist.
    pub thresholds_named: bool,
    /// Overrides every suite's `base_url`.
    pub base_url: Option<String>,
    /// TLS settings from the command line; each one given wins over a suite's `tls:` key.
    pub tls: TlsOptions,
    /// Suites with no target run against the embedded reference API (otherwise that is an
    /// error naming the ways to set one).
    pub reference_api: bool,
    /// Rust fixtures registered on the builder.
    pub fixtures: Fixtures,
    /// Where report files go. [`run_all`] writes them only when this is set; the libtest
    /// runner always does, by default to [`ReportFiles::default_dir`].
    pub report_dir: Option<PathBuf>,
    /// The tag filter as written (`auth,read` runs cases with either tag, `!slow` leaves out
    /// cases tagged `slow`); checked when the run loads.
    pub tags: Option<String>,
    /// The thresholds file's profile to use: its bounds, and the cases it runs.
    pub profile: Option<String>,
    /// [`run_all`] leaves out cases marked `ignore: true` (the libtest runner leaves them to
    /// libtest's `--ignored`).
    pub skip_ignored: bool,
    /// Compare every case with this saved baseline (`PERF_BASELINE`).
    pub baseline: Option<String>,
    /// Save this run's results as a baseline of this name (`PERF_SAVE_BASELINE`).
    pub save_baseline: Option<String>,
    /// Where baselines are kept: `PERF_BASELINE_DIR`, else `perf-baselines/` of the package.
    pub baseline_dir: PathBuf,
    /// The front end the run came through, whose words its errors use.
    pub front_end: FrontEnd,
}

impl Config {
    /// `suites/` and `thresholds.yaml` of the package under test (`CARGO_MANIFEST_DIR`), with
    /// `PERF_SUITES`, `PERF_THRESHOLDS`, `PERF_BASE_URL`, `PERF_TAGS`, `PERF_PROFILE`,
    /// `PERF_BASELINE`, `PERF_SAVE_BASELINE` and `PERF_BASELINE_DIR` taken into account.
    pub fn from_env() -> Self {
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            suites: vec![
                std::env::var_os("PERF_SUITES").map_or_else(|| root.join("suites"), PathBuf::from)
            ],
            sources: Vec::new(),
            thresholds: std::env::var_os("PERF_THRESHOLDS")
                .map_or_else(|| root.join("thresholds.yaml"), PathBuf::from),
            thresholds_named: std::env::var_os("PERF_THRESHOLDS").is_some(),
            base_url: std::env::var(BASE_URL_VAR).ok(),
            tls: TlsOptions::default(),
            reference_api: false,
            fixtures: Fixtures::default(),
            report_dir: None,
            tags: set(TAGS_VAR),
            profile: set(PROFILE_VAR),
            skip_ignored: false,
            baseline: set(BASELINE_VAR),
            save_baseline: set(SAVE_BASELINE_VAR),
            baseline_dir: std::env::var_os(BASELINE_DIR_VAR)
                .filter(|d| !d.is_empty())
                .map_or_else(|| root.join("perf-baselines"), PathBuf::from),
            front_end: FrontEnd::Tests,
        }
    }

    /// The report folder for this configuration's runs, recording the profile in use.
    pub fn report_files(&self, dir: PathBuf) -> ReportFiles {
        ReportFiles::new(dir).with_profile(self.profile.clone())
    }
}

/// The environment variable holding the tag filter.
pub const TAGS_VAR: &str = "PERF_TAGS";
/// The environment variable naming the profile.
pub const PROFILE_VAR: &str = "PERF_PROFILE";

/// One entry of a loaded run: a case ready to run, or a file that could not be loaded.
#[derive(Debug)]
pub enum Loaded {
    /// A planned case.
    Case(Arc<Case>),
    /// A planned case the tag filter or the profile leaves out. Kept so that thresholds rules
    /// bounding it are not reported as bounding nothing.
    Deselected(Arc<Case>),
    /// A suite or thresholds file that cannot run, as a failing entry of its own.
    Broken {
        /// `<file>::suite_file`, `thresholds::file`, `tags::filter` or `suites::folder`.
        id: String,
        /// What is wrong, with file, line and column where known.
        error: String,
    },
}

/// Thresholds and every suite, planned; what cannot load becomes a [`Loaded::Broken`] entry,
/// and a case the tag filter or the profile leaves out a [`Loaded::Deselected`] one.
pub fn load(config: &Config) -> Vec<Loaded> {
    let failed = |id: &str, error: String| {
        vec![Loaded::Broken {
            id: id.into(),
            error,
        }]
    };
    let thresholds = match load_thresholds(config) {
        Ok(t) => t,
        Err(error) => return failed("thresholds::file", error),
    };
    let filter = match config.tags.as_deref().map(TagFilter::parse).transpose() {
        Ok(filter) => filter.unwrap_or_default(),
        Err(error) => return failed("tags::filter", error),
    };
    let profile = thresholds.selection();
    let files = match discover_all(&config.suites) {
        Ok(files) => files,
        Err(error) => return failed("suites::folder", error),
    };
    let selection = Selection { filter, profile };
    let mut loaded = Vec::new();
    let mut names = BTreeMap::new();
    let mut add = |stem: &str, read: Result<(SuiteSource, SuiteSpec), SuiteError>| {
        let broken = |error: String| Loaded::Broken {
            id: format!("{stem}::suite_file"),
            error,
        };
        let planned = read.and_then(|(source, spec)| {
            let plan = plan_suite(
                &source,
                spec,
                &thresholds,
                &config.fixtures,
                &Kind::from_spec,
            );
            plan.map(|plan| (source.origin, plan))
        });
        match planned {
            Ok((origin, plan)) => {
                if let Some(first) = names.insert(plan.name.clone(), origin.clone()) {
                    loaded.push(broken(format!(
                        "cannot load suite: {origin}: suite `{}` is already defined in {first}; \
                         give one of them another `suite:` name",
                        plan.name
                    )));
                    return;
                }
                loaded.extend(plan.cases.into_iter().map(|case| selection.entry(case)));
            }
            Err(e) => loaded.push(broken(format!("cannot load suite: {e}"))),
        }
    };
    for path in &files {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("suite");
        add(stem, suite::load_file(path, &display_path(path)));
    }
    for source in &config.sources {
        let read = suite::parse_str(&source.text, &source.origin);
        add(&source.stem, read.map(|spec| (source.clone(), spec)));
    }
    loaded
}

/// Which planned cases a run runs: the tag filter's and the profile's.
struct Selection {
    filter: TagFilter,
    profile: TagFilter,
}

impl Selection {
    fn entry(&self, case: Arc<Case>) -> Loaded {
        if self.filter.admits(&case.tags) && self.profile.admits(&case.tags) {
            Loaded::Case(case)
        } else {
            Loaded::Deselected(case)
        }
    }
}

/// Every suite file named in `paths` or found below a folder named there, in the order given
/// (each folder's files sorted), each once.
fn discover_all(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        let found = if path.is_file() {
            vec![path.clone()]
        } else {
            suite::discover(path).map_err(|e| {
                format!("{}: cannot read the suites folder: {e}", display_path(path))
            })?
        };
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// Thresholds rules that bound none of the loaded cases (or their steps and named requests):
/// a typo or a renamed case leaves a bound silently unapplied, so runs report them.
pub fn unmatched_rules(config: &Config, loaded: &[Loaded]) -> Vec<String> {
    let Ok(thresholds) = load_thresholds(config) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut tags: Vec<&str> = Vec::new();
    for entry in loaded {
        let (Loaded::Case(case) | Loaded::Deselected(case)) = entry else {
            // A suite that cannot load may hold the cases the rules are for.
            return Vec::new();
        };
        ids.push(case.id.clone());
        tags.extend(case.tags.iter().map(String::as_str));
        let main = case.main();
        ids.extend(main.steps.iter().map(|s| format!("{}/{}", case.id, s.name)));
        ids.extend(
            case.name_bounds
                .iter()
                .map(|(n, _)| format!("{}/{n}", case.id)),
        );
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    thresholds.unmatched(&ids, &tags)
}

/// The thresholds file with the configured profile in use. A missing default file is no
/// rules at all, but a profile cannot come from it.
fn load_thresholds(config: &Config) -> Result<Thresholds, String> {
    let path = &config.thresholds;
    let thresholds = if !config.thresholds_named && !path.exists() {
        if let Some(profile) = &config.profile {
            return Err(format!(
                "profile `{profile}` is set ({PROFILE_VAR} or --profile), but there is no \
                 thresholds file {} to define it",
                display_path(path)
            ));
        }
        Thresholds::empty()
    } else {
        Thresholds::load(Path::new(&display_path(path))).map_err(|e| e.to_string())?
    };
    match &config.profile {
        Some(profile) => thresholds.with_profile(profile).map_err(|e| e.to_string()),
        None => Ok(thresholds),
    }
}

/// A path as users see it: relative to the current directory when it is below it.
fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    shown.display().to_string()
}
