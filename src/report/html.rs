//! `report.html`: one self-contained page (no scripts, fonts or files from elsewhere) with, per
//! case, the verdict first and then its charts as inline SVG: a latency histogram, percentiles
//! over time against the bounds, throughput and errors over time.

use std::io;
use std::time::Duration;

use super::markup::escape;
use super::meta::RunInfo;
use super::svg::{self, Bar, Frame, Line, Rule};
use super::{text, Report};
use crate::record::{ResourceSlot, Resources, Series, Timeline, Users};
use crate::results::{CaseResult, Status};
use crate::thresholds::{Limit, Metric};
use crate::units::{format_bytes, format_duration};

/// Writes the HTML report; the run's facts head the page.
#[derive(Debug, Clone, Copy)]
pub struct Html<'a>(pub &'a RunInfo);

/// Bars of the latency histogram.
const HISTOGRAM_BARS: usize = 30;

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a202c}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin:0}table{border-collapse:collapse;margin:1rem 0}
td,th{padding:.2rem .6rem;border-bottom:1px solid #e2e8f0;text-align:right}td:first-child,th:first-child{text-align:left}
section.case{border:1px solid #cbd5e0;border-left-width:6px;border-radius:4px;padding:1rem;margin:1.5rem 0}
.pass{border-left-color:#2f855a}.fail{border-left-color:#c53030}.inconclusive{border-left-color:#b7791f}.error{border-left-color:#6b46c1}
.badge{display:inline-block;padding:0 .5rem;border-radius:3px;color:#fff;font-size:.85rem;margin-left:.5rem}
.badge.pass{background:#2f855a}.badge.fail{background:#c53030}.badge.inconclusive{background:#b7791f}.badge.error{background:#6b46c1}
ul.misses{color:#9b2c2c}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
dl.run{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}dt{font-weight:600}dd{margin:0}
svg.chart{width:100%;height:auto;margin:.5rem 0;font-size:11px}
.chart-title{font-weight:600;font-size:13px}.tick,.axis-label{fill:#4a5568}
.grid{stroke:#edf2f7}.axis{stroke:#a0aec0}
.p50{stroke:#3182ce;fill:#3182ce}.p95{stroke:#dd6b20;fill:#dd6b20}.p99{stroke:#c53030;fill:#c53030}
.rps{stroke:#2f855a;fill:#2f855a}.users{stroke:#2c7a7b;fill:#2c7a7b}
.cpu-mean{stroke:#3182ce;fill:#3182ce}.cpu-max{stroke:#c53030;fill:#c53030}.rss{stroke:#6b46c1;fill:#6b46c1}
polyline.line{fill:none;stroke-width:1.8}text.legend{stroke:none;font-weight:600}
.rule{stroke:#805ad5;stroke-dasharray:6 4}.rule-label{fill:#805ad5}
.bar{fill:#4299e1}.errors .bar{fill:#e53e3e}
";

impl Report for Html<'_> {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let passed = results.iter().filter(|r| r.passed()).count();
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>loadgate report</title><style>{STYLE}</style></head><body>\n\
             <h1>loadgate report: {passed} of {} cases met their bounds</h1>\n",
            results.len()
        )?;
        writeln!(out, "{}", run_facts(self.0))?;
        writeln!(out, "{}", overview(results))?;
        for (index, result) in results.iter().enumerate() {
            writeln!(out, "{}", case_section(index, result))?;
        }
        writeln!(out, "</body></html>")
    }
}

fn run_facts(run: &RunInfo) -> String {
    let none = || "-".to_string();
    let facts = [
        (
            "started",
            humantime::format_rfc3339_seconds(run.started).to_string(),
        ),
        ("commit", run.git_commit.clone().unwrap_or_else(none)),
        ("host", run.host.clone().unwrap_or_else(none)),
        ("CPUs", run.cpus.to_string()),
        ("build", run.build.to_string()),
        ("profile", run.profile.clone().unwrap_or_else(none)),
        ("targets", run.targets.join(", ")),
        ("run id", run.run_id.clone()),
    ];
    let unverified = (!run.tls_unverified.is_empty()).then(|| {
        (
            "TLS not verified",
            format!(
                "{} (insecure: certificates not checked)",
                run.tls_unverified.join(", ")
            ),
        )
    });
    let facts: Vec<(&str, String)> = facts.into_iter().chain(unverified).collect();
    let rows: String = facts
        .iter()
        .map(|(name, value)| format!("<dt>{name}</dt><dd>{}</dd>", escape(value)))
        .collect();
    format!("<dl class=\"run\">{rows}</dl>")
}

fn overview(results: &[CaseResult]) -> String {
    let mut html = String::from(
        "<table><tr><th>case</th><th>requests</th><th>errors</th><th>p50</th><th>p95</th>\
         <th>p99</th><th>req/s</th><th>verdict</th></tr>",
    );
    for (index, result) in results.iter().enumerate() {
        let summary = result.summary.as_ref();
        let latency = summary.and_then(|s| s.latency.as_ref());
        let duration = |pick: fn(&crate::stats::Latency) -> Duration| {
            latency.map_or("-".to_string(), |l| format_duration(pick(l)))
        };
        let cells = [
            summary.map_or("-".into(), |s| s.requests.to_string()),
            summary.map_or("-".into(), |s| s.errors.to_string()),
            duration(|l| l.p50),
            duration(|l| l.p95),
            duration(|l| l.p99),
            summary
                .and_then(|s| s.throughput)
                .map_or("-".into(), text::rate),
        ];
        let cells: String = cells.iter().map(|c| format!("<td>{c}</td>")).collect();
        html.push_str(&format!(
            "<tr><td><a href=\"#case-{index}\">{}</a></td>{cells}<td>{}</td></tr>",
            escape(&result.id),
            badge(result.status())
        ));
    }
    html.push_str("</table>");
    html
}

fn badge(status: Status) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        class(status),
        text::status(status)
    )
}

fn class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Inconclusive => "inconclusive",
        Status::Fail => "fail",
        Status::Error => "error",
    }
}

/// One case: verdict and miss lines first, then what was measured, the bounds with their
/// sources, the charts, steps and checks.
fn case_section(index: usize, result: &CaseResult) -> String {
    let status = result.status();
    let mut html = format!(
        "<section class=\"case {}\" id=\"case-{index}\"><h2>{}{}</h2>",
        class(status),
        escape(&result.id),
        badge(status)
    );
    let misses = text::misses(result);
    if !misses.is_empty() {
        let items: String = misses
            .iter()
            .map(|m| format!("<li>{}</li>", escape(m)))
            .collect();
        html.push_str(&format!("<ul class=\"misses\">{items}</ul>"));
    }
    html.push_str(&format!(
        "<p>{}; target {}; seed {}</p>",
        escape(&result.description),
        escape(&result.target),
        result.seed
    ));
    if let Some(summary) = &result.summary {
        html.push_str(&format!(
            "<p>measured: {}</p>",
            escape(&text::one_line(summary))
        ));
        if let Some(verdict) = &result.verdict {
            let lines: String = verdict
                .bounds
                .iter()
                .map(|j| format!("<li>{}</li>", escape(&text::judged(j, summary))))
                .collect();
            html.push_str(&format!("<ul class=\"bounds\">{lines}</ul>"));
        }
    }
    if let Some(recorded) = &result.recorded {
        html.push_str(&latency_histogram(&recorded.total));
        html.push_str(&percentiles_over_time(result, recorded.total.timeline()));
        html.push_str(&throughput_over_time(result, recorded.total.timeline()));
        html.push_str(&errors_over_time(recorded.total.timeline()));
        html.push_str(&users_over_time(&recorded.users));
    }
    if let Some(resources) = &result.resources {
        html.push_str(&resource_charts(result, resources));
    }
    if !result.steps.is_empty() {
        html.push_str("<table><tr><th>step</th><th>measured</th><th>verdict</th></tr>");
        for step in &result.steps {
            let status = if step.verdict.passed() {
                Status::Pass
            } else {
                Status::Fail
            };
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&step.id),
                escape(&text::one_line(&step.summary)),
                badge(status)
            ));
        }
        html.push_str("</table>");
    }
    if !result.checks.is_empty() {
        html.push_str(&format!(
            "<pre class=\"checks\">{}</pre>",
            escape(&text::checks(&result.checks))
        ));
    }
    html.push_str("</section>");
    html
}

/// Successful latencies in log-spaced bins between the fastest and slowest, from the series'
/// HDR histogram.
fn latency_histogram(series: &Series) -> String {
    let (Some(min), Some(max)) = (series.min(), series.max()) else {
        return String::new();
    };
    let (low, high) = (nanos(min).max(1.0), nanos(max).max(1.0));
    let bins = if high / low < 1.001 {
        1
    } else {
        HISTOGRAM_BARS
    };
    let ratio = (high / low).ln();
    let edge = |i: usize| low * (ratio * i as f64 / bins as f64).exp();
    let mut counts = vec![0u64; bins];
    for value in series.histogram().iter_recorded() {
        let v = (value.value_iterated_to() as f64).clamp(low, high);
        let bin = if bins == 1 {
            0
        } else {
            ((v / low).ln() / ratio * bins as f64) as usize
        };
        counts[bin.min(bins - 1)] += value.count_at_value();
    }
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| Bar {
            label: format_duration(duration(edge(i))),
            value: count as f64,
            tip: format!(
                "{} to {}: {count} requests",
                format_duration(duration(edge(i))),
                format_duration(duration(edge(i + 1)))
            ),
        })
        .collect();
    // Counts are whole: fractional ticks (a histogram of one request) stay unlabelled.
    let y_format = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            String::new()
        }
    };
    let frame = Frame {
        class: "latency-histogram",
        title: "latency histogram (successful requests)",
        x_label: "latency (log scale)",
        y_format: &y_format,
    };
    svg::bar_chart(&frame, &bars)
}

