//! Releasing many users' first requests at the same instant, shared by `concurrent` and `burst`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use super::journey::Iteration;
use super::run::{CaseRun, User};

/// One round: each user with its iteration, and the round's wall time.
pub struct Round {
    /// Users back from their tasks, with what they measured.
    pub users: Vec<(User, Iteration)>,
    /// First send to last response.
    pub wall: Duration,
    /// First send to last send: how far from "at once" the requests left.
    pub spread: Duration,
}

/// Starts one task per user; each renders its first request and waits on one barrier, which
/// releases them together. Rendering and task start-up happen before the barrier, so the round
/// measures only the requests themselves.
pub async fn release_together(run: &Arc<CaseRun>, users: Vec<User>) -> Round {
    let barrier = Arc::new(Barrier::new(users.len()));
    let tasks: Vec<_> = users
        .into_iter()
        .map(|mut user| {
            let (tasks, run, barrier) = (&run.tasks, Arc::clone(run), Arc::clone(&barrier));
            tasks.spawn(async move {
                let prepared = run.prepare(&user);
                barrier.wait().await;
                let iteration = run.iterate(&mut user, prepared).await;
                (user, iteration)
            })
        })
        .collect();
    let mut users = Vec::with_capacity(tasks.len());
    let mut first: Option<(Instant, Instant, Instant)> = None;
    for task in tasks {
        // A task only fails if it panicked (nothing in it panics on user input) or was aborted
        // because the case was cancelled, and then nobody waits for this round any more.
        if let Ok((user, iteration)) = task.await {
            let (sent, done) = (iteration.sent, iteration.done);
            first = Some(first.map_or((sent, sent, done), |(f, s, d)| {
                (f.min(sent), s.max(sent), d.max(done))
            }));
            users.push((user, iteration));
        }
    }
    let (wall, spread) = first.map_or((Duration::ZERO, Duration::ZERO), |(f, s, d)| {
        (
            d.saturating_duration_since(f),
            s.saturating_duration_since(f),
        )
    });
    Round {
        users,
        wall,
        spread,
    }
}
