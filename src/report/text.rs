//! Results as text for people: verdict lines, the one-line summary, error causes, check counts.
//! Every report that prints words goes through here, so a value reads the same everywhere.

use std::fmt::Display;

use crate::checks::CheckTally;
use crate::confidence::Interval;
use crate::record::Resources;
use crate::results::{CaseError, CaseResult, Stage, Status};
use crate::stats::Summary;
use crate::thresholds::{Limit, Metric};
use crate::units::{format_bytes, format_duration};
use crate::verdict::{
    BaselineUse, Judged, Measured, MismatchKind, Outcome, RegressionJudged, Unmeasured, Verdict,
};

/// `status 500 x25, timeout x3`: most frequent first, then by name; `none` when empty.
pub fn causes<C: Display>(counts: impl IntoIterator<Item = (C, u64)>) -> String {
    let mut listed: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(cause, n)| (cause.to_string(), n))
        .collect();
    listed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if listed.is_empty() {
        return "none".to_string();
    }
    listed
        .iter()
        .map(|(cause, n)| format!("{cause} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error causes of `summary`, as [`causes`] writes them; errors past the bound on distinct
/// causes come last as `other causes xN`.
pub fn summary_causes(summary: &Summary) -> String {
    let mut text = causes(summary.error_causes.iter().map(|(c, n)| (c, *n)));
    if summary.other_causes > 0 {
        text.push_str(&format!(", other causes x{}", summary.other_causes));
    }
    text
}

/// Requests per second with precision that fits the size: `1234`, `8.1`, `0.042`.
pub fn rate(rate: f64) -> String {
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else if rate >= 1.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.3}")
    }
}

/// A measured value in its metric's unit: `312.4ms`, `50.00%`, `8.1 req/s`.
pub fn measured(value: &Measured) -> String {
    match value {
        Measured::Duration(d) => format_duration(*d),
        Measured::Ratio(r) => format!("{:.2}%", r * 100.0),
        Measured::Rate(r) => format!("{} req/s", rate(*r)),
        Measured::Percent(p) => format!("{p:.1}%"),
        Measured::Bytes(b) => format_bytes(*b as f64),
        Measured::BytesPerMinute(b) => format!("{}/min", format_bytes(*b)),
        Measured::Unmeasured(why) => unmeasured(*why).to_string(),
    }
}

/// `cpu max 143.2% (mean 80.1%), rss max 120.5MiB, rss growth 3.2MiB/min over 12 samples`:
/// the managed target's resources on one line.
pub fn resources(resources: &Resources) -> String {
    let (Some(cpu_max), Some(cpu_mean), Some(rss_max)) = (
        resources.cpu_max(),
        resources.cpu_mean(),
        resources.rss_max(),
    ) else {
        return "not sampled (the case ended within its first second)".to_string();
    };
    let growth = resources.rss_growth().map_or_else(
        || "too few samples".to_string(),
        |g| format!("{}/min", format_bytes(g)),
    );
    format!(
        "cpu max {cpu_max:.1}% (mean {cpu_mean:.1}%), rss max {}, rss growth {growth} over {} \
         samples",
        format_bytes(rss_max as f64),
        resources.samples()
    )
}

fn unmeasured(why: Unmeasured) -> &'static str {
    match why {
        Unmeasured::NoSuccessfulRequests => "no successful requests",
        Unmeasured::NoElapsedTime => "not measurable (the measured span took no time)",
        Unmeasured::NoRounds => "not measured (the case has no concurrent rounds or bursts)",
        Unmeasured::LimitMismatch => "cannot be judged (the limit does not fit the metric)",
        Unmeasured::NoManagedTarget => {
            "not measured: no managed target (resources are sampled from the suite's `target`)"
        }
        Unmeasured::NoResourceSamples => {
            "not measured: the managed target was not sampled (the case ended within its first \
             second)"
        }
        Unmeasured::TooFewResourceSamples => {
            "undecided: too few samples after the warm-up to estimate growth (run the case for \
             5s or more)"
        }
    }
}

