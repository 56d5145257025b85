//! Steps (one request with its extractions and checks) and fixtures built from them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::request::{plan_request, FieldError, RequestPlan};
use crate::checks::{Check, CheckSpec, StatusExpect};
use crate::extract::Extractor;
use crate::fixtures::{Fixtures, RustSetup};
use crate::suite::suggest::Suggestion;
use crate::suite::{
    ExtractSpec, FixtureScope, FixtureSpec, RequestSpec, Spanned, StepSpec, SuiteSpec,
};
use crate::template::{Scope, ValueTemplate};

/// One request with what is taken from and checked on its response.
#[derive(Debug)]
pub struct StepPlan {
    /// The step's name (the case's name for a single-request case).
    pub name: String,
    /// The request.
    pub request: RequestPlan,
    /// Values taken from the response into variables.
    pub extract: Vec<Extractor>,
    /// Checks on the response; a failed one makes the request an error.
    pub checks: Vec<Check>,
    /// Keep the response body (up to the request's `max_body`) for checks, extractions or
    /// messages; otherwise it is read to the end and counted, not kept.
    pub keep_body: bool,
    /// The request name its metrics are also recorded under (`suite::case/NAME`): its request's
    /// `name`, or `scenario/step` in a case of several scenarios.
    pub metric: Option<String>,
}

/// A named fixture, compiled once per suite and shared by the cases that use it.
#[derive(Debug)]
pub struct FixturePlan {
    /// `suite::fixture`, unique in a run.
    pub key: String,
    /// The name cases `use:`.
    pub name: String,
    /// When it runs.
    pub scope: FixtureScope,
    /// Variables rendered once per instance, before the steps.
    pub vars: Vec<(String, ValueTemplate)>,
    /// Unmeasured set-up requests.
    pub setup: Vec<StepPlan>,
    /// Unmeasured tear-down requests, run even when the case failed.
    pub teardown: Vec<StepPlan>,
    /// Statuses that make the fixture set up again and the request retry once.
    pub refresh_on: Option<StatusExpect>,
    /// A set-up written in Rust, instead of `setup` steps.
    pub rust: Option<RustSetup>,
}

/// Compiles one step; `fallback_name` names it when the YAML gives none.
pub fn plan_step(
    step: &StepSpec,
    fallback_name: &str,
    suite: &SuiteSpec,
    scope: &Scope,
    fixtures: &Fixtures,
) -> Result<StepPlan, FieldError> {
    let name = match &step.name {
        Some(name) => name.clone(),
        None => Spanned::new(fallback_name.to_string(), step.request.span),
    };
    plan_exchange(
        &name,
        &step.request,
        &step.extract,
        &step.checks,
        suite,
        scope,
        fixtures,
    )
}

