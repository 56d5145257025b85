//! What a run leaves behind, as data: per case what was measured, the verdict, and what went
//! wrong. Reports read these; nothing here formats text for people.

use serde::{Deserialize, Serialize};

use crate::checks::CheckTally;
use crate::record::{Recorded, Resources};
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
    /// Check pass/fail counts of the measured requests, k6 style.
    pub checks: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status.
    pub refreshes: u64,
    /// What was recorded, mergeable: histograms, exact values, causes, the timeline.
    pub recorded: Option<Recorded>,
    /// The managed target's CPU and memory while the case ran, when the suite has a `target`.
    #[serde(default)]
    pub resources: Option<Resources>,
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
            seed,
            summary: None,
            verdict: None,
            error: None,
            steps: Vec::new(),
            checks: CheckTally::default(),
            refreshes: 0,
            recorded: None,
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
            .chain(self.steps.iter().map(|s| &s.verdict))
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
}
