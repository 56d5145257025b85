//! `loadgate check`: loads suites and thresholds exactly as a run would, sends nothing, and
//! lists each case with its kind, description, tags and every bound with the rule that set it.

use std::io::Write;

use clap::Args;

use super::{bound_text, Exit, Inputs};
use crate::exec::Case;
use crate::plan::KindPlan;
use crate::run::{self, Loaded};
use crate::thresholds::{Bound, OnInconclusive};

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    inputs: Inputs,
}

pub(super) fn check(args: &CheckArgs) -> Exit {
    let config = args.inputs.config();
    let filter = args.inputs.filter.as_str();
    run::announce_profile(&config);
    let loaded = run::load(&config);
    let mut out = std::io::stdout().lock();
    let mut broken = 0;
    let (mut listed, mut left_out, mut ignored) = (0, 0, 0);
    for entry in &loaded {
        match entry {
            Loaded::Broken { error, .. } => {
                eprintln!("error: {error}");
                broken += 1;
            }
            Loaded::Case(case) | Loaded::Deselected(case) if case.id.contains(filter) => {
                let note = match entry {
                    Loaded::Deselected(_) => {
                        left_out += 1;
                        "  (not run: left out by the tags or the profile)"
                    }
                    _ if case.ignore => {
                        ignored += 1;
                        "  (ignore: true; runs with --include-ignored)"
                    }
                    _ => "",
                };
                listed += 1;
                let _ = write!(out, "{}", listing(case, note));
            }
            Loaded::Case(_) | Loaded::Deselected(_) => {}
        }
    }
    let strict_failure = args.inputs.report_unmatched(&config, &loaded);
    let _ = writeln!(
        out,
        "{listed} cases: {} would run, {left_out} left out by tags or profile, {ignored} ignored",
        listed - left_out - ignored
    );
    if broken > 0 || strict_failure {
        Exit::BadInput
    } else {
        Exit::Met
    }
}

/// One case: its id and kind, what it does, its tags, then its bounds and those of its steps
/// and named requests.
fn listing(case: &Case, note: &str) -> String {
    let mut text = format!("{}  [{}]{note}\n", case.id, case.kind.name());
    if let Some(description) = &case.description {
        text.push_str(&format!("    {description}\n"));
    }
    text.push_str(&format!("    {}\n", case.kind.describe()));
    if !case.tags.is_empty() {
        text.push_str(&format!("    tags: {}\n", case.tags.join(", ")));
    }
    text.push_str(&bounds(&case.bounds, "    "));
    text.push_str(&policy(case));
    let steps = case.main().steps.iter().map(|s| s.name.as_str());
    for (name, bounds_of) in steps.zip(&case.step_bounds) {
        text.push_str(&format!(
            "    step {name}:\n{}",
            bounds(bounds_of, "      ")
        ));
    }
    for (name, bounds_of) in &case.name_bounds {
        text.push_str(&format!("    {name}:\n{}", bounds(bounds_of, "      ")));
    }
    text
}

/// The case's confidence, what inconclusive does, its regression bounds and adaptive rounds,
/// each with the rule that set it.
fn policy(case: &Case) -> String {
    let policy = &case.policy;
    let mut text = String::new();
    if let Some(c) = &policy.confidence {
        text.push_str(&format!(
            "    confidence {}  {}\n",
            c.value,
            c.source.at_key("confidence")
        ));
    }
    if let Some(o) = &policy.on_inconclusive {
        let what = match o.value {
            OnInconclusive::Fail => "fail",
            OnInconclusive::Pass => "pass",
            OnInconclusive::Warn => "warn",
        };
        text.push_str(&format!(
            "    on_inconclusive {what}  {}\n",
            o.source.at_key("on_inconclusive")
        ));
    }
    for r in &policy.regression {
        text.push_str(&format!(
            "    regression {} {}  {}\n",
            r.metric,
            r.tolerance,
            r.source.at_key(&format!("regression.{}", r.metric))
        ));
    }
    if let Some(a) = case.adaptive {
        text.push_str(&format!(
            "    adaptive: rounds until decided, at most {} requests\n",
            a.max_requests
        ));
    }
    text
}

/// Bounds one a line, their sources aligned.
fn bounds(bounds: &[Bound], indent: &str) -> String {
    let shown: Vec<String> = bounds.iter().map(bound_text).collect();
    let width = shown.iter().map(String::len).max().unwrap_or(0);
    shown
        .iter()
        .zip(bounds)
        .map(|(text, bound)| format!("{indent}{text:<width$}  {}\n", bound.source))
        .collect()
}
