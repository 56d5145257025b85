//! The report files of a real run against the embedded API, read back the way their readers
//! read them: JUnit by a JUnit parser, results.json through its own types, the HTML page by
//! its SVG charts (and by a browser when one is installed), and none of them holding a secret.

mod common;

use std::path::Path;

use common::hostile::Hostile;
use loadgate::report::{self, RunResults};
use loadgate::results::Status;
use loadgate::Harness;

const ALPHA: &str = r#"suite: alpha
cases:
  - { name: fast, kind: sequential, iterations: 5, request: { path: /health } }
  - { name: slow, kind: sequential, iterations: 5, request: { path: /health } }
  - name: trip
    kind: concurrent
    concurrency: 3
    steps:
      - { name: first, request: { path: /health } }
      - { name: second, request: { path: /health } }
"#;

// Nothing listens on port 1: every request is refused, so the error rate misses its bound.
const BETA: &str = r#"suite: beta
base_url: http://127.0.0.1:1
cases:
  - { name: down, kind: sequential, iterations: 2, request: { path: /health } }
"#;

const THRESHOLDS: &str = r#"defaults: { p95: 5s }
cases:
  "alpha::slow": { max: 1us }
  "alpha::trip/second": { p50: 1us }
"#;

/// Runs alpha (two passing cases and two misses), beta (refused) and a broken suite file,
/// writing reports to `dir/perf`.
fn run_suites(dir: &Path) -> Vec<loadgate::results::CaseResult> {
    let suites = dir.join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join("alpha.yaml"), ALPHA).unwrap();
    std::fs::write(suites.join("beta.yaml"), BETA).unwrap();
    std::fs::write(
        suites.join("broken.yaml"),
        "suite: broken\ncases: [ { name: x } ]\n",
    )
    .unwrap();
    std::fs::write(dir.join("thresholds.yaml"), THRESHOLDS).unwrap();
    Harness::new()
        .with_reference_api()
        .suites_dir(&suites)
        .thresholds_file(dir.join("thresholds.yaml"))
        .report_dir(dir.join("perf"))
        .run_cases("")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("perf").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_report_describes_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = run_suites(dir.path());
    let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status();
    assert_eq!(status("alpha::fast"), Status::Pass);
    assert_eq!(status("alpha::slow"), Status::Fail);
    assert_eq!(status("alpha::trip"), Status::Fail);
    assert_eq!(status("beta::down"), Status::Fail);
    assert_eq!(status("broken::suite_file"), Status::Error);

    // JUnit, read by a JUnit reader: one suite per suite, misses as failures, the load error
    // as an error, steps' misses in their case's text.
    let junit = read(dir.path(), report::JUNIT_XML);
    let parsed = junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes())).unwrap();
    let suites: Vec<&str> = parsed.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["alpha", "beta", "broken"], "{junit}");
    assert_eq!((parsed.tests, parsed.failures, parsed.errors), (5, 3, 1));
    let alpha = &parsed.suites[0];
    // Readers join classname and name back into the case's id.
    let case = |name: &str| {
        let id = format!("alpha::{name}");
        alpha.cases.iter().find(|c| c.name == id).unwrap()
    };
    assert_eq!(case("fast").original_name, "fast");
    assert!(case("fast").status.is_success());
    assert!(case("fast").time > 0.0);
    let slow = case("slow").status.failure_as_ref();
    assert!(slow.message.starts_with("max "), "{}", slow.message);
    assert!(
        slow.message
            .contains(r#"thresholds.yaml: cases."alpha::slow".max)"#),
        "{}",
        slow.message
    );
    assert!(
        slow.text.contains("alpha::slow missed its bounds:"),
        "{}",
        slow.text
    );
    let trip = case("trip").status.failure_as_ref();
    assert!(
        trip.text.contains("alpha::trip/second missed its bounds:"),
        "{}",
        trip.text
    );
    assert!(
        trip.message.starts_with("alpha::trip/second: p50 "),
        "{}",
        trip.message
    );
    let down = parsed.suites[1].cases[0].status.failure_as_ref();
    assert!(down.text.contains("connection refused"), "{}", down.text);
    let broken = parsed.suites[2].cases[0].status.error_as_ref();
    assert!(
        broken.message.starts_with("could not load: "),
        "{}",
        broken.message
    );

    // results.json through its own types: it reads back equal, and histograms merge.
    let text = read(dir.path(), report::RESULTS_JSON);
    let run = RunResults::from_json(&text).unwrap();
    assert_eq!(run.schema(), report::REPORT_SCHEMA);
    let again = RunResults::from_json(&serde_json::to_string(&run).unwrap()).unwrap();
    assert_eq!(again, run);
    assert_eq!(run.cases.len(), 5);
    assert!(run.run.targets.iter().any(|t| t == "http://127.0.0.1:1"));
    let mut fast = run.case("alpha::fast").unwrap().recorded.clone().unwrap();
    let slow = run.case("alpha::slow").unwrap().recorded.clone().unwrap();
    fast.merge(&slow).unwrap();
    assert_eq!(fast.total.requests(), 10);
    assert_eq!(fast.total.histogram().len(), 10);
    let slow_verdict = run.case("alpha::slow").unwrap().verdict.as_ref().unwrap();
    assert!(slow_verdict.bounds.iter().any(|j| j
        .bound
        .source
        .to_string()
        .ends_with(r#"thresholds.yaml: cases."alpha::slow".max"#)));

    // stats.csv in Locust's columns: a row per case and step, then the aggregate.
    let stats = read(dir.path(), report::STATS_CSV);
    let mut csv = csv::Reader::from_reader(stats.as_bytes());
    let header = csv.headers().unwrap().clone();
    let first: Vec<&str> = header.iter().take(4).collect();
    assert_eq!(first, ["Type", "Name", "Request Count", "Failure Count"]);
    assert_eq!(header.len(), 22);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert!(names.contains(&"alpha::trip/first") && names.contains(&"beta::down"));
    let last = rows.last().unwrap();
    assert_eq!((&last[0], &last[1]), ("", "Aggregated"));
    let history = read(dir.path(), report::STATS_HISTORY_CSV);
    assert!(history.starts_with("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%"));
    assert!(history
        .lines()
        .any(|l| l.contains(",sequential,alpha::fast,")));

    // The Markdown summary: the table and the miss lines.
    let markdown = read(dir.path(), report::SUMMARY_MD);
    assert!(
        markdown.contains("1 of 5 cases met their bounds."),
        "{markdown}"
    );
    assert!(markdown.contains("| `alpha::fast` | 5 | 0 |"), "{markdown}");
    assert!(markdown.contains("- `beta::down` (FAIL)"), "{markdown}");
    assert!(
        markdown.contains("error_rate 100.00% > bound 0%"),
        "{markdown}"
    );
}

#[test]
fn the_html_page_has_every_chart_and_nothing_from_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let results = run_suites(dir.path());
    let measured = results.iter().filter(|r| r.recorded.is_some()).count();
    let html = read(dir.path(), report::REPORT_HTML);
    for chart in [
        "percentiles-over-time",
        "throughput-over-time",
        "errors-over-time",
    ] {
        let count = html.matches(&format!("{chart}\" xmlns")).count();
        assert_eq!(count, measured, "{chart}");
    }
    // beta::down has no successful request, so no latency to draw.
    let histograms = html
        .matches("<svg class=\"chart latency-histogram\"")
        .count();
    assert_eq!(histograms, measured - 1);
    assert!(html.contains(r#"<line class="rule""#) && html.contains("max bound 1us"));
    // The verdict comes before the charts.
    let slow = html
        .find(">alpha::slow<span class=\"badge fail\">")
        .unwrap();
    let miss = html[slow..].find("<ul class=\"misses\">").unwrap();
    let chart = html[slow..].find("<svg").unwrap();
    assert!(miss < chart);
    for outside in ["<script", "src=", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "the page loads {outside}");
    }
    render_with_chromium(&dir.path().join("perf").join(report::REPORT_HTML));
}

/// Renders the page to a PNG with Debian's chromium (skipped without it, except in CI).
fn render_with_chromium(page: &Path) {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        common::missing_tool(
            "/usr/bin/chromium",
            "`apt-get install chromium`",
            "rendering report.html",
        );
        return;
    }
    let png = page.with_extension("png");
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "chromium left a {size}-byte PNG: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut head = [0u8; 8];
    std::io::Read::read_exact(&mut std::fs::File::open(&png).unwrap(), &mut head).unwrap();
    assert_eq!(&head, b"\x89PNG\r\n\x1a\n");
}

const SECRETS: &str = r#"suite: secrets
fixtures:
  login:
    setup:
      - name: login
        request: { method: POST, path: /login }
        extract:
          access: { json: /access }
          jwt: { json: /jwt }
  echo_bearer:
    setup:
      - name: echo
        request: { method: GET, path: /echo, headers: { authorization: "Bearer {{ access }}" }, expect: { status: 200 } }
  echo_long_in_url:
    setup:
      - name: echo
        request: { method: GET, path: "/echo?t={{ jwt }}", expect: { status: 200 } }
cases:
  - { name: bearer, kind: sequential, iterations: 1, use: [login, echo_bearer], request: { path: /echo } }
  - { name: long_token_in_url, kind: sequential, iterations: 1, use: [login, echo_long_in_url], request: { path: /echo } }
  - { name: cookie, kind: sequential, iterations: 1, cookies: true, use: [login], request: { path: "/echo?jwt={{ jwt }}" } }
"#;

#[test]
fn no_report_file_holds_a_secret() {
    let server = Hostile::start();
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join("secrets.yaml"), SECRETS).unwrap();
    std::fs::write(dir.path().join("thresholds.yaml"), "").unwrap();
    let target = server
        .base_url
        .replace("http://", "http://ann:pw-in-url-5150@");
    let results = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("thresholds.yaml"))
        .base_url(&target)
        .report_dir(dir.path().join("perf"))
        .run_cases("");
    assert_eq!(results.len(), 3, "{results:#?}");
    assert!(results.iter().all(|r| !r.passed()));

    let mut everything = String::new();
    for folder in [dir.path().join("perf"), dir.path().join("perf/cases")] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                everything.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let s = &server.secrets;
    for secret in [
        s.access.as_str(),
        s.jwt.as_str(),
        &s.jwt[..100],
        s.cookie.as_str(),
        "pw-in-url-5150",
    ] {
        assert!(
            !everything.contains(secret),
            "`{secret}` leaked into a report"
        );
    }
    // The echoes are in the reports, redacted: the test saw what it guards.
    assert!(everything.contains("[REDACTED]"));
    assert!(everything.contains("body:"));
}