/// Compiles a request with its extractions and checks.
pub fn plan_exchange(
    name: &Spanned<String>,
    request: &Spanned<RequestSpec>,
    extract: &BTreeMap<String, Spanned<ExtractSpec>>,
    checks: &[Spanned<CheckSpec>],
    suite: &SuiteSpec,
    scope: &Scope,
    fixtures: &Fixtures,
) -> Result<StepPlan, FieldError> {
    if name.is_empty() || name.contains(['/', ':']) || name.contains(char::is_whitespace) {
        return Err((
            name.span,
            format!(
                "step name `{}` must be non-empty, without spaces, `/` or `:`",
                name.as_str()
            ),
        ));
    }
    let name = name.as_str();
    let request_spec = request;
    let request = plan_request(request, suite, scope)?;
    let extract: Vec<Extractor> = extract
        .iter()
        .map(|(var, spec)| {
            Extractor::compile(var, spec).map_err(|e| (spec.span, format!("step `{name}`: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let checks: Vec<Check> = checks
        .iter()
        .map(|spec| {
            Check::compile_in(spec, fixtures.checks(), Some(scope))
                .map_err(|e| (spec.span, format!("step `{name}`: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let keep_body = !extract.is_empty() || checks.iter().any(Check::needs_body);
    let metric = request_spec.name.clone();
    Ok(StepPlan {
        name: name.to_string(),
        request,
        extract,
        checks,
        keep_body,
        metric,
    })
}

/// Compiles a suite's fixture.
pub fn plan_fixture(
    suite_name: &str,
    name: &str,
    spec: &FixtureSpec,
    suite: &SuiteSpec,
    scope: &Scope,
    fixtures: &Fixtures,
) -> Result<FixturePlan, FieldError> {
    let rust = match &spec.rust {
        Some(rust_name) => {
            if !spec.setup.is_empty() {
                return Err((
                    rust_name.span,
                    format!("fixture `{name}`: give either `rust` or `setup` steps, not both"),
                ));
            }
            let setup = fixtures.setup(rust_name).ok_or_else(|| {
                let known = fixtures.setup_names();
                let hint = Suggestion::of(rust_name, &known).or_else(|| {
                    if known.is_empty() {
                        "; none are registered (Harness::setup)".to_string()
                    } else {
                        format!("; registered: {}", known.join(", "))
                    }
                });
                (
                    rust_name.span,
                    format!(
                        "fixture `{name}`: no Rust set-up fixture named `{}`{hint}",
                        rust_name.as_str()
                    ),
                )
            })?;
            Some(setup.clone())
        }
        None => None,
    };
    let vars = spec
        .vars
        .iter()
        .map(|(var, value)| {
            ValueTemplate::compile(value, scope)
                .map(|t| (var.clone(), t))
                .map_err(|e| {
                    let message = format!("fixture `{name}`: variable `{var}`: {e}");
                    (value.span, message)
                })
        })
        .collect::<Result<_, _>>()?;
    // A fixture's steps keep their bodies: a failed set-up shows the start of the body.
    let steps = |list: &[StepSpec], what: &str| {
        list.iter()
            .enumerate()
            .map(|(i, step)| {
                plan_step(step, &format!("{what}{}", i + 1), suite, scope, fixtures)
                    .map(|step| StepPlan {
                        keep_body: true,
                        ..step
                    })
                    .map_err(|(key, msg)| (key, format!("fixture `{name}`: {msg}")))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let refresh_on = match &spec.refresh_on {
        Some(status) => Some(StatusExpect::parse(status).map_err(|e| {
            let message = format!(
                "fixture `{name}`: {}",
                e.replace("expect.status", "refresh_on")
            );
            (status.span, message)
        })?),
        None => None,
    };
    Ok(FixturePlan {
        key: format!("{suite_name}::{name}"),
        name: name.to_string(),
        scope: spec.scope,
        vars,
        setup: steps(&spec.setup, "setup")?,
        teardown: steps(&spec.teardown, "teardown")?,
        refresh_on,
        rust,
    })
}

/// Every variable a suite declares: fixture `vars`, extractions, Rust fixtures' outputs.
pub fn declared_variables(suite: &SuiteSpec, fixtures: &Fixtures) -> Vec<String> {
    let mut names = Vec::new();
    let extracted = |steps: &[StepSpec], names: &mut Vec<String>| {
        for step in steps {
            names.extend(step.extract.keys().cloned());
        }
    };
    for fixture in suite.fixtures.values() {
        names.extend(fixture.vars.keys().cloned());
        extracted(&fixture.setup, &mut names);
        extracted(&fixture.teardown, &mut names);
        if let Some(setup) = fixture.rust.as_ref().and_then(|r| fixtures.setup(r)) {
            names.extend(setup.provides.iter().cloned());
        }
    }
    for case in &suite.cases {
        extracted(
            case.steps.as_ref().map_or(&[][..], |s| s.as_slice()),
            &mut names,
        );
    }
    names.sort();
    names.dedup();
    names
}

/// Fixtures by name, shared by the cases of a suite.
pub type FixtureTable = BTreeMap<String, Arc<FixturePlan>>;
