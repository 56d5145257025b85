//! Validated suite -> executable plan: templates compiled, fixtures resolved, bounds attached.
//!
//! No network I/O; the only files read are the data files a suite names.

mod request;
mod scenario;
mod steps;
mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

#[cfg(test)]
pub(crate) use request::plan_request;
pub use request::{BodyPlan, FieldError, HeaderPlan, RequestPlan, UrlPlan};
pub use scenario::ScenarioPlan;
use scenario::{plan_scenarios, Sources};
pub use steps::{declared_variables, plan_fixture, FixturePlan, FixtureTable, StepPlan};
pub use target::{plan_target, plan_tls, TargetPlan, TargetProcess};

use crate::data::{DataSet, Order};
use crate::fixtures::Fixtures;
use crate::suite::suggest::Suggestion;
use crate::suite::{
    check_tag, Adaptive, CaseSpec, FixtureScope, Json, Span, Spanned, SuiteError, SuiteSource,
    SuiteSpec, YamlError,
};
use crate::template::Scope;
use crate::thresholds::{Bound, Metric, Policy, Thresholds};
use crate::tls::TlsOptions;

/// Per-request timeout when a suite sets none.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a response body kept for checks and extractions when a suite sets no `max_body`.
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// Bound on one case's whole run when a suite sets none.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// What the planner needs to know of a case's kind. The kinds themselves, with their settings
/// and their runs, live with the execution; the planner only asks them these questions.
pub trait KindPlan: Send + Sync + std::fmt::Debug {
    /// The kind's name as written in YAML.
    fn name(&self) -> &'static str;
    /// One line on what the case does, for listings and reports.
    fn describe(&self) -> String;
    /// True for kinds whose requests go out in rounds, which have a `wall` time.
    fn has_rounds(&self) -> bool;
    /// True for kinds that take several weighted `scenarios`.
    fn takes_scenarios(&self) -> bool {
        false
    }
    /// How long the case is planned to run, for kinds that run for a time: its default
    /// `case_timeout` leaves room for it.
    fn planned_duration(&self) -> Option<Duration> {
        None
    }
}

/// Reads a case's kind and its settings (the case, its file, its index in the file); supplied by
/// the execution layer, which owns the kinds.
pub type KindParser<'a, K> = &'a dyn Fn(&CaseSpec, &str, usize) -> Result<K, YamlError>;

/// A suite ready to run.
#[derive(Debug)]
pub struct SuitePlan<K> {
    /// The suite's name.
    pub name: String,
    /// Its cases, in file order.
    pub cases: Vec<Arc<CasePlan<K>>>,
}

/// One case ready to run; `K` is its kind with the kind's own settings.
#[derive(Debug)]
pub struct CasePlan<K> {
    /// `suite::case`, the trial name.
    pub id: String,
    /// The case's name within its suite.
    pub name: String,
    /// The case's `description` as written, if any.
    pub description: Option<String>,
    /// Its tags, in the order written: they select it (`PERF_TAGS`, profiles) and give it the
    /// bounds of `tags:` rules.
    pub tags: Vec<String>,
    /// How its requests are issued, with the kind's own settings.
    pub kind: K,
    /// Run only with `--ignored`.
    pub ignore: bool,
    /// What an iteration measures: one scenario (a request or a journey), or several weighted.
    pub scenarios: Vec<ScenarioPlan>,
    /// Fixtures it uses, in set-up order.
    pub fixtures: Vec<Arc<FixturePlan>>,
    /// Each simulated user gets its own cookie jar (and connections).
    pub cookies: bool,
    /// The NFR bounds it must meet, each with the rule that set it.
    pub bounds: Vec<Bound>,
    /// Bounds per journey step (`suite::case/step`), parallel to the first scenario's steps
    /// when it is a journey.
    pub step_bounds: Vec<Vec<Bound>>,
    /// Bounds per request name (`suite::case/NAME`): named requests, and the scenarios of a
    /// case of several with their steps.
    pub name_bounds: Vec<(String, Vec<Bound>)>,
    /// The suite's seed (given or drawn), shown in failures so the data can be reproduced.
    pub seed: u64,
    /// Upper bound on the case's whole run (on each round of an adaptive case).
    pub case_timeout: Duration,
    /// How sure its verdicts must be: confidence, what inconclusive does, regression bounds.
    pub policy: Policy,
    /// Rounds of more requests until the verdict is decided.
    pub adaptive: Option<Adaptive>,
    /// The suite's `base_url`, used when `PERF_BASE_URL` is not set.
    pub base_url: Option<String>,
    /// The suite's managed target, shared by its cases: its `base_url` wins over any other.
    pub target: Option<Arc<TargetPlan>>,
    /// The suite's `tls:` settings (the command line's win over them).
    pub tls: TlsOptions,
    /// Factories and functions the templates refer to.
    pub scope: Arc<Scope>,
}

