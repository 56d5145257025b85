//! `load`: load over time. A closed model runs virtual users that loop over the case's
//! scenarios with think time (Locust's users, k6's VUs); an open model starts iterations on a
//! schedule whatever the server does (k6's arrival rates), so a stalled server shows in the
//! latencies. Either may ramp in stages, run as a sweep over levels up to a breaking point, and
//! stop early when a bound is missed beyond recovery.

mod closed;
mod open;
mod shape;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use schemars::JsonSchema;
use serde::Deserialize;

use super::journey::{Iteration, Recorder};
use super::{
    count, Aborted, CaseRun, ExecError, Level, Measurement, Settings as Keys, StageSpan,
    MAX_SIMULTANEOUS,
};
use crate::plan::KindPlan;
use crate::record::Recorded;
use crate::suite::{HumanDuration, Spanned, ThinkTime, YamlError};
use crate::units::format_duration;
pub use shape::Shape;

/// Highest arrival rate a case may ask for.
const MAX_RATE: f64 = 1_000_000.0;
/// The most stages a case may have: each is recorded apart, in a few kilobytes.
const MAX_STAGES: usize = 1000;
/// Longest run a case may ask for.
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long an open-model iteration may wait for a free worker before it is dropped.
const DEFAULT_MAX_LAG: Duration = Duration::from_secs(1);
/// How often running totals are checked against the bounds when `abort_on_fail` is set.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The keys of a load case, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// Closed model: virtual users.
    users: Option<Spanned<u64>>,
    /// Closed model: users started per second until `users` run (default: all at once).
    spawn_rate: Option<Spanned<f64>>,
    /// Closed model: iterations each user runs, then stops.
    iterations: Option<Spanned<u64>>,
    /// Open model: iterations started per second (with `stages`: the rate at the start).
    arrival_rate: Option<Spanned<f64>>,
    /// Open model: iterations in flight at most (default 100).
    max_in_flight: Option<Spanned<u64>>,
    /// Open model: an iteration that cannot start this long after its time is dropped.
    max_lag: Option<Spanned<HumanDuration>>,
    /// How long the load runs (each level, in a sweep).
    duration: Option<Spanned<HumanDuration>>,
    /// Ramps: users (or, with `arrival_rate`, the rate) go linearly to each `target`.
    stages: Option<Spanned<Vec<StageSpec>>>,
    /// Pause after each iteration of a user (closed model).
    think_time: Option<Spanned<ThinkTime>>,
    /// A sweep: the same run at each number of users (or rate), each judged on its own.
    levels: Option<Spanned<Vec<f64>>>,
    /// `miss`: end a sweep at the first level that misses a bound.
    stop_when: Option<Spanned<StopWhen>>,
    /// Stop as soon as a bound is missed (after the grace period).
    abort_on_fail: Option<Spanned<AbortSpec>>,
}

/// One stage of a ramp, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StageSpec {
    /// How long the stage lasts.
    duration: HumanDuration,
    /// Users (or, with `arrival_rate`, iterations per second) at the stage's end.
    target: f64,
}

/// When a sweep stops.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum StopWhen {
    /// At the first level that misses a bound.
    Miss,
}

/// `abort_on_fail: true`, or with a grace period in which misses are tolerated.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(untagged)]
enum AbortSpec {
    /// `true`: stop at the first miss.
    On(bool),
    /// Stop at the first miss after this grace period.
    Grace {
        /// Misses within this time from the start are tolerated.
        grace: HumanDuration,
    },
}

/// How iterations are started.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// Virtual users loop; `iterations` each at most.
    Closed {
        /// Iterations per user, if bounded.
        iterations: Option<u64>,
    },
    /// Iterations start on a schedule.
    Open {
        /// Workers, each running one iteration at a time.
        max_in_flight: u64,
        /// Longest wait for a free worker before an iteration is dropped.
        max_lag: Duration,
    },
}

