//! The `loadgate` command line end to end: the binary run as a user runs it, in a folder of its
//! own, against the embedded reference API (started here, or by `loadgate serve`). Timing
//! margins are 10x: a slow endpoint is made far slower than its bound.

mod probe;
mod support;

use std::time::Duration;

use loadgate::reference_api::{Fault, ReferenceApi};
use loadgate::report::RunResults;
use support::{command, loadgate, results};

/// Three cases with tags, seed 001's categories as tag rules, and two profiles.
const SUITE: &str = "\
suite: api
cases:
  - name: health
    description: Liveness answers fast
    kind: sequential
    iterations: 5
    tags: [read]
    request: { path: /health }
  - name: stats
    kind: sequential
    iterations: 5
    tags: [admin, slow]
    request: { path: /api/v1/admin/stats }
  - name: untagged
    kind: concurrent
    concurrency: 2
    request: { path: /health }
";

const THRESHOLDS: &str = "\
defaults: { p95: 2s }
tags:
  read: { p95: 1s }
  write: { p95: 2s }
profiles:
  ci: { skip_tags: [slow], defaults: { p99: 3s } }
  nightly: { only_tags: [slow] }
";

/// A folder with `suites/api.yaml` and `thresholds.yaml`.
fn project(suite: &str, thresholds: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::write(dir.path().join("suites/api.yaml"), suite).unwrap();
    std::fs::write(dir.path().join("thresholds.yaml"), thresholds).unwrap();
    dir
}

fn ids(run: &RunResults) -> Vec<&str> {
    run.cases.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn run_meets_its_bounds_and_writes_reports() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = project(SUITE, THRESHOLDS);
    let ran = loadgate(
        dir.path(),
        &["run", "--base-url", api.base_url(), "--report-dir", "out"],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("api::health ... pass"), "{ran:?}");
    assert!(ran.stdout.contains("loadgate summary"), "{ran:?}");
    assert!(
        ran.stdout.contains("3 of 3 cases met their bounds"),
        "{ran:?}"
    );
    let run = results(&dir.path().join("out"));
    assert_eq!(ids(&run), ["api::health", "api::stats", "api::untagged"]);
    assert_eq!(run.run.profile, None);
    assert!(dir.path().join("out/report.html").is_file());
}

#[test]
fn tags_and_profiles_choose_the_cases_and_the_bounds() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = project(SUITE, THRESHOLDS);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--base-url", api.base_url(), "--report-dir", "out"];
        args.extend(extra);
        let ran = loadgate(dir.path(), &args);
        assert_eq!(ran.code, 0, "{ran:?}");
        (ran, results(&dir.path().join("out")))
    };
    let (_, only_read) = run(&["--tags", "read"]);
    assert_eq!(ids(&only_read), ["api::health"]);
    let (_, not_slow) = run(&["--tags", "!slow"]);
    assert_eq!(ids(&not_slow), ["api::health", "api::untagged"]);

    let (ran, ci) = run(&["--profile", "ci"]);
    assert!(ran.stderr.contains("loadgate: profile ci"), "{ran:?}");
    assert_eq!(ids(&ci), ["api::health", "api::untagged"]);
    assert_eq!(ci.run.profile.as_deref(), Some("ci"));
    let sources: Vec<String> = ci.cases[0]
        .verdict
        .iter()
        .flat_map(|v| &v.bounds)
        .map(|j| j.bound.source.to_string())
        .collect();
    assert_eq!(
        sources,
        [
            "thresholds.yaml: tags.read.p95",
            "thresholds.yaml: profiles.ci.defaults.p99",
            "built-in default (error_rate 0: any error fails)",
        ]
    );

    // The environment works as the flag does, and the two filters add up.
    let mut by_env = command(
        dir.path(),
        &["run", "--base-url", api.base_url(), "--report-dir", "out"],
    );
    by_env
        .env("PERF_PROFILE", "nightly")
        .env("PERF_TAGS", "admin");
    assert!(by_env.output().unwrap().status.success());
    let nightly = results(&dir.path().join("out"));
    assert_eq!(ids(&nightly), ["api::stats"]);
    assert_eq!(nightly.run.profile.as_deref(), Some("nightly"));
}

#[test]
fn a_missed_bound_exits_1_with_the_rule_that_set_it() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(300)))
        .start()
        .unwrap();
    let dir = project(SUITE, "tags: { read: { p95: 30ms } }\n");
    let ran = loadgate(
        dir.path(),
        &[
            "run",
            "--base-url",
            api.base_url(),
            "--filter",
            "health",
            "--report-dir",
            "out",
        ],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("api::health ... FAIL"), "{ran:?}");
    assert!(
        ran.stdout
            .contains("bound 30ms (thresholds.yaml: tags.read.p95)"),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains("0 of 1 cases met their bounds"),
        "{ran:?}"
    );
}

