use std::time::Duration;

use super::*;
use crate::sample::ErrorCause;
use crate::stats::Precision;
use crate::thresholds::Thresholds;
use crate::units::Ratio;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn latency(p95: Duration) -> Latency {
    Latency {
        min: ms(1),
        mean: ms(50),
        p50: ms(40),
        p90: ms(80),
        p95,
        p99: ms(400),
        max: ms(500),
        stddev: ms(20),
        precision: Precision::Exact,
    }
}

fn summary() -> Summary {
    Summary {
        requests: 100,
        ok: 100,
        errors: 0,
        error_causes: Vec::new(),
        other_causes: 0,
        latency: Some(latency(ms(90))),
        throughput: Some(50.0),
        wall: Some(ms(800)),
        elapsed: ms(2000),
        bytes: 0,
    }
}

fn bound(metric: Metric, limit: Limit, source: &str) -> Bound {
    Bound {
        metric,
        limit,
        source: source.to_string(),
    }
}

fn builtin_error_rate() -> Bound {
    Thresholds::empty().resolve("s", "c", None).remove(0)
}

#[test]
fn passes_when_every_bound_holds() {
    let bounds = [
        bound(Metric::P95, Limit::AtMost(ms(100)), "t"),
        bound(
            Metric::P95,
            Limit::AtMost(ms(90)),
            "equal is within the bound",
        ),
        bound(Metric::Throughput, Limit::RateAtLeast(50.0), "t"),
        bound(Metric::Wall, Limit::AtMost(ms(800)), "t"),
        builtin_error_rate(),
    ];
    let verdict = judge(&summary(), &bounds);
    assert!(verdict.passed(), "{verdict}");
    assert_eq!(verdict.to_string(), "passed: every bound met");
}

#[test]
fn latency_miss_reads_like_the_docs() {
    let mut s = summary();
    s.latency = Some(latency(Duration::from_micros(312_400)));
    let b = [bound(
        Metric::P95,
        Limit::AtMost(ms(100)),
        "thresholds.yaml: suites.workers.p95",
    )];
    let verdict = judge(&s, &b);
    assert!(!verdict.passed());
    assert_eq!(
        verdict.to_string(),
        "p95 312.4ms > bound 100ms (thresholds.yaml: suites.workers.p95)"
    );
}

#[test]
fn error_rate_miss_lists_causes() {
    let mut s = summary();
    s.ok = 50;
    s.errors = 50;
    s.error_causes = vec![
        (ErrorCause::Status(500), 25),
        (ErrorCause::Status(404), 20),
        (ErrorCause::Timeout, 5),
    ];
    let verdict = judge(&s, &[builtin_error_rate()]);
    assert_eq!(
        verdict.to_string(),
        "error_rate 50.00% > bound 0% (built-in default (error_rate 0: any error fails)); \
         errors: status 500 x25, status 404 x20, timeout x5"
    );
    // At the bound passes.
    let at = bound(Metric::ErrorRate, Limit::RatioAtMost(Ratio(0.5)), "t");
    assert!(judge(&s, &[at]).passed());
}

#[test]
fn throughput_is_a_lower_bound() {
    let mut s = summary();
    s.throughput = Some(8.1);
    let b = [bound(
        Metric::Throughput,
        Limit::RateAtLeast(100.0),
        r#"thresholds.yaml: cases."tasks::*".throughput"#,
    )];
    assert_eq!(
        judge(&s, &b).to_string(),
        r#"throughput 8.1 req/s < bound 100 req/s (thresholds.yaml: cases."tasks::*".throughput)"#
    );
    s.throughput = None;
    assert_eq!(
        judge(&s, &b).to_string(),
        r#"throughput: not measurable (the measured span took no time); bound 100 req/s (thresholds.yaml: cases."tasks::*".throughput)"#
    );
}

#[test]
fn wall_miss_and_missing_rounds() {
    let mut s = summary();
    let b = [bound(Metric::Wall, Limit::AtMost(ms(500)), "w")];
    assert_eq!(judge(&s, &b).to_string(), "wall 800.0ms > bound 500ms (w)");
    s.wall = None;
    let verdict = judge(&s, &b);
    assert!(!verdict.passed());
    assert_eq!(
        verdict.to_string(),
        "wall: not measured (the case has no concurrent rounds or bursts); bound 500ms (w)"
    );
}

#[test]
fn every_latency_metric_is_checked() {
    let s = summary();
    // The latency metrics: every metric before error_rate.
    let metrics = &Metric::ALL[..8];
    assert_eq!(metrics.last(), Some(&Metric::Stddev));
    let bounds: Vec<Bound> = metrics
        .iter()
        .map(|&m| bound(m, Limit::AtMost(Duration::ZERO), "z"))
        .collect();
    let verdict = judge(&s, &bounds);
    let missed: Vec<Metric> = verdict.misses.iter().map(|m| m.bound.metric).collect();
    assert_eq!(missed, metrics);
    assert_eq!(verdict.to_string().lines().count(), metrics.len());
}

#[test]
fn no_successful_requests_misses_latency_bounds() {
    let mut s = summary();
    s.ok = 0;
    s.errors = 100;
    s.latency = None;
    s.error_causes = vec![(ErrorCause::ConnectionRefused, 100)];
    let b = [
        bound(Metric::P95, Limit::AtMost(ms(100)), "p"),
        builtin_error_rate(),
    ];
    let verdict = judge(&s, &b);
    assert_eq!(
        verdict.to_string(),
        "p95: no successful requests; bound 100ms (p)\n\
         error_rate 100.00% > bound 0% (built-in default (error_rate 0: any error fails)); errors: connection refused x100"
    );
}

#[test]
fn no_requests_is_its_own_failure() {
    let s = Summary::from_samples(&crate::sample::Samples::default());
    let verdict = judge(&s, &[builtin_error_rate()]);
    assert!(verdict.no_data);
    assert!(!verdict.passed());
    assert_eq!(
        verdict.to_string(),
        "no data: the case made no requests, so no bound could be checked"
    );
    // Even with no bounds at all.
    assert!(!judge(&s, &[]).passed());
}

#[test]
fn mismatched_limit_is_a_miss_not_a_pass() {
    let b = [bound(Metric::P95, Limit::RateAtLeast(1.0), "odd")];
    let verdict = judge(&summary(), &b);
    assert_eq!(
        verdict.to_string(),
        "p95: cannot be judged (the limit does not fit the metric); bound 1 req/s (odd)"
    );
}
