//! The open model: iterations start on a schedule (the load's shape read as arrivals per
//! second), whatever the server does. A fixed pool of workers takes the arrivals in order; an
//! arrival no worker can start within `max_lag` is dropped and counted, and latency runs from
//! the scheduled start, so a server that stalls shows in the percentiles instead of quietly
//! slowing the generator down (coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{Batch, LoadPlan, Outcome, Picker, Shape, Shared, CHECK_EVERY};
use crate::exec::{CaseRun, ExecError};

/// A worker that slept until an arrival's time and woke later than this fell behind on its
/// own: the generator, not the server, is slow.
const LATE_WAKEUP: Duration = Duration::from_millis(20);
/// The share of late wake-ups past which a run says nothing about the server.
const LATE_SHARE: f64 = 0.01;

pub(super) async fn run(
    plan: &LoadPlan,
    run: &Arc<CaseRun>,
    shape: &Shape,
    max_in_flight: u64,
    max_lag: Duration,
) -> Result<Outcome, ExecError> {
    // Workers' per-user set-ups happen before the schedule starts.
    let client = run.target.pooled.clone();
    let users = run.users(max_in_flight as usize, &client).await?;
    let shared = Shared::new(run, plan, shape);
    let counters = Arc::new(Counters::default());
    // Told to every worker at once, also to one asleep until its next arrival: after an
    // abort, no request leaves that was not already in flight.
    let (stop, stopped) = watch::channel(false);
    let shape = Arc::new(shape.clone());
    let handles: Vec<_> = users
        .into_iter()
        .enumerate()
        .map(|(id, user)| {
            run.tasks.spawn_spread(worker(
                Arc::clone(&shared),
                Arc::clone(&shape),
                Arc::clone(&counters),
                stopped.clone(),
                id as u64,
                user,
                max_lag,
            ))
        })
        .collect();
    let mut aborted = None;
    let mut next_check = CHECK_EVERY;
    while Instant::now() < shared.end && handles.iter().any(|h| !h.is_finished()) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        shared.tick(shape.duration());
        let t = shared.started.elapsed();
        if let (Some(grace), true) = (plan.abort_after, t >= next_check) {
            next_check = t + CHECK_EVERY;
            if let Some(miss) = shared.missed(grace) {
                aborted = Some(miss);
                stop.send_replace(true);
                break;
            }
        }
    }
    run.watch.done();
    for handle in handles {
        let _ = handle.await;
    }
    let elapsed = shared.started.elapsed();
    let dropped = counters.dropped.load(Ordering::Relaxed);
    let late = counters.late.load(Ordering::Relaxed);
    let started = counters.started.load(Ordering::Relaxed);
    let recorder = {
        let mut recorder = shared.lock();
        recorder.missed_starts(dropped, late);
        std::mem::replace(
            &mut *recorder,
            crate::exec::journey::Recorder::new(&run.case),
        )
    };
    let mut measurement = recorder.finish(run.started_at(), elapsed);
    measurement.aborted = aborted;
    if late > 10 && late as f64 > LATE_SHARE * started.max(1) as f64 {
        measurement.invalid = Some(format!(
            "the load generator fell behind: {late} of {started} scheduled starts woke more than \
             {} late (over {:.0}%), so these numbers say nothing about the target; give the \
             harness more CPU or ask for a lower rate",
            crate::units::format_duration(LATE_WAKEUP),
            LATE_SHARE * 100.0
        ));
    }
    Ok(Outcome { measurement })
}

#[derive(Default)]
struct Counters {
    next: AtomicU64,
    started: AtomicU64,
    dropped: AtomicU64,
    late: AtomicU64,
}

async fn worker(
    shared: Arc<Shared>,
    shape: Arc<Shape>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
    id: u64,
    mut user: crate::exec::User,
    max_lag: Duration,
) {
    let run = &shared.run;
    let mut picker = Picker::new(run, id);
    let mut batch = Batch::new();
    while !*stop.borrow() {
        let i = counters.next.fetch_add(1, Ordering::Relaxed);
        let Some(due) = shape.arrival(i) else { break };
        let at = shared.started + due;
        if Instant::now() < at {
            tokio::select! {
                biased;
                _ = stop.wait_for(|stopped| *stopped) => break,
                () = tokio::time::sleep_until(at.into()) => {}
            }
            if Instant::now().saturating_duration_since(at) > LATE_WAKEUP {
                counters.late.fetch_add(1, Ordering::Relaxed);
            }
        }
        let lag = Instant::now().saturating_duration_since(at);
        if lag > max_lag {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        counters.started.fetch_add(1, Ordering::Relaxed);
        let scenario = picker.scenario();
        let prepared = run.prepare_scenario(&user, scenario);
        let iteration = run.iterate(&mut user, prepared).await;
        let now = iteration.done;
        batch.push(&shared, iteration, Some((due, lag)), now);
    }
    batch.flush(&shared);
    shared.lock().user(&user);
    let _ = run.release(vec![user]).await;
}
