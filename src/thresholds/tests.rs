mod profiles;

use std::time::Duration;

use super::*;
use crate::suite::Ratio;
use crate::suite::MAX_FILE_BYTES;
use crate::thresholds::Source;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn parse(text: &str) -> Thresholds {
    Thresholds::parse(text, "thresholds.yaml").unwrap()
}

fn error(text: &str) -> String {
    Thresholds::parse(text, "thresholds.yaml")
        .unwrap_err()
        .to_string()
}

/// The bound for `metric`, as (limit, source).
fn bound(bounds: &[Bound], metric: Metric) -> Option<(Limit, String)> {
    bounds
        .iter()
        .find(|b| b.metric == metric)
        .map(|b| (b.limit, b.source.to_string()))
}

const EXAMPLE: &str = r#"
defaults: { error_rate: 0, p99: 9s }
suites:
  workers: { p95: 500ms, mean: 300ms }
  tasks: { p95: 2s }
cases:
  "workers::register_burst_*": { p95: 4s, wall: 5s }
  "tasks::submit_20": { p95: 1.5s, mean: 1s, error_rate: 1%, throughput: 10 }
  "tasks::*": { p90: 3s, throughput: 2 }
"#;

#[test]
fn every_level_contributes_per_metric() {
    let t = parse(EXAMPLE);
    let b = t.resolve("tasks", "submit_20", None);
    let src = |m: &str| format!("thresholds.yaml: {m}");
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(1500)),
            src(r#"cases."tasks::submit_20".p95"#)
        ))
    );
    assert_eq!(
        bound(&b, Metric::Mean),
        Some((
            Limit::AtMost(ms(1000)),
            src(r#"cases."tasks::submit_20".mean"#)
        ))
    );
    assert_eq!(
        bound(&b, Metric::Throughput),
        Some((
            Limit::RateAtLeast(10.0),
            src(r#"cases."tasks::submit_20".throughput"#)
        ))
    );
    assert_eq!(
        bound(&b, Metric::P90),
        Some((Limit::AtMost(ms(3000)), src(r#"cases."tasks::*".p90"#)))
    );
    assert_eq!(
        bound(&b, Metric::P99),
        Some((Limit::AtMost(ms(9000)), src("defaults.p99")))
    );
    assert_eq!(
        bound(&b, Metric::ErrorRate),
        Some((
            Limit::RatioAtMost(Ratio(0.01)),
            src(r#"cases."tasks::submit_20".error_rate"#)
        ))
    );
    assert_eq!(bound(&b, Metric::Wall), None);
    let order: Vec<Metric> = b.iter().map(|b| b.metric).collect();
    assert_eq!(
        order,
        [
            Metric::Mean,
            Metric::P90,
            Metric::P95,
            Metric::P99,
            Metric::ErrorRate,
            Metric::Throughput
        ]
    );
}

#[test]
fn glob_beats_suite_and_suite_beats_defaults() {
    let t = parse(EXAMPLE);
    let b = t.resolve("workers", "register_burst_100", None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        r#"thresholds.yaml: cases."workers::register_burst_*".p95"#
    );
    assert_eq!(bound(&b, Metric::Wall).unwrap().0, Limit::AtMost(ms(5000)));
    assert_eq!(
        bound(&b, Metric::Mean).unwrap().1,
        "thresholds.yaml: suites.workers.mean"
    );
    assert_eq!(
        bound(&b, Metric::ErrorRate).unwrap().1,
        "thresholds.yaml: defaults.error_rate"
    );

    let b = t.resolve("workers", "list", None);
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(500)),
            "thresholds.yaml: suites.workers.p95".to_string()
        ))
    );
}

#[test]
fn inline_thresholds_beat_everything() {
    let t = parse(EXAMPLE);
    let inline = Rules {
        p95: Some(crate::suite::HumanDuration(ms(80))),
        ..Rules::default()
    };
    let b = t.resolve("tasks", "submit_20", Some((&inline, "suites/tasks.yaml")));
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(80)),
            "suites/tasks.yaml: case submit_20 thresholds.p95".to_string()
        ))
    );
    // Metrics the inline rules leave alone still come from the file.
    assert_eq!(bound(&b, Metric::Mean).unwrap().0, Limit::AtMost(ms(1000)));
}

