//! Hostile targets end in a named verdict within the case's bounds, in bounded memory: an
//! endless body, huge bodies (with and without a JSON check), and requests still in flight
//! when `case_timeout` fires, whose connections must be closed before the run goes on.
//! Everything runs in one test so the process's peak memory belongs to these cases alone.

use std::time::{Duration, Instant};

mod common;

use common::hostile::{peak_rss, Hostile};
use common::{harness, only};
use loadgate::report::failure_message;

/// Far above the harness's own needs (tens of MB), far below one 200 MB body.
const RSS_BOUND: u64 = 200 * 1024 * 1024;

fn suite(body: &str) -> String {
    format!("suite: hostile\ncases:\n  - name: c\n{body}")
}

#[test]
fn hostile_targets_get_named_verdicts_in_bounded_memory() {
    let server = Hostile::start();
    let dir = tempfile::tempdir().unwrap();
    let run = |case: &str| {
        only(
            harness(dir.path(), "hostile", &suite(case), "")
                .base_url(&server.base_url)
                .run_cases(""),
        )
    };

    // An endless body: the request's timeout ends it, counted as a timeout.
    let started = Instant::now();
    let endless = run(
        "    kind: sequential\n    iterations: 1\n    request: { path: /endless, timeout: 2s }\n",
    );
    let message = failure_message(&endless);
    assert!(message.contains("timeout x1"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );

    // A 200 MB body nobody checks: read to the end and counted, not kept.
    let big =
        run("    kind: sequential\n    iterations: 1\n    request: { path: /big, timeout: 60s }\n");
    assert!(big.passed(), "{}", failure_message(&big));

    // 20 bodies of 200 MB with a JSON check: each fails with the limit named.
    let checked = run(
        "    kind: sequential\n    iterations: 20\n    request: { path: /big-json, timeout: 60s }\n    checks: [{ json: /a, exists: true }]\n",
    );
    let message = failure_message(&checked);
    assert!(
        message.contains("body over max_body (10485760 bytes) x20"),
        "{message}"
    );

    // Requests in flight when case_timeout fires are cancelled and their connections closed.
    let hung = run(
        "    kind: concurrent\n    concurrency: 5\n    case_timeout: 1s\n    request: { path: /hang, timeout: 60s }\n",
    );
    let message = failure_message(&hung);
    assert!(message.contains("did not finish within 1s"), "{message}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.open_connections() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.open_connections(), 0, "connections left open");

    if let Some(peak) = peak_rss() {
        eprintln!("peak RSS: {} MB", peak / (1024 * 1024));
        assert!(peak < RSS_BOUND, "peak RSS {} MB", peak / (1024 * 1024));
    }
}