/// A load case's settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// Closed or open.
    pub model: Model,
    /// Users (closed) or arrivals per second (open) over time, for one run.
    pub shape: Shape,
    /// Sweep levels: each replaces the shape's level; empty for a single run.
    pub levels: Vec<f64>,
    /// Stop a sweep at its first level that misses a bound.
    pub stop_at_miss: bool,
    /// Abort a run once a bound is missed, after this grace period.
    pub abort_after: Option<Duration>,
    /// Pause between a user's iterations.
    pub think_time: Option<ThinkTime>,
    /// For a spawn-rate ramp, users per second (kept to rebuild the shape per level).
    spawn_rate: Option<f64>,
    /// The shape comes from written `stages`, which are reported one by one.
    staged: bool,
}

impl LoadPlan {
    /// Reads and checks the settings: one model, a duration (or iterations), sane limits.
    pub(super) fn read(keys: &Keys) -> Result<Self, YamlError> {
        let s: Settings = keys.read()?;
        let open = s.arrival_rate.is_some();
        if let (Some(users), true) = (&s.users, open) {
            return Err(keys.error(
                users.span,
                "give `users` (virtual users, a closed model) or `arrival_rate` (iterations per \
                 second, an open model), not both",
            ));
        }
        for (given, key) in [
            (s.spawn_rate.as_ref().map(|v| v.span), "spawn_rate"),
            (s.iterations.as_ref().map(|v| v.span), "iterations"),
            (s.think_time.as_ref().map(|v| v.span), "think_time"),
        ] {
            if let (Some(span), true) = (given, open) {
                let message = format!(
                    "`{key}` is for virtual users; an open model starts iterations on a schedule"
                );
                return Err(keys.error(span, message));
            }
        }
        for (given, key) in [
            (s.max_in_flight.as_ref().map(|v| v.span), "max_in_flight"),
            (s.max_lag.as_ref().map(|v| v.span), "max_lag"),
        ] {
            if let (Some(span), false) = (given, open) {
                let message = format!("`{key}` is for an open model (`arrival_rate`)");
                return Err(keys.error(span, message));
            }
        }
        let duration = match &s.duration {
            Some(d) if d.0.is_zero() || d.0 > MAX_DURATION => {
                return Err(keys.error(d.span, "`duration` must be more than 0 and at most 7 days"))
            }
            Some(d) => Some(d.0),
            None => None,
        };
        let rate = |v: &Spanned<f64>, key: &str| {
            if v.value.is_finite() && v.value > 0.0 && v.value <= MAX_RATE {
                Ok(v.value)
            } else {
                let message =
                    format!("`{key}` must be more than 0 and at most {MAX_RATE} per second");
                Err(keys.error(v.span, message))
            }
        };
        let spawn_rate = s
            .spawn_rate
            .as_ref()
            .map(|r| rate(r, "spawn_rate"))
            .transpose()?;
        let shape = match (&s.stages, duration) {
            (Some(stages), Some(_)) => {
                let at = s.duration.as_ref().map_or(stages.span, |d| d.span);
                return Err(keys.error(
                    at,
                    "give `stages` or `duration`, not both: stages have durations of their own",
                ));
            }
            (Some(stages), None) => {
                if stages.is_empty() || stages.len() > MAX_STAGES {
                    return Err(keys.error(
                        stages.span,
                        format!("`stages` needs between 1 and {MAX_STAGES} stages"),
                    ));
                }
                let start = match &s.arrival_rate {
                    Some(r) => rate(r, "arrival_rate")?,
                    None => 0.0,
                };
                let mut pieces = Vec::new();
                for stage in stages.iter() {
                    let top = if open {
                        MAX_RATE
                    } else {
                        MAX_SIMULTANEOUS as f64
                    };
                    if !(stage.target.is_finite() && (0.0..=top).contains(&stage.target)) {
                        return Err(keys.error(
                            stages.span,
                            format!("a stage's `target` must be between 0 and {top}"),
                        ));
                    }
                    pieces.push((stage.duration.0, stage.target));
                }
                let shape = Shape { start, pieces };
                if shape.duration().is_zero() || shape.duration() > MAX_DURATION {
                    return Err(keys.error(
                        stages.span,
                        "the stages must last more than 0 and at most 7 days",
                    ));
                }
                shape
            }
            (None, duration) => {
                let level = match (&s.users, &s.arrival_rate) {
                    (Some(users), None) => count(keys, "users", users, 1, MAX_SIMULTANEOUS)? as f64,
                    (None, Some(r)) => rate(r, "arrival_rate")?,
                    _ if s.levels.is_some() => 0.0,
                    _ => {
                        return Err(keys.error(
                            keys.keys.span,
                            "a load case needs `users` (a closed model), `arrival_rate` (an open \
                             model) or `stages`",
                        ))
                    }
                };
                let duration = match (duration, &s.iterations) {
                    (Some(d), _) => d,
                    // Users that stop after their iterations: bounded by the case timeout.
                    (None, Some(_)) if !open => MAX_DURATION,
                    _ => return Err(keys.error(
                        keys.keys.span,
                        "a load case needs a `duration` (or `stages`, or `iterations` per user)",
                    )),
                };
                match spawn_rate {
                    Some(per_second) => Shape::ramp(level, per_second, duration),
                    None => Shape::constant(level, duration),
                }
            }
        };
        let levels = match &s.levels {
            Some(levels) if s.stages.is_some() => {
                return Err(keys.error(
                    levels.span,
                    "a sweep runs each level for `duration`; give `levels` without `stages`",
                ))
            }
            Some(levels) if levels.is_empty() => {
                return Err(keys.error(levels.span, "`levels` needs at least one level"))
            }
            Some(levels) => {
                let top = if open {
                    MAX_RATE
                } else {
                    MAX_SIMULTANEOUS as f64
                };
                if let Some(bad) = levels
                    .iter()
                    .find(|l| !(l.is_finite() && **l > 0.0 && **l <= top))
                {
                    return Err(keys.error(
                        levels.span,
                        format!("level `{bad}` is out of range; use more than 0, at most {top}"),
                    ));
                }
                levels.value.clone()
            }
            None => Vec::new(),
        };
        if let (Some(stop), true) = (&s.stop_when, levels.is_empty()) {
            return Err(keys.error(stop.span, "`stop_when` ends a sweep; it needs `levels`"));
        }
        let max_in_flight = match &s.max_in_flight {
            Some(n) => count(keys, "max_in_flight", n, 1, MAX_SIMULTANEOUS)?,
            None => 100,
        };
        let model = if open {
            Model::Open {
                max_in_flight,
                max_lag: s.max_lag.as_ref().map_or(DEFAULT_MAX_LAG, |l| l.0),
            }
        } else {
            let iterations = s
                .iterations
                .as_ref()
                .map(|i| count(keys, "iterations", i, 1, u64::MAX))
                .transpose()?;
            Model::Closed { iterations }
        };
        let abort_after = match s.abort_on_fail.as_ref().map(|a| a.value) {
            Some(AbortSpec::On(true)) => Some(Duration::ZERO),
            Some(AbortSpec::Grace { grace }) => Some(grace.0),
            _ => None,
        };
        Ok(Self {
            model,
            shape,
            levels,
            stop_at_miss: s.stop_when.is_some(),
            abort_after,
            think_time: s.think_time.map(|t| t.value),
            spawn_rate,
            staged: s.stages.is_some(),
        })
    }

