//! `sequential`: `iterations` requests one after another, after `warmup` unmeasured ones.

use super::{count, CaseRun, KindError, MAX_REQUESTS_PER_CASE};
use crate::sample::Samples;
use crate::suite::CaseSpec;

/// The keys this kind reads.
pub const KEYS: &[&str] = &["iterations", "warmup"];

/// Settings of a sequential case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequentialPlan {
    /// Measured requests.
    pub iterations: u64,
    /// Unmeasured requests sent first.
    pub warmup: u64,
}

impl SequentialPlan {
    /// Reads `iterations` (required) and `warmup` (default 0).
    pub fn from_spec(spec: &CaseSpec) -> Result<Self, KindError> {
        Ok(Self {
            iterations: count(
                "iterations",
                spec.iterations,
                None,
                1,
                MAX_REQUESTS_PER_CASE,
            )?,
            warmup: count("warmup", spec.warmup, Some(0), 0, MAX_REQUESTS_PER_CASE)?,
        })
    }

    /// E.g. `50 sequential requests after 5 warm-up`.
    pub fn describe(&self) -> String {
        format!(
            "{} sequential requests after {} warm-up",
            self.iterations, self.warmup
        )
    }

    /// Warm-up, then the measured requests one at a time over one pooled connection.
    pub async fn run(&self, mut run: CaseRun) -> Samples {
        let client = run.target.pooled.clone();
        for _ in 0..self.warmup {
            run.once(&client).await;
        }
        run.restart_clock();
        let mut requests = Vec::with_capacity(self.iterations as usize);
        for _ in 0..self.iterations {
            requests.push(run.once(&client).await);
        }
        Samples {
            requests,
            rounds: Vec::new(),
            elapsed: run.elapsed(),
        }
    }
}
