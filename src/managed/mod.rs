//! The system under test as a process: a suite's `target` started (or attached to by pid) before
//! the suite's first case, polled until it answers, sampled for CPU and memory while each case
//! runs, and stopped when a case of another suite starts or the run ends.
//!
//! One target runs at a time, so suites that start the same server on the same port follow one
//! another, and a target never burdens the machine while another suite is measured. A target
//! that cannot start fails every case of its suite with the same message, without trying again.

mod process;
mod procfs;
mod ready;
mod sampler;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use procfs::is_alive;
pub use sampler::Sampler;

use crate::exec::Target;
use crate::plan::{TargetPlan, TargetProcess};
use process::{describe_exit, ProcessGroup};
use ready::NotReady;

/// How long a target may take to exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Why a suite's target cannot serve its cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The command could not be started at all (no such program, not executable, ...).
    #[error("cannot start target command `{program}`: {reason}")]
    Spawn {
        /// The program as planned.
        program: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Something already answers where the target is to answer, before it was started.
    #[error(
        "something already answers at {url} (status {status}) before the target command \
         started; stop it or give the target another port, or attach to it with `pid`"
    )]
    Occupied {
        /// The ready URL.
        url: String,
        /// What it answered.
        status: u16,
    },
    /// The command ended before it answered.
    #[error("target command exited {how} before it was ready; {}", output(.tail, .log))]
    ExitedEarly {
        /// How it ended: "with status 1".
        how: String,
        /// Its last lines of output.
        tail: Vec<String>,
        /// The file with all of its output.
        log: PathBuf,
    },
    /// The target did not answer within its `ready_timeout`.
    #[error(
        "target not ready after {}: {last}; {}",
        humantime::format_duration(*.timeout),
        .log.as_deref().map_or_else(|| ATTACHED.to_string(), |log| output(.tail, log))
    )]
    NotReady {
        /// The `ready_timeout`.
        timeout: Duration,
        /// What the last poll found.
        last: String,
        /// Its last lines of output (none for an attached process).
        tail: Vec<String>,
        /// The file with all of its output; `None` for an attached process.
        log: Option<PathBuf>,
    },
    /// The process to attach to does not exist, or ended.
    #[error("target process {pid} {state}")]
    NoProcess {
        /// The `pid` given.
        pid: u32,
        /// "does not exist" or "ended while the suite ran".
        state: &'static str,
    },
    /// The command ended after it was ready, while the suite ran.
    #[error("target command exited {how} while the suite ran; {}", output(.tail, .log))]
    ExitedDuring {
        /// How it ended.
        how: String,
        /// Its last lines of output.
        tail: Vec<String>,
        /// The file with all of its output.
        log: PathBuf,
    },
    /// The HTTP client for the target could not be built.
    #[error("{0}")]
    Client(String),
}

/// What a target's output is said to be when the harness did not start it.
const ATTACHED: &str = "it was attached to by pid, so its output is not known";

/// `last lines of its output (all of it in /tmp/x.log):\n  | ...`, or that there was none.
fn output(tail: &[String], log: &Path) -> String {
    if tail.is_empty() {
        return format!("it printed nothing (output file: {})", log.display());
    }
    let lines: Vec<String> = tail.iter().map(|l| format!("  | {l}")).collect();
    format!(
        "last lines of its output (all of it in {}):\n{}",
        log.display(),
        lines.join("\n")
    )
}

/// A target that answers: where to send the case's requests, and which process to sample.
#[derive(Debug, Clone)]
pub struct Started {
    /// The clients for its base URL.
    pub target: Arc<Target>,
    /// The process (with the processes below it) whose resources are sampled.
    pub pid: u32,
}

/// The run's managed target: at most one at a time.
#[derive(Debug, Default)]
pub struct Managed {
    current: Mutex<Option<Current>>,
}

/// The target of the suite whose cases run now, or why it could not start.
#[derive(Debug)]
struct Current {
    suite: String,
    state: Result<Running, TargetError>,
}

#[derive(Debug)]
struct Running {
    started: Started,
    /// The command's process group; `None` for an attached process, which is left running.
    group: Option<ProcessGroup>,
}

impl Managed {
    /// The target of `plan`'s suite, ready: started on the suite's first case (after the target
    /// of another suite is stopped), or the same error for every case if it could not start
    /// or ended meanwhile. `runtime` polls its readiness.
    pub fn start(
        &self,
        plan: &TargetPlan,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Started, TargetError> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|c| c.suite != plan.suite) {
            // Stopped before the next one starts, so both may use one port.
            stop_current(&mut current);
        }
        let current = current.get_or_insert_with(|| Current {
            suite: plan.suite.clone(),
            state: launch(plan, runtime),
        });
        if let Ok(running) = &mut current.state {
            if let Some(ended) = running.ended() {
                current.state = Err(ended);
            }
        }
        current
            .state
            .as_ref()
            .map(|r| r.started.clone())
            .map_err(Clone::clone)
    }

    /// Stops the running target, if any; an attached process is left running.
    pub fn stop(&self) {
        stop_current(&mut self.current.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// True while a target runs (started, ready and not stopped).
    pub fn is_running(&self) -> bool {
        self.running_suite().is_some()
    }

    /// The suite whose target runs, if one does.
    pub fn running_suite(&self) -> Option<String> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|c| c.state.is_ok())
            .map(|c| c.suite.clone())
    }
}

