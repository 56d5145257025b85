//! One iteration of a case's measured steps for one user, and the record of all iterations.

use std::time::{Duration, Instant, SystemTime};

use smallvec::{smallvec, SmallVec};

use super::request::Rendered;
use super::run::{CaseRun, User, Via};
use super::Case;
use super::{Live, Measurement};
use crate::checks::CheckTally;
use crate::plan::ScenarioPlan;
use crate::record::{Recorded, Schedule, Series};
use crate::sample::{ErrorCause, Outcome, Sample};

/// What one pass through a scenario's steps produced.
pub struct Iteration {
    /// The scenario that ran (an index into the case's scenarios).
    pub scenario: usize,
    /// The whole journey (for a single request, that request).
    pub journey: Sample,
    /// Each step's sample; `None` for steps not reached after a failure. Held inline for
    /// scenarios of up to two steps, so a single request allocates nothing for it.
    pub steps: SmallVec<[Option<Sample>; 2]>,
    /// When the first request went out.
    pub sent: Instant,
    /// When the last response was read.
    pub done: Instant,
}

/// The first request of an iteration, rendered before the iteration starts (so a barrier can
/// release users whose requests are ready).
pub struct Prepared {
    seq: u64,
    scenario: usize,
    first: Result<Rendered, ErrorCause>,
}

impl CaseRun {
    /// Takes a sequence number for a new iteration of the case's first scenario and renders its
    /// first request.
    pub fn prepare(&self, user: &User) -> Prepared {
        self.prepare_scenario(user, 0)
    }

    /// Like [`CaseRun::prepare`], for the scenario at `scenario`.
    pub fn prepare_scenario(&self, user: &User, scenario: usize) -> Prepared {
        let seq = self.next_seq();
        let first = self.render_for(user, scenario, 0, seq);
        Prepared {
            seq,
            scenario,
            first,
        }
    }

    /// Runs the steps in order; a failed step ends the iteration (later steps may need what it
    /// would have extracted). A `refresh_on` status sets the fixture up again and retries once.
    pub async fn iterate(&self, user: &mut User, prepared: Prepared) -> Iteration {
        let Prepared {
            seq,
            scenario,
            first,
        } = prepared;
        let plan = &self.case.scenarios[scenario];
        let mut first = Some(first);
        let mut steps: SmallVec<[Option<Sample>; 2]> = smallvec![None; plan.steps.len()];
        let mut failure = None;
        let sent = Instant::now();
        for (i, step) in plan.steps.iter().enumerate() {
            let request = first
                .take()
                .unwrap_or_else(|| self.render_for(user, scenario, i, seq));
            let mut done = self
                .exchange(
                    step,
                    seq,
                    Via {
                        client: &user.client,
                        connection: user.connection.as_mut(),
                    },
                    request,
                    &mut user.vars,
                    Some(&mut user.tally),
                )
                .await;
            let refresh = done.response.as_ref().and_then(|r| {
                self.case
                    .fixtures
                    .iter()
                    .find(|f| f.refresh_on.as_ref().is_some_and(|s| s.accepts(r.status)))
            });
            if let Some(fixture) = refresh {
                let client = user.client.clone();
                if self.set_up(fixture, &client, &mut user.vars).await.is_ok() {
                    user.refreshes += 1;
                    let again = self.render_for(user, scenario, i, seq);
                    done = self
                        .exchange(
                            step,
                            seq,
                            Via {
                                client: &user.client,
                                connection: user.connection.as_mut(),
                            },
                            again,
                            &mut user.vars,
                            Some(&mut user.tally),
                        )
                        .await;
                }
            }
            if let Outcome::Error(cause) = &done.sample.outcome {
                failure = Some((i, cause.clone()));
            }
            steps[i] = Some(done.sample);
            if failure.is_some() {
                break;
            }
        }
        let done = Instant::now();
        let journey = journey_sample(plan, &steps, failure);
        Iteration {
            scenario,
            journey,
            steps,
            sent,
            done,
        }
    }
}

/// The whole iteration as one sample: first send to last response; an error names the step
/// that failed when the scenario is a journey.
fn journey_sample(
    plan: &ScenarioPlan,
    steps: &[Option<Sample>],
    failure: Option<(usize, ErrorCause)>,
) -> Sample {
    let start = steps
        .iter()
        .flatten()
        .next()
        .map_or(Duration::ZERO, |s| s.start);
    let end = steps
        .iter()
        .flatten()
        .map(|s| s.start + s.latency)
        .max()
        .unwrap_or(start);
    let outcome = match failure {
        None => Outcome::Ok,
        Some((_, cause)) if !plan.journey => Outcome::Error(cause),
        Some((i, cause)) => Outcome::Error(ErrorCause::Step(
            plan.steps[i].name.clone(),
            Box::new(cause),
        )),
    };
    Sample {
        start,
        latency: end.saturating_sub(start),
        outcome,
        bytes: steps.iter().flatten().map(|s| s.bytes).sum(),
    }
}

/// Records iterations, rounds and users' counts into a [`Measurement`]: the whole case and each
/// journey step into series of bounded size, whatever the number of requests.
pub struct Recorder {
    recorded: Recorded,
    checks: CheckTally,
    refreshes: u64,
}

