//! A suite's `target:` checked and resolved: the process to start (or attach to), where it
//! answers, and how to tell it is ready. Nothing is started here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::FieldError;
use crate::suite::{Spanned, SuiteSpec, TargetSpec};
use crate::tls::{Tls, TlsOptions};

/// How long a target may take to answer when the suite sets no `ready_timeout`.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A suite's managed target, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPlan {
    /// The suite it belongs to: a target runs from the suite's first case until a case of
    /// another suite, or the end of the run.
    pub suite: String,
    /// The process whose resources are sampled.
    pub process: TargetProcess,
    /// Where it answers, without a trailing slash.
    pub base_url: String,
    /// How to tell that it answers.
    pub ready: ReadyCheck,
    /// How long it may take to answer.
    pub ready_timeout: Duration,
    /// The suite's TLS settings, for polling an `https://` target until it is ready.
    pub tls: TlsOptions,
}

/// The process behind a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetProcess {
    /// A command the harness starts and stops.
    Command {
        /// The program: a path with a `/` is made absolute against `cwd`; a bare name is
        /// looked up in `PATH`.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
        /// Variables added to the harness's environment.
        env: BTreeMap<String, String>,
        /// Its working directory; the harness's own when `None`.
        cwd: Option<PathBuf>,
    },
    /// A process already running, left running afterwards.
    Attach {
        /// Its process id.
        pid: u32,
    },
}

/// What counts as "ready".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyCheck {
    /// The path polled, joined to the base URL.
    pub path: String,
    /// True when only a 2xx answer counts (a `ready` path was given); otherwise any status
    /// below 500 does, since `/` of an API often answers 404.
    pub success_only: bool,
}

/// Checks a suite's `target:`; `dir` is the suite file's folder, which `cwd` is relative to.
pub fn plan_target(
    suite: &str,
    spec: &SuiteSpec,
    dir: &Path,
) -> Result<Option<TargetPlan>, FieldError> {
    let Some(target) = &spec.target else {
        return Ok(None);
    };
    if spec.base_url.is_some() {
        let message = "the suite sets `base_url` as well as `target.base_url`; keep the one in \
                       `target`, where the target answers";
        return Err((target.base_url.span, message.into()));
    }
    let base_url = target.base_url.trim().trim_end_matches('/').to_string();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        let message = format!(
            "`base_url: {}` must start with http:// or https://",
            target.base_url.as_str()
        );
        return Err((target.base_url.span, message));
    }
    let ready = match &target.ready {
        Some(path) if !path.starts_with('/') => {
            let message = format!(
                "`ready: {}` must be a path starting with `/`",
                path.as_str()
            );
            return Err((path.span, message));
        }
        Some(path) => ReadyCheck {
            path: path.value.clone(),
            success_only: true,
        },
        None => ReadyCheck {
            path: "/".into(),
            success_only: false,
        },
    };
    let ready_timeout = match &target.ready_timeout {
        Some(t) if t.0.is_zero() => {
            return Err((t.span, "`ready_timeout` must be greater than zero".into()));
        }
        Some(t) => t.0,
        None => DEFAULT_READY_TIMEOUT,
    };
    Ok(Some(TargetPlan {
        suite: suite.to_string(),
        process: process(target, dir)?,
        base_url,
        ready,
        ready_timeout,
        tls: plan_tls(spec, dir)?,
    }))
}

/// A suite's `tls:` block with its paths joined to the suite's folder, checked by building
/// it: a file that cannot be read or used is an error at the block, naming the file.
pub fn plan_tls(spec: &SuiteSpec, dir: &Path) -> Result<TlsOptions, FieldError> {
    let Some(tls) = &spec.tls else {
        return Ok(TlsOptions::default());
    };
    let options = TlsOptions {
        ca: tls.ca.as_ref().map(|p| dir.join(p)),
        cert: tls.cert.as_ref().map(|p| dir.join(p)),
        key: tls.key.as_ref().map(|p| dir.join(p)),
        insecure: tls.insecure,
        server_name: tls.server_name.clone(),
    };
    Tls::new(&options).map_err(|message| (tls.span, message))?;
    Ok(options)
}