/// Stops and forgets the current target.
fn stop_current(current: &mut Option<Current>) {
    if let Some(Current {
        state: Ok(mut running),
        ..
    }) = current.take()
    {
        if let Some(group) = &mut running.group {
            group.stop(STOP_GRACE);
        }
    }
}

impl Running {
    /// Why the target can no longer serve, if its process has ended.
    fn ended(&mut self) -> Option<TargetError> {
        match &mut self.group {
            Some(group) => {
                let how = describe_exit(group.exited()?);
                group.stop(STOP_GRACE);
                Some(TargetError::ExitedDuring {
                    how,
                    tail: group.output_tail(),
                    log: group.output().to_path_buf(),
                })
            }
            None => (!is_alive(self.started.pid)).then_some(TargetError::NoProcess {
                pid: self.started.pid,
                state: "ended while the suite ran",
            }),
        }
    }
}

/// Starts (or finds) the target and waits until it answers.
fn launch(plan: &TargetPlan, runtime: &tokio::runtime::Runtime) -> Result<Running, TargetError> {
    let target = Target::with_tls(&plan.base_url, &plan.tls)
        .map_err(|e| TargetError::Client(e.to_string()))?;
    let target = Arc::new(target);
    let timed_out = |last: String, tail: Vec<String>, log: Option<PathBuf>| TargetError::NotReady {
        timeout: plan.ready_timeout,
        last,
        tail,
        log,
    };
    match &plan.process {
        TargetProcess::Attach { pid } => {
            let pid = *pid;
            if !is_alive(pid) {
                return Err(TargetError::NoProcess {
                    pid,
                    state: "does not exist",
                });
            }
            let ended = || (!is_alive(pid)).then(|| "ended".to_string());
            match runtime.block_on(ready::wait(plan, ended)) {
                Ok(()) => Ok(Running {
                    started: Started { target, pid },
                    group: None,
                }),
                Err(NotReady::Ended(_)) => Err(TargetError::NoProcess {
                    pid,
                    state: "ended before it was ready",
                }),
                Err(NotReady::TimedOut(last)) => Err(timed_out(last, Vec::new(), None)),
            }
        }
        command @ TargetProcess::Command { program, .. } => {
            if let Some(status) = runtime.block_on(ready::answering(plan)) {
                return Err(TargetError::Occupied {
                    url: ready::ready_url(plan),
                    status,
                });
            }
            let log = output_file(&plan.suite);
            let mut group = ProcessGroup::spawn(command, &log).map_err(|e| TargetError::Spawn {
                program: program.display().to_string(),
                reason: e.to_string(),
            })?;
            let waited = runtime.block_on(ready::wait(plan, || group.exited().map(describe_exit)));
            match waited {
                Ok(()) => Ok(Running {
                    started: Started {
                        target,
                        pid: group.pid(),
                    },
                    group: Some(group),
                }),
                Err(failure) => {
                    group.stop(STOP_GRACE);
                    let tail = group.output_tail();
                    Err(match failure {
                        NotReady::Ended(how) => TargetError::ExitedEarly { how, tail, log },
                        NotReady::TimedOut(last) => timed_out(last, tail, Some(log)),
                    })
                }
            }
        }
    }
}

/// Where a suite's target writes its output: a file per suite in the temporary folder, replaced
/// each run. Targets never run at the same time (the case lock is held while one runs), so one
/// file per suite name is enough.
fn output_file(suite: &str) -> PathBuf {
    let name: String = suite
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    std::env::temp_dir().join(format!("loadgate-target-{name}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_the_output_tail_or_say_why_there_is_none() {
        let log = PathBuf::from("/tmp/loadgate-target-s.log");
        let early = TargetError::ExitedEarly {
            how: "with status 1".into(),
            tail: vec!["binding 0.0.0.0:8000".into(), "address in use".into()],
            log: log.clone(),
        };
        assert_eq!(
            early.to_string(),
            "target command exited with status 1 before it was ready; last lines of its output \
             (all of it in /tmp/loadgate-target-s.log):\n  | binding 0.0.0.0:8000\n  | address \
             in use"
        );
        let silent = TargetError::NotReady {
            timeout: Duration::from_secs(30),
            last: "GET http://127.0.0.1:8000/health answered 503".into(),
            tail: Vec::new(),
            log: Some(log),
        };
        assert_eq!(
            silent.to_string(),
            "target not ready after 30s: GET http://127.0.0.1:8000/health answered 503; it \
             printed nothing (output file: /tmp/loadgate-target-s.log)"
        );
        let attached = TargetError::NotReady {
            timeout: Duration::from_millis(1500),
            last: "GET http://h/: could not connect".into(),
            tail: Vec::new(),
            log: None,
        };
        assert_eq!(
            attached.to_string(),
            "target not ready after 1s 500ms: GET http://h/: could not connect; it was attached \
             to by pid, so its output is not known"
        );
    }

    #[test]
    fn output_files_are_named_by_suite_safely() {
        let file = output_file("a/b c");
        assert_eq!(file.file_name().unwrap(), "loadgate-target-a_b_c.log");
        assert_eq!(file.parent().unwrap(), std::env::temp_dir());
    }
}
