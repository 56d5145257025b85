//! libtest-mimic glue: suites -> plans -> one trial per case, run one at a time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::exec::{self, ExecError, RunContext};
use crate::extract::Exchange;
use crate::fixtures::{Fixtures, SetupContext, SetupFunction};
use crate::plan::{plan_suite, CasePlan};
use crate::report::{CaseReport, Console, Report, StepReport};
use crate::stats::Summary;
use crate::suite::{self, SuiteError};
use crate::target::{Targets, BASE_URL_VAR};
use crate::template::{CustomFunction, Variables};
use crate::thresholds::Thresholds;
use crate::verdict::judge;

/// A configured performance harness: where suites and thresholds are, what to target.
#[derive(Debug, Clone)]
pub struct Harness {
    suites: PathBuf,
    thresholds: PathBuf,
    /// True when the thresholds file was named (env or builder): then it must exist.
    thresholds_named: bool,
    base_url: Option<String>,
    fixtures: Fixtures,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs every suite under `suites/` as `cargo test` trials; the whole of a `tests/perf.rs`.
pub fn run_harness() -> ! {
    Harness::new().run()
}

impl Harness {
    /// `suites/` and `thresholds.yaml` of the package under test, target from `PERF_BASE_URL`.
    pub fn new() -> Self {
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        Self {
            suites: std::env::var_os("PERF_SUITES")
                .map_or_else(|| root.join("suites"), PathBuf::from),
            thresholds: std::env::var_os("PERF_THRESHOLDS")
                .map_or_else(|| root.join("thresholds.yaml"), PathBuf::from),
            thresholds_named: std::env::var_os("PERF_THRESHOLDS").is_some(),
            base_url: std::env::var(BASE_URL_VAR).ok(),
            fixtures: Fixtures::default(),
        }
    }

    /// Reads suites from `dir` instead.
    pub fn suites_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.suites = dir.into();
        self
    }

    /// Reads bounds from `path` instead; it must exist. (The default `thresholds.yaml` may be
    /// absent: then the only bound is the default `error_rate: 0`.)
    pub fn thresholds_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.thresholds = path.into();
        self.thresholds_named = true;
        self
    }

    /// Sends every suite's requests to `url`, over `PERF_BASE_URL` and suites' own `base_url`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Registers a data factory written in Rust, called from templates as `{{ name(args...) }}`.
    /// It gets the call's arguments and the request's seeded random number generator.
    pub fn function<F>(mut self, name: &str, function: F) -> Self
    where
        F: Fn(&[serde_json::Value], &mut dyn rand::RngCore) -> serde_json::Value
            + Send
            + Sync
            + 'static,
    {
        let function: CustomFunction = Arc::new(function);
        self.fixtures.add_function(name, function);
        self
    }

    /// Registers a set-up fixture written in Rust, used from YAML as
    /// `fixtures: { NAME: { rust: name } }`. It gets the user's HTTP client, the base URL and
    /// the variables so far, and returns the variables named in `provides` (declared here so
    /// templates using them are checked before anything is sent).
    pub fn setup<F, Fut>(mut self, name: &str, provides: &[&str], setup: F) -> Self
    where
        F: Fn(SetupContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Variables, String>> + Send + 'static,
    {
        let run: SetupFunction = Arc::new(move |cx| Box::pin(setup(cx)));
        self.fixtures.add_setup(name, provides, run);
        self
    }

    /// Registers a check written in Rust, used from YAML as `checks: [{ rust: name }]`.
    pub fn check<F>(mut self, name: &str, check: F) -> Self
    where
        F: Fn(&Exchange) -> Result<(), String> + Send + Sync + 'static,
    {
        self.fixtures.add_check(name, Arc::new(check));
        self
    }

    /// Runs the trials with the command-line arguments of `cargo test`, prints the summary
    /// table, and exits with libtest's status.
    pub fn run(self) -> ! {
        let mut args = Arguments::from_args();
        // Performance cases must never overlap, whatever --test-threads says.
        args.test_threads = Some(1);
        let session = Arc::new(Session::new(self.base_url.clone()));
        let trials = self.trials(&session);
        let conclusion = libtest_mimic::run(&args, trials);
        let reports = session.take_reports();
        let _ = Console.write(&reports, &mut std::io::stdout().lock());
        let teardown_failures = session.finish();
        for failure in &teardown_failures {
            eprintln!("error: {failure}");
        }
        if !teardown_failures.is_empty() && !conclusion.has_failed() {
            std::process::exit(101);
        }
        conclusion.exit()
    }

    /// Runs every case whose id contains `filter` (all when empty), without libtest, and
    /// returns their reports; load errors come back as reports with `error` set.
    pub fn run_cases(&self, filter: &str) -> Vec<CaseReport> {
        let session = Arc::new(Session::new(self.base_url.clone()));
        for trial in self.load() {
            match trial {
                Loaded::Case(case) if case.id.contains(filter) => {
                    let _ = session.run_case(&case);
                }
                Loaded::Case(_) => {}
                Loaded::Broken { id, error } if id.contains(filter) => {
                    let mut report = CaseReport::new(&id, "suite file", 0);
                    report.error = Some(error);
                    session.push(report);
                }
                Loaded::Broken { .. } => {}
            }
        }
        let teardown_failures = session.finish();
        let mut reports = session.take_reports();
        if !teardown_failures.is_empty() {
            let mut report =
                CaseReport::new("fixtures::teardown", "tear-down of once-scoped fixtures", 0);
            report.error = Some(teardown_failures.join("\n"));
            reports.push(report);
        }
        reports
    }

    fn trials(&self, session: &Arc<Session>) -> Vec<Trial> {
        self.load()
            .into_iter()
            .map(|loaded| match loaded {
                Loaded::Case(case) => {
                    let session = Arc::clone(session);
                    let (id, kind, ignore) = (case.id.clone(), case.kind.name(), case.ignore);
                    Trial::test(id, move || session.run_case(&case))
                        .with_kind(kind)
                        .with_ignored_flag(ignore)
                }
                Loaded::Broken { id, error } => Trial::test(id, move || Err(Failed::from(error))),
            })
            .collect()
    }

    /// Thresholds and every suite, planned; what cannot load becomes a broken entry.
    fn load(&self) -> Vec<Loaded> {
        let thresholds = match load_thresholds(&self.thresholds, self.thresholds_named) {
            Ok(t) => t,
            Err(error) => {
                return vec![Loaded::Broken {
                    id: "thresholds::file".into(),
                    error,
                }]
            }
        };
        let files = match suite::discover(&self.suites) {
            Ok(files) => files,
            Err(e) => {
                let error = format!(
                    "{}: cannot read the suites folder: {e}",
                    self.suites.display()
                );
                return vec![Loaded::Broken {
                    id: "suites::folder".into(),
                    error,
                }];
            }
        };
        let mut loaded = Vec::new();
        let mut ids = std::collections::BTreeMap::new();
        for path in files {
            let origin = display_path(&path);
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("suite")
                .to_string();
            let planned = suite::load_file(&path, &origin)
                .and_then(|(source, spec)| plan_suite(&source, spec, &thresholds, &self.fixtures));
            match planned {
                Ok(plan) => {
                    if let Some(first) = ids.insert(plan.name.clone(), origin.clone()) {
                        let error = format!(
                            "cannot load suite: {origin}: suite `{}` is already defined in {first}; \
                             give one of them another `suite:` name",
                            plan.name
                        );
                        loaded.push(Loaded::Broken {
                            id: format!("{stem}::suite_file"),
                            error,
                        });
                        continue;
                    }
                    loaded.extend(plan.cases.into_iter().map(Loaded::Case));
                }
                Err(e) => loaded.push(Loaded::Broken {
                    id: format!("{stem}::suite_file"),
                    error: broken(&e),
                }),
            }
        }
        loaded
    }
}

