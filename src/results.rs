//! What a run leaves behind, as data: per case what was measured, the verdict, and what went
//! wrong. Reports read these; nothing here formats text for people.

use serde::{Deserialize, Serialize};

use std::time::{Duration, SystemTime};

pub use crate::checks::{CheckCount, CheckTally};
pub use crate::exec::{Aborted, StageSpan};
pub use crate::record::{Recorded, Resources};
use crate::stats::Summary;
use crate::verdict::{Outcome, Verdict};

/// Everything known about one case after it ran (or failed to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// `suite::case`, the test's name.
    pub id: String,
    /// The case's kind as written in YAML (`sequential`, `concurrent`, ...); empty when the
    /// case could not be loaded.
    pub kind: String,
    /// What the case did, e.g. `20 concurrent requests x 1 round(s)`.
    pub description: String,
    /// The base URL it ran against.
    pub target: String,
    /// Server certificates were not verified (`tls.insecure` / `--insecure`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_unverified: bool,
    /// When its measured span began (RFC 3339, UTC): the time the timeline's offsets count
    /// from; `None` when it measured nothing.
    #[serde(default, with = "crate::units::rfc3339::option")]
    pub started: Option<SystemTime>,
    /// The seed its random data came from.
    pub seed: u64,
    /// Statistics, when the case measured anything.
    pub summary: Option<Summary>,
    /// The judgement against its bounds, when it measured anything.
    pub verdict: Option<Verdict>,
    /// Why it could not load, run or finish, if so.
    pub error: Option<CaseError>,
    /// Per journey step: `suite::case/step` with its own statistics and verdict.
    pub steps: Vec<StepResult>,
    /// Per request name (named requests, and each scenario of a case of several):
    /// `suite::case/NAME` with its own statistics and verdict.
    pub names: Vec<StepResult>,
    /// Check pass/fail counts of the measured requests, k6 style.
    pub checks: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status.
    pub refreshes: u64,
    /// What was recorded, mergeable: histograms, exact values, causes, the timeline.
    pub recorded: Option<Recorded>,
    /// A sweep's levels, each judged on its own.
    #[serde(default)]
    pub levels: Vec<LevelResult>,
    /// A sweep that stopped at its first missed level: the last level that met every bound
    /// (`None` when even the first missed).
    #[serde(default)]
    pub breaking_point: Option<f64>,
    /// The stages of a ramp, each with what it saw.
    #[serde(default)]
    pub stages: Vec<StageResult>,
    /// The run stopped early on a missed bound.
    #[serde(default)]
    pub aborted: Option<Aborted>,
    /// For iterations started on a schedule: service time and start lag apart, and what
    /// could not start.
    #[serde(default)]
    pub schedule: Option<ScheduleSummary>,
    /// The managed target's CPU and memory while the case ran, when the suite has a `target`.
    #[serde(default)]
    pub resources: Option<Resources>,
}

/// One level of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelResult {
    /// Users, or iterations per second.
    pub level: f64,
    /// What the level measured.
    pub summary: Summary,
    /// The level against the case's bounds.
    pub verdict: Verdict,
    /// The level stopped early on a missed bound.
    pub aborted: Option<Aborted>,
}

/// One stage of a ramp and what it saw, read from the per-second timeline (so percentiles are
/// within the timeline's precision, about 1 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// The stage's part of the run.
    pub span: StageSpan,
    /// Requests started in it.
    pub requests: u64,
    /// Of which errors.
    pub errors: u64,
    /// Latency percentiles of its successful requests.
    #[serde(rename = "p50_ns", with = "crate::units::nanos::option")]
    pub p50: Option<Duration>,
    /// 95th percentile.
    #[serde(rename = "p95_ns", with = "crate::units::nanos::option")]
    pub p95: Option<Duration>,
    /// 99th percentile.
    #[serde(rename = "p99_ns", with = "crate::units::nanos::option")]
    pub p99: Option<Duration>,
    /// Requests per second over the stage.
    pub throughput: f64,
}

