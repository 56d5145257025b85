//! Releasing many prepared requests at the same instant, shared by `concurrent` and `burst`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use super::CaseRun;
use crate::sample::Sample;

/// Samples of one round and its wall time (first send to last response).
pub struct Round {
    /// One per request.
    pub samples: Vec<Sample>,
    /// First send to last response.
    pub wall: Duration,
}

/// Renders `n` requests, starts `n` tasks that wait on one barrier, and releases them together.
///
/// All rendering and task start-up happen before the barrier, so the round measures only the
/// requests themselves.
pub async fn release_together(run: &Arc<CaseRun>, client: &reqwest::Client, n: usize) -> Round {
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let prepared = run.prepare(client);
        let (run, client, barrier) = (Arc::clone(run), client.clone(), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let sent = Instant::now();
            let sample = match prepared {
                Ok(request) => run.measure(&client, request).await.0,
                Err(cause) => run.unsent(cause),
            };
            (sent, Instant::now(), sample)
        }));
    }
    let mut samples = Vec::with_capacity(n);
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    for task in tasks {
        // A task only fails if it panicked; nothing in it panics on user input.
        if let Ok((sent, done, sample)) = task.await {
            first = Some(first.map_or(sent, |f| f.min(sent)));
            last = Some(last.map_or(done, |l| l.max(done)));
            samples.push(sample);
        }
    }
    let wall = match (first, last) {
        (Some(f), Some(l)) => l.saturating_duration_since(f),
        _ => Duration::ZERO,
    };
    Round { samples, wall }
}

/// Opens up to `n` pooled connections before the measured span by sending `n` simultaneous HEAD
/// requests to the case's URL; their results are ignored.
pub async fn warm_connections(run: &CaseRun, client: &reqwest::Client, n: usize) {
    let Ok(probe) = run.prepare(client) else {
        return;
    };
    let url = probe.url().clone();
    let timeout = run.case.request.timeout;
    let requests = (0..n).map(|_| client.head(url.clone()).timeout(timeout).send());
    let _ = futures::future::join_all(requests).await;
}
