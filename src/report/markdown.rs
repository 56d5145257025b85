//! `summary.md`: the run as a Markdown table and the lines that say why cases missed, for pull
//! requests and CI job summaries.

use std::io;

use super::{text, Report};
use crate::results::{CaseResult, Status};
use crate::stats::Summary;
use crate::units::format_duration;

/// A Markdown table (case, requests, errors, p50, p95, p99, req/s, verdict) with a row per case
/// and per journey step, then each case that did not pass with its miss lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Markdown;

impl Report for Markdown {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let passed = results.iter().filter(|r| r.passed()).count();
        writeln!(out, "## loadgate results\n")?;
        writeln!(
            out,
            "{passed} of {} cases met their bounds.\n",
            results.len()
        )?;
        if results.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "| case | requests | errors | p50 | p95 | p99 | req/s | verdict |"
        )?;
        writeln!(
            out,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        )?;
        for result in results {
            let verdict = text::status(result.status());
            writeln!(out, "{}", row(&result.id, result.summary.as_ref(), verdict))?;
            for step in &result.steps {
                let verdict = text::status(if step.verdict.passed() {
                    Status::Pass
                } else {
                    Status::Fail
                });
                writeln!(out, "{}", row(&step.id, Some(&step.summary), verdict))?;
            }
        }
        let missed: Vec<&CaseResult> = results.iter().filter(|r| !r.passed()).collect();
        if !missed.is_empty() {
            writeln!(out, "\n### Why cases did not pass\n")?;
        }
        for result in missed {
            writeln!(
                out,
                "- {} ({})",
                code(&result.id),
                text::status(result.status())
            )?;
            for line in text::misses(result) {
                writeln!(out, "  - {}", code(&line))?;
            }
        }
        Ok(())
    }
}

fn row(id: &str, summary: Option<&Summary>, verdict: &str) -> String {
    let dash = || "-".to_string();
    let latency = summary.and_then(|s| s.latency.as_ref());
    let cells = [
        code(id),
        summary.map_or_else(dash, |s| s.requests.to_string()),
        summary.map_or_else(dash, |s| s.errors.to_string()),
        latency.map_or_else(dash, |l| format_duration(l.p50)),
        latency.map_or_else(dash, |l| format_duration(l.p95)),
        latency.map_or_else(dash, |l| format_duration(l.p99)),
        summary
            .and_then(|s| s.throughput)
            .map_or_else(dash, text::rate),
        verdict.to_string(),
    ];
    format!("| {} |", cells.join(" | "))
}

/// `text` as an inline code span, so nothing in it reads as Markdown or HTML: fenced with more
/// backticks than it contains in a row, and `|` escaped (GitHub ends a table cell there even
/// inside code).
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let text = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_pipes_and_markup() {
        assert_eq!(code("s::c"), "`s::c`");
        assert_eq!(code("a `b` | <i>"), "``a `b` \\| <i>``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn an_empty_run_says_so() {
        let mut out = Vec::new();
        Markdown.write(&[], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "## loadgate results\n\n0 of 0 cases met their bounds.\n\n"
        );
    }
}
