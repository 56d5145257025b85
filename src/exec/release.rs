//! Releasing many users' first requests at the same instant, shared by `concurrent` and `burst`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use super::journey::Iteration;
use super::request::Rendered;
use super::run::{CaseRun, User};

/// One round: each user with its iteration, and the round's wall time.
pub struct Round {
    /// Users back from their tasks, with what they measured.
    pub users: Vec<(User, Iteration)>,
    /// First send to last response.
    pub wall: Duration,
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
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    for task in tasks {
        // A task only fails if it panicked (nothing in it panics on user input) or was aborted
        // because the case was cancelled, and then nobody waits for this round any more.
        if let Ok((user, iteration)) = task.await {
            first = Some(first.map_or(iteration.sent, |f| f.min(iteration.sent)));
            last = Some(last.map_or(iteration.done, |l| l.max(iteration.done)));
            users.push((user, iteration));
        }
    }
    let wall = match (first, last) {
        (Some(f), Some(l)) => l.saturating_duration_since(f),
        _ => Duration::ZERO,
    };
    Round { users, wall }
}

/// Opens a connection per user before the measured span: each sends one HEAD request to the
/// case's first URL at the same time; results are ignored.
pub async fn warm_connections(run: &CaseRun, users: &[User]) {
    let probes = users.iter().map(|user| {
        let first = &run.case.main().steps[0];
        let probe = run.render(first, &user.client, &user.vars, 0, false);
        let timeout = first.request.timeout;
        async move {
            if let Ok(Rendered::Client(probe)) = probe {
                let _ = user
                    .client
                    .head(probe.url().clone())
                    .timeout(timeout)
                    .send()
                    .await;
            }
        }
    });
    futures::future::join_all(probes).await;
}