#[test]
fn bad_input_exits_2_with_its_place() {
    let dir = project(
        "suite: api\ncases:\n  - name: a\n    kind: sequential\n    iteration: 5\n    request: { path: /health }\n",
        THRESHOLDS,
    );
    let expected =
        "suites/api.yaml:5:5: cases[0]: unknown key `iteration`, did you mean `iterations`?";
    let ran = loadgate(dir.path(), &["check"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains(expected), "{ran:?}");
    let ran = loadgate(dir.path(), &["run", "--base-url", "http://127.0.0.1:9"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stdout.contains(expected), "{ran:?}");

    let good = project(SUITE, "profiles:\n  ci:\n    skiptags: [slow]\n");
    let ran = loadgate(good.path(), &["check"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains(
            "thresholds.yaml:3:5: unknown profile key `skiptags`, did you mean `skip_tags`?"
        ),
        "{ran:?}"
    );

    let good = project(SUITE, THRESHOLDS);
    let ran = loadgate(good.path(), &["check", "--profile", "nightlly"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains(
            "thresholds.yaml: unknown profile `nightlly`, did you mean `nightly`? (profiles: ci, nightly)"
        ),
        "{ran:?}"
    );
    let ran = loadgate(good.path(), &["run", "--tags", "a b"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    let ran = loadgate(good.path(), &["run", "--filter", "nothing-like-this"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("no case to run"), "{ran:?}");
    let ran = loadgate(good.path(), &["run", "--no-such-flag"]);
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn check_lists_cases_with_their_bounds_and_sends_nothing() {
    let dir = project(SUITE, THRESHOLDS);
    let ran = loadgate(dir.path(), &["check", "--profile", "ci"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let out = &ran.stdout;
    assert!(out.contains("api::health  [sequential]\n    Liveness answers fast\n    5 sequential requests after 0 warm-up\n    tags: read\n"), "{out}");
    assert!(
        out.contains("p95 <= 1s         thresholds.yaml: tags.read.p95"),
        "{out}"
    );
    assert!(
        out.contains("p99 <= 3s         thresholds.yaml: profiles.ci.defaults.p99"),
        "{out}"
    );
    assert!(
        out.contains("api::stats  [sequential]  (not run: left out by the tags or the profile)"),
        "{out}"
    );
    assert!(
        out.contains("3 cases: 2 would run, 1 left out by tags or profile, 0 ignored"),
        "{out}"
    );
    // Rules that bound nothing are warned about (an error with --strict).
    assert!(
        ran.stderr
            .contains("warning: thresholds.yaml: tags.write matches no case"),
        "{ran:?}"
    );
    let ran = loadgate(dir.path(), &["check", "--strict"]);
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn report_renders_a_saved_run_again() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = project(SUITE, THRESHOLDS);
    let ran = loadgate(
        dir.path(),
        &[
            "run",
            "--base-url",
            api.base_url(),
            "--tags",
            "read",
            "--report-dir",
            "out",
        ],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = loadgate(
        dir.path(),
        &[
            "report",
            "out/results.json",
            "--html",
            "again.html",
            "--markdown",
            "again.md",
            "--junit",
            "again.xml",
        ],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let html = std::fs::read_to_string(dir.path().join("again.html")).unwrap();
    assert!(
        html.contains("loadgate report: 1 of 1 cases met their bounds"),
        "{html}"
    );
    let markdown = std::fs::read_to_string(dir.path().join("again.md")).unwrap();
    assert!(markdown.contains("api::health"), "{markdown}");
    let junit = std::fs::read(dir.path().join("again.xml")).unwrap();
    let suites = junit_parser::from_reader(std::io::Cursor::new(junit)).unwrap();
    assert_eq!(suites.tests, 1);
    // No output named: the summary table.
    let ran = loadgate(dir.path(), &["report", "out/results.json"]);
    assert!(
        ran.stdout.contains("1 of 1 cases met their bounds"),
        "{ran:?}"
    );

    std::fs::write(dir.path().join("bad.json"), "{\"schema\": 9}").unwrap();
    let ran = loadgate(dir.path(), &["report", "bad.json", "--html", "x.html"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("bad.json: not a loadgate results.json"),
        "{ran:?}"
    );
}

#[test]
fn schema_writes_the_committed_files() {
    let dir = tempfile::tempdir().unwrap();
    let ran = loadgate(dir.path(), &["schema", "--out", "schemas"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for (name, text) in loadgate::schema::files() {
        let written = std::fs::read_to_string(dir.path().join("schemas").join(name)).unwrap();
        assert_eq!(written, text, "{name}");
    }
}
