//! Load over time against real servers on 127.0.0.1: virtual users and arrival rates reach
//! what they are told, a server stall shows under an open model and hides under a closed one,
//! a sweep names its breaking point, and a missed bound stops a run early.
//! Tolerances are wide: these tests prove behaviour, not this machine's speed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::hostile::Hostile;
use common::{harness, only};
use loadgate::reference_api::{Fault, ReferenceApi};
use loadgate::report::failure_message;
use loadgate::results::CaseResult;

fn run(base_url: &str, case: &str, thresholds: &str) -> CaseResult {
    let dir = tempfile::tempdir().unwrap();
    let suite = format!("suite: load\ncases:\n  - name: c\n    kind: load\n{case}");
    only(
        harness(dir.path(), "load", &suite, thresholds)
            .base_url(base_url)
            .run_cases(""),
    )
}

#[test]
fn virtual_users_reach_their_number() {
    // 10 users against a 100 ms endpoint for 2 s: about 10 / 0.1 * 2 = 200 requests.
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(100)))
        .start()
        .unwrap();
    let result = run(
        api.base_url(),
        "    users: 10\n    duration: 2s\n    request: { path: /health }\n",
        "",
    );
    assert!(result.passed(), "{}", failure_message(&result));
    let requests = result.summary.as_ref().unwrap().requests;
    assert!((130..=210).contains(&requests), "{requests} requests");
    // All 10 ran through the whole second second.
    let users = &result.recorded.as_ref().unwrap().users;
    let second = users.mean_at(Duration::from_millis(1500));
    assert!((9.99..=10.0).contains(&second), "{second} users");
}

#[test]
fn an_arrival_rate_starts_its_iterations_on_schedule() {
    let api = ReferenceApi::new().start().unwrap();
    let result = run(
        api.base_url(),
        "    arrival_rate: 50\n    duration: 2s\n    request: { path: /health }\n",
        "",
    );
    assert!(result.passed(), "{}", failure_message(&result));
    let requests = result.summary.as_ref().unwrap().requests;
    assert!((95..=100).contains(&requests), "{requests} requests");
    let schedule = result.schedule.as_ref().unwrap();
    assert_eq!(schedule.dropped, 0);
    assert_eq!(schedule.service.requests, requests);
}

#[test]
fn iterations_that_cannot_start_are_dropped_and_counted() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(200)))
        .start()
        .unwrap();
    let result = run(
        api.base_url(),
        "    arrival_rate: 100\n    max_in_flight: 2\n    max_lag: 100ms\n    duration: 1s\n    request: { path: /health }\n",
        "",
    );
    let schedule = result.schedule.as_ref().unwrap();
    // Two workers at 200 ms each serve about 10 of the 100 arrivals.
    assert!(schedule.dropped > 50, "{schedule:?}");
}

#[test]
fn a_stall_shows_under_an_open_model_and_hides_under_a_closed_one() {
    // Open: 100 iterations a second; the server stalls for a second at the 100th request, and
    // the iterations due meanwhile keep arriving and each waits for it.
    let open = run(
        &Hostile::start().base_url,
        "    arrival_rate: 100\n    max_in_flight: 200\n    duration: 3s\n    request: { path: \"/fast?stall_at=100\" }\n",
        "",
    );
    let p99 = open.summary.as_ref().unwrap().latency.unwrap().p99;
    assert!(p99 > Duration::from_millis(500), "open p99 {p99:?}");
    // Closed: 5 users wait once each for the same stall, and the fast requests hide them.
    let closed = run(
        &Hostile::start().base_url,
        "    users: 5\n    duration: 3s\n    request: { path: \"/fast?stall_at=500\" }\n",
        "",
    );
    let summary = closed.summary.as_ref().unwrap();
    assert!(summary.requests > 1000, "{} requests", summary.requests);
    let latency = summary.latency.unwrap();
    assert!(
        latency.max > Duration::from_millis(500),
        "the stall happened: {latency:?}"
    );
    assert!(
        latency.p99 < Duration::from_millis(500),
        "closed p99 {:?}",
        latency.p99
    );
}

#[test]
fn a_sweep_names_its_breaking_point() {
    // Fast up to 12 requests in flight, 300 ms each beyond: 5 and 10 users hold, 40 do not.
    let server = Hostile::start();
    let result = run(
        &server.base_url,
        "    levels: [5, 10, 40, 80]\n    stop_when: miss\n    duration: 1s\n    request: { path: \"/limited?n=12\" }\n",
        "defaults: { p95: 100ms }\n",
    );
    let levels: Vec<f64> = result.levels.iter().map(|l| l.level).collect();
    assert_eq!(
        levels,
        [5.0, 10.0, 40.0],
        "the sweep stops at the first miss"
    );
    assert!(result.levels[0].verdict.passed() && result.levels[1].verdict.passed());
    assert!(!result.levels[2].verdict.passed());
    assert_eq!(result.breaking_point, Some(10.0));
    assert!(result.passed(), "{}", failure_message(&result));
    let message = failure_message(&result);
    assert!(message.contains("breaking point"), "{message}");
}

