//! Execution: runs a [`CasePlan`] against a [`Target`] and records what it measured.
//!
//! Each case kind is one file here with its `Settings`, its plan's `read` and its `run`; adding a
//! kind means a file, a [`Kind`] variant, a registry line and an arm in each `match` on [`Kind`].

mod body;
mod burst;
mod concurrent;
mod http1;
mod journey;
mod load;
mod once;
mod outgoing;
mod release;
mod request;
mod run;
mod sequential;
mod tasks;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use schemars::{JsonSchema, Schema, SchemaGenerator};

pub use crate::tls::{Tls, TlsOptions, HTTP2_ONLY};
pub use burst::BurstPlan;
pub use concurrent::ConcurrentPlan;
pub use http1::{Connection, Opened};
pub use load::LoadPlan;
pub use once::RunContext;
pub use outgoing::{fast_path, Origin, Outgoing};
pub use request::Response;
pub use run::{CaseRun, User};
pub use sequential::SequentialPlan;

use crate::checks::CheckTally;
use crate::plan::{CasePlan, KindPlan};
use crate::record::Recorded;
use crate::suite::suggest::Suggestion;
use crate::suite::{fields_of, yaml, CaseSpec, KindSettings, Span, Spanned, YamlError};
use crate::verdict::Judged;

/// The system under test: a base URL and the clients that talk to it.
#[derive(Debug)]
pub struct Target {
    /// Base URL paths are joined to, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Shared client with connection reuse.
    pub pooled: reqwest::Client,
    /// Client that opens a new connection for every request.
    pub fresh: reqwest::Client,
    /// The base URL parsed once, when users' own connections can take its paths directly.
    pub origin: Option<Origin>,
    /// The TLS configuration every client and connection of this target uses.
    pub tls: Arc<Tls>,
}

impl Target {
    /// Clients for `base_url`, with the default TLS configuration.
    pub fn new(base_url: &str) -> Result<Self, ExecError> {
        Self::with_tls(base_url, &TlsOptions::default())
    }

    /// Clients for `base_url` that all use the TLS configuration `options` describe; a CA,
    /// certificate or key file that cannot be used is an error naming it.
    pub fn with_tls(base_url: &str, options: &TlsOptions) -> Result<Self, ExecError> {
        let tls = if options.is_default() {
            Tls::shared_default()
        } else {
            Arc::new(Tls::new(options).map_err(ExecError::Client)?)
        };
        let build = |idle: usize| {
            client(&tls)
                .pool_max_idle_per_host(idle)
                .build()
                .map_err(|e| ExecError::Client(e.to_string()))
        };
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            pooled: build(usize::MAX)?,
            fresh: build(0)?,
            origin: Origin::of(base_url),
            tls,
        })
    }

    /// A client of its own with a cookie jar, for one simulated user's session.
    pub fn session_client(&self) -> Result<reqwest::Client, ExecError> {
        client(&self.tls)
            .cookie_store(true)
            .build()
            .map_err(|e| ExecError::Client(e.to_string()))
    }

    /// A user's own HTTP/1.1 connection to this target, with its TLS configuration.
    pub fn connection(&self) -> Connection {
        Connection::with_tls(Arc::clone(&self.tls))
    }
}

/// A reqwest client builder with the target's TLS configuration (so reqwest's requests and
/// the measured connections trust, present and skip the same), `TCP_NODELAY` and a connect
/// timeout.
fn client(tls: &Tls) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_preconfigured_tls((*tls.config).clone())
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
}

/// What a case's measured span produced.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The whole case and each journey step, in series of bounded size (for a sweep, every
    /// level together).
    pub recorded: Recorded,
    /// A sweep's levels in the order they ran, each with what it recorded.
    pub levels: Vec<Level>,
    /// The run stopped early because a bound was missed beyond recovery.
    pub aborted: Option<Aborted>,
    /// Why the numbers say nothing about the target: the load generator itself fell behind.
    pub invalid: Option<String>,
    /// The stages of a ramp, as parts of the measured span.
    pub stages: Vec<StageSpan>,
    /// Check pass/fail counts of the measured requests.
    pub checks: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status (the retried request counts,
    /// the refused one does not).
    pub refreshes: u64,
    /// When the measured span began, on the wall clock: what the recorded offsets count from.
    pub started: SystemTime,
}

