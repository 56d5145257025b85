//! A suite's managed target: started from its command (the reference API built as a binary),
//! sampled for CPU and memory, judged on `cpu_max`, `rss_max` and `rss_growth`, and stopped
//! without leaving a process behind; a target that exits at once or never gets ready fails
//! every case of its suite clearly; a running process can be attached to by pid.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::harness;
use loadgate::report::failure_message;
use loadgate::results::{CaseResult, Status};

/// The reference API as a process of its own.
const API: &str = env!("CARGO_BIN_EXE_loadgate-reference-api");

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The pid a target's shell wrote to `file`.
fn pid_in(file: &Path) -> u32 {
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn by_name<'a>(results: &'a [CaseResult], id: &str) -> &'a CaseResult {
    results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no {id} in {results:#?}"))
}

/// 45 rounds of 2 requests, 100 ms apart: four and a half seconds of steady load, so four
/// seconds are sampled after the warm-up.
const PACED: &str = "kind: burst\n    size: 2\n    rounds: 45\n    interval: 100ms";

#[test]
fn rss_growth_catches_the_leaking_route_and_passes_a_steady_one() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pid_file = dir.path().join("api.pid");
    // `exec` keeps the shell's pid, so the file names the server itself.
    let suite = format!(
        r#"target:
  command: ["sh", "-c", "echo $$ > '{pid}'; exec '{API}' {port}"]
  base_url: http://127.0.0.1:{port}
  ready: /health
  ready_timeout: 10s
cases:
  - name: steady
    {PACED}
    request: {{ path: /health }}
    thresholds: {{ rss_growth: 200MiB/min, rss_max: 1GiB, cpu_max: 1000% }}
  - name: leaking
    {PACED}
    request: {{ method: POST, path: /api/v1/debug/leak, query: {{ kb: 2048 }} }}
    thresholds: {{ rss_growth: 200MiB/min }}
"#,
        pid = pid_file.display()
    );
    let results = harness(dir.path(), "soak", &suite, "")
        .with_reference_api()
        .report_dir(dir.path().join("perf"))
        .run_cases("");
    let steady = by_name(&results, "soak::steady");
    let leaking = by_name(&results, "soak::leaking");

    assert_eq!(steady.status(), Status::Pass, "{}", failure_message(steady));
    let sampled = steady.resources.as_ref().expect("steady resources");
    assert!(sampled.samples() >= 3, "{sampled:?}");
    assert!(sampled.rss_max().unwrap() > 1 << 20, "{sampled:?}");
    let growth = sampled.rss_growth().unwrap();
    assert!(
        growth < 20.0 * (1 << 20) as f64,
        "steady growth {growth} B/min"
    );

    // 2 MiB a request, 20 requests a second: about 2400 MiB a minute against a 200 MiB bound.
    assert_eq!(
        leaking.status(),
        Status::Fail,
        "{}",
        failure_message(leaking)
    );
    let growth = leaking.resources.as_ref().unwrap().rss_growth().unwrap();
    assert!(
        growth > 2000.0 * (1 << 20) as f64,
        "leaking growth {growth} B/min"
    );
    let message = failure_message(leaking);
    assert!(
        message.contains("/min > bound 200MiB/min (")
            && message.contains("soak.yaml: case leaking thresholds.rss_growth)"),
        "{message}"
    );
    assert!(message.contains("target resources: cpu max"), "{message}");

    // The HTML report draws both cases' CPU and memory, with the steady case's bounds on them.
    let html = std::fs::read_to_string(dir.path().join("perf/report.html")).unwrap();
    for chart in ["target-cpu", "target-rss"] {
        let count = html
            .matches(&format!("<svg class=\"chart {chart}\""))
            .count();
        assert_eq!(count, 2, "{chart}");
    }
    assert!(html.contains("rss_max bound 1GiB"), "rss_max rule");
    assert!(html.contains("cpu_max bound 1000%"), "cpu_max rule");

    let pid = pid_in(&pid_file);
    assert!(
        gone_within(pid, Duration::from_secs(5)),
        "the target {pid} outlived the run"
    );
}

#[test]
fn a_command_that_exits_at_once_fails_every_case_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("child.pid");
    // The shell leaves a child behind in its process group, then fails.
    let suite = format!(
        r#"target:
  command: ["sh", "-c", "sleep 30 & echo $! > '{pid}'; echo 'cannot bind: address in use' >&2; exit 1"]
  base_url: http://127.0.0.1:{port}
cases:
  - name: first
    kind: sequential
    iterations: 1
    request: {{ path: / }}
  - name: second
    kind: sequential
    iterations: 1
    request: {{ path: / }}
"#,
        pid = pid_file.display(),
        port = free_port()
    );
    let started = Instant::now();
    let results = harness(dir.path(), "broken", &suite, "")
        .with_reference_api()
        .run_cases("");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(results.len(), 2);
    for result in &results {
        let message = result.error_message().unwrap_or_default();
        assert!(
            message.starts_with(
                "target command exited with status 1 before it was ready; last lines of its output"
            ),
            "{message}"
        );
        assert!(
            message.ends_with("\n  | cannot bind: address in use"),
            "{message}"
        );
    }
    let child = pid_in(&pid_file);
    assert!(
        gone_within(child, Duration::from_secs(5)),
        "the target's child {child} outlived it"
    );
}

