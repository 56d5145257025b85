use std::time::Duration;

use super::*;
use crate::suite::Ratio;
use crate::thresholds::{Source, Thresholds};

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
        precision: crate::stats::Precision::Exact,
    }
}

pub(crate) fn summary() -> Summary {
    Summary {
        requests: 100,
        ok: 100,
        errors: 0,
        error_causes: Vec::new(),
        other_causes: 0,
        bytes: 0,
        latency: Some(latency(ms(90))),
        throughput: Some(50.0),
        wall: Some(ms(800)),
        release_spread: Some(Duration::from_micros(40)),
        elapsed: ms(2000),
    }
}

pub(crate) fn bound(metric: Metric, limit: Limit) -> Bound {
    Bound {
        metric,
        limit,
        source: Source::Defaults {
            file: "thresholds.yaml".into(),
            metric,
        },
    }
}

fn builtin_error_rate() -> Bound {
    Thresholds::empty().resolve("s", "c", None).remove(0)
}

fn outcomes(verdict: &Verdict) -> Vec<(Metric, Outcome)> {
    verdict
        .bounds
        .iter()
        .map(|j| (j.bound.metric, j.outcome))
        .collect()
}

#[test]
fn passes_when_every_bound_holds_including_equality() {
    let bounds = [
        bound(Metric::P95, Limit::AtMost(ms(100))),
        bound(Metric::P95, Limit::AtMost(ms(90))),
        bound(Metric::Throughput, Limit::RateAtLeast(50.0)),
        bound(Metric::Wall, Limit::AtMost(ms(800))),
        builtin_error_rate(),
    ];
    let verdict = judge(&summary(), &bounds);
    assert!(verdict.passed(), "{verdict:?}");
    assert_eq!(verdict.bounds.len(), 5);
    assert_eq!(verdict.bounds[1].measured, Measured::Duration(ms(90)));
    assert_eq!(verdict.bounds[4].measured, Measured::Ratio(0.0));
}

#[test]
fn a_latency_miss_carries_value_bound_and_rule() {
    let mut s = summary();
    s.latency = Some(latency(Duration::from_micros(312_400)));
    let verdict = judge(&s, &[bound(Metric::P95, Limit::AtMost(ms(100)))]);
    assert_eq!(verdict.outcome, Outcome::Fail);
    let miss = verdict.misses().next().unwrap();
    assert_eq!(
        miss.measured,
        Measured::Duration(Duration::from_micros(312_400))
    );
    assert_eq!(miss.bound.limit, Limit::AtMost(ms(100)));
    assert_eq!(
        miss.bound.source.to_string(),
        "thresholds.yaml: defaults.p95"
    );
}

#[test]
fn error_rate_is_a_ratio_and_at_the_bound_passes() {
    let mut s = summary();
    s.ok = 50;
    s.errors = 50;
    let verdict = judge(&s, &[builtin_error_rate()]);
    assert_eq!(outcomes(&verdict), [(Metric::ErrorRate, Outcome::Fail)]);
    assert_eq!(verdict.bounds[0].measured, Measured::Ratio(0.5));
    let at = bound(Metric::ErrorRate, Limit::RatioAtMost(Ratio(0.5)));
    assert!(judge(&s, &[at]).passed());
}

#[test]
fn throughput_is_a_lower_bound() {
    let mut s = summary();
    s.throughput = Some(8.1);
    let b = [bound(Metric::Throughput, Limit::RateAtLeast(100.0))];
    let verdict = judge(&s, &b);
    assert_eq!(verdict.bounds[0].measured, Measured::Rate(8.1));
    assert_eq!(verdict.outcome, Outcome::Fail);
    s.throughput = None;
    assert_eq!(
        judge(&s, &b).bounds[0].measured,
        Measured::Unmeasured(Unmeasured::NoElapsedTime)
    );
}

#[test]
fn wall_missed_or_not_measured_fails() {
    let mut s = summary();
    let b = [bound(Metric::Wall, Limit::AtMost(ms(500)))];
    assert_eq!(judge(&s, &b).outcome, Outcome::Fail);
    s.wall = None;
    let verdict = judge(&s, &b);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::NoRounds)
    );
}