/// Turns a parsed suite into a plan, resolving each case's bounds from `thresholds`. Every
/// problem found here points at the value at fault.
pub fn plan_suite<K: KindPlan>(
    source: &SuiteSource,
    spec: SuiteSpec,
    thresholds: &Thresholds,
    fixtures: &Fixtures,
    kind_of: KindParser<K>,
) -> Result<SuitePlan<K>, SuiteError> {
    let at = At {
        origin: &source.origin,
    };
    let name = match &spec.suite {
        Some(name) => name.clone(),
        None => Spanned::new(source.stem.clone(), Span::UNKNOWN),
    };
    if name.is_empty() || name.contains("::") || name.contains(char::is_whitespace) {
        let message = format!(
            "suite name `{}` must be non-empty, without spaces or `::`",
            name.as_str()
        );
        return Err(at.error(name.span, None, message));
    }
    let name = name.value;
    let target = plan_target(&name, &spec, &source.dir)
        .map_err(|(span, message)| at.error(span, None, message))?
        .map(Arc::new);
    let tls =
        plan_tls(&spec, &source.dir).map_err(|(span, message)| at.error(span, None, message))?;
    let seed = spec.seed.unwrap_or_else(random_seed);
    let mut scope = fixtures.scope();
    for (data_name, data) in &spec.data {
        let path = source.dir.join(&data.file);
        let set = DataSet::load(
            data_name,
            &path,
            data.order.unwrap_or(Order::Sequential),
            seed,
        )
        .map_err(|e| at.error(data.span, None, e.to_string()))?;
        scope = scope.with_data(set);
    }
    for var in declared_variables(&spec, fixtures) {
        scope = scope.with_variable(&var);
    }
    let factories: BTreeMap<String, Json> = spec
        .factories
        .iter()
        .map(|(name, value)| (name.clone(), value.value.clone()))
        .collect();
    let scope = scope.with_factories(&factories).map_err(|e| {
        // The error names the factory it is about; point at that factory's value.
        let message = e.to_string();
        let span = spec
            .factories
            .iter()
            .find(|(name, _)| message.contains(&format!("factory `{name}`")))
            .map_or(Span::UNKNOWN, |(_, value)| value.span);
        at.error(span, None, message)
    })?;
    // Past here every fixture and every case is planned even after an error, so that all of
    // them are reported at once; the fixtures first, since a case names them.
    let mut problems = Vec::new();
    let mut table = FixtureTable::new();
    for (fixture_name, fixture) in &spec.fixtures {
        match plan_fixture(&name, fixture_name, fixture, &spec, &scope, fixtures) {
            Ok(plan) => {
                table.insert(fixture_name.clone(), Arc::new(plan));
            }
            Err((span, message)) => problems.push(at.located(span, None, message)),
        }
    }
    if let Some(error) = SuiteError::of_all(problems) {
        return Err(error);
    }
    let mut problems = Vec::new();
    let scope = Arc::new(scope);
    let mut seen = BTreeSet::new();
    let mut cases = Vec::with_capacity(spec.cases.len());
    for (index, case) in spec.cases.iter().enumerate() {
        if !seen.insert(case.name.as_str()) {
            let message = format!("case `{}` appears twice in the suite", case.name.as_str());
            problems.push(at.located(case.name.span, None, message));
            continue;
        }
        let context = SuiteContext {
            at: &at,
            suite: &name,
            spec: &spec,
            thresholds,
            scope: &scope,
            fixtures,
            table: &table,
            seed,
            target: &target,
            tls: &tls,
        };
        let planned = kind_of(case, &source.origin, index)
            .map_err(SuiteError::Invalid)
            .and_then(|kind| plan_case(&context, case, kind));
        match planned {
            Ok(plan) => cases.push(Arc::new(plan)),
            Err(error) => problems.extend_from_slice(error.all()),
        }
    }
    match SuiteError::of_all(problems) {
        Some(error) => Err(error),
        None => Ok(SuitePlan { name, cases }),
    }
}