impl Recorder {
    /// An empty record for `case`: histograms up to its largest request timeout, a series per
    /// journey step.
    pub fn new(case: &Case) -> Self {
        let max_latency = case
            .scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .map(|s| s.request.timeout)
            .max()
            .unwrap_or_default();
        let mut recorded = Recorded::new(max_latency);
        let main = case.main();
        if main.journey && case.scenarios.len() == 1 {
            recorded.steps = main
                .steps
                .iter()
                .map(|s| (s.name.clone(), Series::new(max_latency)))
                .collect();
        }
        // Every name a request is recorded under exists from the start, so a name that saw no
        // request still shows (and fails its bounds as "no data").
        for scenario in &case.scenarios {
            let names = scenario
                .metric
                .iter()
                .chain(scenario.steps.iter().filter_map(|s| s.metric.as_ref()));
            for name in names {
                recorded.name_mut(name);
            }
        }
        Self {
            recorded,
            checks: CheckTally::default(),
            refreshes: 0,
        }
    }

    /// Records one iteration: the journey as a whole, each step it reached, and the names
    /// they are recorded under.
    pub fn iteration(&mut self, case: &Case, iteration: &Iteration) {
        let journey = &iteration.journey;
        record(&mut self.recorded.total, journey);
        if !self.recorded.stages.is_empty() {
            let latency = matches!(journey.outcome, Outcome::Ok).then_some(journey.latency);
            self.recorded
                .record_stage(journey.start, latency, journey.bytes);
        }
        for ((_, series), sample) in self.recorded.steps.iter_mut().zip(&iteration.steps) {
            if let Some(sample) = sample {
                record(series, sample);
            }
        }
        let plan = &case.scenarios[iteration.scenario];
        if let Some(name) = &plan.metric {
            record(self.recorded.name_mut(name), &iteration.journey);
        }
        for (step, sample) in plan.steps.iter().zip(&iteration.steps) {
            if let (Some(name), Some(sample)) = (&step.metric, sample) {
                record(self.recorded.name_mut(name), sample);
            }
        }
    }

    /// Records an iteration that was due at `due` (from the span's start) and started `lag`
    /// late: the case's latency runs from the scheduled start, so a stalled server shows; the
    /// time spent serving it and the lag are kept apart.
    pub fn scheduled(
        &mut self,
        case: &Case,
        mut iteration: Iteration,
        due: Duration,
        lag: Duration,
    ) {
        let max_latency = self.recorded.total.max_latency();
        let schedule = self
            .recorded
            .schedule
            .get_or_insert_with(|| Schedule::new(max_latency));
        record(&mut schedule.service, &iteration.journey);
        schedule.lag.record_ok(due, lag, 0);
        iteration.journey.start = due;
        iteration.journey.latency += lag;
        self.iteration(case, &iteration);
    }

    /// Records each stage's iterations apart from now on (see [`Recorded::split_stages`]).
    pub fn split_stages(&mut self, bounds: impl IntoIterator<Item = (Duration, Duration)>) {
        self.recorded.split_stages(bounds);
    }

    /// Counts `users` virtual users running from `from` to `to` (offsets from the span's start).
    pub fn users(&mut self, from: Duration, to: Duration, users: u64) {
        self.recorded.users.record(from, to, users);
    }

    /// Counts iterations that could not start in time, and scheduled starts at which the
    /// generator woke late.
    pub fn missed_starts(&mut self, dropped: u64, late_wakeups: u64) {
        let max_latency = self.recorded.total.max_latency();
        let schedule = self
            .recorded
            .schedule
            .get_or_insert_with(|| Schedule::new(max_latency));
        schedule.dropped += dropped;
        schedule.late_wakeups += late_wakeups;
    }

    /// Requests and errors so far, and the latest whole second's p95 and requests, read
    /// without copying anything.
    pub fn live(&self, elapsed: Duration, planned: Option<Duration>) -> Live {
        let total = &self.recorded.total;
        let whole = elapsed.as_secs().saturating_sub(1);
        let last = total
            .timeline()
            .iter()
            .filter(|(start, _)| start.as_secs() <= whole)
            .last()
            .map(|(_, slot)| slot);
        Live {
            elapsed,
            planned,
            requests: total.requests(),
            errors: total.errors(),
            p95: last.and_then(|s| s.p95()),
            rate: last.map_or(0, |s| s.requests()),
        }
    }

    /// A copy of what is recorded so far, as if the span had lasted `elapsed`.
    pub fn snapshot(&self, elapsed: Duration) -> Recorded {
        let mut recorded = self.recorded.clone();
        recorded.elapsed = elapsed;
        recorded
    }

    /// Records a round's wall time and release spread.
    pub fn round(&mut self, wall: Duration, spread: Duration) {
        self.recorded.total.record_round(wall, spread);
        for (_, series) in &mut self.recorded.steps {
            series.record_round(wall, spread);
        }
    }

    /// Adds what a user counted.
    pub fn user(&mut self, user: &User) {
        self.checks.merge(&user.tally);
        self.refreshes += user.refreshes;
    }

    /// The measurement, with the measured span's start on the wall clock and its length.
    pub fn finish(mut self, started: SystemTime, elapsed: Duration) -> Measurement {
        self.recorded.elapsed = elapsed;
        Measurement {
            recorded: self.recorded,
            levels: Vec::new(),
            aborted: None,
            invalid: None,
            stages: Vec::new(),
            checks: self.checks,
            refreshes: self.refreshes,
            started,
        }
    }
}

fn record(series: &mut Series, sample: &Sample) {
    match &sample.outcome {
        Outcome::Ok => series.record_ok(sample.start, sample.latency, sample.bytes),
        Outcome::Error(cause) => {
            series.record_error(sample.start, sample.latency, cause, sample.bytes)
        }
    }
}
