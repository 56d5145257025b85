//! Validated suite -> executable plan. Pure: templates compiled, bounds resolved, no I/O.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

use crate::exec::Kind;
use crate::fixtures::Fixtures;
use crate::suite::{
    CaseSpec, ExpectSpec, Located, RequestSpec, StatusSpec, SuiteError, SuiteSource, SuiteSpec,
};
use crate::template::{Scope, TextTemplate, ValueTemplate};
use crate::thresholds::{Bound, Metric, Thresholds};
use crate::yaml::find_line;

/// Per-request timeout when a suite sets none.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on one case's whole run when a suite sets none.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// A suite ready to run.
#[derive(Debug)]
pub struct SuitePlan {
    /// The suite's name.
    pub name: String,
    /// The file it came from.
    pub origin: String,
    /// Its cases, in file order.
    pub cases: Vec<Arc<CasePlan>>,
}

/// One case ready to run.
#[derive(Debug)]
pub struct CasePlan {
    /// `suite::case`, the trial name.
    pub id: String,
    /// The case's name within its suite.
    pub name: String,
    /// How its requests are issued, with the kind's own settings.
    pub kind: Kind,
    /// Run only with `--ignored`.
    pub ignore: bool,
    /// The measured request.
    pub request: RequestPlan,
    /// The NFR bounds it must meet, each with the rule that set it.
    pub bounds: Vec<Bound>,
    /// The suite's seed (given or drawn), shown in failures so the data can be reproduced.
    pub seed: u64,
    /// Upper bound on the case's whole run.
    pub case_timeout: Duration,
    /// The suite's `base_url`, used when `PERF_BASE_URL` is not set.
    pub base_url: Option<String>,
    /// Factories and functions the templates refer to.
    pub scope: Arc<Scope>,
}

/// A request whose templated parts are compiled.
#[derive(Debug)]
pub struct RequestPlan {
    /// HTTP method.
    pub method: Method,
    /// Where it goes.
    pub url: UrlPlan,
    /// Headers; static ones are pre-built.
    pub headers: Vec<(HeaderName, HeaderPlan)>,
    /// Query parameters.
    pub query: Vec<(String, ValueTemplate)>,
    /// The body.
    pub body: BodyPlan,
    /// Per-request timeout: send to last body byte.
    pub timeout: Duration,
    /// Accepted statuses.
    pub expect: StatusExpect,
}

/// A path joined to the base URL at run time, or an absolute URL.
#[derive(Debug)]
pub enum UrlPlan {
    /// Joined to the target's base URL.
    Path(TextTemplate),
    /// Used as is.
    Absolute(TextTemplate),
}

/// A header value, pre-built when it holds no template.
#[derive(Debug)]
pub enum HeaderPlan {
    /// Sent as is on every request.
    Static(HeaderValue),
    /// Rendered per request.
    Template(TextTemplate),
}

/// A request body.
#[derive(Debug)]
pub enum BodyPlan {
    /// No body.
    Empty,
    /// JSON, serialized per request.
    Json(ValueTemplate),
    /// Raw text.
    Text(TextTemplate),
}

/// The statuses a response may have to count as a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExpect {
    ranges: Vec<(u16, u16)>,
}

impl Default for StatusExpect {
    fn default() -> Self {
        Self {
            ranges: vec![(200, 299)],
        }
    }
}

impl StatusExpect {
    /// Parses `201`, `"2xx"`, `[200, "4xx"]`.
    pub fn parse(spec: &StatusSpec) -> Result<Self, String> {
        let mut ranges = Vec::new();
        Self::collect(spec, &mut ranges)?;
        if ranges.is_empty() {
            return Err("expect.status: the list is empty; give at least one status".into());
        }
        Ok(Self { ranges })
    }

    fn collect(spec: &StatusSpec, out: &mut Vec<(u16, u16)>) -> Result<(), String> {
        let bad = |s: &str| {
            format!("expect.status: `{s}` is not a status; use a code like `201`, a class like `2xx`, or a list")
        };
        match spec {
            StatusSpec::Code(code) if (100..=599).contains(code) => out.push((*code, *code)),
            StatusSpec::Code(code) => return Err(bad(&code.to_string())),
            StatusSpec::Text(text) => {
                let t = text.trim().to_ascii_lowercase();
                if let Some(class) = t
                    .strip_suffix("xx")
                    .and_then(|d| d.parse::<u16>().ok())
                    .filter(|d| (1..=5).contains(d))
                {
                    out.push((class * 100, class * 100 + 99));
                } else if let Some(code) = t.parse::<u16>().ok().filter(|c| (100..=599).contains(c))
                {
                    out.push((code, code));
                } else {
                    return Err(bad(text));
                }
            }
            StatusSpec::List(items) => {
                for item in items {
                    Self::collect(item, out)?;
                }
            }
        }
        Ok(())
    }