/// What every case of a suite is planned against.
struct SuiteContext<'a> {
    at: &'a At<'a>,
    suite: &'a str,
    spec: &'a SuiteSpec,
    thresholds: &'a Thresholds,
    scope: &'a Arc<Scope>,
    fixtures: &'a Fixtures,
    table: &'a FixtureTable,
    seed: u64,
    target: &'a Option<Arc<TargetPlan>>,
    tls: &'a TlsOptions,
}

fn plan_case<K: KindPlan>(
    cx: &SuiteContext,
    case: &CaseSpec,
    kind: K,
) -> Result<CasePlan<K>, SuiteError> {
    let SuiteContext {
        at,
        suite,
        spec,
        thresholds,
        scope,
        ..
    } = *cx;
    let name = case.name.as_str();
    let error = |(span, message): FieldError| at.error(span, Some(name), message);
    if name.is_empty() || name.contains("::") || name.contains(char::is_whitespace) {
        let message = format!("case name `{name}` must be non-empty, without spaces or `::`");
        return Err(error((case.name.span, message)));
    }
    let sources = Sources {
        suite: spec,
        scope,
        fixtures: cx.fixtures,
    };
    let tags = plan_tags(case).map_err(error)?;
    let scenarios = plan_scenarios(&sources, case).map_err(error)?;
    if scenarios.len() > 1 && !kind.takes_scenarios() {
        let span = case.scenarios.as_ref().map_or(case.span, |s| s.span);
        let message = format!(
            "kind `{}` measures one scenario; weighted `scenarios` are for `kind: load`",
            kind.name()
        );
        return Err(error((span, message)));
    }
    let uses = plan_uses(cx.table, case).map_err(error)?;
    let main = &scenarios[0];
    let step_bounds = if main.journey && scenarios.len() == 1 {
        main.steps
            .iter()
            .map(|s| {
                let step = format!("{name}/{}", s.name);
                let mut bounds = thresholds.resolve_tagged(suite, &step, &tags, None);
                // The target's resources belong to the whole case, which is judged on them.
                bounds.retain(|b| !b.metric.is_resource());
                bounds
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut metrics: Vec<&str> = Vec::new();
    for scenario in &scenarios {
        metrics.extend(scenario.metric.as_deref());
        metrics.extend(scenario.steps.iter().filter_map(|s| s.metric.as_deref()));
    }
    metrics.sort_unstable();
    metrics.dedup();
    let name_bounds = metrics
        .into_iter()
        .map(|m| {
            (
                m.to_string(),
                thresholds.resolve_tagged(suite, &format!("{name}/{m}"), &tags, None),
            )
        })
        .collect();
    let mut bounds = thresholds.resolve_tagged(
        suite,
        name,
        &tags,
        case.thresholds.as_ref().map(|r| (&r.value, at.origin)),
    );
    if !kind.has_rounds() {
        // `wall` is the wall time of a round; rules that match a sequential case by pattern,
        // suite or default have nothing to bound. Written on the case itself, it is a mistake.
        if let Some(rules) = case.thresholds.as_ref().filter(|r| r.wall.is_some()) {
            let message =
                "`wall` bounds the wall time of concurrent rounds and bursts; this case has none";
            return Err(error((rules.span, message.into())));
        }
        bounds.retain(|b| b.metric != Metric::Wall);
    }
    let case_timeout = match case
        .case_timeout
        .as_ref()
        .or(spec.defaults.case_timeout.as_ref())
    {
        Some(t) if t.0.is_zero() => {
            let message = "`case_timeout` must be greater than zero";
            return Err(error((t.span, message.into())));
        }
        Some(t) => t.0,
        // A case that runs for a time gets that time and a minute on top.
        None => kind.planned_duration().map_or(DEFAULT_CASE_TIMEOUT, |d| {
            DEFAULT_CASE_TIMEOUT.max(d + Duration::from_secs(60))
        }),
    };
    let policy = thresholds.resolve_policy(
        suite,
        name,
        &tags,
        case.thresholds.as_ref().map(|r| (&r.value, at.origin)),
    );
    let adaptive = match &case.adaptive {
        Some(a) if a.max_requests == 0 => {
            let message = "`adaptive.max_requests` must be at least 1";
            return Err(error((a.span, message.into())));
        }
        Some(a) if policy.confidence.is_none() && policy.regression.is_empty() => {
            let message = "`adaptive` collects requests until bounds judged with a confidence \
                           or regressions are decided; no rule sets `confidence` or `regression` for this case (add \
                           `confidence: 95%` to its thresholds)";
            return Err(error((a.span, message.into())));
        }
        Some(a) => Some(a.value),
        None => None,
    };
    Ok(CasePlan {
        id: format!("{suite}::{name}"),
        name: name.to_string(),
        description: case.description.clone(),
        tags,
        kind,
        ignore: case.ignore,
        scenarios,
        cookies: case.cookies.unwrap_or(false)
            || uses.iter().any(|f| f.scope == FixtureScope::PerUser),
        fixtures: uses,
        bounds,
        step_bounds,
        name_bounds,
        seed: cx.seed,
        case_timeout,
        policy,
        adaptive,
        base_url: spec.base_url.clone(),
        target: cx.target.clone(),
        tls: cx.tls.clone(),
        scope: Arc::clone(scope),
    })
}

/// A case's tags, each a valid tag and listed once.
fn plan_tags(case: &CaseSpec) -> Result<Vec<String>, FieldError> {
    let mut tags: Vec<String> = Vec::with_capacity(case.tags.len());
    for tag in &case.tags {
        check_tag(tag).map_err(|message| (tag.span, message))?;
        if tags.contains(&tag.value) {
            return Err((tag.span, format!("tag `{}` is listed twice", tag.as_str())));
        }
        tags.push(tag.value.clone());
    }
    Ok(tags)
}

/// The fixtures a case requests, checked against the suite's table.
fn plan_uses(table: &FixtureTable, case: &CaseSpec) -> Result<Vec<Arc<FixturePlan>>, FieldError> {
    let mut seen = BTreeSet::new();
    case.uses
        .iter()
        .map(|name| {
            if !seen.insert(name.as_str()) {
                let message = format!("fixture `{}` is listed twice", name.as_str());
                return Err((name.span, message));
            }
            table.get(name.as_str()).cloned().ok_or_else(|| {
                let known: Vec<&str> = table.keys().map(String::as_str).collect();
                let hint = Suggestion::of(name, &known).or_else(|| {
                    if known.is_empty() {
                        "; the suite declares no `fixtures`".to_string()
                    } else {
                        format!("; declared: {}", known.join(", "))
                    }
                });
                (
                    name.span,
                    format!("unknown fixture `{}`{hint}", name.as_str()),
                )
            })
        })
        .collect()
}

/// Words errors found after parsing: the file, the position of the value at fault, and the case.
struct At<'a> {
    origin: &'a str,
}

impl At<'_> {
    fn error(&self, span: Span, case: Option<&str>, message: impl Into<String>) -> SuiteError {
        SuiteError::Invalid(self.located(span, case, message))
    }

    fn located(&self, span: Span, case: Option<&str>, message: impl Into<String>) -> YamlError {
        let message = match case {
            Some(c) => format!("case `{c}`: {}", message.into()),
            None => message.into(),
        };
        YamlError::new(self.origin, span, message)
    }
}

fn random_seed() -> u64 {
    // Short enough to read and paste back as `seed:`.
    u64::from(rand::random::<u32>())
}

impl<K> CasePlan<K> {
    /// The case's first (for most kinds, only) scenario.
    pub fn main(&self) -> &ScenarioPlan {
        &self.scenarios[0]
    }

    /// Seed of this case's random stream: each case gets its own, so adding a case does not
    /// change another case's data.
    pub fn data_seed(&self) -> u64 {
        self.seed ^ fnv1a(self.name.as_bytes())
    }
}

/// FNV-1a: a stable hash, so a case's seed does not change between runs or Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
