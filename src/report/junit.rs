//! `junit.xml`: one `<testcase>` per case in one `<testsuite>` per suite, the form CI systems
//! read test results in. A missed bound is a `<failure>`, a case that could not run an
//! `<error>`; the text is what the failing test printed. A case left inconclusive is a
//! `<failure>` under `on_inconclusive: fail`; otherwise it passes, and says so in a
//! `loadgate.outcome` property and in its output.

use std::io;

use super::markup::{attribute, escape};
use super::meta::RunInfo;
use super::{text, Report};
use crate::results::{CaseResult, Status};

/// Writes JUnit XML; the run's facts give each suite its host name and timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Junit<'a>(pub &'a RunInfo);

impl Report for Junit<'_> {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let suites = by_suite(results);
        let count = |status: Status| results.iter().filter(|r| r.status() == status).count();
        let failures = results.iter().filter(|r| failed(r)).count();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="loadgate" tests="{}" failures="{failures}" errors="{}" time="{:.3}">"#,
            results.len(),
            count(Status::Error),
            results.iter().map(seconds).sum::<f64>()
        )?;
        let timestamp = humantime::format_rfc3339_seconds(self.0.started).to_string();
        // JUnit's schema wants the timestamp without a zone; it is UTC.
        let timestamp = timestamp.trim_end_matches('Z');
        for (suite, cases) in suites {
            let failed = cases.iter().filter(|(_, r)| failed(r)).count();
            let errors = cases
                .iter()
                .filter(|(_, r)| r.status() == Status::Error)
                .count();
            writeln!(
                out,
                r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="{errors}" skipped="0" time="{:.3}" timestamp="{timestamp}" hostname="{}">"#,
                attribute(suite),
                cases.len(),
                cases.iter().map(|(_, r)| seconds(r)).sum::<f64>(),
                attribute(self.0.host.as_deref().unwrap_or("localhost")),
            )?;
            for (name, result) in cases {
                write_case(out, suite, name, result)?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")
    }
}

/// A failing test: an error is counted apart.
fn failed(result: &CaseResult) -> bool {
    result.fails() && result.status() != Status::Error
}

fn write_case(
    out: &mut dyn io::Write,
    suite: &str,
    name: &str,
    result: &CaseResult,
) -> io::Result<()> {
    write!(
        out,
        r#"    <testcase name="{}" classname="{}" time="{:.3}">"#,
        attribute(name),
        attribute(suite),
        seconds(result)
    )?;
    let status = result.status();
    let element = match status {
        Status::Error => Some("error"),
        _ if failed(result) => Some("failure"),
        _ => None,
    };
    let undecided = status == Status::Inconclusive && element.is_none();
    if undecided {
        write!(
            out,
            r#"
      <properties><property name="loadgate.outcome" value="inconclusive"/></properties>"#
        )?;
    }
    if let Some(element) = element {
        let misses = text::misses(result);
        let message = misses.first().map_or("", String::as_str);
        write!(
            out,
            r#"
      <{element} message="{}" type="{}">{}</{element}>"#,
            attribute(message),
            text::status(status).to_lowercase(),
            escape(&text::failure_message(result))
        )?;
    }
    if let Some(summary) = &result.summary {
        let mut said = format!("measured: {}", text::one_line(summary));
        if undecided {
            said = format!("{}\n{said}", text::failure_message(result));
        }
        write!(out, "\n      <system-out>{}</system-out>", escape(&said))?;
    }
    if element.is_some() || result.summary.is_some() || undecided {
        write!(out, "\n    ")?;
    }
    writeln!(out, "</testcase>")
}

/// Cases grouped by suite (the part of the id before `::`), suites in order of first appearance.
fn by_suite(results: &[CaseResult]) -> Vec<(&str, Vec<(&str, &CaseResult)>)> {
    let mut suites: Vec<(&str, Vec<(&str, &CaseResult)>)> = Vec::new();
    for result in results {
        let (suite, name) = result
            .id
            .split_once("::")
            .unwrap_or(("loadgate", &result.id));
        match suites.iter_mut().find(|(s, _)| *s == suite) {
            Some((_, cases)) => cases.push((name, result)),
            None => suites.push((suite, vec![(name, result)])),
        }
    }
    suites
}

/// The measured span in seconds; 0 for a case that measured nothing.
fn seconds(result: &CaseResult) -> f64 {
    result
        .summary
        .as_ref()
        .map_or(0.0, |s| s.elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_without_a_suite_go_to_one_group() {
        let a = CaseResult::new("s::a", "", "", 0);
        let b = CaseResult::new("odd", "", "", 0);
        let c = CaseResult::new("s::c", "", "", 0);
        let results = [a, b, c];
        let groups = by_suite(&results);
        let names: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|(s, cases)| (*s, cases.iter().map(|(n, _)| *n).collect()))
            .collect();
        assert_eq!(
            names,
            vec![("s", vec!["a", "c"]), ("loadgate", vec!["odd"])]
        );
    }
}
