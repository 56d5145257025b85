//! Reports: one file per output format behind the [`Report`] trait, all reading [`CaseReport`]s.

mod console;

use std::io;

pub use console::Console;

use crate::checks::CheckTally;
use crate::stats::Summary;
use crate::units::format_duration;
use crate::verdict::Verdict;

/// Everything known about one case after it ran.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// `suite::case`.
    pub id: String,
    /// What the case did, e.g. `20 concurrent requests x 1 round(s)`.
    pub description: String,
    /// The base URL it ran against.
    pub target: String,
    /// The seed its random data came from.
    pub seed: u64,
    /// Statistics, when the case produced samples.
    pub summary: Option<Summary>,
    /// The judgement against its bounds, when it produced samples.
    pub verdict: Option<Verdict>,
    /// Why it could not run or finish, if so.
    pub error: Option<String>,
    /// Per journey step: `suite::case/step` with its own statistics and verdict.
    pub steps: Vec<StepReport>,
    /// Check pass/fail counts, k6 style.
    pub checks: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status.
    pub refreshes: u64,
}

/// One journey step's statistics and verdict.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// `suite::case/step`.
    pub id: String,
    /// The step's statistics.
    pub summary: Summary,
    /// The step against its bounds.
    pub verdict: Verdict,
}

impl CaseReport {
    /// A report for `id` with nothing measured yet.
    pub fn new(id: &str, description: &str, seed: u64) -> Self {
        Self {
            id: id.to_string(),
            description: description.to_string(),
            target: String::new(),
            seed,
            summary: None,
            verdict: None,
            error: None,
            steps: Vec::new(),
            checks: CheckTally::default(),
            refreshes: 0,
        }
    }
}

impl CaseReport {
    /// True when the case ran and met every bound.
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.verdict.as_ref().is_some_and(Verdict::passed)
            && self.steps.iter().all(|s| s.verdict.passed())
    }

    /// `pass`, `FAIL` or `ERROR`, as shown in tables.
    pub fn status(&self) -> &'static str {
        match (&self.error, self.passed()) {
            (Some(_), _) => "ERROR",
            (None, true) => "pass",
            (None, false) => "FAIL",
        }
    }

    /// The text a failing trial prints: what missed which bound, then what was measured.
    pub fn failure_message(&self) -> String {
        let mut out = String::new();
        if let Some(error) = &self.error {
            out.push_str(&format!("{} could not run: {error}\n", self.id));
        }
        if let Some(verdict) = self.verdict.as_ref().filter(|v| !v.passed()) {
            out.push_str(&format!("{} missed its bounds:\n", self.id));
            for line in verdict.to_string().lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        for step in self.steps.iter().filter(|s| !s.verdict.passed()) {
            out.push_str(&format!("{} missed its bounds:\n", step.id));
            for line in step.verdict.to_string().lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if !self.checks.is_empty() {
            out.push_str("  checks:\n");
            for line in self.checks.render().lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        if self.refreshes > 0 {
            out.push_str(&format!(
                "  fixtures set up again after refresh_on: {}\n",
                self.refreshes
            ));
        }
        if let Some(summary) = &self.summary {
            out.push_str(&format!("  measured: {}\n", one_line(summary)));
        }
        out.push_str(&format!(
            "  case: {}; target {}; seed {}",
            self.description, self.target, self.seed
        ));
        out
    }
}

/// `50 requests, 0 errors, p50 1.2ms, p95 3.4ms, ...` on one line.
pub fn one_line(summary: &Summary) -> String {
    let mut parts = vec![format!(
        "{} requests, {} errors",
        summary.requests, summary.errors
    )];
    if !summary.error_causes.is_empty() {
        let causes: Vec<String> = summary
            .error_causes
            .iter()
            .map(|(c, n)| format!("{c} x{n}"))
            .collect();
        parts.push(format!("({})", causes.join(", ")));
    }
    if let Some(l) = &summary.latency {
        parts.push(format!(
            "min {} mean {} p50 {} p95 {} p99 {} max {}",
            format_duration(l.min),
            format_duration(l.mean),
            format_duration(l.p50),
            format_duration(l.p95),
            format_duration(l.p99),
            format_duration(l.max)
        ));
    }
    if let Some(wall) = summary.wall {
        parts.push(format!("slowest round {}", format_duration(wall)));
    }
    if let Some(rps) = summary.throughput {
        parts.push(format!("{rps:.1} req/s"));
    }
    parts.join(", ")
}

/// An output format.
pub trait Report {
    /// Writes the reports of one run.
    fn write(&self, reports: &[CaseReport], out: &mut dyn io::Write) -> io::Result<()>;
}