#[test]
fn every_latency_metric_is_checked() {
    let metrics = &Metric::ALL[..8];
    assert_eq!(metrics.last(), Some(&Metric::Stddev));
    let bounds: Vec<Bound> = metrics
        .iter()
        .map(|&m| bound(m, Limit::AtMost(Duration::ZERO)))
        .collect();
    let verdict = judge(&summary(), &bounds);
    let missed: Vec<Metric> = verdict.misses().map(|m| m.bound.metric).collect();
    assert_eq!(missed, metrics);
}

#[test]
fn no_successful_requests_fails_latency_bounds() {
    let mut s = summary();
    s.ok = 0;
    s.errors = 100;
    s.latency = None;
    let verdict = judge(&s, &[bound(Metric::P95, Limit::AtMost(ms(100)))]);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::NoSuccessfulRequests)
    );
}

#[test]
fn no_requests_is_its_own_failure() {
    let mut s = summary();
    s.requests = 0;
    let verdict = judge(&s, &[builtin_error_rate()]);
    assert!(verdict.no_data);
    assert!(!verdict.passed());
    assert!(!judge(&s, &[]).passed());
}

#[test]
fn mismatched_limit_is_a_miss_not_a_pass() {
    let verdict = judge(&summary(), &[bound(Metric::P95, Limit::RateAtLeast(1.0))]);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::LimitMismatch)
    );
}

#[test]
fn verdicts_round_trip_through_json() {
    let verdict = judge(
        &summary(),
        &[
            bound(Metric::P95, Limit::AtMost(ms(10))),
            builtin_error_rate(),
            bound(Metric::Throughput, Limit::RateAtLeast(2.5)),
        ],
    );
    let json = serde_json::to_string(&verdict).unwrap();
    let back: Verdict = serde_json::from_str(&json).unwrap();
    assert_eq!(back, verdict);
}

#[test]
fn resource_bounds_without_a_managed_target_fail_unmeasured() {
    let b = [bound(Metric::RssMax, Limit::BytesAtMost(512 << 20))];
    let verdict = judge(&summary(), &b);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::NoManagedTarget)
    );
}

#[test]
fn resource_bounds_are_judged_on_the_samples() {
    let mut r = Resources::default();
    // CPU up to 140%, memory from 101 to 106 MiB: 60 MiB a minute.
    for s in 1..=6u64 {
        r.record(
            Duration::from_secs(s),
            80.0 + s as f64 * 10.0,
            (100 + s) << 20,
        );
    }
    let b = [
        bound(Metric::CpuMax, Limit::PercentAtMost(150.0)),
        bound(Metric::CpuMax, Limit::PercentAtMost(100.0)),
        bound(Metric::RssMax, Limit::BytesAtMost(106 << 20)),
        bound(
            Metric::RssGrowth,
            Limit::BytesPerMinuteAtMost(1024.0 * 1024.0),
        ),
    ];
    let verdict = judge_with(&summary(), Some(&r), &b);
    let got: Vec<(Measured, Outcome)> = verdict
        .bounds
        .iter()
        .map(|j| (j.measured, j.outcome))
        .collect();
    assert_eq!(got[0], (Measured::Percent(140.0), Outcome::Pass));
    assert_eq!(got[1], (Measured::Percent(140.0), Outcome::Fail));
    assert_eq!(got[2], (Measured::Bytes(106 << 20), Outcome::Pass));
    let Measured::BytesPerMinute(growth) = got[3].0 else {
        panic!("{got:?}");
    };
    assert!((growth / (1 << 20) as f64 - 60.0).abs() < 1e-6, "{growth}");
    assert_eq!(got[3].1, Outcome::Fail);

    // Two seconds of samples cannot tell a leak from warm-up: undecided, not failed.
    let mut short = Resources::default();
    short.record(Duration::from_secs(1), 5.0, 1 << 20);
    let verdict = judge_with(&summary(), Some(&short), &b[3..]);
    assert_eq!(verdict.outcome, Outcome::Inconclusive);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::TooFewResourceSamples)
    );
    let verdict = judge_with(&summary(), Some(&Resources::default()), &b[..1]);
    assert_eq!(
        verdict.bounds[0].measured,
        Measured::Unmeasured(Unmeasured::NoResourceSamples)
    );
}
