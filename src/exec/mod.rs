//! Execution: runs a [`CasePlan`] against a [`Target`] and returns its [`Samples`].
//!
//! Each case kind is one file here with its settings type (`from_spec`) and its `run`; adding a
//! kind means adding a file, a [`Kind`] variant and its keys in [`KIND_KEYS`].

mod burst;
mod concurrent;
mod journey;
mod once;
mod release;
mod request;
mod run;
mod sequential;
mod tasks;
mod users;

use std::sync::Arc;
use std::time::Duration;

pub use burst::BurstPlan;
pub use concurrent::ConcurrentPlan;
pub use journey::{Iteration, Prepared, Recorder};
pub use once::RunContext;
pub use request::{classify, Response};
pub use run::{CaseRun, Exchanged, User};
pub use sequential::SequentialPlan;

use crate::checks::CheckTally;
pub use crate::plan::KindError;
use crate::plan::{CasePlan, KindPlan};
use crate::sample::Samples;
use crate::suite::{CaseSpec, KindName};

/// The system under test: a base URL and the clients that talk to it.
#[derive(Debug)]
pub struct Target {
    /// Base URL paths are joined to, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Shared client with connection reuse.
    pub pooled: reqwest::Client,
    /// Client that opens a new connection for every request.
    pub fresh: reqwest::Client,
}

impl Target {
    /// Clients for `base_url`.
    pub fn new(base_url: &str) -> Result<Self, ExecError> {
        let build = |idle: usize| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(idle)
                .tcp_nodelay(true)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| ExecError::Client(e.to_string()))
        };
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            pooled: build(usize::MAX)?,
            fresh: build(0)?,
        })
    }

    /// A client of its own with a cookie jar, for one simulated user's session.
    pub fn session_client(&self) -> Result<reqwest::Client, ExecError> {
        reqwest::Client::builder()
            .cookie_store(true)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ExecError::Client(e.to_string()))
    }
}

/// What a case's measured span produced.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    /// One sample per iteration: the request, or the whole journey.
    pub samples: Samples,
    /// Per journey step, by step name (empty for single-request cases).
    pub steps: Vec<(String, Samples)>,
    /// Check pass/fail counts of the measured requests.
    pub checks: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status (the retried request counts,
    /// the refused one does not).
    pub refreshes: u64,
}

/// Why a case could not produce its samples.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecError {
    /// The case ran past its bound.
    #[error("case did not finish within {0:?} (its case_timeout); the target may be hanging")]
    CaseTimeout(Duration),
    /// The HTTP client could not be set up.
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
    /// A fixture's set-up failed, so nothing was measured.
    #[error("{0}")]
    Setup(String),
    /// A fixture's tear-down failed after the case ran.
    #[error("{0}")]
    Teardown(String),
}

/// A case kind with its own settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Requests one after another.
    Sequential(SequentialPlan),
    /// Requests released at the same instant.
    Concurrent(ConcurrentPlan),
    /// Rounds of simultaneous requests with fresh data.
    Burst(BurstPlan),
}

/// A case ready to run: its plan with its kind.
pub type Case = CasePlan<Kind>;

/// Which case keys belong to which kind, so a key given to the wrong kind is an error.
const KIND_KEYS: &[(KindName, &[&str])] = &[
    (KindName::Sequential, sequential::KEYS),
    (KindName::Concurrent, concurrent::KEYS),
    (KindName::Burst, burst::KEYS),
];

impl Kind {
    /// Reads a case's kind-specific settings.
    pub fn from_spec(spec: &CaseSpec) -> Result<Self, KindError> {
        let own = KIND_KEYS
            .iter()
            .find(|(k, _)| *k == spec.kind)
            .map_or(&[][..], |(_, keys)| *keys);
        for (key, set) in given_keys(spec) {
            if set && !own.contains(&key) {
                let owners: Vec<&str> = KIND_KEYS
                    .iter()
                    .filter(|(_, keys)| keys.contains(&key))
                    .map(|(k, _)| k.as_str())
                    .collect();
                return Err(KindError::new(
                    key,
                    format!(
                        "`{key}` does not apply to kind `{}` (it is for {}); `{}` takes: {}",
                        spec.kind.as_str(),
                        owners.join(", "),
                        spec.kind.as_str(),
                        own.join(", ")
                    ),
                ));
            }
        }
        Ok(match spec.kind {
            KindName::Sequential => Kind::Sequential(SequentialPlan::from_spec(spec)?),
            KindName::Concurrent => Kind::Concurrent(ConcurrentPlan::from_spec(spec)?),
            KindName::Burst => Kind::Burst(BurstPlan::from_spec(spec)?),
        })
    }