/// One bound's line: `p95 312.4ms > bound 100ms (thresholds.yaml: suites.workers.p95)`; an
/// `error_rate` line ends with the causes from `summary`. A percentile judged with a confidence
/// says so, with its interval, and an undecided one how many more requests would decide it.
pub fn judged(judged: &Judged, summary: &Summary) -> String {
    let bound = &judged.bound;
    let (metric, limit, source) = (bound.metric, &bound.limit, &bound.source);
    let mut line = match (judged.measured, &judged.interval) {
        (Measured::Unmeasured(why), _) => {
            format!("{metric}: {}; bound {limit} ({source})", unmeasured(why))
        }
        (value, Some(interval)) => {
            let level = percent(interval.confidence);
            let span = interval_span(interval);
            match judged.outcome {
                Outcome::Inconclusive => format!(
                    "{metric} {} ~ bound {limit}: inconclusive at {level} confidence (interval \
                     {span}); need about {} more requests to decide ({source})",
                    measured(&value),
                    judged.more_requests.unwrap_or(1)
                ),
                Outcome::Pass => format!(
                    "{metric} {} <= bound {limit} at {level} confidence (interval {span}) \
                     ({source})",
                    measured(&value)
                ),
                Outcome::Fail => format!(
                    "{metric} {} > bound {limit} at {level} confidence (interval {span}) \
                     ({source})",
                    measured(&value)
                ),
            }
        }
        (value, None) => {
            let op = match (judged.outcome, limit) {
                (Outcome::Pass, Limit::RateAtLeast(_)) => ">=",
                (Outcome::Pass, _) => "<=",
                (_, Limit::RateAtLeast(_)) => "<",
                _ => ">",
            };
            format!(
                "{metric} {} {op} bound {limit} ({source})",
                measured(&value)
            )
        }
    };
    if metric == Metric::ErrorRate && judged.outcome != Outcome::Pass {
        line.push_str(&format!("; errors: {}", summary_causes(summary)));
    }
    line
}

/// A confidence level as a percentage: `95%`, `99.69%`.
fn percent(level: f64) -> String {
    let pct = (level * 1e4).round() / 1e2;
    format!("{pct}%")
}

/// `9.1ms..10.6ms`; an interval with no upper end (too few requests to bound the percentile
/// from above) reads `9.1ms..unbounded`.
fn interval_span(interval: &Interval) -> String {
    let low = format_duration(std::time::Duration::from_nanos(interval.low_ns));
    match interval.high_ns {
        Some(high) => format!(
            "{low}..{}",
            format_duration(std::time::Duration::from_nanos(high))
        ),
        None => format!("{low}..unbounded"),
    }
}

/// A relative change: `+46.2%`, `-3.1%`.
fn change(ratio: f64) -> String {
    format!("{:+.1}%", (ratio - 1.0) * 100.0)
}

/// One regression bound's line: `regression p95 10.2ms -> 14.9ms: +46.1% (95% interval
/// +31.0% to +62.3%, p=0.0004) beyond +10% (thresholds.yaml: defaults.regression.p95)`.
pub fn regression(judged: &RegressionJudged) -> String {
    let bound = &judged.bound;
    let key = format!("regression.{}", bound.metric);
    let source = bound.source.at_key(&key);
    let moved = format!(
        "regression {} {} -> {}",
        bound.metric,
        measured(&judged.old),
        measured(&judged.new)
    );
    let Some(c) = &judged.comparison else {
        return format!("{moved}: cannot be compared (no successful requests or no measured span on one side) ({source})");
    };
    let stats = format!(
        "{} ({} interval {} to {}, p={})",
        change(c.ratio),
        percent(c.confidence),
        change(c.low),
        change(c.high),
        p_value(c.p_value)
    );
    let tolerance = bound.tolerance;
    let verdict = match judged.outcome {
        Outcome::Fail => format!("beyond {tolerance}"),
        Outcome::Pass if c.improved => format!("improved (tolerance {tolerance})"),
        Outcome::Pass => format!("within {tolerance}"),
        Outcome::Inconclusive => format!(
            "inconclusive against {tolerance}; need about {} more requests per side to decide",
            judged.more_requests.unwrap_or(1)
        ),
    };
    format!("{moved}: {stats} {verdict} ({source})")
}

/// `0.0004`, `0.31`, `<0.0001`.
fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "<0.0001".to_string()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.2}")
    }
}

