//! Tag rules and profiles: where they sit in the order of precedence, how sources name them,
//! and the errors in their sections.

use std::time::Duration;

use super::{bound, error, parse};
use crate::suite::TagFilter;
use crate::thresholds::{Limit, Metric, Thresholds};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

/// Seed 001's endpoint categories as tags, and two profiles.
const TAGGED: &str = r#"
defaults: { p95: 9s }
suites:
  api: { p95: 3s, p99: 8s }
tags:
  auth: { p95: 100ms }
  read: { p95: 50ms, p99: 90ms }
  write: { p95: 200ms }
cases:
  "api::login_*": { p99: 400ms }
profiles:
  ci:
    skip_tags: [soak, stress]
    defaults: { p95: 2s, max: 5s }
  nightly:
    only_tags: [soak, stress, ci]
    tags: { auth: { p95: 150ms } }
    cases: { "api::login_slow": { p95: 1s } }
"#;

#[test]
fn tag_rules_sit_between_globs_and_the_suite() {
    let t = parse(TAGGED);
    let b = t.resolve_tagged("api", "login_fast", &tags(&["auth"]), None);
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(100)),
            "thresholds.yaml: tags.auth.p95".to_string()
        ))
    );
    // The glob beats the tag for p99, which the tag does not set anyway; the suite gives
    // nothing more specific ones set.
    assert_eq!(
        bound(&b, Metric::P99).unwrap().1,
        r#"thresholds.yaml: cases."api::login_*".p99"#
    );
    let b = t.resolve_tagged("api", "other", &tags(&["write"]), None);
    assert_eq!(bound(&b, Metric::P95).unwrap().0, Limit::AtMost(ms(200)));
    assert_eq!(
        bound(&b, Metric::P99).unwrap().1,
        "thresholds.yaml: suites.api.p99"
    );
    // Untagged, and through `resolve`: no tag rule applies.
    let b = t.resolve("api", "other", None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: suites.api.p95"
    );
}

#[test]
fn among_several_tags_the_first_in_the_file_wins_per_metric() {
    let t = parse(TAGGED);
    // Written `[write, read]` on the case, but `read` comes first in the file.
    let b = t.resolve_tagged("api", "mixed", &tags(&["write", "read"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: tags.read.p95"
    );
    let b = t.resolve_tagged("api", "mixed", &tags(&["write", "auth"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: tags.auth.p95"
    );
    // A metric only a later tag sets still comes from it.
    let t = parse("tags:\n  a: { p95: 1s }\n  b: { p95: 2s, p99: 3s }\n");
    let b = t.resolve_tagged("s", "c", &tags(&["b", "a"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: tags.a.p95"
    );
    assert_eq!(
        bound(&b, Metric::P99).unwrap().1,
        "thresholds.yaml: tags.b.p99"
    );
}

#[test]
fn a_profiles_rules_win_over_the_files_at_the_same_level() {
    let t = parse(TAGGED).with_profile("ci").unwrap();
    assert_eq!(t.profile(), Some("ci"));
    let b = t.resolve_tagged("other", "case", &[], None);
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(2000)),
            "thresholds.yaml: profiles.ci.defaults.p95".to_string()
        ))
    );
    // A more specific level of the file still beats the profile's defaults.
    let b = t.resolve_tagged("api", "x", &tags(&["read"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: tags.read.p95"
    );
    assert_eq!(
        bound(&b, Metric::Max).unwrap().1,
        "thresholds.yaml: profiles.ci.defaults.max"
    );

    let t = parse(TAGGED).with_profile("nightly").unwrap();
    let b = t.resolve_tagged("api", "login_fast", &tags(&["auth"]), None);
    assert_eq!(
        bound(&b, Metric::P95),
        Some((
            Limit::AtMost(ms(150)),
            "thresholds.yaml: profiles.nightly.tags.auth.p95".to_string()
        ))
    );
    let b = t.resolve_tagged("api", "login_slow", &tags(&["auth"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        r#"thresholds.yaml: profiles.nightly.cases."api::login_slow".p95"#
    );
    // Without the profile, the file's own rules.
    let b = parse(TAGGED).resolve_tagged("api", "login_slow", &tags(&["auth"]), None);
    assert_eq!(
        bound(&b, Metric::P95).unwrap().1,
        "thresholds.yaml: tags.auth.p95"
    );
}

#[test]
fn a_profile_selects_cases_by_tag() {
    let t = parse(TAGGED);
    assert_eq!(t.selection(), TagFilter::default());
    assert_eq!(t.profile_names(), ["ci", "nightly"]);
    let ci = t.clone().with_profile("ci").unwrap().selection();
    assert!(ci.admits(&tags(&["auth"])) && ci.admits(&[]));
    assert!(!ci.admits(&tags(&["auth", "soak"])));
    let nightly = t.with_profile("nightly").unwrap().selection();
    assert!(nightly.admits(&tags(&["stress"])));
    assert!(!nightly.admits(&tags(&["auth"])) && !nightly.admits(&[]));
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let err = parse(TAGGED)
        .with_profile("nightlly")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "thresholds.yaml: unknown profile `nightlly`, did you mean `nightly`? (profiles: ci, nightly)"
    );
    let err = parse("defaults: {}\n")
        .with_profile("ci")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "thresholds.yaml: unknown profile `ci` (the file defines no `profiles`)"
    );
    assert!(Thresholds::empty().with_profile("ci").is_err());
}

#[test]
fn tag_and_profile_sections_report_errors_at_their_place() {
    assert_eq!(
        error("tags:\n  auth: { p96: 1s }\n"),
        "thresholds.yaml:2:11: unknown metric `p96`, did you mean `p95`?"
    );
    assert_eq!(
        error("tags:\n  slow tests: { p95: 1s }\n"),
        "thresholds.yaml:2:3: tags: tag `slow tests` must be non-empty, without spaces or \
         commas, and not start with `!`"
    );
    assert_eq!(
        error("profiles:\n  ci:\n    skiptags: [soak]\n"),
        "thresholds.yaml:3:5: unknown profile key `skiptags`, did you mean `skip_tags`?"
    );
    assert_eq!(
        error("profiles:\n  ci:\n    defaults: { p96: 1s }\n"),
        "thresholds.yaml:3:17: unknown metric `p96`, did you mean `p95`?"
    );
    assert_eq!(
        error("profiles:\n  nightly:\n    skip_tags: [soak, \"a b\"]\n"),
        "thresholds.yaml:3:23: profiles.nightly.skip_tags[1]: tag `a b` must be non-empty, \
         without spaces or commas, and not start with `!`"
    );
    assert_eq!(
        error("profiles:\n  \"night ly\": {}\n"),
        "thresholds.yaml:2:3: profiles: profile name `night ly` must be non-empty letters, \
         digits, `-` or `_`"
    );
    let err = error("profiles:\n  nightly:\n    tags: [soak, stress]\n");
    assert!(err.starts_with("thresholds.yaml:3:11: "), "{err}");
    assert!(
        err.contains("a profile picks the cases it runs with `only_tags: [...]`"),
        "{err}"
    );
    assert_eq!(
        error("profiles:\n  ci:\n    only_tags: soak\n"),
        "thresholds.yaml:3:16: profiles.ci.only_tags: expected a sequence, found the text `soak`"
    );
}