#[test]
fn exact_key_beats_a_more_literal_glob() {
    let t = parse(
        r#"
cases:
  "a::b": { p95: 1s }
  "a::b*": { p95: 2s }
  "a::?": { p95: 3s }
"#,
    );
    let b = t.resolve("a", "b", None);
    assert_eq!(bound(&b, Metric::P95).unwrap().0, Limit::AtMost(ms(1000)));
}

#[test]
fn most_literal_glob_wins_and_ties_go_to_the_later_rule() {
    let t = parse(
        r#"
cases:
  "tasks::submit_*": { p95: 1s }
  "tasks::*": { p95: 2s }
  "*::submit_20": { p95: 3s, p99: 7s }
  "tasks::*t_20": { p99: 8s }
"#,
    );
    let b = t.resolve("tasks", "submit_20", None);
    // `*::submit_20` has 11 literal characters, `tasks::submit_*` 14.
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        r#"thresholds.yaml: cases."tasks::submit_*".p95"#
    );
    // `*::submit_20` and `tasks::*t_20` both have 11; the later one wins.
    assert_eq!(
        bound(&b, Metric::P99).unwrap().1,
        r#"thresholds.yaml: cases."tasks::*t_20".p99"#
    );
    let b = t.resolve("tasks", "list", None);
    assert_eq!(bound(&b, Metric::P95).unwrap().0, Limit::AtMost(ms(2000)));
}

#[test]
fn journey_steps_are_names_like_any_other() {
    let t = parse(
        r#"
cases:
  "shop::checkout/pay": { p95: 700ms }
  "shop::checkout/*": { p95: 900ms, p99: 2s }
"#,
    );
    let b = t.resolve("shop", "checkout/pay", None);
    assert_eq!(bound(&b, Metric::P95).unwrap().0, Limit::AtMost(ms(700)));
    assert_eq!(bound(&b, Metric::P99).unwrap().0, Limit::AtMost(ms(2000)));
    let b = t.resolve("shop", "checkout/login", None);
    assert_eq!(bound(&b, Metric::P95).unwrap().0, Limit::AtMost(ms(900)));
}

#[test]
fn error_rate_defaults_to_zero() {
    let b = Thresholds::empty().resolve("any", "case", None);
    assert_eq!(
        b,
        [Bound {
            metric: Metric::ErrorRate,
            limit: Limit::RatioAtMost(Ratio(0.0)),
            source: Source::BuiltinErrorRate,
        }]
    );
    assert_eq!(parse("").resolve("a", "b", None), b);
    assert_eq!(
        parse("# nothing yet\ndefaults:\ncases: {}\n").resolve("a", "b", None),
        b
    );
}

#[test]
fn unknown_metric_suggests_the_nearest() {
    let err = error("cases:\n  \"tasks::*\": { p96: 1s }\n");
    assert_eq!(
        err,
        "thresholds.yaml:2:17: unknown metric `p96`, did you mean `p95`?"
    );
    let err = error("defaults:\n  eror_rate: 1%\n");
    assert_eq!(
        err,
        "thresholds.yaml:2:3: unknown metric `eror_rate`, did you mean `error_rate`?"
    );
}

#[test]
fn unknown_top_level_key_suggests_the_nearest() {
    let err = error("defaults: {}\nsuite:\n  workers: { p95: 1s }\n");
    assert_eq!(
        err,
        "thresholds.yaml:2:1: unknown top-level key `suite`, did you mean `suites`?"
    );
    let err = error("limits: {}\n");
    assert_eq!(err, "thresholds.yaml:1:1: unknown top-level key `limits`, expected one of: defaults, suites, tags, cases, profiles");
}

#[test]
fn bad_values_say_what_was_expected() {
    let err = error("suites:\n  workers: { p95: -5ms }\n");
    assert!(err.starts_with("thresholds.yaml:2:19: "), "{err}");
    assert!(
        err.contains("invalid duration `-5ms`: must be a finite, non-negative time"),
        "{err}"
    );

    let err = error("suites:\n  workers:\n    p95: fast\n");
    assert!(err.starts_with("thresholds.yaml:3:10: "), "{err}");
    assert!(
        err.contains("invalid duration `fast`: expected a number with a unit"),
        "{err}"
    );

    let err = error("defaults:\n  error_rate: 150%\n");
    assert!(err.starts_with("thresholds.yaml:2:15: "), "{err}");
    assert!(
        err.contains("invalid ratio `150%`: must be between 0 and 1"),
        "{err}"
    );

    let err = error("defaults:\n  throughput: 0\n");
    assert!(err.starts_with("thresholds.yaml:2:15: "), "{err}");
    assert!(
        err.contains("expected a positive number of requests per second"),
        "{err}"
    );

    let err = error("defaults:\n  p95: [1s]\n");
    assert!(err.starts_with("thresholds.yaml:2:8: "), "{err}");
    assert!(err.contains("expected a duration such as `200ms`"), "{err}");
}

