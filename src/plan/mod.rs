//! Validated suite -> executable plan: templates compiled, fixtures resolved, bounds attached.
//!
//! No network I/O; the only files read are the data files a suite names.

mod request;
mod steps;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

pub use request::{plan_request, BodyPlan, FieldError, HeaderPlan, RequestPlan, UrlPlan};
pub use steps::{
    declared_variables, plan_exchange, plan_fixture, plan_step, FixturePlan, FixtureTable, StepPlan,
};

use crate::data::{DataSet, Order};
use crate::fixtures::Fixtures;
use crate::suite::{CaseSpec, FixtureScope, Located, SuiteError, SuiteSource, SuiteSpec};
use crate::template::Scope;
use crate::thresholds::{Bound, Metric, Thresholds};
use crate::yaml::find_line;

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
}

/// A kind's settings are wrong: which key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindError {
    /// The YAML key at fault.
    pub key: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

impl KindError {
    /// An error at `key`.
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// Reads a case's kind and its settings; supplied by the execution layer.
pub type KindParser<'a, K> = &'a dyn Fn(&CaseSpec) -> Result<K, KindError>;

/// A suite ready to run.
#[derive(Debug)]
pub struct SuitePlan<K> {
    /// The suite's name.
    pub name: String,
    /// The file it came from.
    pub origin: String,
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
    /// How its requests are issued, with the kind's own settings.
    pub kind: K,
    /// Run only with `--ignored`.
    pub ignore: bool,
    /// The measured requests: one step, or a journey of several.
    pub steps: Vec<StepPlan>,
    /// True when the case is a journey (`steps:`): each step gets metrics of its own.
    pub journey: bool,
    /// Fixtures it uses, in set-up order.
    pub fixtures: Vec<Arc<FixturePlan>>,
    /// Each simulated user gets its own cookie jar (and connections).
    pub cookies: bool,
    /// The NFR bounds it must meet, each with the rule that set it.
    pub bounds: Vec<Bound>,
    /// Bounds per journey step (`suite::case/step`), parallel to `steps` for journeys.
    pub step_bounds: Vec<Vec<Bound>>,
    /// The suite's seed (given or drawn), shown in failures so the data can be reproduced.
    pub seed: u64,
    /// Upper bound on the case's whole run.
    pub case_timeout: Duration,
    /// The suite's `base_url`, used when `PERF_BASE_URL` is not set.
    pub base_url: Option<String>,
    /// Factories and functions the templates refer to.
    pub scope: Arc<Scope>,
}

/// Turns a parsed suite into a plan, resolving each case's bounds from `thresholds`.
pub fn plan_suite<K: KindPlan>(
    source: &SuiteSource,
    spec: SuiteSpec,
    thresholds: &Thresholds,
    fixtures: &Fixtures,
    kind_of: KindParser<K>,
) -> Result<SuitePlan<K>, SuiteError> {
    let locate = Locator { source };
    let name = spec.suite.clone().unwrap_or_else(|| source.stem.clone());
    if name.is_empty() || name.contains("::") || name.contains(char::is_whitespace) {
        return Err(locate.error(
            None,
            "suite:",
            format!("suite name `{name}` must be non-empty, without spaces or `::`"),
        ));
    }
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
        .map_err(|e| locate.error(None, &format!("{data_name}:"), e.to_string()))?;
        scope = scope.with_data(set);
    }
    for var in declared_variables(&spec, fixtures) {
        scope = scope.with_variable(&var);
    }
    let scope = scope
        .with_factories(&spec.factories)
        .map_err(|e| locate.error(None, "factories:", e.to_string()))?;
    let mut table = FixtureTable::new();
    for (fixture_name, fixture) in &spec.fixtures {
        let plan = plan_fixture(&name, fixture_name, fixture, &spec, &scope, fixtures)
            .map_err(|(key, msg)| locate.error_after(&format!("{fixture_name}:"), key, msg))?;
        table.insert(fixture_name.clone(), Arc::new(plan));
    }
    let scope = Arc::new(scope);
    let mut seen = BTreeSet::new();
    let mut cases = Vec::with_capacity(spec.cases.len());
    for case in &spec.cases {
        if !seen.insert(case.name.as_str()) {
            return Err(locate.error(
                None,
                &format!("name: {}", case.name),
                format!("case `{}` appears twice in the suite", case.name),
            ));
        }
        let context = SuiteContext {
            locate: &locate,
            suite: &name,
            spec: &spec,
            thresholds,
            scope: &scope,
            fixtures,
            table: &table,
            seed,
        };
        let kind = kind_of(case).map_err(|e| {
            locate.error(Some(case.name.as_str()), &format!("{}:", e.key), e.message)
        })?;
        cases.push(Arc::new(plan_case(&context, case, kind)?));
    }
    Ok(SuitePlan {
        name,
        origin: source.origin.clone(),
        cases,
    })
}

/// What every case of a suite is planned against.
struct SuiteContext<'a> {
    locate: &'a Locator<'a>,
    suite: &'a str,
    spec: &'a SuiteSpec,
    thresholds: &'a Thresholds,
    scope: &'a Arc<Scope>,
    fixtures: &'a Fixtures,
    table: &'a FixtureTable,
    seed: u64,
}

