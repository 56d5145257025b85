//! Polling a request's exchange without waking its own task.
//!
//! A [`Connection`](super::Connection) runs hyper's connection state machine on the user's task,
//! next to the request that waits on it. Every hand-over between the two (the request queued
//! for the connection, the response and its body handed back) wakes the task that is already
//! running. Tokio answers such a wake by polling the task again after it yields, and on a
//! multi-threaded runtime by also waking an idle worker thread (a futex call) to share the
//! queue: per request, several wasted polls and often a thread wake-up.
//!
//! [`Quiet`] polls a future with a waker of its own. A wake raised while that future is being
//! polled is only noted, and the future is polled again at once, until a poll raises none; a
//! wake from anywhere else at any other time (the socket became readable) wakes the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;

/// Polls in a row before the task yields anyway: a future that keeps waking itself (tokio's
/// cooperative budget ran out) must let others run.
const MAX_ROUNDS: u32 = 16;

/// The waker a [`Quiet`] future is polled with; made once per connection.
#[derive(Debug)]
pub(super) struct Quiet {
    relay: Arc<Relay>,
    waker: Waker,
}

#[derive(Debug, Default)]
struct Relay {
    /// The task to wake.
    task: AtomicWaker,
    /// A poll through this relay is in progress.
    polling: AtomicBool,
    /// A wake arrived since the current poll began.
    missed: AtomicBool,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Noted first, then checked: either the poll in progress sees the note when it ends,
        // or this sees that no poll is in progress and wakes the task (SeqCst on both sides).
        self.missed.store(true, SeqCst);
        if !self.polling.load(SeqCst) {
            self.task.wake();
        }
    }
}

impl Default for Quiet {
    fn default() -> Self {
        let relay = Arc::new(Relay::default());
        let waker = Waker::from(Arc::clone(&relay));
        Quiet { relay, waker }
    }
}

impl Quiet {
    /// Polls `future` with this relay's waker, again while the poll itself raised a wake.
    pub(super) fn poll<F: Future>(
        &self,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        let relay = &self.relay;
        relay.task.register(cx.waker());
        let mut inner = Context::from_waker(&self.waker);
        let mut future = future;
        for _ in 0..MAX_ROUNDS {
            relay.missed.store(false, SeqCst);
            relay.polling.store(true, SeqCst);
            let output = future.as_mut().poll(&mut inner);
            relay.polling.store(false, SeqCst);
            if output.is_ready() {
                return output;
            }
            if !relay.missed.swap(false, SeqCst) {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::pin::pin;

    #[test]
    fn a_wake_during_the_poll_polls_again_at_once() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let quiet = Quiet::default();
            let mut polls = 0;
            let work = poll_fn(|cx| {
                polls += 1;
                if polls < 3 {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else {
                    Poll::Ready(polls)
                }
            });
            let mut work = pin!(work);
            let out = poll_fn(|cx| quiet.poll(work.as_mut(), cx)).await;
            assert_eq!(out, 3);
        });
    }

    #[test]
    fn a_wake_from_elsewhere_wakes_the_task() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let quiet = Quiet::default();
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let _ = tx.send(7);
            });
            let mut rx = pin!(rx);
            let out = poll_fn(|cx| quiet.poll(rx.as_mut(), cx)).await;
            assert_eq!(out.unwrap(), 7);
        });
    }

    #[test]
    fn a_future_that_always_wakes_itself_still_yields() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let quiet = Quiet::default();
            let mut polls = 0u32;
            let mut outer = 0u32;
            let work = poll_fn(|cx| {
                polls += 1;
                if polls > 100 {
                    return Poll::Ready(());
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            });
            let mut work = pin!(work);
            poll_fn(|cx| {
                outer += 1;
                quiet.poll(work.as_mut(), cx)
            })
            .await;
            assert!(outer >= 100 / MAX_ROUNDS, "yielded {outer} times");
        });
    }
}
