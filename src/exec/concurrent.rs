//! `concurrent`: `concurrency` requests released at the same instant, `rounds` times.

use std::sync::Arc;

use super::journey::Recorder;
use super::release::release_together;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    count, CaseRun, ExecError, Measurement, Settings as Keys, MAX_REQUESTS_PER_CASE,
    MAX_SIMULTANEOUS,
};
use crate::suite::{Spanned, YamlError};

/// The keys of a concurrent case, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// Requests released together.
    concurrency: Spanned<u64>,
    /// How many times (default 1).
    rounds: Option<Spanned<u64>>,
    /// Open a new connection per request inside the measured span (default false).
    #[serde(default)]
    fresh_connections: bool,
}

/// Settings of a concurrent case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrentPlan {
    /// Requests released together.
    pub concurrency: u64,
    /// How many times (default 1).
    pub rounds: u64,
    /// Open a new connection per request inside the measured span (default: connections are
    /// opened before it).
    pub fresh_connections: bool,
}

impl ConcurrentPlan {
    /// Reads `concurrency` (required), `rounds` and `fresh_connections`.
    pub(super) fn read(keys: &Keys) -> Result<Self, YamlError> {
        let settings: Settings = keys.read()?;
        let concurrency = count(
            keys,
            "concurrency",
            &settings.concurrency,
            1,
            MAX_SIMULTANEOUS,
        )?;
        let rounds = match &settings.rounds {
            Some(r) => count(keys, "rounds", r, 1, MAX_REQUESTS_PER_CASE / concurrency)?,
            None => 1,
        };
        Ok(Self {
            concurrency,
            rounds,
            fresh_connections: settings.fresh_connections,
        })
    }

    /// E.g. `20 concurrent requests x 3 rounds`.
    pub fn describe(&self) -> String {
        let conns = if self.fresh_connections {
            ", fresh connections"
        } else {
            ""
        };
        format!(
            "{} concurrent requests x {} round(s){conns}",
            self.concurrency, self.rounds
        )
    }

    /// The users set up, connections ready; each round their first requests are rendered and
    /// waiting, then released at once. The same users run every round, then are torn down.
    pub async fn run(&self, mut run: CaseRun) -> Result<Measurement, ExecError> {
        let n = self.concurrency as usize;
        let shared = if self.fresh_connections {
            run.target.fresh.clone()
        } else {
            run.target.pooled.clone()
        };
        let mut record = Recorder::new(&run.case);
        let mut users = run.users(n, &shared).await?;
        if self.fresh_connections {
            run.fresh_connections(&mut users);
        } else {
            run.warm(&mut users).await;
        }
        run.restart_clock();
        let run = Arc::new(run);
        for _ in 0..self.rounds {
            let done = release_together(&run, users).await;
            record.round(done.wall, done.spread);
            users = Vec::with_capacity(n);
            for (user, iteration) in done.users {
                record.iteration(&run.case, &iteration);
                users.push(user);
            }
        }
        let elapsed = run.elapsed();
        users.iter().for_each(|u| record.user(u));
        run.release(users).await.map_err(ExecError::Teardown)?;
        Ok(record.finish(run.started_at(), elapsed))
    }
}
