//! `loadgate run`: every selected case, one at a time, through the test runner's pipeline;
//! a line per case as it ends, the reasons of those that did not pass, the summary table, and
//! the report files.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{Exit, Inputs, TlsArgs};
use crate::report::{failure_message, text, Console, Report, ReportFiles};
use crate::results::CaseResult;
use crate::run::{self, Config, Loaded};
use crate::target::BASE_URL_VAR;

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Send every suite's requests here, over the suites' own `base_url`
    #[arg(long, value_name = "URL", env = BASE_URL_VAR)]
    base_url: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// Suites that name no target run against the embedded reference API
    #[cfg(feature = "reference-api")]
    #[arg(long)]
    reference_api: bool,
    /// Also run the cases marked `ignore: true`
    #[arg(long)]
    include_ignored: bool,
    /// Where the report files go [default: target/perf, or PERF_REPORT_DIR]
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// Compare every case with this saved baseline (its `regression:` bounds)
    #[arg(long, value_name = "NAME", env = run::BASELINE_VAR)]
    baseline: Option<String>,
    /// Save this run's results as a baseline of this name
    #[arg(long, value_name = "NAME", env = run::SAVE_BASELINE_VAR)]
    save_baseline: Option<String>,
    /// Where baselines are kept [default: perf-baselines, or PERF_BASELINE_DIR]
    #[arg(long, value_name = "DIR", env = run::BASELINE_DIR_VAR)]
    baseline_dir: Option<PathBuf>,
}

pub(super) fn run(args: &RunArgs) -> Exit {
    let mut config = args.inputs.config();
    config.base_url = args.base_url.clone().filter(|u| !u.is_empty());
    config.tls = match args.tls.options() {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    #[cfg(feature = "reference-api")]
    {
        config.reference_api = args.reference_api;
    }
    config.skip_ignored = !args.include_ignored;
    config.report_dir = Some(
        args.report_dir
            .clone()
            .unwrap_or_else(ReportFiles::default_dir),
    );
    config.baseline = args.baseline.clone().filter(|b| !b.trim().is_empty());
    config.save_baseline = args.save_baseline.clone().filter(|b| !b.trim().is_empty());
    if let Some(dir) = &args.baseline_dir {
        config.baseline_dir = dir.clone();
    }
    if let Err(e) = run::check_baseline_names(&config) {
        eprintln!("error: {e}");
        return Exit::BadInput;
    }
    run::announce_profile(&config);
    let loaded = run::load(&config);
    if args.inputs.report_unmatched(&config, &loaded) {
        return Exit::BadInput;
    }
    execute(&config, loaded, &args.inputs.filter)
}

/// Runs and reports the loaded cases of `config` whose id contains `filter`: the part `run`
/// and `probe` share.
pub(super) fn execute(config: &Config, loaded: Vec<Loaded>, filter: &str) -> Exit {
    let chosen: Vec<Loaded> = loaded
        .into_iter()
        .filter(|entry| match entry {
            Loaded::Case(case) => case.id.contains(filter) && !(config.skip_ignored && case.ignore),
            // A file that cannot load is reported whatever the filter: it may hold the cases.
            Loaded::Broken { .. } => true,
            Loaded::Deselected(_) => false,
        })
        .collect();
    if chosen.is_empty() {
        eprintln!(
            "error: no case to run: none matches the filter, tags, profile or `ignore` \
             (list them with `loadgate check`)"
        );
        return Exit::BadInput;
    }
    let (session, baseline_error) = run::open_session(config);
    let mut results = Vec::new();
    for entry in baseline_error.into_iter().chain(chosen) {
        let result = match entry {
            Loaded::Case(case) => session.run_case(&case),
            Loaded::Broken { id, error } => CaseResult::broken(&id, error),
            Loaded::Deselected(_) => continue,
        };
        println!("{} ... {}", result.id, text::status(result.status()));
        results.push(result);
    }
    results.extend(run::teardown_result(session.finish()));
    let mut out = std::io::stdout().lock();
    for result in results.iter().filter(|r| !r.passed()) {
        let head = if result.fails() { "" } else { "warning: " };
        let _ = writeln!(
            out,
            "\n{head}{}",
            session.redact(&failure_message(result)).trim_end()
        );
    }
    let _ = Console.write(&results, &mut out);
    let mut exit = Exit::of(&results);
    if let Some(dir) = &config.report_dir {
        match config
            .report_files(dir.clone())
            .write(&results, &|t| session.redact(t))
        {
            Ok(written) => {
                let _ = writeln!(out, "loadgate reports: {}", dir.display());
                if let Err(e) = run::save_baseline(config, &written) {
                    eprintln!("error: {e}");
                    exit = exit.max_with(Exit::Missed);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                exit = exit.max_with(Exit::Missed);
            }
        }
    }
    exit
}
