//! What a run ran on and from: commit, host, CPUs, build profile, targets. Read from files and
//! the environment, with no process started unless the commit cannot be read from `.git`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::results::CaseResult;

/// Facts about one run, at the head of `results.json` and of the HTML report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// Identifies the run: cargo-nextest's run id, or one drawn per `cargo test` process.
    pub run_id: String,
    /// When the run's first process started, to the millisecond (RFC 3339, UTC).
    #[serde(with = "crate::units::rfc3339")]
    pub started: SystemTime,
    /// The commit checked out where the package under test lives, if it is a git checkout.
    pub git_commit: Option<String>,
    /// The machine's host name, if it can be read.
    pub host: Option<String>,
    /// CPUs available to the harness.
    pub cpus: usize,
    /// How the harness was compiled; a debug build measures a slower embedded API.
    pub build: Build,
    /// Every base URL the cases ran against, credentials removed.
    pub targets: Vec<String>,
    /// The base URLs whose server certificates were not verified (`tls.insecure` /
    /// `--insecure`): their numbers come from a server whose identity was not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_unverified: Vec<String>,
    /// The `PERF_PROFILE` the run was started with, if any.
    pub profile: Option<String>,
    /// The loadgate version that wrote the report.
    pub loadgate_version: String,
}

/// The compilation profile of the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Build {
    /// With debug assertions (`cargo test`'s default).
    Debug,
    /// Without (`cargo test --release`).
    Release,
}

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Build::Debug => "debug",
            Build::Release => "release",
        })
    }
}

impl RunInfo {
    /// The facts of the run `run_id` started at `started`, whose cases are `cases` (their
    /// targets are listed as the cases carry them: already without credentials).
    pub fn collect(run_id: &str, started: SystemTime, cases: &[CaseResult]) -> Self {
        let mut targets: Vec<String> = cases
            .iter()
            .map(|c| c.target.clone())
            .filter(|t| !t.is_empty())
            .collect();
        targets.sort();
        targets.dedup();
        let mut tls_unverified: Vec<String> = cases
            .iter()
            .filter(|c| c.tls_unverified)
            .map(|c| c.target.clone())
            .collect();
        tls_unverified.sort();
        tls_unverified.dedup();
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok());
        RunInfo {
            run_id: run_id.to_string(),
            started: to_millis(started),
            git_commit: root.as_deref().and_then(git_commit),
            host: host_name(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            build: if cfg!(debug_assertions) {
                Build::Debug
            } else {
                Build::Release
            },
            targets,
            tls_unverified,
            profile: std::env::var("PERF_PROFILE").ok().filter(|p| !p.is_empty()),
            loadgate_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// `time` cut to whole milliseconds, the precision written to files (so they read back equal).
pub fn to_millis(time: SystemTime) -> SystemTime {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    UNIX_EPOCH + Duration::from_millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// The commit of the git checkout holding `dir`: `HEAD` and the ref it names, read from the
/// files (also in a linked worktree, and from `packed-refs`), else from `git rev-parse HEAD`.
pub fn git_commit(dir: &Path) -> Option<String> {
    commit_from_files(dir).or_else(|| {
        let output = std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let hash = String::from_utf8(output.stdout).ok()?.trim().to_string();
        (output.status.success() && is_hash(&hash)).then_some(hash)
    })
}

fn commit_from_files(dir: &Path) -> Option<String> {
    let dot_git = dir
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.exists())?;
    // A linked worktree or a submodule has a `.git` file naming its git folder.
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        dot_git
            .parent()?
            .join(text.trim().strip_prefix("gitdir:")?.trim())
    } else {
        dot_git
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return is_hash(head).then(|| head.to_string());
    };
    // Branches of a linked worktree live in the main repository's folder.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.clone());
    for folder in [&git_dir, &common] {
        if let Ok(hash) = std::fs::read_to_string(folder.join(reference)) {
            let hash = hash.trim();
            if is_hash(hash) {
                return Some(hash.to_string());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference && is_hash(hash)).then(|| hash.to_string())
    })
}

fn is_hash(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn host_name() -> Option<String> {
    let from_files = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok());
    from_files
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_of_a_branch_a_detached_head_and_a_linked_worktree() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        let hash = "0123456789abcdef0123456789abcdef01234567";
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(git.join("refs/heads/main"), format!("{hash}\n")).unwrap();
        let nested = dir.path().join("crates/app");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(commit_from_files(&nested).as_deref(), Some(hash));

        let other = "89abcdef0123456789abcdef0123456789abcdef";
        std::fs::write(git.join("packed-refs"), format!("{other} refs/heads/old\n")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/old\n").unwrap();
        assert_eq!(commit_from_files(dir.path()).as_deref(), Some(other));

        let worktree = dir.path().join("wt");
        let wt_git = git.join("worktrees/wt");
        std::fs::create_dir_all(&wt_git).unwrap();
        std::fs::create_dir_all(&worktree).unwrap();
        std::fs::write(
            worktree.join(".git"),
            format!("gitdir: {}\n", wt_git.display()),
        )
        .unwrap();
        std::fs::write(wt_git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(wt_git.join("commondir"), "../..\n").unwrap();
        assert_eq!(commit_from_files(&worktree).as_deref(), Some(hash));

        std::fs::write(git.join("HEAD"), format!("{other}\n")).unwrap();
        assert_eq!(commit_from_files(dir.path()).as_deref(), Some(other));
    }

    #[test]
    fn run_info_round_trips_and_lists_targets_once() {
        let mut a = CaseResult::new("s::a", "sequential", "", 1);
        a.target = "http://127.0.0.1:1".into();
        let b = a.clone();
        let info = RunInfo::collect("run-1", SystemTime::now(), &[a, b]);
        assert_eq!(info.targets, vec!["http://127.0.0.1:1".to_string()]);
        assert!(info.cpus >= 1);
        let text = serde_json::to_string(&info).unwrap();
        assert!(text.contains(r#""started":"20"#), "{text}");
        assert_eq!(serde_json::from_str::<RunInfo>(&text).unwrap(), info);
    }
}