#[test]
fn abort_on_fail_stops_a_run_early() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(200)))
        .start()
        .unwrap();
    let started = Instant::now();
    let result = run(
        api.base_url(),
        "    users: 5\n    duration: 60s\n    abort_on_fail: { grace: 1s }\n    request: { path: /health }\n",
        "defaults: { p95: 20ms }\n",
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let aborted = result.aborted.as_ref().expect("aborted");
    assert!(aborted.at < Duration::from_secs(10), "{aborted:?}");
    assert!(!result.passed());
    let message = failure_message(&result);
    assert!(message.contains("aborted at"), "{message}");
}

/// A plain HTTP/1.1 server on 127.0.0.1 that answers every request `500` at once and counts
/// the requests it was sent.
fn counting_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let mut pending = Vec::new();
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        counted.fetch_add(1, Ordering::SeqCst);
                        let answer =
                            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n";
                        if stream.write_all(answer).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, count)
}

#[test]
fn an_aborted_open_model_sends_nothing_after_the_abort() {
    // 20 arrivals a second, every one failing: the run aborts after its grace. Workers that
    // had claimed later arrivals and were asleep until them must not send them.
    let (url, count) = counting_server();
    let started = Instant::now();
    let result = run(
        &url,
        "    arrival_rate: 20\n    duration: 60s\n    max_in_flight: 200\n    abort_on_fail: { grace: 1s }\n    request: { path: /health }\n",
        "defaults: { error_rate: 1% }\n",
    );
    let aborted = result.aborted.as_ref().expect("aborted");
    // Give anything sent late the time to arrive before counting.
    std::thread::sleep(Duration::from_millis(500));
    let received = count.load(Ordering::SeqCst);
    let due = (aborted.at.as_secs_f64() * 20.0).ceil() as u64;
    assert!(
        received <= due + 1,
        "aborted at {:?}: {received} requests received, {due} were due",
        aborted.at
    );
    assert!(
        started.elapsed() < aborted.at + Duration::from_secs(5),
        "the run went on for {:?} after aborting at {:?}",
        started.elapsed(),
        aborted.at
    );
}

#[test]
fn weighted_scenarios_share_the_iterations_and_get_their_own_rows() {
    let api = ReferenceApi::new().start().unwrap();
    let result = run(
        api.base_url(),
        "    users: 4\n    duration: 1s\n    scenarios:\n      - { name: read, weight: 3, request: { path: /health } }\n      - { name: list, weight: 1, request: { path: /api/v1/workers, name: list_workers } }\n",
        "cases:\n  \"load::c/read\": { p95: 2s }\n",
    );
    assert!(result.passed(), "{}", failure_message(&result));
    let count = |id: &str| {
        result
            .names
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.summary.requests)
            .unwrap_or_else(|| panic!("no {id} in {:?}", result.names))
    };
    let (read, list) = (count("load::c/read"), count("load::c/list"));
    assert!(read > list, "read {read}, list {list}");
    assert_eq!(count("load::c/list_workers"), list);
    let share = read as f64 / (read + list) as f64;
    assert!((0.6..0.9).contains(&share), "read share {share}");
}

#[test]
fn a_stage_shorter_than_a_second_counts_exactly_its_own_iterations() {
    // 50 iterations a second over two stages of 600 ms: 30 are due in each, although both
    // stages share the timeline's first second.
    let api = ReferenceApi::new().start().unwrap();
    let result = run(
        api.base_url(),
        "    arrival_rate: 50\n    stages: [{ duration: 600ms, target: 50 }, { duration: 600ms, target: 50 }]\n    request: { path: /health }\n",
        "",
    );
    assert!(result.passed(), "{}", failure_message(&result));
    let counts: Vec<u64> = result.stages.iter().map(|s| s.requests).collect();
    let total = result.summary.as_ref().unwrap().requests;
    assert_eq!(counts.iter().sum::<u64>(), total, "{counts:?}");
    assert_eq!(result.schedule.as_ref().unwrap().dropped, 0);
    for count in counts {
        assert!(
            (29..=31).contains(&count),
            "{count} requests in a 600 ms stage"
        );
    }
    assert!(result.stages.iter().all(|s| s.p95.is_some()));
}

#[test]
fn stages_ramp_and_report_each_stage() {
    let api = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_millis(50)))
        .start()
        .unwrap();
    let result = run(
        api.base_url(),
        "    stages: [{ duration: 1s, target: 10 }, { duration: 1s, target: 10 }, { duration: 1s, target: 0 }]\n    request: { path: /health }\n",
        "",
    );
    assert!(result.passed(), "{}", failure_message(&result));
    assert_eq!(result.stages.len(), 3, "{:?}", result.stages);
    // The steady stage runs at about 10 users / 50 ms = 200 req/s, more than either ramp.
    let rates: Vec<f64> = result.stages.iter().map(|s| s.throughput).collect();
    assert!(rates[1] > rates[0] && rates[1] > rates[2], "{rates:?}");
}
