//! What a case measures: one request, a journey of steps, or several weighted scenarios, each
//! with the names its metrics are recorded under.

use std::collections::BTreeSet;

use super::request::FieldError;
use super::steps::{plan_exchange, plan_step, StepPlan};
use crate::fixtures::Fixtures;
use crate::suite::{
    CaseSpec, CheckSpec, RequestSpec, Span, Spanned, StepSpec, SuiteSpec, ThinkTime,
};
use crate::template::Scope;

/// One way an iteration can go: a request or a journey, picked by weight.
#[derive(Debug)]
pub struct ScenarioPlan {
    /// The scenario's name (the case's name when the case has one scenario).
    pub name: String,
    /// Relative share of iterations.
    pub weight: u32,
    /// The measured requests in order.
    pub steps: Vec<StepPlan>,
    /// True for a journey: each step gets metrics of its own.
    pub journey: bool,
    /// The pause after each of its iterations, over the case's own.
    pub think_time: Option<ThinkTime>,
    /// The request name whole iterations of this scenario are also recorded under, when the case
    /// has several scenarios (`suite::case/NAME`).
    pub metric: Option<String>,
}

/// What the planner reads a case's measured part from.
pub(super) struct Sources<'a> {
    pub suite: &'a SuiteSpec,
    pub scope: &'a Scope,
    pub fixtures: &'a Fixtures,
}

/// The scenarios of a case: its `request`, its journey `steps`, or its `scenarios`.
pub(super) fn plan_scenarios(
    cx: &Sources,
    case: &CaseSpec,
) -> Result<Vec<ScenarioPlan>, FieldError> {
    let given = [
        case.request.as_ref().map(|r| r.span),
        case.steps.as_ref().map(|s| s.span),
        case.scenarios.as_ref().map(|s| s.span),
    ];
    if let Some(second) = given.iter().flatten().nth(1) {
        let message = "give one of `request`, `steps` or `scenarios`";
        return Err((*second, message.into()));
    }
    let Some(scenarios) = &case.scenarios else {
        let measured = Measured {
            name: &case.name,
            request: case.request.as_ref(),
            checks: &case.checks,
            steps: case.steps.as_ref(),
            at: case.span,
        };
        let (steps, journey) = plan_measured(cx, &measured, None)?;
        return Ok(vec![ScenarioPlan {
            name: case.name.value.clone(),
            weight: 1,
            steps,
            journey,
            think_time: None,
            metric: None,
        }]);
    };
    if scenarios.is_empty() {
        return Err((
            scenarios.span,
            "`scenarios` needs at least one scenario".into(),
        ));
    }
    if let Some(check) = case.checks.first() {
        let message = "with `scenarios`, put `checks` in each scenario";
        return Err((check.span, message.into()));
    }
    let mut seen = BTreeSet::new();
    scenarios
        .iter()
        .map(|scenario| {
            let name = scenario.name.as_str();
            if name.is_empty() || name.contains(['/', ':']) || name.contains(char::is_whitespace) {
                let message =
                    format!("scenario name `{name}` must be non-empty, without spaces, `/` or `:`");
                return Err((scenario.name.span, message));
            }
            if !seen.insert(name) {
                let message = format!("scenario `{name}` appears twice in the case");
                return Err((scenario.name.span, message));
            }
            let weight = match &scenario.weight {
                Some(w) if w.value == 0 => {
                    return Err((w.span, "a scenario's `weight` must be at least 1".into()))
                }
                Some(w) => w.value,
                None => 1,
            };
            let measured = Measured {
                name: &scenario.name,
                request: scenario.request.as_ref(),
                checks: &scenario.checks,
                steps: scenario.steps.as_ref(),
                at: scenario.name.span,
            };
            let (steps, journey) = plan_measured(cx, &measured, Some(name))?;
            Ok(ScenarioPlan {
                name: name.to_string(),
                weight,
                steps,
                journey,
                think_time: scenario.think_time.as_ref().map(|t| t.value),
                metric: Some(name.to_string()),
            })
        })
        .collect()
}

/// The measured part of a case or of one of its scenarios.
struct Measured<'a> {
    name: &'a Spanned<String>,
    request: Option<&'a Spanned<RequestSpec>>,
    checks: &'a [Spanned<CheckSpec>],
    steps: Option<&'a Spanned<Vec<StepSpec>>>,
    at: Span,
}

/// One request (with its checks) or a journey of steps. In a scenario of several, a journey's
/// steps are recorded under `scenario/step` unless their request is named.
fn plan_measured(
    cx: &Sources,
    measured: &Measured,
    scenario: Option<&str>,
) -> Result<(Vec<StepPlan>, bool), FieldError> {
    match (measured.request, measured.steps) {
        (Some(request), None) => {
            let step = plan_exchange(
                measured.name,
                request,
                &Default::default(),
                measured.checks,
                cx.suite,
                cx.scope,
                cx.fixtures,
            )?;
            Ok((vec![step], false))
        }
        (None, Some(steps)) => {
            if steps.is_empty() {
                return Err((steps.span, "a journey needs at least one step".into()));
            }
            if let Some(check) = measured.checks.first() {
                return Err((check.span, "with `steps`, put `checks` on each step".into()));
            }
            let mut planned = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    plan_step(
                        s,
                        &format!("step{}", i + 1),
                        cx.suite,
                        cx.scope,
                        cx.fixtures,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut names = BTreeSet::new();
            if let Some((i, dup)) = planned
                .iter()
                .enumerate()
                .find(|(_, s)| !names.insert(s.name.as_str()))
            {
                let span = steps[i]
                    .name
                    .as_ref()
                    .map_or(steps[i].request.span, |n| n.span);
                let message = format!("step name `{}` appears twice in the journey", dup.name);
                return Err((span, message));
            }
            if let Some(scenario) = scenario {
                for step in planned.iter_mut().filter(|s| s.metric.is_none()) {
                    step.metric = Some(format!("{scenario}/{}", step.name));
                }
            }
            Ok((planned, true))
        }
        (None, None) => Err((
            measured.at,
            "the case needs a `request` to measure, or a journey of `steps`".into(),
        )),
        (Some(_), Some(steps)) => Err((
            steps.span,
            "give either `request` or `steps`, not both".into(),
        )),
    }
}
