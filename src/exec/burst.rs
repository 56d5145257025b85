//! `burst`: `size` requests fired at once per round with fresh data, `rounds` rounds `interval` apart.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use super::journey::Recorder;
use super::release::release_together;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    count, CaseRun, ExecError, Measurement, Settings as Keys, MAX_REQUESTS_PER_CASE,
    MAX_SIMULTANEOUS,
};
use crate::suite::{HumanDuration, Spanned, YamlError};

/// The keys of a burst case, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// Requests fired at once per round.
    size: Spanned<u64>,
    /// Number of rounds (default 1).
    rounds: Option<Spanned<u64>>,
    /// From one round's start to the next one's (default 0).
    interval: Option<Spanned<HumanDuration>>,
}

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
    pub(super) fn read(keys: &Keys) -> Result<Self, YamlError> {
        let settings: Settings = keys.read()?;
        let size = count(keys, "size", &settings.size, 1, MAX_SIMULTANEOUS)?;
        let rounds = match &settings.rounds {
            Some(r) => count(keys, "rounds", r, 1, MAX_REQUESTS_PER_CASE / size)?,
            None => 1,
        };
        let interval = settings.interval.as_ref().map_or(Duration::ZERO, |d| d.0);
        if let Some(given) = settings
            .interval
            .as_ref()
            .filter(|_| interval > MAX_INTERVAL)
        {
            return Err(keys.error(
                given.span,
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
        let mut record = Recorder::new(&run.case);
        run.restart_clock();
        let run = Arc::new(run);
        let first = Instant::now();
        let mut open = Vec::with_capacity(n);
        for round in 0..self.rounds {
            if let Some(at) = self
                .interval
                .checked_mul(round as u32)
                .and_then(|d| first.checked_add(d))
            {
                sleep_until(at).await;
            }
            let mut users = run.users(n, &shared).await?;
            // A round's new users take the connections the last round's left open, as users of
            // one client pool would: a burst measures the requests, not a connect each.
            for (user, connection) in users.iter_mut().zip(open.drain(..)) {
                if user.connection.is_some() {
                    user.connection = Some(connection);
                }
            }
            let done = release_together(&run, users).await;
            record.round(done.wall, done.spread);
            let mut back = Vec::with_capacity(n);
            for (mut user, iteration) in done.users {
                record.iteration(&run.case, &iteration);
                record.user(&user);
                open.extend(user.connection.take());
                back.push(user);
            }
            run.release(back).await.map_err(ExecError::Teardown)?;
        }
        Ok(record.finish(run.started_at(), run.elapsed()))
    }
}
