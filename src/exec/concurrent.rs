//! `concurrent`: `concurrency` requests released at the same instant, `rounds` times.

use std::sync::Arc;

use super::release::{release_together, warm_connections};
use super::{count, CaseRun, KindError, MAX_REQUESTS_PER_CASE, MAX_SIMULTANEOUS};
use crate::sample::Samples;
use crate::suite::CaseSpec;

/// The keys this kind reads.
pub const KEYS: &[&str] = &["concurrency", "rounds", "fresh_connections"];

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
    pub fn from_spec(spec: &CaseSpec) -> Result<Self, KindError> {
        let concurrency = count("concurrency", spec.concurrency, None, 1, MAX_SIMULTANEOUS)?;
        let rounds = count(
            "rounds",
            spec.rounds,
            Some(1),
            1,
            MAX_REQUESTS_PER_CASE / concurrency,
        )?;
        Ok(Self {
            concurrency,
            rounds,
            fresh_connections: spec.fresh_connections.unwrap_or(false),
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

    /// Each round: connections ready, all requests rendered and waiting, then one release.
    pub async fn run(&self, mut run: CaseRun) -> Samples {
        let n = self.concurrency as usize;
        let client = if self.fresh_connections {
            run.target.fresh.clone()
        } else {
            run.target.pooled.clone()
        };
        if !self.fresh_connections {
            warm_connections(&run, &client, n).await;
        }
        run.restart_clock();
        let run = Arc::new(run);
        let mut samples = Samples {
            requests: Vec::with_capacity(n * self.rounds as usize),
            ..Samples::default()
        };
        for _ in 0..self.rounds {
            let round = release_together(&run, &client, n).await;
            samples.requests.extend(round.samples);
            samples.rounds.push(round.wall);
        }
        samples.elapsed = run.elapsed();
        samples
    }
}