/// What to know about the baseline a case was compared with: that it lacks the case, or that
/// it was recorded on another machine, build or target. `None` when there is nothing to say.
pub fn baseline(using: &BaselineUse) -> Option<String> {
    if !using.has_case {
        return Some(format!(
            "baseline `{}` has no such case: regressions not compared",
            using.name
        ));
    }
    if using.mismatches.is_empty() {
        return None;
    }
    let differences: Vec<String> = using
        .mismatches
        .iter()
        .map(|m| {
            let what = match m.what {
                MismatchKind::Host => "host",
                MismatchKind::Cpus => "cpus",
                MismatchKind::Build => "build",
                MismatchKind::Target => "target",
            };
            format!("{what} {} -> {}", m.baseline, m.run)
        })
        .collect();
    Some(format!(
        "baseline `{}` was recorded elsewhere ({}): the comparison measures that difference too",
        using.name,
        differences.join(", ")
    ))
}

/// The lines of a verdict that did not pass: one per missed (or undecided) bound.
pub fn verdict(verdict: &Verdict, summary: &Summary) -> String {
    if verdict.no_data {
        return "no data: the case made no requests, so no bound could be checked".to_string();
    }
    if verdict.passed() {
        return "passed: every bound met".to_string();
    }
    let mut lines: Vec<String> = verdict
        .bounds
        .iter()
        .filter(|j| j.outcome != Outcome::Pass)
        .map(|j| judged(j, summary))
        .collect();
    lines.extend(
        verdict
            .regressions
            .iter()
            .filter(|r| r.outcome != Outcome::Pass || r.comparison.is_some_and(|c| c.improved))
            .map(regression),
    );
    lines.extend(verdict.baseline.as_ref().and_then(baseline));
    if verdict.rounds > 1 {
        lines.push(format!(
            "adaptive: {} rounds, {} requests",
            verdict.rounds, summary.requests
        ));
    }
    lines.join("\n")
}

/// `50 requests, 0 errors, min ... max ..., slowest round ..., 964.2 req/s` on one line.
pub fn one_line(summary: &Summary) -> String {
    let mut parts = vec![format!(
        "{} requests, {} errors",
        summary.requests, summary.errors
    )];
    if !summary.error_causes.is_empty() {
        parts.push(format!("({})", summary_causes(summary)));
    }
    if let Some(l) = &summary.latency {
        parts.push(format!(
            "min {} mean {} p50 {} p95 {} p99 {} max {}",
            format_duration(l.min),
            format_duration(l.mean),
            format_duration(l.p50),
            format_duration(l.p95),
            format_duration(l.p99),
            format_duration(l.max)
        ));
    }
    if let Some(wall) = summary.wall {
        parts.push(format!("slowest round {}", format_duration(wall)));
    }
    if let Some(spread) = summary.release_spread {
        parts.push(format!("released within {}", format_duration(spread)));
    }
    if let Some(rps) = summary.throughput {
        parts.push(format!("{rps:.1} req/s"));
    }
    parts.join(", ")
}