/// p50, p95 and p99 per timeline slot, with the case's latency bounds as horizontal lines.
fn percentiles_over_time(result: &CaseResult, timeline: &Timeline) -> String {
    let line = |label, class, p: f64| Line {
        label,
        class,
        points: timeline
            .iter()
            .map(|(at, slot)| (at.as_secs_f64(), slot.percentile(p).map(millis)))
            .collect(),
    };
    let lines = [
        line("p50", "p50", 50.0),
        line("p95", "p95", 95.0),
        line("p99", "p99", 99.0),
    ];
    let rules: Vec<Rule> = bounds(result)
        .filter_map(|(metric, limit)| match (metric, limit) {
            (
                Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 | Metric::Max,
                Limit::AtMost(d),
            ) => Some(Rule {
                label: format!("{metric} bound {limit}"),
                y: millis(d),
            }),
            _ => None,
        })
        .collect();
    let y_format = |ms: f64| format_duration(duration(ms * 1e6));
    let frame = Frame {
        class: "percentiles-over-time",
        title: "latency percentiles per second",
        x_label: "time into the case",
        y_format: &y_format,
    };
    svg::line_chart(&frame, &lines, &rules)
}

/// Requests per second per timeline slot, with a throughput bound as a horizontal line.
fn throughput_over_time(result: &CaseResult, timeline: &Timeline) -> String {
    let width = timeline.width().as_secs_f64();
    let line = Line {
        label: "requests/s",
        class: "rps",
        points: timeline
            .iter()
            .map(|(at, slot)| (at.as_secs_f64(), Some(slot.requests() as f64 / width)))
            .collect(),
    };
    let rules: Vec<Rule> = bounds(result)
        .filter_map(|(metric, limit)| match limit {
            Limit::RateAtLeast(rate) => Some(Rule {
                label: format!("{metric} bound {limit}"),
                y: rate,
            }),
            _ => None,
        })
        .collect();
    let y_format = |v: f64| format!("{} req/s", axis_number(v));
    let frame = Frame {
        class: "throughput-over-time",
        title: "throughput per second",
        x_label: "time into the case",
        y_format: &y_format,
    };
    svg::line_chart(&frame, &[line], &rules)
}