    /// The shape of one run at `level` (a sweep's level replaces the configured one).
    fn shape_at(&self, level: f64) -> Shape {
        let duration = self.shape.duration();
        match self.spawn_rate {
            Some(per_second) => Shape::ramp(level, per_second, duration),
            None => Shape::constant(level, duration),
        }
    }

    fn unit(&self) -> &'static str {
        match self.model {
            Model::Closed { .. } => "users",
            Model::Open { .. } => "it/s",
        }
    }

    /// Runs the case: one run, or one per level of a sweep.
    pub async fn run(&self, mut run: CaseRun) -> Result<Measurement, ExecError> {
        // Offsets run from here, after the case's set-up, as the stages' bounds do.
        run.restart_clock();
        let run = Arc::new(run);
        if self.levels.is_empty() {
            let mut outcome = self.run_once(&run, &self.shape).await?;
            if self.staged {
                outcome.measurement.stages = stage_spans(&self.shape);
            }
            return Ok(outcome.measurement);
        }
        let mut levels = Vec::new();
        let mut merged: Option<Measurement> = None;
        for &value in &self.levels {
            let outcome = self.run_once(&run, &self.shape_at(value)).await?;
            let missed = run.gate.missed(&outcome.measurement.recorded).is_some();
            levels.push(Level {
                value,
                recorded: outcome.measurement.recorded.clone(),
                aborted: outcome.measurement.aborted.clone(),
            });
            merged = Some(match merged {
                None => outcome.measurement,
                Some(mut all) => {
                    let elapsed = all.recorded.elapsed + outcome.measurement.recorded.elapsed;
                    let _ = all.recorded.merge(&outcome.measurement.recorded);
                    all.recorded.elapsed = elapsed;
                    all.checks.merge(&outcome.measurement.checks);
                    all.refreshes += outcome.measurement.refreshes;
                    all.invalid = all.invalid.or(outcome.measurement.invalid);
                    all
                }
            });
            if missed && self.stop_at_miss {
                break;
            }
        }
        let mut measurement = merged.ok_or_else(|| ExecError::Client("no level ran".into()))?;
        measurement.aborted = None;
        measurement.levels = levels;
        Ok(measurement)
    }

    async fn run_once(&self, run: &Arc<CaseRun>, shape: &Shape) -> Result<Outcome, ExecError> {
        match &self.model {
            Model::Closed { iterations } => closed::run(self, run, shape, *iterations).await,
            Model::Open {
                max_in_flight,
                max_lag,
            } => open::run(self, run, shape, *max_in_flight, *max_lag).await,
        }
    }
}

