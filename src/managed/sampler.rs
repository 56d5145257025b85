//! Samples a process tree's CPU use and resident memory once a second on a thread of its own,
//! apart from the measuring loop, into a bounded [`Resources`] record.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::procfs;
use crate::record::Resources;

/// Time between samples.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// The shortest time a last, partial sample may cover: over less, clock-tick rounding (10 ms a
/// tick) would make up most of its CPU reading.
const MIN_LAST_SAMPLE: Duration = Duration::from_millis(250);

/// A running sampler; [`Sampler::stop`] ends it and returns what it recorded.
#[derive(Debug)]
pub struct Sampler {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<Resources>>,
}

impl Sampler {
    /// Starts sampling `pid` and the processes below it. If no thread can be started, the
    /// sampler records nothing, which resource bounds report as not sampled.
    pub fn start(pid: u32) -> Self {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("loadgate-resources".into())
            .spawn(move || sample(pid, &stopped))
            .ok();
        Self { stop, thread }
    }

    /// Takes a last sample (if the last full one is far enough back) and returns the record.
    pub fn stop(mut self) -> Resources {
        let _ = self.stop.send(());
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

/// The sampling loop: a sample at every whole second from the start, and one when stopped.
fn sample(pid: u32, stopped: &mpsc::Receiver<()>) -> Resources {
    let ticks_per_second = procfs::ticks_per_second();
    let page_size = procfs::page_size();
    let start = Instant::now();
    let mut resources = Resources::default();
    let mut previous = Reading::take(pid);
    let mut due = start + INTERVAL;
    loop {
        let last = match stopped.recv_timeout(due.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => false,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        let reading = Reading::take(pid);
        let covered = reading.at.duration_since(previous.at);
        if !reading.processes.is_empty() && (!last || covered >= MIN_LAST_SAMPLE) {
            let cpu = reading.ticks_since(&previous) as f64
                / ticks_per_second
                / covered.as_secs_f64().max(1e-3)
                * 100.0;
            let rss = reading.rss_pages.saturating_mul(page_size);
            resources.record(reading.at.duration_since(start), cpu, rss);
        }
        if last {
            return resources;
        }
        previous = reading;
        // After a stall (a suspended machine), the next sample is the next whole second.
        while due <= Instant::now() {
            due += INTERVAL;
        }
    }
}

/// A tree's counters at one instant.
struct Reading {
    at: Instant,
    /// CPU ticks of each process, keyed by pid and start time so a reused pid counts anew.
    processes: HashMap<(u32, u64), u64>,
    rss_pages: u64,
}

impl Reading {
    fn take(pid: u32) -> Self {
        let tree = procfs::tree(pid);
        Reading {
            at: Instant::now(),
            rss_pages: tree.iter().map(|(_, s)| s.rss_pages).sum(),
            processes: tree
                .into_iter()
                .map(|(pid, s)| ((pid, s.start), s.ticks))
                .collect(),
        }
    }

    /// CPU ticks spent since `before` by the processes alive now. A process started since then
    /// counts whole; one that ended since then is lost, with at most one interval of its time.
    fn ticks_since(&self, before: &Reading) -> u64 {
        self.processes
            .iter()
            .map(|(key, ticks)| {
                ticks.saturating_sub(before.processes.get(key).copied().unwrap_or(0))
            })
            .sum()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_busy_child_shows_in_cpu_and_a_missing_process_records_nothing() {
        let mut busy = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let sampler = Sampler::start(busy.id());
        std::thread::sleep(Duration::from_millis(1400));
        let resources = sampler.stop();
        let _ = busy.kill();
        let _ = busy.wait();
        // One whole second, then the last 0.4 s (a loaded machine may wake the thread late).
        assert!((2..=3).contains(&resources.samples()), "{resources:?}");
        // A spinning shell uses one core; other tests share the machine, so allow a wide range.
        let cpu = resources.cpu_max().unwrap();
        assert!((5.0..=110.0).contains(&cpu), "{cpu}");
        assert!(resources.rss_max().unwrap() > 0);

        let gone = Sampler::start(busy.id());
        std::thread::sleep(Duration::from_millis(300));
        assert!(gone.stop().is_empty());
    }
}
