//! Serde types for suite files.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use std::path::PathBuf;

use super::node::Node;
use super::raw::Raw;
use super::rules::Rules;
use super::span::{Span, Spanned};
use super::trust::Adaptive;
use super::values::{ByteSize, HumanDuration};

/// A YAML/JSON value as written; templated strings are compiled later.
pub type Json = serde_json::Value;

/// One suite file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuiteSpec {
    /// The suite's name, the first half of every case's `suite::case` id. Defaults to the file stem.
    pub suite: Option<Spanned<String>>,
    /// Free text shown in listings.
    pub description: Option<String>,
    /// Target for this suite when `PERF_BASE_URL` is not set.
    pub base_url: Option<String>,
    /// The system under test, started for the suite (or attached to by pid) and sampled for
    /// CPU and memory while each case runs.
    pub target: Option<Spanned<TargetSpec>>,
    /// TLS for `https://` targets: a CA bundle, a client certificate, skipping verification,
    /// the server name. The command line's `--cacert`, `--cert`, `--key`, `--insecure` and
    /// `--servername` win over it.
    pub tls: Option<Spanned<TlsSpec>>,
    /// Seed for random data, so a run's data can be reproduced.
    pub seed: Option<u64>,
    /// Request settings every case starts from.
    #[serde(default)]
    pub defaults: RequestDefaults,
    /// Named data factories, used as `{{ factory.NAME }}`.
    #[serde(default)]
    pub factories: BTreeMap<String, Spanned<Json>>,
    /// Data files (CSV or JSON) used as `{{ data.NAME.column }}`.
    #[serde(default)]
    pub data: BTreeMap<String, Spanned<DataSpec>>,
    /// Named set-up/tear-down fixtures that cases request with `use:`.
    #[serde(default)]
    pub fixtures: BTreeMap<String, Spanned<FixtureSpec>>,
    /// The performance cases as written; [`SuiteSpec::cases`] holds them read.
    #[serde(rename = "cases")]
    pub case_nodes: Vec<Raw>,
    /// The performance cases, read from `case_nodes` by the loader (each case's common keys
    /// here, its kind's own keys kept for the kind to read).
    #[serde(skip)]
    pub cases: Vec<CaseSpec>,
}

/// Suite-wide request settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestDefaults {
    /// Headers added to every request (a case's own headers win).
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// Per-request timeout (default 30s).
    pub timeout: Option<Spanned<HumanDuration>>,
    /// What every response must satisfy unless a case says otherwise.
    pub expect: Option<Spanned<ExpectSpec>>,
    /// Upper bound on one case's whole run (default 120s).
    pub case_timeout: Option<Spanned<HumanDuration>>,
    /// The most of one response body kept for checks and extractions (default 10MiB); bodies
    /// are always read to the end and counted, and kept only when a check or extraction
    /// needs them.
    pub max_body: Option<ByteSize>,
}

/// One performance case as written: the keys every case takes. The keys of its kind
/// (`iterations`, `concurrency`, ...) are kept in [`CaseSpec::settings`] for the kind to read with
/// a serde type of its own.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// Unique within the suite; the second half of the `suite::case` id.
    pub name: Spanned<String>,
    /// Free text shown in listings.
    pub description: Option<String>,
    /// How the requests are issued: the name of a kind.
    pub kind: Spanned<String>,
    /// Run only with `-- --ignored` (stress cases, slow cases).
    #[serde(default)]
    pub ignore: bool,
    /// Labels that select the case (`PERF_TAGS=auth`, a profile's `only_tags`) and give it the
    /// bounds of `thresholds.yaml`'s `tags:` rules, e.g. `[auth, read]`.
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    /// The measured request (or give `steps`).
    pub request: Option<Spanned<RequestSpec>>,
    /// Checks on the measured request's response.
    #[serde(default)]
    pub checks: Vec<Spanned<CheckSpec>>,
    /// A measured journey: requests in order, each with its own metrics.
    pub steps: Option<Spanned<Vec<StepSpec>>>,
    /// Several weighted scenarios, one picked per iteration (load cases only), like Locust's
    /// weighted tasks; instead of `request` or `steps`.
    pub scenarios: Option<Spanned<Vec<ScenarioSpec>>>,
    /// Fixtures this case requests, set up in this order.
    #[serde(default, rename = "use")]
    pub uses: Vec<Spanned<String>>,
    /// Give each simulated user a cookie jar of its own.
    pub cookies: Option<bool>,
    /// Bounds carried by the case itself; they win over `thresholds.yaml`.
    pub thresholds: Option<Spanned<Rules>>,
    /// Upper bound on this case's whole run (each round of an `adaptive` case).
    pub case_timeout: Option<Spanned<HumanDuration>>,
    /// Run the case again in rounds, merging what each measured, until every bound judged with
    /// `confidence` is decided or `max_requests` is reached.
    pub adaptive: Option<Spanned<Adaptive>>,
    /// The keys of the case's kind, as written.
    #[serde(skip)]
    pub settings: KindSettings,
    /// Where the case's mapping starts.
    #[serde(skip)]
    pub span: Span,
}

