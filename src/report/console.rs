//! The summary table printed after the trials.

use std::io;

use super::text;
use super::Report;
use crate::results::{CaseResult, Status};
use crate::stats::Summary;
use crate::thresholds::Metric;
use crate::units::format_duration;

/// A plain-text table, one row per case, like Locust's `--only-summary`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Console;

/// The columns of the table; p90 and stddev only when some case has a bound on them.
#[derive(Clone, Copy, PartialEq)]
enum Column {
    Requests,
    Errors,
    Min,
    Mean,
    P50,
    P90,
    P95,
    P99,
    Max,
    Stddev,
    Rate,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Requests => "requests",
            Column::Errors => "errors",
            Column::Min => "min",
            Column::Mean => "mean",
            Column::P50 => "p50",
            Column::P90 => "p90",
            Column::P95 => "p95",
            Column::P99 => "p99",
            Column::Max => "max",
            Column::Stddev => "stddev",
            Column::Rate => "req/s",
        }
    }

    fn cell(self, s: &Summary) -> String {
        let latency = |f: fn(&crate::stats::Latency) -> std::time::Duration| {
            s.latency
                .as_ref()
                .map_or("-".into(), |l| format_duration(f(l)))
        };
        match self {
            Column::Requests => s.requests.to_string(),
            Column::Errors => s.errors.to_string(),
            Column::Min => latency(|l| l.min),
            Column::Mean => latency(|l| l.mean),
            Column::P50 => latency(|l| l.p50),
            Column::P90 => latency(|l| l.p90),
            Column::P95 => latency(|l| l.p95),
            Column::P99 => latency(|l| l.p99),
            Column::Max => latency(|l| l.max),
            Column::Stddev => latency(|l| l.stddev),
            Column::Rate => s.throughput.map_or("-".into(), |r| format!("{r:.1}")),
        }
    }
}

impl Report for Console {
    fn write(&self, reports: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        if reports.is_empty() {
            return Ok(());
        }
        let bounded = |metric: Metric| {
            reports.iter().any(|r| {
                r.verdict
                    .iter()
                    .flat_map(|v| &v.bounds)
                    .any(|j| j.bound.metric == metric)
            })
        };
        let columns: Vec<Column> = [
            Column::Requests,
            Column::Errors,
            Column::Min,
            Column::Mean,
            Column::P50,
            Column::P90,
            Column::P95,
            Column::P99,
            Column::Max,
            Column::Stddev,
            Column::Rate,
        ]
        .into_iter()
        .filter(|c| match c {
            Column::P90 => bounded(Metric::P90),
            Column::Stddev => bounded(Metric::Stddev),
            _ => true,
        })
        .collect();
        let row = |id: String, summary: Option<&Summary>, verdict: &str| {
            let mut cells = vec![id];
            cells.extend(
                columns
                    .iter()
                    .map(|c| summary.map_or("-".into(), |s| c.cell(s))),
            );
            cells.push(verdict.to_string());
            cells
        };
        let mut header = vec!["case".to_string()];
        header.extend(columns.iter().map(|c| c.title().to_string()));
        header.push("verdict".into());
        let rows = reports.iter().flat_map(|r| {
            let steps = r.steps.iter().chain(&r.names).map(|step| {
                let verdict = text::status(if step.verdict.passed() {
                    Status::Pass
                } else {
                    Status::Fail
                });
                row(format!("  {}", step.id), Some(&step.summary), verdict)
            });
            std::iter::once(row(
                r.id.clone(),
                r.summary.as_ref(),
                text::status(r.status()),
            ))
            .chain(steps)
            .collect::<Vec<_>>()
        });
        let table: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
        writeln!(out, "\nloadgate summary")?;
        writeln!(out, "{}", text::table(&table))?;
        let mut unverified: Vec<&str> = reports
            .iter()
            .filter(|r| r.tls_unverified)
            .map(|r| r.target.as_str())
            .collect();
        unverified.dedup();
        if !unverified.is_empty() {
            writeln!(
                out,
                "TLS certificates not verified (insecure): {}",
                unverified.join(", ")
            )?;
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
