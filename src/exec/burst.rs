//! `burst`: `size` requests fired at once per round with fresh data, `rounds` rounds `interval` apart.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use super::journey::Recorder;
use super::release::release_together;
use super::{
    count, CaseRun, ExecError, KindError, Measurement, MAX_REQUESTS_PER_CASE, MAX_SIMULTANEOUS,
};
use crate::suite::CaseSpec;

/// The keys this kind reads.
pub const KEYS: &[&str] = &["size", "rounds", "interval"];

/// Longest pause between bursts.
const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// Settings of a burst case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstPlan {
    /// Requests fired at once per round.
    pub size: u64,
    /// Number of rounds (default 1).
    pub rounds: u64,
    /// From one round's start to the next one's (default 0: back to back). A round that takes
    /// longer is followed at once by the next.
    pub interval: Duration,
}

impl BurstPlan {
    /// Reads `size` (required), `rounds` and `interval`.
    pub fn from_spec(spec: &CaseSpec) -> Result<Self, KindError> {
        let size = count("size", spec.size, None, 1, MAX_SIMULTANEOUS)?;
        let rounds = count(
            "rounds",
            spec.rounds,
            Some(1),
            1,
            MAX_REQUESTS_PER_CASE / size,
        )?;
        let interval = spec.interval.map_or(Duration::ZERO, |d| d.0);
        if interval > MAX_INTERVAL {
            return Err(KindError::new(
                "interval",
                "`interval` is over an hour; bursts this far apart belong in a soak test",
            ));
        }
        Ok(Self {
            size,
            rounds,
            interval,
        })
    }

    /// E.g. `bursts of 10 x 3 rounds, 500ms apart`.
    pub fn describe(&self) -> String {
        format!(
            "bursts of {} x {} round(s), {} apart",
            self.size,
            self.rounds,
            crate::units::format_duration(self.interval)
        )
    }

    /// Fires each round on schedule with new users; every request renders its own data.
    /// Per-user set-up happens before a round's release and is not part of its wall time.
    pub async fn run(&self, mut run: CaseRun) -> Result<Measurement, ExecError> {
        let n = self.size as usize;
        let shared = run.target.pooled.clone();
        let mut record = Recorder::new(&run.case, n * self.rounds as usize);
        run.restart_clock();
        let run = Arc::new(run);
        let first = Instant::now();
        for round in 0..self.rounds {
            if let Some(at) = self
                .interval
                .checked_mul(round as u32)
                .and_then(|d| first.checked_add(d))
            {
                sleep_until(at).await;
            }
            let users = run.users(n, &shared).await?;
            let done = release_together(&run, users).await;
            record.round(done.wall);
            let mut back = Vec::with_capacity(n);
            for (user, iteration) in done.users {
                record.iteration(iteration);
                record.user(&user);
                back.push(user);
            }
            run.release(back).await.map_err(ExecError::Teardown)?;
        }
        Ok(record.finish(run.elapsed()))
    }
}
