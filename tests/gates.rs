//! The harness end to end against the embedded reference API with injected faults.
//! Timing margins are 10x: a slow endpoint is made far slower than its bound.

use std::time::{Duration, Instant};

mod common;

use common::{get_json, harness, only};
use loadgate::reference_api::{Fault, ReferenceApi};
use loadgate::report::failure_message;

const HEALTH_10: &str = "suite: gate\ncases:\n  - name: health\n    kind: sequential\n    iterations: 10\n    request: { path: /health }\n";

#[test]
fn slow_endpoint_fails_its_p95_gate() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(300)))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = only(
        harness(
            dir.path(),
            "gate",
            HEALTH_10,
            "cases:\n  \"gate::health\": { p95: 100ms }\n",
        )
        .base_url(api.base_url())
        .run_cases(""),
    );
    assert!(!report.passed());
    let message = failure_message(&report);
    assert!(message.contains("p95"), "{message}");
    assert!(message.contains("bound 100ms"), "{message}");
    assert!(message.contains("cases.\"gate::health\""), "{message}");
}

#[test]
fn fast_endpoint_passes_a_generous_gate() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = only(
        harness(dir.path(), "gate", HEALTH_10, "defaults: { p95: 2s }\n")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    let summary = report.summary.unwrap();
    assert_eq!(summary.requests, 10);
    assert_eq!(summary.ok, 10);
}

#[test]
fn half_failing_endpoint_fails_on_error_rate_with_causes() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::error_rate(0.5, 500))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = HEALTH_10.replace("iterations: 10", "iterations: 200");
    let report = only(
        harness(
            dir.path(),
            "gate",
            &suite,
            "defaults: { p95: 2s, error_rate: 1% }\n",
        )
        .base_url(api.base_url())
        .run_cases(""),
    );
    assert!(!report.passed());
    let message = failure_message(&report);
    assert!(message.contains("error_rate"), "{message}");
    assert!(message.contains("status 500"), "{message}");
    assert!(
        !message.lines().any(|l| l.trim_start().starts_with("p95")),
        "latency met its bound, only errors fail: {message}"
    );
}

#[test]
fn burst_registers_distinct_workers() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = r#"
suite: reg
factories:
  worker:
    name: "w-{{ seq }}"
    capabilities: ["{{ one_of('a', 'b') }}"]
    max_concurrent_tasks: "{{ random_int(1, 4) }}"
cases:
  - name: burst
    kind: burst
    size: 20
    rounds: 3
    interval: 50ms
    request:
      method: POST
      path: /api/v1/workers/register
      json: "{{ factory.worker }}"
      expect: { status: 201 }
"#;
    let report = only(
        harness(dir.path(), "reg", suite, "defaults: { p95: 5s }\n")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    let summary = report.summary.unwrap();
    assert_eq!(summary.requests, 60);
    let wall = summary.wall.expect("each round's wall time");
    // How nearly "at once" each round left: its first send to its last, within the round.
    let spread = summary.release_spread.expect("each round's release spread");
    assert!(
        spread <= wall,
        "released within {spread:?}, round took {wall:?}"
    );
    let stats = get_json(&format!("{}/api/v1/admin/stats", api.base_url()));
    assert_eq!(stats["workers"], 60, "{stats}");
}

#[test]
fn closed_port_fails_fast_naming_the_refused_connection() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let report = only(
        harness(dir.path(), "gate", HEALTH_10, "")
            .base_url(format!("http://127.0.0.1:{port}"))
            .run_cases(""),
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(!report.passed());
    let message = failure_message(&report);
    assert!(message.contains("connection refused x10"), "{message}");
}

#[test]
fn broken_suite_is_its_own_failure_and_others_still_run() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let harness = harness(dir.path(), "good", HEALTH_10, "");
    std::fs::write(
        dir.path().join("suites/bad.yaml"),
        "cases:\n  - name: x\n    kind: sequential\n    iteration: 3\n",
    )
    .unwrap();
    let reports = harness.base_url(api.base_url()).run_cases("");
    assert_eq!(reports.len(), 2, "{reports:#?}");
    let bad = reports
        .iter()
        .find(|r| r.id == "bad::suite_file")
        .expect("broken suite reported");
    let error = bad.error_message().unwrap();
    assert!(error.contains("bad.yaml:4:5"), "{error}");
    assert!(error.contains("did you mean `iterations`?"), "{error}");
    let good = reports
        .iter()
        .find(|r| r.id == "gate::health")
        .expect("good suite ran");
    assert!(good.passed(), "{}", failure_message(good));
}

#[test]
fn a_hanging_endpoint_times_out_per_request_and_per_case() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_secs(5)))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = "suite: gate\ncases:\n  - name: health\n    kind: sequential\n    iterations: 3\n    request: { path: /health, timeout: 200ms }\n";
    let started = Instant::now();
    let report = only(
        harness(dir.path(), "gate", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(report
        .summary
        .as_ref()
        .unwrap()
        .error_causes
        .contains(&(loadgate::sample::ErrorCause::Timeout, 3)));

    let dir = tempfile::tempdir().unwrap();
    let suite = "suite: gate\ncases:\n  - name: health\n    kind: sequential\n    iterations: 3\n    case_timeout: 300ms\n    request: { path: /health }\n";
    let started = Instant::now();
    let report = only(
        harness(dir.path(), "gate", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let error = report.error_message().unwrap();
    assert!(error.contains("did not finish within 300ms"), "{error}");
}

#[test]
fn tags_and_a_profile_choose_cases_and_bounds_in_the_harness() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = "suite: gate\ncases:\n  - name: read\n    kind: sequential\n    iterations: 5\n    tags: [read]\n    request: { path: /health }\n  - name: soak\n    kind: sequential\n    iterations: 5\n    tags: [soak]\n    request: { path: /health }\n";
    let thresholds = "tags: { read: { p95: 2s } }\nprofiles:\n  ci: { skip_tags: [soak], defaults: { p99: 3s } }\n";
    let run = |harness: loadgate::Harness| {
        let reports = dir.path().join("reports");
        let results = harness
            .base_url(api.base_url())
            .report_dir(&reports)
            .run_cases("");
        let saved = std::fs::read_to_string(reports.join("results.json")).unwrap();
        (
            results,
            loadgate::report::RunResults::from_json(&saved).unwrap(),
        )
    };
    let (results, saved) = run(harness(dir.path(), "gate", suite, thresholds).profile("ci"));
    let report = only(results);
    assert_eq!(report.id, "gate::read");
    let sources: Vec<String> = report
        .verdict
        .as_ref()
        .unwrap()
        .bounds
        .iter()
        .map(|j| j.bound.source.to_string())
        .collect();
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("thresholds.yaml: tags.read.p95")),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("thresholds.yaml: profiles.ci.defaults.p99")),
        "{sources:?}"
    );
    assert_eq!(saved.run.profile.as_deref(), Some("ci"));

    let (results, _) = run(harness(dir.path(), "gate", suite, thresholds).tags("soak"));
    assert_eq!(only(results).id, "gate::soak");

    let (results, _) = run(harness(dir.path(), "gate", suite, thresholds).profile("nope"));
    let message = only(results).error_message().unwrap().to_string();
    assert!(
        message.contains("unknown profile `nope` (profiles: ci)"),
        "{message}"
    );
}