    /// True when `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

/// Turns a parsed suite into a plan, resolving each case's bounds from `thresholds`.
pub fn plan_suite(
    source: &SuiteSource,
    spec: SuiteSpec,
    thresholds: &Thresholds,
    fixtures: &Fixtures,
) -> Result<SuitePlan, SuiteError> {
    let locate = Locator { source };
    let name = spec.suite.clone().unwrap_or_else(|| source.stem.clone());
    if name.is_empty() || name.contains("::") || name.contains(char::is_whitespace) {
        return Err(locate.error(
            None,
            "suite:",
            format!("suite name `{name}` must be non-empty, without spaces or `::`"),
        ));
    }
    let scope = fixtures
        .scope()
        .with_factories(&spec.factories)
        .map_err(|e| locate.error(None, "factories:", e.to_string()))?;
    let scope = Arc::new(scope);
    let seed = spec.seed.unwrap_or_else(random_seed);
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
        cases.push(Arc::new(plan_case(
            &locate, &name, &spec, case, thresholds, &scope, seed,
        )?));
    }
    Ok(SuitePlan {
        name,
        origin: source.origin.clone(),
        cases,
    })
}

fn plan_case(
    locate: &Locator,
    suite: &str,
    spec: &SuiteSpec,
    case: &CaseSpec,
    thresholds: &Thresholds,
    scope: &Arc<Scope>,
    seed: u64,
) -> Result<CasePlan, SuiteError> {
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
    let kind =
        Kind::from_spec(case).map_err(|e| locate.error(at, &format!("{}:", e.key), e.message))?;
    let request = plan_request(&case.request, spec, scope)
        .map_err(|(key, msg)| locate.error(at, key, msg))?;
    let inline_label = format!("{}: case {} thresholds", locate.source.origin, case.name);
    let mut bounds = thresholds.resolve(
        suite,
        &case.name,
        case.thresholds.as_ref().map(|r| (r, inline_label.as_str())),
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
        request,
        bounds,
        // Each case gets its own stream so adding a case does not change another case's data.
        seed,
        case_timeout,
        base_url: spec.base_url.clone(),
        scope: Arc::clone(scope),
    })
}

type FieldError = (&'static str, String);

fn plan_request(
    req: &RequestSpec,
    suite: &SuiteSpec,
    scope: &Scope,
) -> Result<RequestPlan, FieldError> {
    let method_text = req.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let method = Method::from_bytes(method_text.as_bytes())
        .map_err(|_| ("method:", format!("`{method_text}` is not an HTTP method")))?;
    let url = match (&req.path, &req.url) {
        (Some(path), None) => {
            UrlPlan::Path(TextTemplate::compile(path, scope).map_err(|e| ("path:", e.to_string()))?)
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{"))
            {
                return Err(("url:", format!("`{url}` is not an absolute http(s) URL; use `path` for a path on the target")));
            }
            UrlPlan::Absolute(
                TextTemplate::compile(url, scope).map_err(|e| ("url:", e.to_string()))?,
            )
        }
        (Some(_), Some(_)) => return Err(("url:", "give either `path` or `url`, not both".into())),
        (None, None) => {
            return Err((
                "request:",
                "the request needs a `path` (joined to the base URL) or an absolute `url`".into(),
            ))
        }
    };
    let mut headers = Vec::new();
    let merged = suite
        .defaults
        .headers
        .iter()
        .filter(|(k, _)| !req.headers.keys().any(|own| own.eq_ignore_ascii_case(k)));
    for (name, value) in merged.chain(req.headers.iter()) {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ("headers:", format!("`{name}` is not a valid header name")))?;
        let template =
            TextTemplate::compile(value, scope).map_err(|e| ("headers:", e.to_string()))?;
        let plan = if template.is_literal() {
            HeaderPlan::Static(HeaderValue::from_str(value).map_err(|_| {
                (
                    "headers:",
                    format!("the value of `{name}` is not a valid header value"),
                )
            })?)
        } else {
            HeaderPlan::Template(template)
        };
        headers.push((header, plan));
    }
    let query = req
        .query
        .iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                ValueTemplate::compile(v, scope).map_err(|e| ("query:", e.to_string()))?,
            ))
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    let body = match (&req.json, &req.body) {
        (Some(json), None) => BodyPlan::Json(
            ValueTemplate::compile(json, scope).map_err(|e| ("json:", e.to_string()))?,
        ),
        (None, Some(text)) => BodyPlan::Text(
            TextTemplate::compile(text, scope).map_err(|e| ("body:", e.to_string()))?,
        ),
        (Some(_), Some(_)) => {
            return Err(("body:", "give either `json` or `body`, not both".into()))
        }
        (None, None) => BodyPlan::Empty,
    };
    let timeout = req
        .timeout
        .or(suite.defaults.timeout)
        .map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.0);
    if timeout.is_zero() {
        return Err((
            "timeout:",
            "a request timeout must be greater than zero".into(),
        ));
    }
    let expect = expect_of(req.expect.as_ref().or(suite.defaults.expect.as_ref()))
        .map_err(|m| ("expect:", m))?;
    Ok(RequestPlan {
        method,
        url,
        headers,
        query,
        body,
        timeout,
        expect,
    })
}

fn expect_of(spec: Option<&ExpectSpec>) -> Result<StatusExpect, String> {
    match spec.and_then(|e| e.status.as_ref()) {
        Some(status) => StatusExpect::parse(status),
        None => Ok(StatusExpect::default()),
    }
}

/// Finds where in the file a problem found after parsing is, by the case's name and the key.
struct Locator<'a> {
    source: &'a SuiteSource,
}

impl Locator<'_> {
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

impl CasePlan {
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
