//! The tasks of one case: spawned so concurrent users run in parallel, and cancelled together
//! when the case runs out of time, so no request of one case is still in flight, holding a
//! connection, when the next case starts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long cancelled tasks get to drop their requests (and close their connections).
const DRAIN: Duration = Duration::from_secs(2);

/// Spawns a case's tasks and cancels them all at once.
#[derive(Debug)]
pub struct Tasks {
    cancel: watch::Sender<bool>,
    /// One clone per running task: the count of live tasks is the strong count minus one.
    live: Arc<()>,
}

impl Default for Tasks {
    fn default() -> Self {
        Self {
            cancel: watch::channel(false).0,
            live: Arc::new(()),
        }
    }
}

impl Tasks {
    /// Runs `work` on the runtime; it resolves to `None` if the case is cancelled first, in
    /// which case `work` is dropped where it stands (an in-flight request is dropped with it,
    /// and its connection closed).
    pub fn spawn<F>(&self, work: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut cancelled = self.cancel.subscribe();
        let live = Arc::clone(&self.live);
        tokio::spawn(async move {
            let _live = live;
            tokio::select! {
                biased;
                _ = cancelled.wait_for(|c| *c) => None,
                out = work => Some(out),
            }
        })
    }

    /// Cancels every task and waits (up to two seconds) until all have dropped their work.
    pub async fn cancel(&self) {
        let _ = self.cancel.send(true);
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
            assert_eq!(handle.await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn finished_work_returns_its_output() {
        let tasks = Tasks::default();
        assert_eq!(tasks.spawn(async { 7 }).await.unwrap(), Some(7));
    }
}
