//! The closed model: virtual users, each looping over the case's scenarios with think time, as
//! many at each moment as the load's shape says.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Batch, LoadPlan, Outcome, Picker, Shape, Shared, CHECK_EVERY};
use crate::exec::{CaseRun, ExecError};

/// How often the number of running users is brought to the shape's.
const TICK: Duration = Duration::from_millis(50);

pub(super) async fn run(
    plan: &LoadPlan,
    run: &Arc<CaseRun>,
    shape: &Shape,
    iterations: Option<u64>,
) -> Result<Outcome, ExecError> {
    let shared = Shared::new(run, plan, shape);
    let finished = Arc::new(AtomicU64::new(0));
    let mut running: Vec<Arc<AtomicBool>> = Vec::new();
    let mut handles = Vec::new();
    let mut aborted = None;
    let mut next_check = CHECK_EVERY;
    let mut spawned = 0u64;
    let mut next_tick = Duration::ZERO;
    // Since when (from the start) how many users have been running.
    let mut since = (Duration::ZERO, 0u64);
    while Instant::now() < shared.end {
        if shared
            .setup_error
            .lock()
            .map(|e| e.is_some())
            .unwrap_or(true)
        {
            break;
        }
        let t = shared.started.elapsed();
        shared.count_users(since.0, t, since.1);
        let want = shape.at(t).round().max(0.0) as usize;
        while running.len() < want {
            let stop = Arc::new(AtomicBool::new(false));
            handles.push(run.tasks.spawn_spread(user(
                Arc::clone(&shared),
                Arc::clone(&stop),
                Arc::clone(&finished),
                spawned,
                iterations,
                plan.think_time,
            )));
            running.push(stop);
            spawned += 1;
        }
        while running.len() > want {
            if let Some(stop) = running.pop() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        since = (t, running.len() as u64);
        if iterations.is_some() && spawned > 0 && finished.load(Ordering::Relaxed) == spawned {
            break;
        }
        if let (Some(grace), true) = (plan.abort_after, t >= next_check) {
            next_check = t + CHECK_EVERY;
            if let Some(miss) = shared.missed(grace) {
                aborted = Some(miss);
                break;
            }
        }
        if t >= next_tick {
            next_tick = t + Duration::from_millis(250);
            shared.tick(shape.duration());
        }
        tokio::time::sleep(TICK).await;
    }
    shared.count_users(since.0, shared.started.elapsed(), since.1);
    run.watch.done();
    for stop in &running {
        stop.store(true, Ordering::Relaxed);
    }
    for handle in handles {
        let _ = handle.await;
    }
    if let Some(error) = shared.setup_error.lock().ok().and_then(|e| e.clone()) {
        return Err(ExecError::Setup(error));
    }
    let elapsed = shared.started.elapsed();
    let recorder = std::mem::replace(
        &mut *shared.lock(),
        crate::exec::journey::Recorder::new(&run.case),
    );
    let mut measurement = recorder.finish(run.started_at(), elapsed);
    measurement.aborted = aborted;
    Ok(Outcome { measurement })
}

/// One virtual user: its per-user set-up, then iterations until it is told to stop, the run
/// ends or it has run its iterations; then its tear-down.
async fn user(
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    finished: Arc<AtomicU64>,
    id: u64,
    iterations: Option<u64>,
    think_time: Option<crate::suite::ThinkTime>,
) {
    let run = &shared.run;
    let client = run.target.pooled.clone();
    let mut user = match run.users(1, &client).await {
        Ok(mut users) => match users.pop() {
            Some(user) => user,
            None => return,
        },
        Err(e) => {
            shared.set_up_failed(e.to_string());
            finished.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let mut picker = Picker::new(run, id);
    let mut batch = Batch::new();
    let mut done = 0u64;
    // The clock is read by the iteration itself (its last response); no read of its own.
    let mut now = Instant::now();
    while !stop.load(Ordering::Relaxed) && now < shared.end && iterations.is_none_or(|n| done < n) {
        let scenario = picker.scenario();
        let prepared = run.prepare_scenario(&user, scenario);
        let iteration = run.iterate(&mut user, prepared).await;
        now = iteration.done;
        batch.push(&shared, iteration, None, now);
        done += 1;
        let think = picker.think(run.case.scenarios[scenario].think_time.or(think_time));
        let left = shared.end.saturating_duration_since(now);
        if !think.is_zero() && !left.is_zero() {
            tokio::time::sleep(think.min(left)).await;
            now = Instant::now();
        }
    }
    batch.flush(&shared);
    shared.lock().user(&user);
    let _ = run.release(vec![user]).await;
    finished.fetch_add(1, Ordering::Relaxed);
}
