//! Running the binary as a user does: in a folder of its own, without the environment's
//! `PERF_*` settings.

use std::path::Path;
use std::process::{Command, Output};

use loadgate::report::RunResults;

/// What a run of the binary left: its exit status and its output.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_loadgate"));
    command.args(args).current_dir(dir);
    for var in [
        "PERF_BASE_URL",
        "PERF_PROFILE",
        "PERF_TAGS",
        "PERF_THRESHOLDS",
        "PERF_REPORT_DIR",
        "PERF_STRICT",
        "PERF_SUITES",
    ] {
        command.env_remove(var);
    }
    command
}

pub fn loadgate(dir: &Path, args: &[&str]) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command(dir, args).output().expect("loadgate runs");
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A run's `results.json` in `dir`.
pub fn results(dir: &Path) -> RunResults {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json");
    RunResults::from_json(&text).unwrap()
}