/// What one run of the load left behind.
struct Outcome {
    measurement: Measurement,
}

fn stage_spans(shape: &Shape) -> Vec<StageSpan> {
    shape
        .spans()
        .into_iter()
        .map(|(from, to, start, target)| StageSpan {
            from,
            to,
            start,
            target,
        })
        .collect()
}

impl KindPlan for LoadPlan {
    fn name(&self) -> &'static str {
        "load"
    }

    /// E.g. `100 users for 1m (10 users/s)`, `50 it/s for 30s (up to 100 in flight)`,
    /// `stages 0 -> 20 -> 200 -> 20 users over 1m30s`, `sweep 10, 50, 100 users, 30s each`.
    fn describe(&self) -> String {
        let unit = self.unit();
        let duration = format_duration(self.shape.duration());
        let model = match &self.model {
            Model::Closed {
                iterations: Some(n),
            } => format!(", {n} iterations per user"),
            Model::Closed { iterations: None } => String::new(),
            Model::Open { max_in_flight, .. } => format!(", up to {max_in_flight} in flight"),
        };
        if !self.levels.is_empty() {
            let levels: Vec<String> = self.levels.iter().map(|l| format!("{l}")).collect();
            return format!("sweep {} {unit}, {duration} each{model}", levels.join(", "));
        }
        if self.staged {
            let mut path = vec![format!("{}", self.shape.start)];
            path.extend(self.shape.pieces.iter().map(|(_, t)| format!("{t}")));
            return format!("stages {} {unit} over {duration}{model}", path.join(" -> "));
        }
        let spawn = self
            .spawn_rate
            .map(|r| format!(" ({r} users/s)"))
            .unwrap_or_default();
        if let (
            Model::Closed {
                iterations: Some(n),
            },
            false,
        ) = (&self.model, self.shape.duration() < MAX_DURATION)
        {
            // Bounded by count alone: the week-long span it is given is no one's plan.
            let each = if *n == 1 { "iteration" } else { "iterations" };
            return format!("{} {unit} x {n} {each} each{spawn}", self.shape.peak());
        }
        format!("{} {unit} for {duration}{spawn}{model}", self.shape.peak())
    }

    fn has_rounds(&self) -> bool {
        false
    }

    fn takes_scenarios(&self) -> bool {
        true
    }

    fn planned_duration(&self) -> Option<Duration> {
        let one = self.shape.duration();
        (one < MAX_DURATION).then(|| one * self.levels.len().max(1) as u32)
    }
}

/// What a run's users and workers share: the recorder they flush into, the clock, the bounds.
struct Shared {
    run: Arc<CaseRun>,
    recorder: Mutex<Recorder>,
    started: Instant,
    /// `started` on the run's clock (later levels of a sweep start later), which offsets and
    /// the stages' bounds are recorded on.
    base: Duration,
    end: Instant,
    /// The first per-user set-up that failed; the run stops on it.
    setup_error: Mutex<Option<String>>,
}

