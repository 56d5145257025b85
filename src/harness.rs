//! libtest-mimic glue over the pipeline in [`crate::run`]: one trial per case, one at a time,
//! and the summary table after them.

use std::path::PathBuf;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::extract::Exchange;
use crate::fixtures::{SetupContext, SetupFunction};
use crate::plan::KindPlan;
use crate::report::{failure_message, Console, Report, ReportFiles};
use crate::results::CaseResult;
use crate::run::{self, Collected, Config, Loaded, Session};
use crate::template::{CustomFunction, Variables};

/// A configured performance harness: where suites and thresholds are, what to target.
#[derive(Debug, Clone)]
pub struct Harness {
    config: Config,
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
        Self {
            config: Config::from_env(),
        }
    }

    /// Reads suites from `dir` instead.
    pub fn suites_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.suites = vec![dir.into()];
        self
    }

    /// Runs only the cases `filter` admits, over `PERF_TAGS`: `auth,read` runs cases tagged
    /// `auth` or `read`, `!slow` leaves out cases tagged `slow`.
    pub fn tags(mut self, filter: &str) -> Self {
        self.config.tags = Some(filter.to_string());
        self
    }

    /// Uses the thresholds file's profile `name` (its bounds, and the cases it runs), over
    /// `PERF_PROFILE`.
    pub fn profile(mut self, name: &str) -> Self {
        self.config.profile = Some(name.to_string());
        self
    }

    /// Reads bounds from `path` instead; it must exist. (The default `thresholds.yaml` may be
    /// absent: then the only bound is the default `error_rate: 0`.)
    pub fn thresholds_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.thresholds = path.into();
        self.config.thresholds_named = true;
        self
    }

    /// Writes report files (`results.json`, `junit.xml`, `report.html`, ...) to `dir`, over
    /// `PERF_REPORT_DIR` and the default `target/perf/`. [`Harness::run_cases`] writes them
    /// only when this is set.
    pub fn report_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.report_dir = Some(dir.into());
        self
    }

    /// Compares every case with the saved baseline `name` (its `regression:` bounds), over
    /// `PERF_BASELINE`.
    pub fn baseline(mut self, name: &str) -> Self {
        self.config.baseline = Some(name.to_string());
        self
    }

    /// Saves the run's results as the baseline `name`, over `PERF_SAVE_BASELINE`.
    pub fn save_baseline(mut self, name: &str) -> Self {
        self.config.save_baseline = Some(name.to_string());
        self
    }

    /// Keeps baselines in `dir`, over `PERF_BASELINE_DIR` and the default `perf-baselines/`.
    pub fn baseline_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.baseline_dir = dir.into();
        self
    }

    /// Runs suites that name no target (no `base_url`, no `PERF_BASE_URL`) against the embedded
    /// reference API, as loadgate's own suites do; without this, such a suite is an error.
    #[cfg(feature = "reference-api")]
    pub fn with_reference_api(mut self) -> Self {
        self.config.reference_api = true;
        self
    }

    /// Sends every suite's requests to `url`, over `PERF_BASE_URL` and suites' own `base_url`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = Some(url.into());
        self
    }

    /// TLS settings for every suite, as the command line's `--cacert`, `--cert`, `--key`,
    /// `--insecure` and `--servername` give them: each one set wins over a suite's `tls:` key.
    pub fn tls(mut self, options: crate::tls::TlsOptions) -> Self {
        self.config.tls = options;
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
        self.config.fixtures.add_function(name, function);
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
        self.config.fixtures.add_setup(name, provides, run);
        self
    }

    /// Registers a check written in Rust, used from YAML as `checks: [{ rust: name }]`.
    pub fn check<F>(mut self, name: &str, check: F) -> Self
    where
        F: Fn(&Exchange) -> Result<(), String> + Send + Sync + 'static,
    {
        self.config.fixtures.add_check(name, Arc::new(check));
        self
    }

    /// Runs the trials with the command-line arguments of `cargo test`, prints the summary
    /// table, and exits with libtest's status.
    pub fn run(self) -> ! {
        if env!("LOADGATE_OPT_LEVEL") == "0" {
            eprintln!(
                "loadgate: built without optimisations: measured latencies include the harness's \
                 own overhead; add `[profile.dev.package.loadgate] opt-level = 3` and \
                 `[profile.dev.package.\"*\"] opt-level = 3` to Cargo.toml (see README)"
            );
        }
        let mut args = Arguments::from_args();
        // Performance cases must never overlap, whatever --test-threads says.
        args.test_threads = Some(1);
        let reports = self.config.report_files(
            self.config
                .report_dir
                .clone()
                .unwrap_or_else(ReportFiles::default_dir),
        );
        run::announce_profile(&self.config);
        let (session, baseline_error) = run::open_session(&self.config);
        let session = Arc::new(session);
        let collected = Arc::new(Collected::default());
        let mut loaded = run::load(&self.config);
        loaded.extend(baseline_error);
        if let Err(error) = run::check_baseline_names(&self.config) {
            loaded.push(Loaded::Broken {
                id: "baseline::name".to_string(),
                error,
            });
        }
        let broken: Vec<(String, String)> = loaded
            .iter()
            .filter_map(|entry| match entry {
                Loaded::Broken { id, error } => Some((id.clone(), error.clone())),
                Loaded::Case(_) | Loaded::Deselected(_) => None,
            })
            .collect();
        // A rule that bounds nothing is a warning; with PERF_STRICT=1 it fails the run.
        let strict = std::env::var("PERF_STRICT").is_ok_and(|v| v == "1" || v == "true");
        let unmatched = run::unmatched_rules(&self.config, &loaded);
        for rule in &unmatched {
            let level = if strict { "error" } else { "warning" };
            eprintln!("{level}: {rule}");
        }
        let all_left_out = loaded.iter().any(|e| matches!(e, Loaded::Deselected(_)))
            && !loaded.iter().any(|e| matches!(e, Loaded::Case(_)));
        if all_left_out {
            eprintln!("loadgate: the tag filter (PERF_TAGS) and the profile leave out every case");
        }
        let trials = loaded
            .into_iter()
            .filter_map(|entry| trial(entry, &session, &collected))
            .collect();
        let conclusion = libtest_mimic::run(&args, trials);
        let results = collected.take();
        let _ = Console.write(&results, &mut std::io::stdout().lock());
        let mut failed = conclusion.has_failed() || (strict && !unmatched.is_empty());
        let ran = conclusion.num_passed + conclusion.num_failed + conclusion.num_ignored;
        if !args.list && ran == 0 && conclusion.num_filtered_out > 0 {
            eprintln!(
                "loadgate: no case matches the filter; cases are named `suite::case` \
                 (list them with `-- --list`)"
            );
        }
        // A broken suite or thresholds file fails the run even when a filter left its entry
        // out: a green run must never hide input that cannot be read.
        let unseen: Vec<&(String, String)> = broken
            .iter()
            .filter(|(id, _)| !results.iter().any(|r| &r.id == id))
            .collect();
        if !args.list && !unseen.is_empty() {
            for (id, error) in unseen {
                eprintln!("error: {id}: {error}");
            }
            failed = true;
        }
        // Reports are part of the run's outcome: CI reading an old or missing junit.xml as
        // this run's would be worse than a failed run. A run of no case (a listing, or a filter
        // meant for other tests of the package) leaves the last run's reports in place.
        if !args.list && !results.is_empty() {
            match reports.write(&results, &|text| session.redact(text)) {
                Ok(run) => {
                    println!("loadgate reports: {}", reports.dir().display());
                    if let Err(e) = run::save_baseline(&self.config, &run) {
                        eprintln!("error: {e}");
                        failed = true;
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
        }
        let teardown_failures = session.finish();
        for failure in &teardown_failures {
            eprintln!("error: {failure}");
        }
        if failed || !teardown_failures.is_empty() {
            std::process::exit(101);
        }
        conclusion.exit()
    }

    /// Runs every case whose id contains `filter` (all when empty), without libtest, and
    /// returns their results; load errors come back as results with `error` set.
    pub fn run_cases(&self, filter: &str) -> Vec<CaseResult> {
        run::run_all(&self.config, filter)
    }
}

/// One libtest trial: a case that runs and is judged, or a broken file that fails at once; none
/// for a case the tag filter or profile leaves out.
fn trial(entry: Loaded, session: &Arc<Session>, collected: &Arc<Collected>) -> Option<Trial> {
    let trial = match entry {
        Loaded::Case(case) => {
            let (session, collected) = (Arc::clone(session), Arc::clone(collected));
            let (id, kind, ignore) = (case.id.clone(), case.kind.name(), case.ignore);
            Trial::test(id, move || {
                let result = session.run_case(&case);
                let outcome = if !result.fails() {
                    if result.warns() {
                        eprintln!("warning: {}", session.redact(&failure_message(&result)));
                    }
                    Ok(())
                } else {
                    Err(Failed::from(session.redact(&failure_message(&result))))
                };
                collected.push(result);
                outcome
            })
            .with_kind(kind)
            .with_ignored_flag(ignore)
        }
        Loaded::Broken { id, error } => {
            let collected = Arc::clone(collected);
            Trial::test(id.clone(), move || {
                collected.push(CaseResult::broken(&id, error.clone()));
                Err(Failed::from(error))
            })
        }
        Loaded::Deselected(_) => return None,
    };
    Some(trial)
}