#[test]
fn bad_glob_pattern_is_reported_at_its_key() {
    let err = error("cases:\n  \"tasks::[oops\": { p95: 1s }\n");
    assert!(err.starts_with("thresholds.yaml:2:3: "), "{err}");
    assert!(err.contains("invalid case pattern `tasks::[oops`"), "{err}");
}

#[test]
fn duplicate_keys_are_refused() {
    let err = error("suites:\n  a: { p95: 1s }\n  a: { p99: 1s }\n");
    assert!(err.starts_with("thresholds.yaml:3:3: "), "{err}");
    assert!(err.contains("duplicate key `a`"), "{err}");
    let err = error("cases:\n  \"a::*\": { p95: 1s, p95: 2s }\n");
    assert_eq!(err, "thresholds.yaml:2:22: duplicate key `p95`");
    // `1` and `"1"` are different YAML keys but the same suite name.
    let err = error("suites:\n  1: { p95: 1s }\n  \"1\": { p99: 1s }\n");
    assert!(err.starts_with("thresholds.yaml:3:3: "), "{err}");
    assert!(err.contains("duplicate key `1`"), "{err}");
}

#[test]
fn broken_yaml_names_file_line_and_column() {
    let err = error("cases:\n  \"a::b\": { p95: 1s\n");
    assert!(err.starts_with("thresholds.yaml:"), "{err}");
    let location: Vec<&str> = err.splitn(4, ':').skip(1).take(2).collect();
    assert!(location.iter().all(|n| n.parse::<usize>().is_ok()), "{err}");
}

/// Nine levels of ten-fold aliases: a billion `lol`s if anything expanded them.
fn billion_laughs(prefix: &str) -> String {
    let mut text = format!("{prefix}a0: &a0 [\"lol\"]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("{prefix}a{level}: &a{level} [{refs}]\n"));
    }
    text
}

#[test]
fn alias_bombs_are_refused_not_expanded() {
    let start = std::time::Instant::now();
    // At the top level and nested in a case: refused while parsing, before any expansion
    // could grow past the limit.
    for bomb in [
        billion_laughs(""),
        format!("cases:\n  \"x::y\":\n{}", billion_laughs("    ")),
    ] {
        let err = error(&bomb);
        assert!(
            err.contains("aliases expand to more than 100000 values; the file is refused"),
            "{err}"
        );
    }
    // Aliases the schema can use are plain references to one scalar.
    let aimed = "defaults: { p95: &d 1s }\nsuites:\n  s: { p95: *d }\n  t: { p99: *d }\n";
    assert!(Thresholds::parse(aimed, "thresholds.yaml").is_ok());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let big = format!("# {}\n", "x".repeat(MAX_FILE_BYTES as usize));
    assert_eq!(
        error(&big),
        "thresholds.yaml: file is larger than the limit of 1048576 bytes"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thresholds.yaml");
    std::fs::write(&path, &big).unwrap();
    let err = Thresholds::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("larger than the limit of 1048576 bytes"),
        "{err}"
    );
}

#[test]
fn load_reads_the_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thresholds.yaml");
    std::fs::write(&path, "suites:\n  w: { p95: 1s }\n").unwrap();
    let b = Thresholds::load(&path).unwrap().resolve("w", "c", None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        format!("{}: suites.w.p95", path.display())
    );

    let missing = dir.path().join("nope.yaml");
    let err = Thresholds::load(&missing).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: cannot read file", missing.display())),
        "{err}"
    );

    std::fs::write(&path, b"defaults:\n  p95: \xff\n").unwrap();
    let err = Thresholds::load(&path).unwrap_err().to_string();
    assert!(err.ends_with(":2:8: the file is not valid UTF-8"), "{err}");
}