/// One weighted scenario of a load case: a request or a journey, picked for an iteration with
/// a probability proportional to its weight.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Unique within the case; its metrics are `suite::case/name`.
    pub name: Spanned<String>,
    /// Relative share of iterations (default 1).
    pub weight: Option<Spanned<u32>>,
    /// Pause after each of this scenario's iterations, over the case's `think_time`.
    pub think_time: Option<Spanned<ThinkTime>>,
    /// The measured request (or give `steps`).
    pub request: Option<Spanned<RequestSpec>>,
    /// Checks on the measured request's response.
    #[serde(default)]
    pub checks: Vec<Spanned<CheckSpec>>,
    /// A measured journey.
    pub steps: Option<Spanned<Vec<StepSpec>>>,
}

/// A pause between a virtual user's iterations: a fixed time (`1s`), or uniform in a range
/// (`{ between: [1s, 3s] }`), like Locust's `constant` and `between`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ThinkTime {
    /// Always this long.
    Constant(HumanDuration),
    /// Uniformly random between the two.
    Between {
        /// The shortest and the longest pause.
        between: [HumanDuration; 2],
    },
}

/// The keys a case gives its kind, kept with their positions until the kind reads them.
#[derive(Debug, Clone, Default)]
pub struct KindSettings {
    /// The keys and values, in file order.
    pub entries: Vec<(Spanned<String>, Spanned<Node>)>,
    /// Where the case's mapping starts (for errors about keys that are missing).
    pub span: Span,
}

impl KindSettings {
    /// The settings as one mapping, for a kind's own serde type to read.
    pub fn node(&self) -> Spanned<Node> {
        Spanned::new(Node::Map(self.entries.clone()), self.span)
    }
}

/// An HTTP request as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The name its metrics are grouped under across URLs (`GET /tasks/{id}`), with bounds of
    /// its own as `suite::case/NAME`.
    pub name: Option<String>,
    /// HTTP method (default GET).
    pub method: Option<Spanned<String>>,
    /// Path joined to the base URL.
    pub path: Option<Spanned<String>>,
    /// Absolute URL, instead of `path`.
    pub url: Option<Spanned<String>>,
    /// Request headers (templated values).
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// Query parameters (templated values).
    #[serde(default)]
    pub query: BTreeMap<String, Spanned<Json>>,
    /// JSON body (templated strings); sets `content-type: application/json`.
    pub json: Option<Spanned<Json>>,
    /// Raw body text (templated).
    pub body: Option<Spanned<String>>,
    /// Per-request timeout.
    pub timeout: Option<Spanned<HumanDuration>>,
    /// What the response must satisfy.
    pub expect: Option<Spanned<ExpectSpec>>,
}

/// Expectations on a response.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// Accepted status: `201`, `[200, 201]`, `2xx` (default: any 2xx).
    pub status: Option<StatusSpec>,
}

/// Accepted statuses as written: a code, a class like `4xx`, or a list of either.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusSpec {
    /// One code, e.g. `201`.
    Code(u16),
    /// A class (`2xx`) or a code written as a string (`"201"`).
    Text(String),
    /// Any of several.
    List(Vec<StatusSpec>),
}

/// When a fixture's set-up runs, as pytest's fixture scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FixtureScope {
    /// Once per run, on first use; torn down at the end of the run.
    Once,
    /// Once per case that uses it, before its measured span (the default).
    #[default]
    Case,
    /// Once per simulated user: each of N concurrent users gets its own.
    PerUser,
}

/// A named fixture: variables, set-up steps and tear-down steps, or a fixture written in Rust.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixtureSpec {
    /// When it runs (default `case`).
    #[serde(default)]
    pub scope: FixtureScope,
    /// Variables rendered once per fixture instance, before its steps (e.g. a username used
    /// by both register and login).
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<Json>>,
    /// Unmeasured requests run before the case; their extractions become variables.
    #[serde(default)]
    pub setup: Vec<StepSpec>,
    /// Unmeasured requests run after the case, even when it failed.
    #[serde(default)]
    pub teardown: Vec<StepSpec>,
    /// Statuses of a measured request that make the fixture set up again and retry once
    /// (e.g. `401` for an expired token).
    pub refresh_on: Option<Spanned<StatusSpec>>,
    /// The name of a set-up fixture registered from Rust, instead of `setup` steps.
    pub rust: Option<Spanned<String>>,
}

/// One request of a fixture or a journey.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// The step's name: in messages, and `suite::case/name` for a journey step's metrics.
    pub name: Option<Spanned<String>>,
    /// The request.
    pub request: Spanned<RequestSpec>,
    /// Values taken from the response into variables.
    #[serde(default)]
    pub extract: BTreeMap<String, Spanned<ExtractSpec>>,
    /// Checks on the response.
    #[serde(default)]
    pub checks: Vec<Spanned<CheckSpec>>,
}