/// The parts of an open-model run's latency, and the iterations that could not start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSummary {
    /// Send to last byte, without the wait for a start.
    pub service: Summary,
    /// How late iterations started.
    pub lag: Summary,
    /// Iterations dropped: no worker could start them within `max_lag`.
    pub dropped: u64,
    /// Scheduled starts at which the generator itself woke late.
    pub late_wakeups: u64,
}

/// One journey step's statistics and verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// `suite::case/step`.
    pub id: String,
    /// The step's statistics.
    pub summary: Summary,
    /// The step against its bounds.
    pub verdict: Verdict,
}

/// Why a case has no verdict of its own, or failed apart from its bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseError {
    /// The stage that failed.
    pub stage: Stage,
    /// What happened, for people (secrets already removed).
    pub message: String,
}

/// The stage of a case's life where something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The suite or thresholds file could not be read or planned.
    Load,
    /// A fixture's set-up failed, so nothing was measured.
    Setup,
    /// The measured span could not run or did not finish (client, case timeout).
    Run,
    /// A fixture's tear-down failed after the case ran.
    Teardown,
}

/// How a case ended, as tables show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran and met every bound.
    Pass,
    /// It ran and the data cannot decide a bound.
    Inconclusive,
    /// It ran and missed a bound.
    Fail,
    /// It could not load or run.
    Error,
}

impl CaseResult {
    /// A result for `id` with nothing measured yet.
    pub fn new(id: &str, kind: &str, description: &str, seed: u64) -> Self {
        Self {
            id: id.to_string(),
            kind: kind.to_string(),
            description: description.to_string(),
            target: String::new(),
            tls_unverified: false,
            started: None,
            seed,
            summary: None,
            verdict: None,
            error: None,
            steps: Vec::new(),
            names: Vec::new(),
            checks: CheckTally::default(),
            refreshes: 0,
            recorded: None,
            levels: Vec::new(),
            breaking_point: None,
            stages: Vec::new(),
            aborted: None,
            schedule: None,
            resources: None,
        }
    }

    /// A case that could not be loaded: `id` names the broken file's entry.
    pub fn broken(id: &str, message: String) -> Self {
        let mut result = Self::new(id, "", "could not load", 0);
        result.error = Some(CaseError {
            stage: Stage::Load,
            message,
        });
        result
    }

    /// How the case ended: an error wins, then the worst verdict of the case and its steps.
    pub fn status(&self) -> Status {
        if self.error.is_some() {
            return Status::Error;
        }
        let worst = self
            .verdict
            .iter()
            .chain(self.steps.iter().chain(&self.names).map(|s| &s.verdict))
            .map(|v| v.outcome)
            .max();
        match worst {
            Some(Outcome::Pass) => Status::Pass,
            Some(Outcome::Inconclusive) => Status::Inconclusive,
            Some(Outcome::Fail) | None => Status::Fail,
        }
    }

    /// The error's message, if the case could not load, run or finish.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.as_str())
    }

    /// True when the case ran and met every bound.
    pub fn passed(&self) -> bool {
        self.status() == Status::Pass
    }

    /// True when the case fails its test: it could not load, run or finish, missed a bound,
    /// measured nothing, or left a bound undecided under `on_inconclusive: fail`. An undecided
    /// bound under `warn` or `pass` does not fail it.
    pub fn fails(&self) -> bool {
        if self.error.is_some() {
            return true;
        }
        let Some(verdict) = &self.verdict else {
            return true;
        };
        verdict.fails()
            || self
                .steps
                .iter()
                .chain(&self.names)
                .any(|s| s.verdict.fails())
    }

    /// True when the case passes its test only because an undecided bound is allowed to
    /// (`on_inconclusive: warn`): the run should say so.
    pub fn warns(&self) -> bool {
        !self.fails()
            && self.status() == Status::Inconclusive
            && self
                .verdict
                .iter()
                .chain(self.steps.iter().chain(&self.names).map(|s| &s.verdict))
                .any(|v| {
                    v.outcome == Outcome::Inconclusive
                        && v.on_inconclusive == crate::thresholds::OnInconclusive::Warn
                })
    }
}