fn broken(error: &SuiteError) -> String {
    format!("cannot load suite: {error}")
}

fn load_thresholds(path: &Path, named: bool) -> Result<Thresholds, String> {
    if !named && !path.exists() {
        return Ok(Thresholds::empty());
    }
    Thresholds::load(Path::new(&display_path(path))).map_err(|e| e.to_string())
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

enum Loaded {
    Case(Arc<CasePlan>),
    Broken { id: String, error: String },
}

/// What the trials of one run share: the runtime that measures, the targets, the reports.
struct Session {
    targets: Targets,
    context: Arc<RunContext>,
    reports: Mutex<Vec<CaseReport>>,
}

impl Session {
    fn new(base_url: Option<String>) -> Self {
        Self {
            targets: Targets::new(base_url),
            context: Arc::new(RunContext::new()),
            reports: Mutex::new(Vec::new()),
        }
    }

    /// Tears down once-scoped fixtures and stops the embedded API; returns tear-down failures.
    fn finish(&self) -> Vec<String> {
        let failures = match runtime() {
            Ok(rt) => rt.block_on(self.context.tear_down_all()),
            Err(e) => vec![e],
        };
        self.targets.shutdown();
        failures
    }

    fn run_case(&self, case: &Arc<CasePlan>) -> Result<(), Failed> {
        let report = self.measure(case);
        let result = if report.passed() {
            Ok(())
        } else {
            Err(Failed::from(
                self.context.redactor.redact(&report.failure_message()),
            ))
        };
        self.push(report);
        result
    }

    fn measure(&self, case: &Arc<CasePlan>) -> CaseReport {
        let mut report = CaseReport::new(&case.id, &case.kind.describe(), case.seed);
        let outcome = self
            .targets
            .resolve(case.base_url.as_deref())
            .and_then(|target| {
                report.target = target.base_url.clone();
                runtime()
                    .map_err(|e| {
                        ExecError::Client(format!("cannot start the measuring runtime: {e}"))
                    })?
                    .block_on(exec::execute(
                        Arc::clone(case),
                        target,
                        Arc::clone(&self.context),
                    ))
            });
        match outcome {
            Ok(measured) => {
                let summary = Summary::from_samples(&measured.samples);
                report.verdict = Some(judge(&summary, &case.bounds));
                report.summary = Some(summary);
                for ((name, samples), bounds) in measured.steps.iter().zip(&case.step_bounds) {
                    let summary = Summary::from_samples(samples);
                    let verdict = judge(&summary, bounds);
                    report.steps.push(StepReport {
                        id: format!("{}/{name}", case.id),
                        summary,
                        verdict,
                    });
                }
                report.checks = measured.checks;
                report.refreshes = measured.refreshes;
            }
            Err(e) => report.error = Some(self.context.redactor.redact(&e.to_string())),
        }
        report
    }

    fn push(&self, report: CaseReport) {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(report);
    }

    fn take_reports(&self) -> Vec<CaseReport> {
        std::mem::take(&mut *self.reports.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The runtime that sends and times requests: multi-threaded, so concurrent responses are
/// read in parallel; the embedded API runs on runtimes of its own.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("loadgate-measure")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}