/// One `checks:` entry as written: exactly one subject (`status`, `header`, `json`,
/// `body_contains`, `rust`), the operators that fit it, and an optional label.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// The label in reports; generated from the check when absent.
    pub name: Option<String>,
    /// Accepted statuses: `201`, `"2xx"`, `[200, 201]`.
    pub status: Option<StatusSpec>,
    /// A response header; alone, it must be present.
    pub header: Option<String>,
    /// A JSON pointer or `$` JSONPath into the body; alone, the value must exist.
    pub json: Option<String>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
    /// The name of a check registered from Rust.
    pub rust: Option<String>,
    /// `true`: the header or JSON value is present; `false`: it is absent.
    pub exists: Option<bool>,
    /// The header text, or the JSON value, equals this.
    pub equals: Option<Json>,
    /// The header text, or the JSON string, contains this.
    pub contains: Option<String>,
    /// The header text, or the JSON string, matches this regex.
    pub matches: Option<String>,
    /// The JSON number is at least this.
    pub min: Option<f64>,
    /// The JSON number is at most this.
    pub max: Option<f64>,
}

/// One `extract:` entry as written: exactly one source, and an optional secrecy override.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractSpec {
    /// A JSON pointer (`/data/token`) or JSONPath (`$.data.token`) into the body.
    pub json: Option<String>,
    /// A response header name.
    pub header: Option<String>,
    /// A regex over the body text; the first capture group, or the whole match without one.
    pub regex: Option<String>,
    /// Whether the value must be redacted from output; guessed from the variable name if absent.
    pub secret: Option<bool>,
}

/// One entry under a suite's `data:` key, as written in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// The `.csv` or `.json` file, relative to the suite file's folder.
    pub file: PathBuf,
    /// How rows are handed out; [`Order::Sequential`] when absent.
    pub order: Option<Order>,
}

/// How a data set hands out its rows to requests numbered by `seq`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Rows in file order, starting again at the first after the last.
    #[default]
    Sequential,
    /// Rows in an order drawn once from the suite's seed, starting again after the last.
    Shuffle,
    /// Each row at most once, in file order; a request after the last row is an error.
    Unique,
}

/// A suite's managed target as written: a command the harness starts and stops, or the pid of a
/// process already running; either way its CPU and memory are sampled while cases run.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// The program and its arguments, run without a shell (or give `pid`).
    pub command: Option<Spanned<CommandLine>>,
    /// A running process to sample instead of starting one.
    pub pid: Option<Spanned<u32>>,
    /// Where the target answers; every case of the suite is sent there.
    pub base_url: Spanned<String>,
    /// The path polled until the target answers 2xx; without it, `/` answering any status
    /// below 500 means ready.
    pub ready: Option<Spanned<String>>,
    /// How long the target may take to get ready (default 30s).
    pub ready_timeout: Option<Spanned<HumanDuration>>,
    /// Environment variables added to the harness's own for the command.
    pub env: Option<Spanned<BTreeMap<String, String>>>,
    /// The command's working directory, relative to the suite file (default: the harness's).
    pub cwd: Option<Spanned<PathBuf>>,
}

/// A suite's `tls:` block. Paths are relative to the suite file; files are PEM.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    /// CA certificates trusted besides the Mozilla roots (a PEM bundle), e.g. the CA that
    /// signed a staging server's certificate.
    pub ca: Option<PathBuf>,
    /// A client certificate (PEM, the chain from the leaf), for servers that require mutual
    /// TLS; needs `key`.
    pub cert: Option<PathBuf>,
    /// The private key of `cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// Accept any server certificate without verifying it (default false). The connection is
    /// still encrypted; the run's report records that certificates were not verified.
    #[serde(default)]
    pub insecure: bool,
    /// The name the server's certificate must be valid for (and that is sent as SNI) instead
    /// of the URL's host, e.g. when the URL is an IP address.
    pub server_name: Option<String>,
}

/// A command as a program and its arguments: `["python3", "-m", "http.server", "8000"]`.
///
/// A single string is refused rather than split or handed to a shell, so quoting never
/// changes what runs; `["sh", "-c", "..."]` says so when a shell is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine(pub Vec<String>);

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArgvVisitor;
        impl<'de> serde::de::Visitor<'de> for ArgvVisitor {
            type Value = CommandLine;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of program and arguments, such as `[\"./server\", \"8000\"]`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "`command` is a list of program and arguments, not a string: write \
                     `[\"{}\"]` with one item per argument, or `[\"sh\", \"-c\", \"...\"]` \
                     for a shell line",
                    v.split_whitespace().collect::<Vec<_>>().join("\", \"")
                )))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                Ok(CommandLine(argv))
            }
        }
        deserializer.deserialize_any(ArgvVisitor)
    }
}