impl Shared {
    /// Shared state for one run of `shape`; each of its stages recorded apart when the case's
    /// stages were written.
    fn new(run: &Arc<CaseRun>, plan: &LoadPlan, shape: &Shape) -> Arc<Self> {
        let base = run.elapsed();
        let started = Instant::now();
        let mut recorder = Recorder::new(&run.case);
        if plan.staged {
            let spans = shape.spans().into_iter();
            recorder.split_stages(spans.map(|(from, to, ..)| (base + from, base + to)));
        }
        Arc::new(Shared {
            run: Arc::clone(run),
            recorder: Mutex::new(recorder),
            started,
            base,
            end: started + shape.duration(),
            setup_error: Mutex::new(None),
        })
    }

    /// Counts `users` virtual users running from `from` to `to` (from `started`).
    fn count_users(&self, from: Duration, to: Duration, users: u64) {
        if users > 0 && to > from {
            self.lock().users(self.base + from, self.base + to, users);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorder> {
        self.recorder.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first bound missed so far, once the grace period is over.
    fn missed(&self, grace: Duration) -> Option<Aborted> {
        let at = self.started.elapsed();
        if at < grace {
            return None;
        }
        let snapshot: Recorded = self.lock().snapshot(at);
        self.run
            .gate
            .missed(&snapshot)
            .map(|miss| Aborted { at, miss })
    }

    /// Shows the run so far.
    fn tick(&self, planned: Duration) {
        let live = self.lock().live(self.started.elapsed(), Some(planned));
        self.run.watch.tick(&live);
    }

    fn set_up_failed(&self, error: String) {
        self.setup_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(error);
    }
}

/// Iterations a task keeps before it takes the recorder's lock: recording costs one lock per
/// batch, not one per request.
const BATCH: usize = 32;
/// How long a task keeps a partly filled batch, so running totals stay fresh.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// A task's iterations waiting to be recorded.
struct Batch {
    items: Vec<(Iteration, Option<(Duration, Duration)>)>,
    flushed: Instant,
}

impl Batch {
    fn new() -> Self {
        Batch {
            items: Vec::with_capacity(BATCH),
            flushed: Instant::now(),
        }
    }

    /// Adds an iteration (with, for an open model, its scheduled start and its lag); records
    /// the batch when it is full or, at `now`, old.
    fn push(
        &mut self,
        shared: &Shared,
        iteration: Iteration,
        scheduled: Option<(Duration, Duration)>,
        now: Instant,
    ) {
        self.items.push((iteration, scheduled));
        if self.items.len() >= BATCH || now.saturating_duration_since(self.flushed) >= FLUSH_EVERY {
            self.flush(shared);
        }
    }

    fn flush(&mut self, shared: &Shared) {
        if !self.items.is_empty() {
            let mut recorder = shared.lock();
            for (iteration, scheduled) in self.items.drain(..) {
                match scheduled {
                    Some((due, lag)) => {
                        recorder.scheduled(&shared.run.case, iteration, shared.base + due, lag)
                    }
                    None => recorder.iteration(&shared.run.case, &iteration),
                }
            }
        }
        self.flushed = Instant::now();
    }
}

/// Picks scenarios by weight, with a generator of the user's own (seeded from the case's seed).
struct Picker {
    rng: SmallRng,
    cumulative: Vec<u64>,
}

impl Picker {
    fn new(run: &CaseRun, user: u64) -> Self {
        let mut total = 0;
        let cumulative = run
            .case
            .scenarios
            .iter()
            .map(|s| {
                total += u64::from(s.weight);
                total
            })
            .collect();
        Picker {
            rng: SmallRng::seed_from_u64(
                run.case.data_seed() ^ user.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            ),
            cumulative,
        }
    }

    fn scenario(&mut self) -> usize {
        if self.cumulative.len() < 2 {
            return 0;
        }
        let total = self.cumulative.last().copied().unwrap_or(1);
        let roll = self.rng.random_range(0..total);
        self.cumulative.partition_point(|&c| c <= roll)
    }

    fn think(&mut self, think: Option<ThinkTime>) -> Duration {
        match think {
            None => Duration::ZERO,
            Some(ThinkTime::Constant(d)) => d.0,
            Some(ThinkTime::Between { between: [a, b] }) => {
                let (low, high) = if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) };
                low + (high - low).mul_f64(self.rng.random::<f64>())
            }
        }
    }
}
