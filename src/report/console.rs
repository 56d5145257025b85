//! The summary table printed after the trials.

use std::io;

use super::text;
use super::Report;
use crate::results::CaseResult;
use crate::stats::Summary;
use crate::units::format_duration;

/// A plain-text table, one row per case, like Locust's `--only-summary`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Console;

const HEADER: [&str; 11] = [
    "case", "requests", "errors", "min", "mean", "p50", "p95", "p99", "max", "req/s", "verdict",
];

impl Report for Console {
    fn write(&self, reports: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        if reports.is_empty() {
            return Ok(());
        }
        let rows: Vec<[String; 11]> = reports
            .iter()
            .flat_map(|r| {
                let steps = r.steps.iter().chain(&r.names).map(|step| {
                    let verdict = if step.verdict.passed() {
                        "pass"
                    } else {
                        "FAIL"
                    };
                    row(&format!("  {}", step.id), Some(&step.summary), verdict)
                });
                std::iter::once(row(&r.id, r.summary.as_ref(), text::status(r.status())))
                    .chain(steps)
            })
            .collect();
        let mut widths = HEADER.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        writeln!(out, "\nloadgate summary")?;
        let line = |cells: &[String; 11]| {
            cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(out, "{}", line(&HEADER.map(String::from)))?;
        for row in &rows {
            writeln!(out, "{}", line(row).trim_end())?;
        }
        let causes: Vec<String> = reports
            .iter()
            .filter_map(|r| r.summary.as_ref().map(|s| (r, s)))
            .filter(|(_, s)| !s.error_causes.is_empty())
            .map(|(r, s)| format!("  {}: {}", r.id, text::summary_causes(s)))
            .collect();
        if !causes.is_empty() {
            writeln!(out, "errors by cause:")?;
            for c in causes {
                writeln!(out, "{c}")?;
            }
        }
        let checked: Vec<&CaseResult> = reports.iter().filter(|r| !r.checks.is_empty()).collect();
        if !checked.is_empty() {
            writeln!(out, "checks:")?;
            for report in checked {
                writeln!(out, "  {}", report.id)?;
                for line in text::checks(&report.checks).lines() {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        for report in reports {
            for (title, block) in [
                ("levels", text::levels(report)),
                ("stages", text::stages(report)),
                ("open model", text::schedule(report)),
            ] {
                if !block.is_empty() {
                    writeln!(out, "{} {title}:", report.id)?;
                    for line in block.lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
            }
        }
        for report in reports.iter().filter(|r| r.refreshes > 0) {
            writeln!(
                out,
                "{}: fixtures set up again after refresh_on: {}",
                report.id, report.refreshes
            )?;
        }
        let passed = reports.iter().filter(|r| r.passed()).count();
        writeln!(
            out,
            "{passed} of {} cases met their bounds\n",
            reports.len()
        )
    }
}

fn row(id: &str, summary: Option<&Summary>, verdict: &str) -> [String; 11] {
    let dash = || "-".to_string();
    let mut cells: [String; 11] = std::array::from_fn(|_| dash());
    cells[0] = id.to_string();
    cells[10] = verdict.to_string();
    if let Some(s) = summary {
        cells[1] = s.requests.to_string();
        cells[2] = s.errors.to_string();
        if let Some(l) = &s.latency {
            for (cell, d) in cells[3..9]
                .iter_mut()
                .zip([l.min, l.mean, l.p50, l.p95, l.p99, l.max])
            {
                *cell = format_duration(d);
            }
        }
        if let Some(rps) = s.throughput {
            cells[9] = format!("{rps:.1}");
        }
    }
    cells
}
