//! A started target command: in a process group of its own (so whatever it starts is stopped
//! with it), its output in a file, stopped with SIGTERM and then SIGKILL, and never left behind.
//!
//! Three guards keep a target from outliving the harness: [`ProcessGroup::stop`] at the end of
//! the suite, `Drop` when the harness unwinds from a panic, and on Linux a parent-death signal
//! when the harness is killed outright (Ctrl-C, SIGKILL), which reaches the command itself but
//! not what the command started: a `command` that is the server itself is the safest.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::plan::TargetProcess;

/// The most lines of a target's output kept for an error message.
pub const TAIL_LINES: usize = 12;
/// The most bytes of a target's output read for an error message.
const TAIL_BYTES: u64 = 4096;
/// How often a stopping target is checked for its exit.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// A command started by the harness, with what it printed going to a file.
#[derive(Debug)]
pub struct ProcessGroup {
    child: Child,
    output: PathBuf,
    exited: Option<ExitStatus>,
    stopped: bool,
    /// The thread the command was started from, kept until the command is stopped: on Linux the
    /// parent-death signal follows that thread, not the process.
    lifeline: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl ProcessGroup {
    /// Starts `command` (a [`TargetProcess::Command`]) in a new process group, stdin closed,
    /// stdout and stderr written to `output` (truncated first).
    pub fn spawn(command: &TargetProcess, output: &Path) -> io::Result<Self> {
        let TargetProcess::Command {
            program,
            args,
            env,
            cwd,
        } = command
        else {
            return Err(io::Error::other("only a command can be started"));
        };
        let log = File::create(output)?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        platform::prepare(&mut cmd);
        let (started_tx, started) = mpsc::channel();
        let (hold, held) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("loadgate-target".into())
            .spawn(move || {
                let _ = started_tx.send(cmd.spawn());
                // Returns when the sender is dropped, after the command was stopped.
                let _ = held.recv();
            })?;
        let child = started
            .recv()
            .map_err(|_| io::Error::other("the thread starting the target ended"))??;
        Ok(Self {
            child,
            output: output.to_path_buf(),
            exited: None,
            stopped: false,
            lifeline: Some((hold, thread)),
        })
    }

    /// The command's process id, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file its output goes to.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// How the command ended, once it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Stops the whole group: SIGTERM, up to `grace` for the command to exit, then SIGKILL to
    /// whatever of the group is left (also processes it started that outlived it). Waits for
    /// the command, so no zombie remains. Stopping twice does nothing.
    pub fn stop(&mut self, grace: Duration) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = self.pid();
        platform::signal_group(group, platform::Signal::Terminate);
        let deadline = Instant::now() + grace;
        while self.exited().is_none() && Instant::now() < deadline {
            std::thread::sleep(EXIT_POLL);
        }
        platform::signal_group(group, platform::Signal::Kill);
        if self.exited.is_none() {
            let _ = self.child.kill();
            self.exited = self.child.wait().ok();
        }
        if let Some((hold, thread)) = self.lifeline.take() {
            drop(hold);
            let _ = thread.join();
        }
    }

    /// The last lines the command printed (at most [`TAIL_LINES`], from its last 4 KiB).
    pub fn output_tail(&self) -> Vec<String> {
        tail(&self.output).unwrap_or_default()
    }
}

impl Drop for ProcessGroup {
    /// Reached without [`ProcessGroup::stop`] only when the harness unwinds from a panic: a short
    /// grace, since the harness is on its way out.
    fn drop(&mut self) {
        self.stop(Duration::from_secs(1));
    }
}

/// The last lines of a file, read from its end so a large file costs no more than a small one.
fn tail(path: &Path) -> io::Result<Vec<String>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let from = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    if from > 0 && !lines.is_empty() {
        // The first line read is likely the end of a longer one.
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(TAIL_LINES);
    Ok(lines[skip..].iter().map(|l| l.to_string()).collect())
}

/// "with status 1", "on signal 9": how an exit status reads after "exited".
pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("on signal {signal}");
        }
    }
    status.to_string()
}

#[cfg(unix)]
mod platform {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// The signals a target is stopped with.
    pub enum Signal {
        Terminate,
        Kill,
    }

    /// A process group of its own, and on Linux a SIGTERM when the harness dies.
    pub fn prepare(command: &mut Command) {
        command.process_group(0);
        #[cfg(target_os = "linux")]
        {
            let parent = std::process::id();
            // SAFETY: the closure runs between fork and exec, where only async-signal-safe calls
            // are allowed; prctl and getppid are, and nothing here allocates.
            unsafe {
                command.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // The harness may have died before the signal was set up.
                    if libc::getppid() as u32 != parent {
                        return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                    }
                    Ok(())
                });
            }
        }
    }

    /// Sends `signal` to every process of the group `group`; a group already gone is fine.
    pub fn signal_group(group: u32, signal: Signal) {
        let signal = match signal {
            Signal::Terminate => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        let Ok(group) = libc::pid_t::try_from(group) else {
            return;
        };
        // SAFETY: kill only sends a signal; a negative id addresses the process group.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}

#[cfg(not(unix))]
mod platform {
    use std::process::Command;

    /// The signals a target is stopped with.
    pub enum Signal {
        Terminate,
        Kill,
    }

    /// Nothing to prepare without process groups.
    pub fn prepare(_: &mut Command) {}

    /// Without process groups the command alone is stopped, by `Child::kill`.
    pub fn signal_group(_: u32, _: Signal) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_the_last_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let lines = tail(&path).unwrap();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines.last().unwrap(), "line 1999");
        assert_eq!(lines[0], format!("line {}", 2000 - TAIL_LINES));
        std::fs::write(&path, "only\n").unwrap();
        assert_eq!(tail(&path).unwrap(), ["only"]);
    }
}