/// One level of a sweep: the users or the rate it ran at, and what it recorded.
#[derive(Debug, Clone)]
pub struct Level {
    /// Virtual users (closed model) or iterations per second (open model).
    pub value: f64,
    /// What this level recorded.
    pub recorded: Recorded,
    /// The level stopped early because a bound was missed.
    pub aborted: Option<Aborted>,
}

/// A run stopped early: when, and the bound it had missed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aborted {
    /// Time into the measured span.
    #[serde(rename = "at_ns", with = "crate::units::nanos")]
    pub at: Duration,
    /// The bound missed, with the value measured when the run stopped.
    pub miss: Judged,
}

/// A stage of a ramp: its part of the measured span and where it took the load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageSpan {
    /// Start, from the span's start.
    #[serde(rename = "from_ns", with = "crate::units::nanos")]
    pub from: Duration,
    /// End, from the span's start.
    #[serde(rename = "to_ns", with = "crate::units::nanos")]
    pub to: Duration,
    /// Users or rate at the stage's start.
    pub start: f64,
    /// Users or rate at the stage's end.
    pub target: f64,
}

/// Judges data recorded so far against the case's bounds, for kinds that stop early (abort on
/// fail) or stop a sweep at its breaking point. The pipeline supplies it; execution only asks.
pub trait Gate: Send + Sync {
    /// The first bound `recorded` misses, if any.
    fn missed(&self, recorded: &Recorded) -> Option<Judged>;
}

/// How a long run is doing, for whoever shows it as it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Live {
    /// Time into the measured span.
    pub elapsed: Duration,
    /// The planned span, if the run is set by time.
    pub planned: Option<Duration>,
    /// Requests so far.
    pub requests: u64,
    /// Errors so far.
    pub errors: u64,
    /// The 95th percentile of the latest whole second, if any request succeeded in it.
    pub p95: Option<Duration>,
    /// Requests in the latest whole second.
    pub rate: u64,
}

/// Shown a long run's progress about four times a second; the pipeline supplies it (a
/// progress bar on a terminal, nothing elsewhere).
pub trait Watch: Send + Sync {
    /// The run so far.
    fn tick(&self, live: &Live);
    /// The run is over.
    fn done(&self);
}

impl Watch for Open {
    fn tick(&self, _: &Live) {}
    fn done(&self) {}
}

/// A gate that never closes, for runs that judge only at the end.
#[derive(Debug, Default)]
pub struct Open;

impl Gate for Open {
    fn missed(&self, _: &Recorded) -> Option<Judged> {
        None
    }
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

/// A case ready to run: its plan with its kind.
pub type Case = CasePlan<Kind>;

/// A case kind with its own settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Requests one after another.
    Sequential(SequentialPlan),
    /// Requests released at the same instant.
    Concurrent(ConcurrentPlan),
    /// Rounds of simultaneous requests with fresh data.
    Burst(BurstPlan),
    /// Load over time: virtual users or arrival rates.
    Load(LoadPlan),
}

/// One kind in the registry: its YAML name, the keys its settings type takes, and how it reads
/// them. Adding a kind means a file with its settings and run, a [`Kind`] variant and a line here.
struct Registered {
    name: &'static str,
    keys: fn() -> &'static [&'static str],
    read: fn(&Settings) -> Result<Kind, YamlError>,
    /// The JSON Schema of the kind's own keys, for editors.
    schema: fn(&mut SchemaGenerator) -> Schema,
}