    /// How many measured requests the case sends.
    pub fn planned_requests(&self) -> u64 {
        match self {
            Kind::Sequential(p) => p.iterations,
            Kind::Concurrent(p) => p.concurrency * p.rounds,
            Kind::Burst(p) => p.size * p.rounds,
        }
    }
}

impl KindPlan for Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Sequential(_) => KindName::Sequential.as_str(),
            Kind::Concurrent(_) => KindName::Concurrent.as_str(),
            Kind::Burst(_) => KindName::Burst.as_str(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Kind::Sequential(p) => p.describe(),
            Kind::Concurrent(p) => p.describe(),
            Kind::Burst(p) => p.describe(),
        }
    }

    fn has_rounds(&self) -> bool {
        !matches!(self, Kind::Sequential(_))
    }
}

fn given_keys(spec: &CaseSpec) -> [(&'static str, bool); 7] {
    [
        ("iterations", spec.iterations.is_some()),
        ("warmup", spec.warmup.is_some()),
        ("concurrency", spec.concurrency.is_some()),
        ("rounds", spec.rounds.is_some()),
        ("fresh_connections", spec.fresh_connections.is_some()),
        ("size", spec.size.is_some()),
        ("interval", spec.interval.is_some()),
    ]
}

/// Largest number of requests one case may send, so a typo cannot start an unbounded flood.
pub const MAX_REQUESTS_PER_CASE: u64 = 1_000_000;
/// Largest number of requests released at once.
pub const MAX_SIMULTANEOUS: u64 = 10_000;

/// Checks a count from YAML: present, at least `min`, at most `max`.
pub(crate) fn count(
    key: &'static str,
    value: Option<u64>,
    default: Option<u64>,
    min: u64,
    max: u64,
) -> Result<u64, KindError> {
    let n = value.or(default).ok_or_else(|| {
        KindError::new(
            key,
            format!("missing `{key}`: how many (a whole number, at least {min})"),
        )
    })?;
    if n < min || n > max {
        return Err(KindError::new(
            key,
            format!("`{key}: {n}` is out of range; use {min} to {max}"),
        ));
    }
    Ok(n)
}

/// Runs one case: once- and case-scoped fixtures set up, the kind's measured span within the
/// case's bound, then case-scoped tear-down (also after a failure).
pub async fn execute(
    case: Arc<Case>,
    target: Arc<Target>,
    context: Arc<RunContext>,
) -> Result<Measurement, ExecError> {
    let bound = case.case_timeout;
    let mut run = CaseRun::new(Arc::clone(&case), Arc::clone(&target), Arc::clone(&context));
    let tasks = Arc::clone(&run.tasks);
    run.set_up_once().await?;
    let (set_up, failure) = run.set_up_case().await;
    let mut teardown_run = CaseRun::new(Arc::clone(&case), target, context);
    teardown_run.vars = run.vars.clone();
    let result = match failure {
        Some(e) => Err(ExecError::Setup(e)),
        None => {
            let work = async move {
                match &case.kind {
                    Kind::Sequential(p) => p.run(run).await,
                    Kind::Concurrent(p) => p.run(run).await,
                    Kind::Burst(p) => p.run(run).await,
                }
            };
            let result = tokio::time::timeout(bound, work).await;
            // Whatever is still in flight is cancelled, and its connection closed, before the
            // tear-down and the next case.
            tasks.cancel().await;
            result.unwrap_or(Err(ExecError::CaseTimeout(bound)))
        }
    };
    let teardown = teardown_run.tear_down_case(&set_up).await;
    match (result, teardown) {
        (Ok(_), Err(e)) => Err(ExecError::Teardown(e)),
        (result, _) => result,
    }
}