fn plan_case<K: KindPlan>(
    cx: &SuiteContext,
    case: &CaseSpec,
    kind: K,
) -> Result<CasePlan<K>, SuiteError> {
    let SuiteContext {
        locate,
        suite,
        spec,
        thresholds,
        scope,
        ..
    } = *cx;
    let at = Some(case.name.as_str());
    if case.name.is_empty() || case.name.contains("::") || case.name.contains(char::is_whitespace) {
        return Err(locate.error(
            at,
            "name:",
            format!(
                "case name `{}` must be non-empty, without spaces or `::`",
                case.name
            ),
        ));
    }
    let (steps, journey) =
        plan_measured(cx, case).map_err(|(key, msg)| locate.error(at, key, msg))?;
    let uses = plan_uses(cx.table, case).map_err(|(key, msg)| locate.error(at, key, msg))?;
    let step_bounds = if journey {
        steps
            .iter()
            .map(|s| thresholds.resolve(suite, &format!("{}/{}", case.name, s.name), None))
            .collect()
    } else {
        Vec::new()
    };
    let mut bounds = thresholds.resolve(
        suite,
        &case.name,
        case.thresholds
            .as_ref()
            .map(|r| (r, locate.source.origin.as_str())),
    );
    if !kind.has_rounds() {
        // `wall` is the wall time of a round; rules that match a sequential case by pattern,
        // suite or default have nothing to bound. Written on the case itself, it is a mistake.
        if case.thresholds.as_ref().is_some_and(|r| r.wall.is_some()) {
            let message =
                "`wall` bounds the wall time of concurrent rounds and bursts; this case has none";
            return Err(locate.error(at, "wall:", message));
        }
        bounds.retain(|b| b.metric != Metric::Wall);
    }
    let case_timeout = case
        .case_timeout
        .or(spec.defaults.case_timeout)
        .map_or(DEFAULT_CASE_TIMEOUT, |d| d.0);
    Ok(CasePlan {
        id: format!("{suite}::{}", case.name),
        name: case.name.clone(),
        kind,
        ignore: case.ignore,
        steps,
        journey,
        cookies: case.cookies.unwrap_or(false)
            || uses.iter().any(|f| f.scope == FixtureScope::PerUser),
        fixtures: uses,
        bounds,
        step_bounds,
        seed: cx.seed,
        case_timeout,
        base_url: spec.base_url.clone(),
        scope: Arc::clone(scope),
    })
}

/// The measured steps of a case: its `request` (with `checks`), or its journey `steps`.
fn plan_measured(cx: &SuiteContext, case: &CaseSpec) -> Result<(Vec<StepPlan>, bool), FieldError> {
    match (&case.request, &case.steps) {
        (Some(request), None) => {
            let step = plan_exchange(
                &case.name,
                request,
                &Default::default(),
                &case.checks,
                cx.spec,
                cx.scope,
                cx.fixtures,
            )?;
            Ok((vec![step], false))
        }
        (None, Some(steps)) => {
            if steps.is_empty() {
                return Err(("steps:", "a journey needs at least one step".into()));
            }
            if !case.checks.is_empty() {
                return Err(("checks:", "with `steps`, put `checks` on each step".into()));
            }
            let planned = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    plan_step(s, &format!("step{}", i + 1), cx.spec, cx.scope, cx.fixtures)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut names = BTreeSet::new();
            if let Some(dup) = planned.iter().find(|s| !names.insert(s.name.as_str())) {
                return Err((
                    "steps:",
                    format!("step name `{}` appears twice in the journey", dup.name),
                ));
            }
            Ok((planned, true))
        }
        (Some(_), Some(_)) => Err((
            "steps:",
            "give either `request` or `steps`, not both".into(),
        )),
        (None, None) => Err((
            "name:",
            "the case needs a `request` to measure, or a journey of `steps`".into(),
        )),
    }
}

/// The fixtures a case requests, checked against the suite's table.
fn plan_uses(table: &FixtureTable, case: &CaseSpec) -> Result<Vec<Arc<FixturePlan>>, FieldError> {
    let mut seen = BTreeSet::new();
    case.uses
        .iter()
        .map(|name| {
            if !seen.insert(name.as_str()) {
                return Err(("use:", format!("fixture `{name}` is listed twice")));
            }
            table.get(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = table.keys().map(String::as_str).collect();
                let hint = match crate::yaml::nearest(name, &known) {
                    Some(best) => format!(", did you mean `{best}`?"),
                    None if known.is_empty() => "; the suite declares no `fixtures`".to_string(),
                    None => format!("; declared: {}", known.join(", ")),
                };
                ("use:", format!("unknown fixture `{name}`{hint}"))
            })
        })
        .collect()
}

/// Finds where in the file a problem found after parsing is, by the case's name and the key.
struct Locator<'a> {
    source: &'a SuiteSource,
}

impl Locator<'_> {
    /// An error at `key` in the block that starts at `anchor` (e.g. a fixture's `name:` line).
    fn error_after(&self, anchor: &str, key: &str, message: impl Into<String>) -> SuiteError {
        let text = &self.source.text;
        let anchor_at = find_line(text, 1, anchor);
        let from = anchor_at.map_or(1, |(line, _)| line);
        let position = find_line(text, from, key).or(anchor_at);
        SuiteError::Invalid(Located::at(&self.source.origin, position, message))
    }

    fn error(&self, case: Option<&str>, key: &str, message: impl Into<String>) -> SuiteError {
        let text = &self.source.text;
        let case_line = case.and_then(|c| find_line(text, 1, &format!("name: {c}")));
        let from = case_line.map_or(1, |(line, _)| line);
        let position = find_line(text, from, key).or(case_line);
        let message = match case {
            Some(c) => format!("case `{c}`: {}", message.into()),
            None => message.into(),
        };
        SuiteError::Invalid(Located::at(&self.source.origin, position, message))
    }
}

fn random_seed() -> u64 {
    // Short enough to read and paste back as `seed:`.
    u64::from(rand::random::<u32>())
}

impl<K> CasePlan<K> {
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