/// Failed requests per second per timeline slot.
fn errors_over_time(timeline: &Timeline) -> String {
    let width = timeline.width().as_secs_f64();
    let bars: Vec<Bar> = timeline
        .iter()
        .map(|(at, slot)| Bar {
            label: format!("{}s", at.as_secs()),
            value: slot.errors() as f64 / width,
            tip: format!(
                "{} errors of {} requests from {}s",
                slot.errors(),
                slot.requests(),
                at.as_secs()
            ),
        })
        .collect();
    let y_format = |v: f64| format!("{}/s", axis_number(v));
    let frame = Frame {
        class: "errors errors-over-time",
        title: "errors per second",
        x_label: "time into the case (s)",
        y_format: &y_format,
    };
    svg::bar_chart(&frame, &bars)
}

/// Virtual users running per second (a closed model's), as Locust's user count chart; nothing
/// for kinds without virtual users.
fn users_over_time(users: &Users) -> String {
    if users.is_empty() {
        return String::new();
    }
    let line = Line {
        label: "users",
        class: "users",
        points: users
            .iter()
            .map(|(at, mean)| (at.as_secs_f64(), Some(mean)))
            .collect(),
    };
    let y_format = |v: f64| axis_number(v);
    let frame = Frame {
        class: "users-over-time",
        title: "virtual users per second (mean)",
        x_label: "time into the case",
        y_format: &y_format,
    };
    svg::line_chart(&frame, &[line], &[])
}