/// One k6-like line per check label, columns aligned, e.g.
/// `✓ access token exists  100.00%  (20/20)`; `✗` marks a label with any failure.
pub fn checks(tally: &CheckTally) -> String {
    let rows: Vec<(&str, String, String, bool)> = tally
        .entries()
        .map(|(label, passed, failed)| {
            let total = passed.saturating_add(failed);
            let share = if total == 0 {
                0.0
            } else {
                passed as f64 * 100.0 / total as f64
            };
            (
                label,
                format!("{share:.2}%"),
                format!("({passed}/{total})"),
                failed == 0,
            )
        })
        .collect();
    let label_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let share_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(label, share, counts, ok)| {
            let mark = if *ok { '✓' } else { '✗' };
            let line = format!("{mark} {label:<label_width$}  {share:>share_width$}  {counts}");
            match tally.example(label) {
                Some(why) => format!("{line}  e.g. {why}"),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A sweep's levels as seed plans tabulate them: level, requests, avg, p95, p99, error rate,
/// req/s and the level's verdict; then the breaking point when the sweep searched for one.
pub fn levels(result: &CaseResult) -> String {
    if result.levels.is_empty() {
        return String::new();
    }
    let unit = if result.description.contains("it/s") {
        "it/s"
    } else {
        "users"
    };
    let mut rows = vec![[
        format!("level ({unit})"),
        "requests".into(),
        "avg".into(),
        "p95".into(),
        "p99".into(),
        "errors".into(),
        "req/s".into(),
        "verdict".into(),
    ]];
    for level in &result.levels {
        let s = &level.summary;
        let latency = |f: fn(&crate::stats::Latency) -> std::time::Duration| {
            s.latency
                .as_ref()
                .map_or("-".into(), |l| format_duration(f(l)))
        };
        rows.push([
            format!("{}", level.level),
            s.requests.to_string(),
            latency(|l| l.mean),
            latency(|l| l.p95),
            latency(|l| l.p99),
            format!("{:.2}%", s.error_rate() * 100.0),
            s.throughput.map_or("-".into(), rate),
            outcome(level.verdict.outcome).into(),
        ]);
    }
    let mut out = table(&rows);
    if result.levels.iter().any(|l| !l.verdict.passed()) || result.breaking_point.is_some() {
        let first = result.levels.first().map_or(0.0, |l| l.level);
        let line = match result.breaking_point {
            Some(level) => {
                format!("breaking point: {level} {unit} (the last level that met every bound)")
            }
            None if result.levels.iter().all(|l| l.verdict.passed()) => String::new(),
            None => {
                format!("breaking point: below {first} {unit} (the first level missed a bound)")
            }
        };
        if !line.is_empty() {
            out.push('\n');
            out.push_str(&line);
        }
    }
    out
}

/// A ramp's stages: where each took the load and what it saw.
pub fn stages(result: &CaseResult) -> String {
    if result.stages.is_empty() {
        return String::new();
    }
    let mut rows = vec![[
        "stage".to_string(),
        "time".into(),
        "load".into(),
        "requests".into(),
        "errors".into(),
        "p50".into(),
        "p95".into(),
        "p99".into(),
        "req/s".into(),
    ]];
    for (i, stage) in result.stages.iter().enumerate() {
        let d = |v: Option<std::time::Duration>| v.map_or("-".into(), format_duration);
        rows.push([
            (i + 1).to_string(),
            format!(
                "{}s-{}s",
                stage.span.from.as_secs_f64(),
                stage.span.to.as_secs_f64()
            ),
            format!("{} -> {}", stage.span.start, stage.span.target),
            stage.requests.to_string(),
            stage.errors.to_string(),
            d(stage.p50),
            d(stage.p95),
            d(stage.p99),
            rate(stage.throughput),
        ]);
    }
    table(&rows)
}

/// An open model's parts of the latency: service time, start lag, dropped iterations.
pub fn schedule(result: &CaseResult) -> String {
    let Some(schedule) = &result.schedule else {
        return String::new();
    };
    let part = |s: &Summary| {
        s.latency.as_ref().map_or("-".to_string(), |l| {
            format!(
                "p50 {} p95 {} p99 {} max {}",
                format_duration(l.p50),
                format_duration(l.p95),
                format_duration(l.p99),
                format_duration(l.max)
            )
        })
    };
    format!(
        "latency from each iteration's scheduled start; service time {}; start lag {}; \
         dropped iterations {}",
        part(&schedule.service),
        part(&schedule.lag),
        schedule.dropped
    )
}

/// `pass`, `FAIL`, `INCONCLUSIVE`.
fn outcome(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Inconclusive => "INCONCLUSIVE",
        Outcome::Fail => "FAIL",
    }
}

/// Rows as aligned columns, two spaces apart: the first left-aligned (names), the rest
/// right-aligned (numbers); no line ends in spaces. The one padder of the text reports.
pub(crate) fn table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        let row = row.as_ref();
        if widths.len() < row.len() {
            widths.resize(row.len(), 0);
        }
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            row.as_ref()
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, &w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a case ended, as tables show it: `pass`, `INCONCLUSIVE`, `FAIL`, `ERROR` (the words that
/// need attention in capitals).
pub fn status(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Inconclusive => "INCONCLUSIVE",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
    }
}

/// `could not run: <message>`: why a case has no verdict of its own, or failed apart from it.
pub fn error(error: &CaseError) -> String {
    let what = match error.stage {
        Stage::Load => "could not load",
        Stage::Setup | Stage::Run => "could not run",
        Stage::Teardown => "failed its tear-down",
    };
    format!("{what}: {}", error.message)
}

/// Why a case did not pass, one line each: its error, then every missed or undecided bound of
/// the case, then those of its journey steps (prefixed with the step's id). Empty when it passed.
pub fn misses(result: &CaseResult) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(e) = &result.error {
        lines.extend(error(e).lines().map(String::from));
    }
    if let (Some(verdict), Some(summary)) = (&result.verdict, &result.summary) {
        if !verdict.passed() {
            lines.extend(self::verdict(verdict, summary).lines().map(String::from));
        }
    }
    for step in result
        .steps
        .iter()
        .chain(&result.names)
        .filter(|s| !s.verdict.passed())
    {
        let text = self::verdict(&step.verdict, &step.summary);
        lines.extend(text.lines().map(|line| format!("{}: {line}", step.id)));
    }
    lines
}

/// The text a failing test prints: why it could not run, or what missed which bound, then what
/// was measured and how the case ran.
pub fn failure_message(result: &CaseResult) -> String {
    let mut out = String::new();
    if let Some(e) = &result.error {
        out.push_str(&format!("{} {}\n", result.id, error(e)));
    }
    if let (Some(aborted), Some(summary)) = (&result.aborted, &result.summary) {
        out.push_str(&format!(
            "{} aborted at {}: {}\n",
            result.id,
            format_duration(aborted.at),
            judged(&aborted.miss, summary)
        ));
    }
    if let (Some(verdict), Some(summary)) = (&result.verdict, &result.summary) {
        if !verdict.passed() {
            push_verdict(&mut out, &result.id, verdict, summary);
        }
    }
    for (title, block) in [
        ("levels", levels(result)),
        ("stages", stages(result)),
        ("open model", schedule(result)),
    ] {
        if !block.is_empty() {
            out.push_str(&format!("  {title}:\n"));
            for line in block.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    for step in result
        .steps
        .iter()
        .chain(&result.names)
        .filter(|s| !s.verdict.passed())
    {
        push_verdict(&mut out, &step.id, &step.verdict, &step.summary);
    }
    if !result.checks.is_empty() {
        out.push_str("  checks:\n");
        for line in checks(&result.checks).lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    if result.refreshes > 0 {
        out.push_str(&format!(
            "  fixtures set up again after refresh_on: {}\n",
            result.refreshes
        ));
    }
    if let Some(summary) = &result.summary {
        out.push_str(&format!("  measured: {}\n", one_line(summary)));
    }
    if let Some(sampled) = &result.resources {
        out.push_str(&format!("  target resources: {}\n", resources(sampled)));
    }
    out.push_str(&format!(
        "  case: {}; target {}; seed {}",
        result.description, result.target, result.seed
    ));
    out
}

fn push_verdict(out: &mut String, id: &str, verdict: &Verdict, summary: &Summary) {
    let head = if verdict.outcome == Outcome::Inconclusive {
        "could not decide its bounds"
    } else {
        "missed its bounds"
    };
    out.push_str(&format!("{id} {head}:\n"));
    for line in self::verdict(verdict, summary).lines() {
        out.push_str(&format!("  {line}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lines_match_k6() {
        let mut tally = CheckTally::default();
        for i in 0..20 {
            tally.record("access token exists", true);
            tally.record("status is 201", i % 2 == 0);
        }
        assert_eq!(
            checks(&tally),
            "✓ access token exists  100.00%  (20/20)\n✗ status is 201         50.00%  (10/20)"
        );
        let mut alone = CheckTally::default();
        for i in 0..20 {
            alone.record("status is 201", i < 10);
        }
        assert_eq!(checks(&alone), "✗ status is 201  50.00%  (10/20)");
        assert_eq!(checks(&CheckTally::default()), "");
    }

    #[test]
    fn causes_most_frequent_first() {
        let list = [("timeout", 3), ("status 500", 25), ("status 404", 25)];
        assert_eq!(causes(list), "status 404 x25, status 500 x25, timeout x3");
        assert_eq!(causes(Vec::<(&str, u64)>::new()), "none");
    }
}

#[cfg(test)]
mod verdict_tests {
    //! The verdict lines as users read them in CI logs.
    use std::time::Duration;

    use super::verdict as text;
    use crate::sample::ErrorCause;
    use crate::stats::{Latency, Precision, Summary};
    use crate::thresholds::{Bound, Limit, Metric, Source, Thresholds};
    use crate::verdict::judge;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn summary() -> Summary {
        Summary {
            requests: 100,
            ok: 100,
            errors: 0,
            error_causes: Vec::new(),
            other_causes: 0,
            bytes: 0,
            latency: Some(Latency {
                precision: Precision::Exact,
                min: ms(1),
                mean: ms(50),
                p50: ms(40),
                p90: ms(80),
                p95: Duration::from_micros(312_400),
                p99: ms(400),
                max: ms(500),
                stddev: ms(20),
            }),
            throughput: Some(8.1),
            wall: None,
            release_spread: None,
            elapsed: ms(2000),
        }
    }

    fn suite_bound(metric: Metric, limit: Limit) -> Bound {
        let source = Source::Suite {
            file: "thresholds.yaml".into(),
            suite: "workers".into(),
            metric,
        };
        Bound {
            metric,
            limit,
            source,
        }
    }

    #[test]
    fn misses_read_like_the_docs() {
        let s = summary();
        let b = [suite_bound(Metric::P95, Limit::AtMost(ms(100)))];
        assert_eq!(
            text(&judge(&s, &b), &s),
            "p95 312.4ms > bound 100ms (thresholds.yaml: suites.workers.p95)"
        );
        let b = [Bound {
            metric: Metric::Throughput,
            limit: Limit::RateAtLeast(100.0),
            source: Source::Case {
                file: "thresholds.yaml".into(),
                pattern: "tasks::*".into(),
                metric: Metric::Throughput,
            },
        }];
        assert_eq!(
            text(&judge(&s, &b), &s),
            r#"throughput 8.1 req/s < bound 100 req/s (thresholds.yaml: cases."tasks::*".throughput)"#
        );
        let b = [suite_bound(Metric::Wall, Limit::AtMost(ms(500)))];
        assert_eq!(
            text(&judge(&s, &b), &s),
            "wall: not measured (the case has no concurrent rounds or bursts); bound 500ms \
             (thresholds.yaml: suites.workers.wall)"
        );
    }

    #[test]
    fn error_rate_lists_causes_most_frequent_first() {
        let mut s = summary();
        s.ok = 50;
        s.errors = 50;
        s.error_causes = vec![
            (ErrorCause::Status(500), 25),
            (ErrorCause::Status(404), 20),
            (ErrorCause::Timeout, 5),
        ];
        let b = Thresholds::empty().resolve("s", "c", None);
        assert_eq!(
            text(&judge(&s, &b), &s),
            "error_rate 50.00% > bound 0% (built-in default (error_rate 0: any error fails)); \
             errors: status 500 x25, status 404 x20, timeout x5"
        );
    }

    #[test]
    fn resource_lines_name_the_unit_and_the_reason() {
        use crate::record::Resources;
        use crate::verdict::judge_with;

        let s = summary();
        let b = [
            suite_bound(Metric::CpuMax, Limit::PercentAtMost(100.0)),
            suite_bound(Metric::RssMax, Limit::BytesAtMost(64 << 20)),
            suite_bound(Metric::RssGrowth, Limit::BytesPerMinuteAtMost(1048576.0)),
        ];
        assert_eq!(
            text(&judge(&s, &b[1..2]), &s),
            "rss_max: not measured: no managed target (resources are sampled from the suite's \
             `target`); bound 64MiB (thresholds.yaml: suites.workers.rss_max)"
        );
        let mut r = Resources::default();
        for sec in 1..=10u64 {
            r.record(Duration::from_secs(sec), 143.2, (100 + 2 * sec) << 20);
        }
        assert_eq!(
            text(&judge_with(&s, Some(&r), &b), &s),
            "cpu_max 143.2% > bound 100% (thresholds.yaml: suites.workers.cpu_max)\n\
             rss_max 120MiB > bound 64MiB (thresholds.yaml: suites.workers.rss_max)\n\
             rss_growth 120MiB/min > bound 1MiB/min (thresholds.yaml: suites.workers.rss_growth)"
        );
        assert_eq!(
            crate::report::text::resources(&r),
            "cpu max 143.2% (mean 143.2%), rss max 120MiB, rss growth 120MiB/min over 10 samples"
        );
    }

    #[test]
    fn passing_and_empty_verdicts() {
        let s = summary();
        assert_eq!(text(&judge(&s, &[]), &s), "passed: every bound met");
        let mut none = summary();
        none.requests = 0;
        assert_eq!(
            text(&judge(&none, &[]), &none),
            "no data: the case made no requests, so no bound could be checked"
        );
    }
}