#[test]
fn a_command_that_never_answers_fails_within_its_ready_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleeper.pid");
    let port = free_port();
    let suite = format!(
        r#"target:
  command: ["sh", "-c", "echo $$ > '{pid}'; echo starting; exec sleep 30"]
  base_url: http://127.0.0.1:{port}
  ready_timeout: 1s
cases:
  - name: only
    kind: sequential
    iterations: 1
    request: {{ path: / }}
"#,
        pid = pid_file.display()
    );
    let started = Instant::now();
    let results = harness(dir.path(), "sleepy", &suite, "")
        .with_reference_api()
        .run_cases("");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let message = results[0].error_message().unwrap_or_default().to_string();
    assert!(
        message.starts_with(&format!(
            "target not ready after 1s: GET http://127.0.0.1:{port}/: could not connect; last \
             lines of its output"
        )),
        "{message}"
    );
    assert!(message.ends_with("\n  | starting"), "{message}");
    let pid = pid_in(&pid_file);
    assert!(
        gone_within(pid, Duration::from_secs(5)),
        "the target {pid} outlived the run"
    );
}

#[test]
fn a_running_process_is_attached_to_by_pid_and_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut api = std::process::Command::new(API)
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let suite = format!(
        r#"target: {{ pid: {pid}, base_url: "http://127.0.0.1:{port}", ready: /health, ready_timeout: 10s }}
cases:
  - name: health
    kind: burst
    size: 2
    rounds: 15
    interval: 100ms
    request: {{ path: /health }}
    thresholds: {{ cpu_max: 1000%, rss_max: 2GiB }}
"#,
        pid = api.id()
    );
    let results = harness(dir.path(), "attached", &suite, "")
        .with_reference_api()
        .run_cases("");
    // A command whose port is taken is refused before it starts: the running server would
    // answer in its place and be measured instead.
    let taken = format!(
        "target: {{ command: [\"true\"], base_url: \"http://127.0.0.1:{port}\" }}\n\
         cases:\n  - name: c\n    kind: sequential\n    iterations: 1\n    request: {{ path: / }}\n"
    );
    let occupied = harness(&dir.path().join("taken"), "taken", &taken, "")
        .with_reference_api()
        .run_cases("");
    let alive = is_alive(api.id());
    let _ = api.kill();
    let _ = api.wait();
    let result = &results[0];
    assert_eq!(result.status(), Status::Pass, "{}", failure_message(result));
    assert_eq!(result.target, format!("http://127.0.0.1:{port}"));
    let sampled = result.resources.as_ref().expect("resources");
    assert!(sampled.samples() >= 1, "{sampled:?}");
    assert!(sampled.rss_max().unwrap() > 1 << 20, "{sampled:?}");
    assert!(alive, "an attached process must be left running");
    let message = occupied[0].error_message().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "something already answers at http://127.0.0.1:{port}/ (status 404) before the \
             target command started"
        )),
        "{message}"
    );
}

#[test]
fn resource_bounds_without_a_managed_target_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let suite = "cases:\n  - name: plain\n    kind: sequential\n    iterations: 3\n    \
                 request: { path: /health }\n    thresholds: { rss_max: 512MiB }\n";
    let results = harness(dir.path(), "plain", suite, "")
        .with_reference_api()
        .run_cases("");
    let result = &results[0];
    assert_eq!(result.status(), Status::Fail);
    assert!(result.resources.is_none());
    let message = failure_message(result);
    assert!(
        message.contains("rss_max: not measured: no managed target"),
        "{message}"
    );
}

#[test]
fn once_fixtures_are_torn_down_before_the_target_stops_for_the_next_suite() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let suite = format!(
        r#"target:
  command: ["{API}", "{port}"]
  base_url: http://127.0.0.1:{port}
  ready: /health
fixtures:
  worker:
    scope: once
    setup:
      - request: {{ method: POST, path: /api/v1/workers/register, json: {{ name: w1, capabilities: [rust], max_concurrent_tasks: 1 }}, expect: {{ status: 201 }} }}
        extract: {{ worker_id: {{ json: $.worker_id }} }}
    teardown:
      - request: {{ method: DELETE, path: "/api/v1/workers/{{{{ worker_id }}}}", expect: {{ status: 204 }} }}
cases:
  - name: get_worker
    kind: sequential
    iterations: 3
    use: [worker]
    request: {{ path: "/api/v1/workers/{{{{ worker_id }}}}" }}
"#
    );
    let h = harness(dir.path(), "a_managed", &suite, "");
    let after = "cases:\n  - name: health\n    kind: sequential\n    iterations: 3\n    \
                 request: { path: /health }\n";
    std::fs::write(dir.path().join("suites/b_embedded.yaml"), after).unwrap();
    let results = h.with_reference_api().run_cases("");
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a_managed::get_worker", "b_embedded::health"],
        "{results:#?}"
    );
    for result in &results {
        assert_eq!(result.status(), Status::Pass, "{}", failure_message(result));
    }
}

/// True while process `pid` runs (exists and is not a zombie), read from `/proc`.
/// True once `pid` has died within `limit`: a kill signal is delivered asynchronously, so a
/// busy machine may show the process for a moment after its group was killed.
fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while is_alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
        .is_some_and(|state| state != 'Z')
}
