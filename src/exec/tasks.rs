//! The tasks of one case: spawned so concurrent users run in parallel, and cancelled together
//! when the case runs out of time, so no request of one case is still in flight, holding a
//! connection, when the next case starts.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::task::{AbortHandle, JoinHandle};

/// How long cancelled tasks get to drop their requests (and close their connections).
const DRAIN: Duration = Duration::from_secs(2);

/// Spawns a case's tasks and cancels them all at once. Cancelling aborts each task, so a
/// running task pays nothing for being cancellable: no shared channel is polled as it runs.
#[derive(Debug, Default)]
pub struct Tasks {
    /// Set once the case is cancelled: a task spawned after it never starts its work.
    cancelled: Arc<AtomicBool>,
    /// The tasks to abort; finished ones are pruned as it grows.
    handles: Mutex<Vec<AbortHandle>>,
    /// One clone per running task: the count of live tasks is the strong count minus one.
    live: Arc<()>,
}

impl Tasks {
    /// Runs `work` on the runtime. If the case is cancelled first, `work` is dropped where it
    /// stands (an in-flight request is dropped with it, and its connection closed) and the
    /// handle resolves to a cancelled `JoinError`.
    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let live = Arc::clone(&self.live);
        let cancelled = Arc::clone(&self.cancelled);
        let handle = tokio::spawn(async move {
            let _live = live;
            if cancelled.load(Ordering::SeqCst) {
                // Waits here for the abort that `spawn` or `cancel` sends.
                std::future::pending::<()>().await;
            }
            work.await
        });
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        if self.cancelled.load(Ordering::SeqCst) {
            handle.abort();
        } else {
            if handles.len() >= 64 && handles.len().is_power_of_two() {
                handles.retain(|h| !h.is_finished());
            }
            handles.push(handle.abort_handle());
        }
        handle
    }

    /// Like [`Tasks::spawn`], on one of the per-CPU runtimes (see [`spread`]), taken in turn:
    /// a load's virtual users, each woken only by its own socket and never moved between
    /// threads. Falls back to the current runtime if those could not start.
    pub fn spawn_spread<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match spread() {
            Some(handle) => {
                let _entered = handle.enter();
                self.spawn(work)
            }
            None => self.spawn(work),
        }
    }

    /// Cancels every task and waits (up to two seconds) until all have dropped their work.
    pub async fn cancel(&self) {
        {
            let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
            self.cancelled.store(true, Ordering::SeqCst);
            for handle in handles.drain(..) {
                handle.abort();
            }
        }
        let deadline = tokio::time::Instant::now() + DRAIN;
        while Arc::strong_count(&self.live) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Tasks still running.
    pub fn running(&self) -> usize {
        Arc::strong_count(&self.live) - 1
    }
}

/// The next of the per-CPU runtimes: single-threaded, one per CPU, each on a thread of its
/// own that lives as long as the process. `None` if they could not be started.
fn spread() -> Option<&'static tokio::runtime::Handle> {
    static RUNTIMES: OnceLock<Vec<tokio::runtime::Handle>> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let handles = RUNTIMES.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (0..cpus)
            .filter_map(|cpu| start_runtime(cpu).ok())
            .collect()
    });
    let n = handles.len();
    (n > 0).then(|| &handles[NEXT.fetch_add(1, Ordering::Relaxed) % n])
}

fn start_runtime(cpu: usize) -> std::io::Result<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name(format!("loadgate-users-{cpu}"))
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_drops_running_work_and_waits_for_it() {
        let tasks = Tasks::default();
        let dropped = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        struct Guard(Arc<std::sync::atomic::AtomicUsize>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let guard = Guard(Arc::clone(&dropped));
                tasks.spawn(async move {
                    let _guard = guard;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                })
            })
            .collect();
        tokio::task::yield_now().await;
        tasks.cancel().await;
        assert_eq!(tasks.running(), 0);
        assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 4);
        for handle in handles {
            assert!(handle.await.unwrap_err().is_cancelled());
        }
        let late = tasks.spawn(async { 7 });
        assert!(
            late.await.unwrap_err().is_cancelled(),
            "spawned after the cancel"
        );
    }

    #[tokio::test]
    async fn finished_work_returns_its_output() {
        let tasks = Tasks::default();
        assert_eq!(tasks.spawn(async { 7 }).await.unwrap(), 7);
    }
}