const KINDS: &[Registered] = &[
    Registered {
        name: "sequential",
        keys: fields_of::<sequential::Settings>,
        schema: <sequential::Settings as JsonSchema>::json_schema,
        read: |s| SequentialPlan::read(s).map(Kind::Sequential),
    },
    Registered {
        name: "concurrent",
        keys: fields_of::<concurrent::Settings>,
        schema: <concurrent::Settings as JsonSchema>::json_schema,
        read: |s| ConcurrentPlan::read(s).map(Kind::Concurrent),
    },
    Registered {
        name: "burst",
        keys: fields_of::<burst::Settings>,
        schema: <burst::Settings as JsonSchema>::json_schema,
        read: |s| BurstPlan::read(s).map(Kind::Burst),
    },
    Registered {
        name: "load",
        keys: fields_of::<load::Settings>,
        schema: <load::Settings as JsonSchema>::json_schema,
        read: |s| LoadPlan::read(s).map(Kind::Load),
    },
];

/// Each registered kind's name and the JSON Schema of its own keys (an object whose
/// `properties` are the keys), for the suite file's schema.
pub(crate) fn kind_schemas(generator: &mut SchemaGenerator) -> Vec<(&'static str, Schema)> {
    KINDS
        .iter()
        .map(|kind| (kind.name, (kind.schema)(generator)))
        .collect()
}

/// A case's kind settings with what is needed to word errors about them.
pub struct Settings<'a> {
    /// The keys as written.
    pub keys: &'a KindSettings,
    /// The suite file.
    pub origin: &'a str,
    /// Where in the file the case is (`cases[2]`).
    pub path: String,
}

impl Settings<'_> {
    /// The settings read into a kind's own serde type.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, YamlError> {
        yaml::from_node_at(&self.keys.node(), self.origin, &self.path)
    }

    /// An error at a value of these settings.
    pub fn error(&self, span: Span, message: impl Into<String>) -> YamlError {
        YamlError::new(
            self.origin,
            span,
            format!("{}: {}", self.path, message.into()),
        )
    }
}

impl Kind {
    /// Reads a case's kind and that kind's own keys; a key that belongs to another kind, or to
    /// none, is an error at that key.
    pub fn from_spec(case: &CaseSpec, origin: &str, index: usize) -> Result<Self, YamlError> {
        let path = format!("cases[{index}]");
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        let Some(kind) = KINDS.iter().find(|k| k.name == case.kind.as_str()) else {
            let hint = Suggestion::of(&case.kind, &names);
            let message = format!(
                "{path}.kind: unknown kind `{}`{hint} (expected one of {})",
                case.kind.as_str(),
                quoted(&names)
            );
            return Err(YamlError::new(origin, case.kind.span, message));
        };
        let own = (kind.keys)();
        for (key, _) in &case.settings.entries {
            if own.contains(&key.as_str()) {
                continue;
            }
            let owners: Vec<&str> = KINDS
                .iter()
                .filter(|k| (k.keys)().contains(&key.as_str()))
                .map(|k| k.name)
                .collect();
            let message = if owners.is_empty() {
                let mut known: Vec<&str> = own.to_vec();
                known.extend(fields_of::<CaseSpec>());
                let hint = Suggestion::of(key, &known);
                format!(
                    "unknown key `{}`{hint} (kind `{}` takes {}; every case takes {})",
                    key.as_str(),
                    kind.name,
                    quoted(own),
                    quoted(fields_of::<CaseSpec>())
                )
            } else {
                format!(
                    "`{}` does not apply to kind `{}` (it is for {}); `{}` takes: {}",
                    key.as_str(),
                    kind.name,
                    owners.join(", "),
                    kind.name,
                    own.join(", ")
                )
            };
            return Err(YamlError::new(
                origin,
                key.span,
                format!("{path}: {message}"),
            ));
        }
        (kind.read)(&Settings {
            keys: &case.settings,
            origin,
            path,
        })
    }

    /// True for a sweep that ends at its first level that misses a bound.
    pub fn stops_at_miss(&self) -> bool {
        matches!(self, Kind::Load(p) if p.stop_at_miss && !p.levels.is_empty())
    }

