//! `sequential`: `iterations` requests one after another, after `warmup` unmeasured ones.

use schemars::JsonSchema;
use serde::Deserialize;

use super::journey::Recorder;
use super::{count, CaseRun, ExecError, Measurement, Settings as Keys, MAX_REQUESTS_PER_CASE};
use crate::suite::{Spanned, YamlError};

/// The keys of a sequential case, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// Measured requests.
    iterations: Spanned<u64>,
    /// Unmeasured requests sent first (default 0).
    warmup: Option<Spanned<u64>>,
}

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
    pub(super) fn read(keys: &Keys) -> Result<Self, YamlError> {
        let settings: Settings = keys.read()?;
        let warmup = match &settings.warmup {
            Some(w) => count(keys, "warmup", w, 0, MAX_REQUESTS_PER_CASE)?,
            None => 0,
        };
        Ok(Self {
            iterations: count(
                keys,
                "iterations",
                &settings.iterations,
                1,
                MAX_REQUESTS_PER_CASE,
            )?,
            warmup,
        })
    }

    /// E.g. `50 sequential requests after 5 warm-up`.
    pub fn describe(&self) -> String {
        format!(
            "{} sequential requests after {} warm-up",
            self.iterations, self.warmup
        )
    }

    /// One user: set-up, warm-up, then the measured iterations one at a time over one
    /// reused connection, then tear-down.
    pub async fn run(&self, mut run: CaseRun) -> Result<Measurement, ExecError> {
        let shared = run.target.pooled.clone();
        let mut users = run.users(1, &shared).await?;
        let mut user = users
            .pop()
            .ok_or_else(|| ExecError::Setup("no user".into()))?;
        let warm_up = async {
            for _ in 0..self.warmup {
                let prepared = run.prepare(&user);
                run.iterate(&mut user, prepared).await;
            }
        };
        run.aside(self.iterations, warm_up).await;
        user.tally = Default::default();
        user.refreshes = 0;
        run.restart_clock();
        let mut record = Recorder::new(&run.case);
        for _ in 0..self.iterations {
            let prepared = run.prepare(&user);
            let iteration = run.iterate(&mut user, prepared).await;
            record.iteration(&run.case, &iteration);
        }
        let elapsed = run.elapsed();
        record.user(&user);
        run.release(vec![user]).await.map_err(ExecError::Teardown)?;
        Ok(record.finish(run.started_at(), elapsed))
    }
}