fn process(target: &Spanned<TargetSpec>, dir: &Path) -> Result<TargetProcess, FieldError> {
    match (&target.command, &target.pid) {
        (Some(command), None) => {
            let Some((program, args)) = command.0.split_first() else {
                return Err((command.span, "`command` needs at least the program".into()));
            };
            let cwd = target.cwd.as_ref().map(|c| absolute(&dir.join(&c.value)));
            let program = PathBuf::from(program);
            // A relative path with a `/` is read against the directory the command runs in,
            // as a shell there would; the standard library leaves that case unspecified.
            let program = if program.components().count() > 1 && program.is_relative() {
                absolute(&cwd.clone().unwrap_or_default().join(program))
            } else {
                program
            };
            Ok(TargetProcess::Command {
                program,
                args: args.to_vec(),
                env: target
                    .env
                    .as_ref()
                    .map(|e| e.value.clone())
                    .unwrap_or_default(),
                cwd,
            })
        }
        (None, Some(pid)) => {
            let started_only = [
                ("env", target.env.as_ref().map(|e| e.span)),
                ("cwd", target.cwd.as_ref().map(|c| c.span)),
            ];
            if let Some((key, Some(span))) = started_only.iter().find(|(_, s)| s.is_some()) {
                let message =
                    format!("`{key}` applies to a `command` the harness starts, not to a `pid`");
                return Err((*span, message));
            }
            Ok(TargetProcess::Attach { pid: pid.value })
        }
        (Some(_), Some(pid)) => Err((
            pid.span,
            "give either `command` (start the target) or `pid` (attach to it), not both".into(),
        )),
        (None, None) => Err((
            target.span,
            "`target` needs a `command` to start, or the `pid` of a running process".into(),
        )),
    }
}

/// `path` against the current directory, when it is relative; left as it is when the current
/// directory cannot be read (the spawn then reports the problem).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::parse_str;

    fn plan(yaml: &str) -> Result<Option<TargetPlan>, String> {
        let text = format!("{yaml}cases: []\n");
        let spec = parse_str(&text, "suites/t.yaml").map_err(|e| e.to_string())?;
        plan_target("t", &spec, Path::new("/srv/suites"))
            .map_err(|(span, message)| format!("{span}: {message}"))
    }

    #[test]
    fn a_command_runs_from_the_suite_folder_and_defaults_apply() {
        let planned = plan(
            "target:\n  command: [./bin/api, '8000']\n  base_url: http://127.0.0.1:8000/\n  \
             cwd: ../service\n  env: { APP_ENV: perf }\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            planned.process,
            TargetProcess::Command {
                program: PathBuf::from("/srv/suites/../service/bin/api"),
                args: vec!["8000".into()],
                env: BTreeMap::from([("APP_ENV".into(), "perf".into())]),
                cwd: Some(PathBuf::from("/srv/suites/../service")),
            }
        );
        assert_eq!(planned.base_url, "http://127.0.0.1:8000");
        assert_eq!(planned.ready.path, "/");
        assert!(!planned.ready.success_only);
        assert_eq!(planned.ready_timeout, DEFAULT_READY_TIMEOUT);
        let attach = plan("target: { pid: 42, base_url: 'http://h:1', ready: /health }\n")
            .unwrap()
            .unwrap();
        assert_eq!(attach.process, TargetProcess::Attach { pid: 42 });
        assert!(attach.ready.success_only);
        assert_eq!(plan("suite: s\n").unwrap(), None);
    }

    #[test]
    fn mistakes_point_at_the_value() {
        let err = |yaml: &str| plan(yaml).unwrap_err();
        assert_eq!(
            err("target:\n  base_url: http://h:1\n"),
            "2:3: `target` needs a `command` to start, or the `pid` of a running process"
        );
        assert_eq!(
            err("target:\n  command: [a]\n  pid: 3\n  base_url: http://h:1\n"),
            "3:8: give either `command` (start the target) or `pid` (attach to it), not both"
        );
        assert_eq!(
            err("target:\n  pid: 3\n  cwd: x\n  base_url: http://h:1\n"),
            "3:8: `cwd` applies to a `command` the harness starts, not to a `pid`"
        );
        assert_eq!(
            err("base_url: http://h:2\ntarget:\n  command: [a]\n  base_url: http://h:1\n"),
            "4:13: the suite sets `base_url` as well as `target.base_url`; keep the one in \
             `target`, where the target answers"
        );
        assert!(err("target: { command: [a], base_url: 'h:1' }\n")
            .contains("must start with http:// or https://"));
        assert!(
            err("target: { command: [a], base_url: 'http://h', ready: health }\n")
                .contains("must be a path starting with `/`")
        );
        assert!(err("target: { command: [], base_url: 'http://h' }\n")
            .contains("`command` needs at least the program"));
        assert!(
            err("target: { command: [a], base_url: 'http://h', ready_timeout: 0s }\n")
                .contains("`ready_timeout` must be greater than zero")
        );
        let string = err("target: { command: 'python3 -m http.server', base_url: 'http://h' }\n");
        assert!(
            string.contains(r#"write `["python3", "-m", "http.server"]` with one item"#),
            "{string}"
        );
        assert!(
            err("target: { command: [a], base_url: 'http://h', port: 1 }\n")
                .contains("target: unknown key `port`")
        );
    }
}