    /// How many measured requests the case sends.
    pub fn planned_requests(&self) -> u64 {
        match self {
            Kind::Sequential(p) => p.iterations,
            Kind::Concurrent(p) => p.concurrency * p.rounds,
            Kind::Burst(p) => p.size * p.rounds,
            // Set by time, not by count.
            Kind::Load(_) => 0,
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl KindPlan for Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Sequential(_) => "sequential",
            Kind::Concurrent(_) => "concurrent",
            Kind::Burst(_) => "burst",
            Kind::Load(p) => p.name(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Kind::Sequential(p) => p.describe(),
            Kind::Concurrent(p) => p.describe(),
            Kind::Burst(p) => p.describe(),
            Kind::Load(p) => p.describe(),
        }
    }

    fn has_rounds(&self) -> bool {
        matches!(self, Kind::Concurrent(_) | Kind::Burst(_))
    }

    fn takes_scenarios(&self) -> bool {
        matches!(self, Kind::Load(_))
    }

    fn planned_duration(&self) -> Option<Duration> {
        match self {
            Kind::Load(p) => p.planned_duration(),
            _ => None,
        }
    }
}

/// Largest number of requests one case may send: memory no longer grows with requests, but a
/// typo (an extra zero or three) should not start a flood the case timeout must stop.
pub const MAX_REQUESTS_PER_CASE: u64 = 100_000_000;
/// Largest number of requests released at once.
pub const MAX_SIMULTANEOUS: u64 = 10_000;

/// Checks a count read from YAML: at least `min`, at most `max`, else an error at the value.
pub(crate) fn count(
    settings: &Settings,
    key: &str,
    value: &Spanned<u64>,
    min: u64,
    max: u64,
) -> Result<u64, YamlError> {
    let n = value.value;
    if n < min || n > max {
        return Err(settings.error(
            value.span,
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
    gate: Arc<dyn Gate>,
    watch: Arc<dyn Watch>,
) -> Result<Measurement, ExecError> {
    let bound = case.case_timeout;
    let mut run = CaseRun::new(Arc::clone(&case), Arc::clone(&target), Arc::clone(&context));
    run.gate = gate;
    run.watch = watch;
    let tasks = Arc::clone(&run.tasks);
    run.note_case_secrets();
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
                    Kind::Load(p) => p.run(run).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        let spec = crate::suite::parse_str(text, "suites/t.yaml").unwrap();
        Kind::from_spec(&spec.cases[0], "suites/t.yaml", 0)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_case_key_suggests_the_nearest() {
        let e = err("cases:\n  - name: a\n    kind: sequential\n    iteration: 5\n    request: { path: / }\n");
        assert!(
            e.starts_with(
                "suites/t.yaml:4:5: cases[0]: unknown key `iteration`, did you mean `iterations`?"
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_kind_is_named() {
        let e = err("cases:\n  - name: a\n    kind: sequental\n    request: { path: / }\n");
        assert!(
            e.contains("unknown kind `sequental`, did you mean `sequential`?"),
            "{e}"
        );
        assert!(e.starts_with("suites/t.yaml:3:11:"), "{e}");
    }

    #[test]
    fn a_key_of_another_kind_names_its_owner_at_the_key() {
        let e = err("cases:\n  - name: a\n    kind: sequential\n    iterations: 1\n    size: 3\n    request: { path: / }\n");
        assert_eq!(
            e,
            "suites/t.yaml:5:5: cases[0]: `size` does not apply to kind `sequential` (it is for \
             burst); `sequential` takes: iterations, warmup"
        );
    }

    #[test]
    fn counts_out_of_range_point_at_the_value() {
        let e =
            err("cases:\n  - name: a\n    kind: burst\n    size: 0\n    request: { path: / }\n");
        assert_eq!(
            e,
            "suites/t.yaml:4:11: cases[0]: `size: 0` is out of range; use 1 to 10000"
        );
        let e = err("cases:\n  - name: a\n    kind: concurrent\n    request: { path: / }\n");
        assert!(e.contains("missing key `concurrency`"), "{e}");
    }
}
