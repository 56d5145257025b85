//! The `loadgate` command line (cargo feature `cli`): the same pipeline as the test runner
//! ([`crate::run`]), driven by flags. One file per command.
//!
//! Exit status: 0 when every bound is met, 1 when a bound is missed or a case could not run,
//! 2 on bad input (a suite or thresholds error, a bad flag, nothing to run).

mod check;
mod probe;
mod report;
mod run;
#[cfg(feature = "reference-api")]
mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::results::{CaseResult, Stage};
use crate::run::FrontEnd;
use crate::run::{Config, PROFILE_VAR, TAGS_VAR};
use crate::thresholds::{Bound, Limit};

/// How a command ended, as its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every bound met; the command did what was asked.
    Met = 0,
    /// A bound missed, a case that could not run, or a file that could not be written.
    Missed = 1,
    /// Bad input: a suite or thresholds error, a bad flag, nothing to run.
    BadInput = 2,
}

impl Exit {
    /// The worse of two outcomes.
    fn max_with(self, other: Exit) -> Exit {
        if other as i32 > self as i32 {
            other
        } else {
            self
        }
    }

    /// The exit status of a run's results: bad input when a file could not load, a miss when
    /// any case did not pass.
    pub fn of(results: &[CaseResult]) -> Exit {
        let load_error = results
            .iter()
            .any(|r| r.error.as_ref().is_some_and(|e| e.stage == Stage::Load));
        if load_error {
            Exit::BadInput
        } else if !results.iter().any(CaseResult::fails) {
            Exit::Met
        } else {
            Exit::Missed
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "loadgate",
    version,
    about = "Performance assertions for HTTP APIs: YAML suites judged against NFR bounds",
    after_help = "Exit status: 0 every bound met, 1 a bound missed or a case could not run, \
                  2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run suites and judge every case against its bounds
    Run(run::RunArgs),
    /// Validate suites and thresholds and list each case with its bounds; sends nothing
    Check(check::CheckArgs),
    /// Re-render reports from a saved results.json
    Report(report::ReportArgs),
    /// Serve the embedded reference API until Ctrl-C
    #[cfg(feature = "reference-api")]
    Serve(serve::ServeArgs),
    /// Measure one endpoint against bounds given as flags, without YAML
    Probe(probe::ProbeArgs),
    /// Write the JSON Schemas of suite files and thresholds.yaml
    Schema(SchemaArgs),
}

/// TLS for `https://` targets, as curl and oha name the flags: shared by `run` and `probe`.
/// Each one given wins over the same key of a suite's `tls:` block.
#[derive(Debug, Args)]
struct TlsArgs {
    /// Trust the CA certificates in this PEM file, besides the Mozilla roots
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate (PEM) for servers that require mutual TLS; needs --key
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The private key (PEM) of --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Do not verify server certificates (recorded in the report)
    #[arg(long, short = 'k')]
    insecure: bool,
    /// Verify the server's certificate for this name, and send it as SNI, instead of the URL's host
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
}

impl TlsArgs {
    /// The options the flags give, checked: a file that cannot be used is an error naming it.
    fn options(&self) -> Result<crate::tls::TlsOptions, String> {
        let options = crate::tls::TlsOptions {
            ca: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            insecure: self.insecure,
            server_name: self.servername.clone(),
        };
        let named = |text: String| {
            text.replace("tls.ca ", "--cacert ")
                .replace("tls.cert ", "--cert ")
                .replace("tls.key ", "--key ")
                .replace("tls.server_name ", "--servername ")
        };
        crate::exec::Tls::new(&options).map_err(named)?;
        Ok(options)
    }
}

/// Where suites and bounds come from and which cases are meant: shared by `run` and `check`.
#[derive(Debug, Args)]
struct Inputs {
    /// Suite files or folders of them [default: suites]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The thresholds file [default: thresholds.yaml in the current directory, if there is one]
    #[arg(long, value_name = "FILE", env = "PERF_THRESHOLDS")]
    thresholds: Option<PathBuf>,
    /// The thresholds file's profile to use: its bounds and the cases it runs
    #[arg(long, value_name = "NAME", env = PROFILE_VAR)]
    profile: Option<String>,
    /// Only cases with one of these tags; `!tag` leaves a tag out (e.g. `auth,read,!slow`)
    #[arg(long, value_name = "TAGS", env = TAGS_VAR)]
    tags: Option<String>,
    /// Only cases whose `suite::case` id contains this text
    #[arg(long, value_name = "PATTERN", default_value = "")]
    filter: String,
    /// Fail on thresholds rules that bound no case (otherwise they are warnings)
    #[arg(long, env = "PERF_STRICT")]
    strict: bool,
}

impl Inputs {
    /// Prints the thresholds rules that bound none of the loaded cases, as warnings (errors
    /// with `--strict`); returns true when they fail the command. A run of single suite files
    /// leaves the rules for the other suites unused on purpose: then nothing is checked.
    fn report_unmatched(&self, config: &Config, loaded: &[crate::run::Loaded]) -> bool {
        if self.paths.iter().any(|p| p.is_file()) {
            return false;
        }
        let unmatched = crate::run::unmatched_rules(config, loaded);
        let level = if self.strict { "error" } else { "warning" };
        for rule in &unmatched {
            eprintln!("{level}: {rule}");
        }
        self.strict && !unmatched.is_empty()
    }

    /// The pipeline's configuration for these inputs.
    fn config(&self) -> Config {
        let mut config = Config::from_env();
        config.front_end = FrontEnd::CommandLine;
        config.suites = if self.paths.is_empty() {
            vec![PathBuf::from("suites")]
        } else {
            self.paths.clone()
        };
        config.thresholds = self
            .thresholds
            .clone()
            .unwrap_or_else(|| PathBuf::from("thresholds.yaml"));
        config.thresholds_named = self.thresholds.is_some();
        config.tags = self.tags.clone().filter(|t| !t.trim().is_empty());
        config.profile = self.profile.clone().filter(|p| !p.trim().is_empty());
        config
    }
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// The folder to write suite.schema.json and thresholds.schema.json into
    #[arg(long, value_name = "DIR", default_value = "schema")]
    out: PathBuf,
}

/// Runs the command line of this process and exits with its status.
pub fn main() -> ! {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Check(args) => check::check(&args),
        Command::Report(args) => report::report(&args),
        #[cfg(feature = "reference-api")]
        Command::Serve(args) => serve::serve(&args),
        Command::Probe(args) => probe::probe(&args),
        Command::Schema(args) => write_schemas(&args),
    };
    std::process::exit(exit as i32)
}

fn write_schemas(args: &SchemaArgs) -> Exit {
    match crate::schema::write(&args.out) {
        Ok(paths) => {
            for path in paths {
                println!("wrote {}", path.display());
            }
            Exit::Met
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the schemas to {}: {e}",
                args.out.display()
            );
            Exit::Missed
        }
    }
}

/// A bound as a listing shows it: `p95 <= 100ms`, `throughput >= 10 req/s`.
fn bound_text(bound: &Bound) -> String {
    let op = match bound.limit {
        Limit::RateAtLeast(_) => ">=",
        _ => "<=",
    };
    format!("{} {op} {}", bound.metric, bound.limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bounds_read_as_comparisons() {
        let bounds = crate::thresholds::Thresholds::parse(
            "defaults: { p95: 100ms, throughput: 10 }\n",
            "t.yaml",
        )
        .unwrap()
        .resolve("s", "c", None);
        let shown: Vec<String> = bounds.iter().map(bound_text).collect();
        assert_eq!(
            shown,
            ["p95 <= 100ms", "error_rate <= 0%", "throughput >= 10 req/s"]
        );
    }
}
