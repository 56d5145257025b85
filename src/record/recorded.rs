//! One case's results: the whole case, each journey step, each request name.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::latencies::nanos;
use super::stages::{self, StageSlot};
use super::users::Users;
use super::{InvalidRecord, Series, SCHEMA_VERSION};

/// What one case's measured span left behind, as data to summarise, save, compare or merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// The layout version of this data; reading refuses any other than [`SCHEMA_VERSION`].
    #[serde(deserialize_with = "current_schema")]
    schema: u32,
    /// The measured span, first send to last response; the denominator of throughput.
    #[serde(rename = "elapsed_ns", with = "crate::units::nanos")]
    pub elapsed: Duration,
    /// Every request of the case.
    pub total: Series,
    /// Per journey step, in step order: that step's requests.
    pub steps: Vec<(String, Series)>,
    /// Per request name (`GET /tasks/{id}`: one name for many URLs): that name's requests.
    pub names: BTreeMap<String, Series>,
    /// For an open model (iterations started on a schedule): what the schedule added.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// For a staged load: each stage's requests, between the stage's exact bounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSlot>,
    /// For virtual users (a closed model): how many ran, second by second.
    #[serde(default, skip_serializing_if = "Users::is_empty")]
    pub users: Users,
}

/// What running on a schedule left behind: the latencies in `total` run from each iteration's
/// scheduled start, so a stalled server shows; these keep the parts apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Send to last byte of each iteration, without the wait for its start.
    pub service: Series,
    /// How late each iteration started after its scheduled time.
    pub lag: Series,
    /// Iterations that could not start within the allowed lag (k6's dropped iterations).
    pub dropped: u64,
    /// Scheduled starts at which the generator itself woke late (no iteration was waiting for
    /// a free worker): a sign that the load generator, not the server, fell behind.
    pub late_wakeups: u64,
}

impl Schedule {
    /// Empty, for latencies up to `max_latency`.
    pub fn new(max_latency: Duration) -> Self {
        Schedule {
            service: Series::new(max_latency),
            lag: Series::new(max_latency),
            dropped: 0,
            late_wakeups: 0,
        }
    }

    fn merge(&mut self, other: &Schedule) {
        self.service.merge(&other.service);
        self.lag.merge(&other.lag);
        self.dropped += other.dropped;
        self.late_wakeups += other.late_wakeups;
    }
}

impl Recorded {
    /// Empty results whose histograms track latencies up to `max_latency` (the case's largest
    /// request timeout); steps and names are added by the executor that knows them.
    pub fn new(max_latency: Duration) -> Self {
        Recorded {
            schema: SCHEMA_VERSION,
            elapsed: Duration::ZERO,
            total: Series::new(max_latency),
            steps: Vec::new(),
            names: BTreeMap::new(),
            schedule: None,
            stages: Vec::new(),
            users: Users::default(),
        }
    }

    /// Keeps each stage's requests apart from now on: one [`StageSlot`] per `[from, to)`, in
    /// time order, from the span's start.
    pub fn split_stages(&mut self, bounds: impl IntoIterator<Item = (Duration, Duration)>) {
        self.stages = bounds
            .into_iter()
            .map(|(from, to)| StageSlot::new(from, to))
            .collect();
    }

    /// Counts an iteration started at `start` in its stage, if the case is staged: successful,
    /// taking `latency`, or (`latency` `None`) failed; `bytes` received.
    #[inline]
    pub fn record_stage(&mut self, start: Duration, latency: Option<Duration>, bytes: u64) {
        if let Some(slot) = stages::stage_mut(&mut self.stages, start) {
            match latency {
                Some(latency) => slot.add_ok(nanos(latency), bytes),
                None => slot.add_error(bytes),
            }
        }
    }

    /// The layout version of this data: always [`SCHEMA_VERSION`] once read.
    pub fn schema(&self) -> u32 {
        self.schema
    }

    /// The series of request name `name`, created on first use with the case's maximum
    /// latency. Allocates only then; later calls are a map lookup.
    pub fn name_mut(&mut self, name: &str) -> &mut Series {
        if !self.names.contains_key(name) {
            let series = Series::new(self.total.max_latency());
            self.names.insert(name.to_string(), series);
        }
        self.names
            .get_mut(name)
            .expect("the name was inserted just above")
    }

    /// Adds another partial result of the same case (a shard, a resumed run). Steps merge by
    /// position and must carry the same names where both have them; a step only `other` has is
    /// appended. Names merge by name; stages merge stage by stage and must have the same
    /// lengths. The merged span is the longer of the two, since shards of a case run side by
    /// side over the same period, not one after the other.
    pub fn merge(&mut self, other: &Recorded) -> Result<(), InvalidRecord> {
        let clash = self
            .steps
            .iter()
            .zip(&other.steps)
            .enumerate()
            .find(|(_, ((mine, _), (theirs, _)))| mine != theirs);
        if let Some((position, ((mine, _), (theirs, _)))) = clash {
            return Err(InvalidRecord::Steps {
                position: position + 1,
                mine: mine.clone(),
                theirs: theirs.clone(),
            });
        }
        stages::check_merge(&self.stages, &other.stages)?;
        self.elapsed = self.elapsed.max(other.elapsed);
        self.total.merge(&other.total);
        for (position, (name, series)) in other.steps.iter().enumerate() {
            match self.steps.get_mut(position) {
                Some((_, mine)) => mine.merge(series),
                None => self.steps.push((name.clone(), series.clone())),
            }
        }
        for (name, series) in &other.names {
            match self.names.get_mut(name) {
                Some(mine) => mine.merge(series),
                None => {
                    self.names.insert(name.clone(), series.clone());
                }
            }
        }
        match (&mut self.schedule, &other.schedule) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, Some(theirs)) => self.schedule = Some(theirs.clone()),
            _ => {}
        }
        self.users.merge(&other.users);
        stages::merge(&mut self.stages, &other.stages);
        Ok(())
    }

    /// Moves everything recorded `by` later in the span (timelines to the whole second): a
    /// part measured after the one it is merged into, such as a later round of the same case,
    /// then follows it instead of overlaying it.
    pub fn shift(&mut self, by: Duration) {
        self.total.shift(by);
        for (_, series) in &mut self.steps {
            series.shift(by);
        }
        for series in self.names.values_mut() {
            series.shift(by);
        }
        if let Some(schedule) = &mut self.schedule {
            schedule.service.shift(by);
            schedule.lag.shift(by);
        }
        for stage in &mut self.stages {
            stage.shift(by);
        }
        self.users.shift(by);
    }

    /// Approximate heap bytes held by every series.
    pub fn heap_bytes(&self) -> usize {
        self.total.heap_bytes()
            + self
                .steps
                .iter()
                .map(|(n, s)| n.capacity() + s.heap_bytes())
                .sum::<usize>()
            + self
                .names
                .iter()
                .map(|(n, s)| n.capacity() + s.heap_bytes())
                .sum::<usize>()
            + self
                .stages
                .iter()
                .map(|s| std::mem::size_of::<StageSlot>() + s.heap_bytes())
                .sum::<usize>()
            + self.users.heap_bytes()
    }
}

/// Reads the schema version, refusing any but the current one.
fn current_schema<'de, D: Deserializer<'de>>(input: D) -> Result<u32, D::Error> {
    let found = u32::deserialize(input)?;
    if found == SCHEMA_VERSION {
        Ok(found)
    } else {
        Err(serde::de::Error::custom(InvalidRecord::Schema { found }))
    }
}