/// The managed target's CPU and resident memory per second, each with the case's bound on it
/// (`cpu_max`, `rss_max`) as a horizontal line.
fn resource_charts(result: &CaseResult, resources: &Resources) -> String {
    if resources.is_empty() {
        return String::new();
    }
    let per_slot = |read: &dyn Fn(&ResourceSlot) -> Option<f64>| -> Vec<(f64, Option<f64>)> {
        resources
            .iter()
            .map(|(at, slot)| (at.as_secs_f64(), read(slot)))
            .collect()
    };
    let cpu = [
        Line {
            label: "cpu mean",
            class: "cpu-mean",
            points: per_slot(&|s| s.cpu_mean()),
        },
        Line {
            label: "cpu max",
            class: "cpu-max",
            points: per_slot(&|s| s.cpu_max()),
        },
    ];
    let rss = [Line {
        label: "rss max",
        class: "rss",
        points: per_slot(&|s| s.rss_max().map(|b| b as f64)),
    }];
    let (mut cpu_rules, mut rss_rules) = (Vec::new(), Vec::new());
    for (metric, limit) in bounds(result) {
        match limit {
            Limit::PercentAtMost(p) if metric == Metric::CpuMax => cpu_rules.push(Rule {
                label: format!("{metric} bound {limit}"),
                y: p,
            }),
            Limit::BytesAtMost(b) if metric == Metric::RssMax => rss_rules.push(Rule {
                label: format!("{metric} bound {limit}"),
                y: b as f64,
            }),
            _ => {}
        }
    }
    let percent = |v: f64| format!("{v:.0}%");
    let size = |v: f64| format_bytes(v);
    let cpu_frame = Frame {
        class: "target-cpu",
        title: "target CPU per second (% of one core)",
        x_label: "time into the case",
        y_format: &percent,
    };
    let rss_frame = Frame {
        class: "target-rss",
        title: "target resident memory per second",
        x_label: "time into the case",
        y_format: &size,
    };
    svg::line_chart(&cpu_frame, &cpu, &cpu_rules) + &svg::line_chart(&rss_frame, &rss, &rss_rules)
}

/// The case's bounds, as metric and limit.
fn bounds(result: &CaseResult) -> impl Iterator<Item = (Metric, Limit)> + '_ {
    result
        .verdict
        .iter()
        .flat_map(|v| v.bounds.iter().map(|j| (j.bound.metric, j.bound.limit)))
}

/// A tick value: `0`, or a rate as [`text::rate`] writes it.
fn axis_number(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else {
        text::rate(value)
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_nanos() as f64
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn duration(nanos: f64) -> Duration {
    Duration::from_nanos(nanos.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_users_get_a_chart_and_other_kinds_none() {
        assert_eq!(users_over_time(&Users::default()), "");
        let mut users = Users::default();
        users.record(Duration::ZERO, Duration::from_secs(3), 20);
        let svg = users_over_time(&users);
        assert!(
            svg.starts_with(r#"<svg class="chart users-over-time""#),
            "{svg}"
        );
        assert!(svg.contains("virtual users per second"), "{svg}");
        assert!(svg.contains(r#"class="line users""#), "{svg}");
    }
}
