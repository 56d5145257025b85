//! `loadgate probe` and `loadgate serve`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use loadgate::reference_api::ReferenceApi;

use crate::support::{command, loadgate, results};

#[test]
fn probe_judges_one_endpoint_from_flags() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let health = format!("{}/health", api.base_url());
    let ran = loadgate(
        dir.path(),
        &[
            "probe",
            &health,
            "-n",
            "20",
            "--p95",
            "2s",
            "--error-rate",
            "1%",
        ],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("probe::GET ... pass"), "{ran:?}");
    assert!(
        ran.stdout.contains("1 of 1 cases met their bounds"),
        "{ran:?}"
    );

    // Several users, a POST with a header and a body, and a report.
    let tasks = format!("{}/api/v1/tasks", api.base_url());
    let ran = loadgate(
        dir.path(),
        &[
            "probe",
            &tasks,
            "-n",
            "20",
            "-c",
            "4",
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "--body",
            r#"{"title": "probe", "description": "from the command line"}"#,
            "--p95",
            "2s",
            "--report-dir",
            "out",
        ],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let run = results(&dir.path().join("out"));
    assert_eq!(run.cases[0].kind, "load");
    assert_eq!(run.cases[0].summary.as_ref().unwrap().requests, 20);
    // Bounded by count, it says so, not the week-long span a count-bounded run is given.
    assert_eq!(
        run.cases[0].description, "4 users x 5 iterations each",
        "{ran:?}"
    );

    let ran = loadgate(dir.path(), &["probe", &health, "-n", "10", "-c", "3"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("-n 10 is not a multiple of -c 3"),
        "{ran:?}"
    );
    let ran = loadgate(dir.path(), &["probe", &health, "--p95", "fast"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("invalid duration `fast`"), "{ran:?}");
}

#[test]
fn a_run_without_a_target_names_the_flags_that_set_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("suites")).unwrap();
    std::fs::write(
        dir.path().join("suites/t.yaml"),
        "suite: t\ncases:\n  - name: a\n    kind: sequential\n    iterations: 1\n    request: { path: /health }\n",
    )
    .unwrap();
    let ran = loadgate(dir.path(), &["run"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let out = format!("{}{}", ran.stdout, ran.stderr);
    assert!(out.contains("no target"), "{ran:?}");
    assert!(out.contains("--base-url"), "{ran:?}");
    assert!(out.contains("--reference-api"), "{ran:?}");
    assert!(!out.contains("PERF_BASE_URL"), "{ran:?}");
    assert!(!out.contains("Harness"), "{ran:?}");
}

/// `loadgate serve` on a free port, the base URL it prints, and the rest of its output once it
/// ends.
fn serve(dir: &Path, faults: &[&str]) -> (Child, String, JoinHandle<String>) {
    let mut args = vec!["serve", "--port", "0"];
    args.extend(faults);
    let mut child = command(dir, &args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("loadgate serve starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    // The rest is read as it comes, so the server never writes into a closed pipe.
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        rest
    });
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    (child, url, rest)
}

#[test]
fn serve_runs_the_reference_api_with_faults_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, rest) = serve(dir.path(), &["--delay", "GET /health=500ms"]);
    let started = Instant::now();
    let ran = loadgate(
        dir.path(),
        &[
            "probe",
            &format!("{url}/health"),
            "-n",
            "3",
            "--p95",
            "50ms",
        ],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "three delayed requests"
    );
    assert!(
        ran.stdout
            .contains("bound 50ms (probe: case GET thresholds.p95)"),
        "{ran:?}"
    );
    // Ctrl-C stops it.
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signals the child this test started and still owns.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest = rest.join().unwrap();
    assert!(rest.contains("GET /health: answers after 500"), "{rest}");
    assert!(rest.contains("loadgate: reference API stopped"), "{rest}");

    let ran = loadgate(
        dir.path(),
        &["serve", "--port", "0", "--error-rate", "GET /nope=1%"],
    );
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("fault on unknown route(s) GET /nope"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("GET /health"), "{ran:?}");
}
