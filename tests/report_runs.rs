//! The report folder across processes and writers: processes of one run (as cargo-nextest
//! starts them, one per case) add up to one set of reports, a new run starts clean, and a
//! reader never sees a half-written file.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use loadgate::report::{self, ReportFiles, RunResults};
use loadgate::Harness;

const PAIR: &str = r#"suite: pair
cases:
  - { name: one, kind: sequential, iterations: 3, request: { path: /health } }
  - { name: two, kind: sequential, iterations: 3, request: { path: /health } }
"#;

/// Writes the `pair` suite under `dir` and returns a harness for it (reports in `dir/perf`).
fn pair(dir: &Path) -> Harness {
    std::fs::create_dir_all(dir.join("suites")).unwrap();
    std::fs::write(dir.join("suites/pair.yaml"), PAIR).unwrap();
    std::fs::write(dir.join("thresholds.yaml"), "defaults: { p95: 5s }\n").unwrap();
    harness_for(dir)
}

/// A harness for the `pair` suite already written under `dir`: the child processes only read
/// it, so two of them starting at once never see a file half rewritten.
fn harness_for(dir: &Path) -> Harness {
    Harness::new()
        .with_reference_api()
        .suites_dir(dir.join("suites"))
        .thresholds_file(dir.join("thresholds.yaml"))
}

/// Not a test of its own: the process that [`processes_of_one_run_add_up`] starts, twice at
/// once and once more, each running one case into a shared report folder.
#[test]
#[ignore = "started as a separate process by processes_of_one_run_add_up"]
fn child_runs_one_case() {
    let dir = std::env::var("LOADGATE_CHILD_DIR").expect("started by the parent test");
    let filter = std::env::var("LOADGATE_CHILD_FILTER").expect("started by the parent test");
    let dir = Path::new(&dir);
    let results = harness_for(dir)
        .report_dir(dir.join("perf"))
        .run_cases(&filter);
    assert_eq!(results.len(), 1);
    assert!(results[0].passed(), "{:#?}", results[0]);
}

/// Starts this test binary again to run `filter`'s case as part of run `run_id`.
fn child(dir: &Path, run_id: &str, filter: &str, step_summary: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_runs_one_case", "--exact", "--ignored", "--nocapture"])
        .env("LOADGATE_CHILD_DIR", dir)
        .env("LOADGATE_CHILD_FILTER", filter)
        .env("NEXTEST_RUN_ID", run_id)
        .env("GITHUB_STEP_SUMMARY", step_summary)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn succeeded(output: Output) {
    assert!(
        output.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn results(dir: &Path) -> RunResults {
    let text = std::fs::read_to_string(dir.join("perf").join(report::RESULTS_JSON)).unwrap();
    RunResults::from_json(&text).unwrap()
}

#[test]
fn processes_of_one_run_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    pair(dir);
    let step_summary = dir.join("step_summary.md");
    std::fs::write(&step_summary, "# earlier output of the step\n").unwrap();

    // Two processes of one run, at the same time, one case each.
    let one = child(dir, "run-a", "pair::one", &step_summary);
    let two = child(dir, "run-a", "pair::two", &step_summary);
    succeeded(one.wait_with_output().unwrap());
    succeeded(two.wait_with_output().unwrap());

    let run = results(dir);
    let ids: Vec<&str> = run.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["pair::one", "pair::two"]);
    assert_eq!(run.run.run_id, "run-a");
    let junit = std::fs::read_to_string(dir.join("perf").join(report::JUNIT_XML)).unwrap();
    let junit = junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes())).unwrap();
    assert_eq!((junit.tests, junit.suites[0].cases.len()), (2, 2));
    let stats = std::fs::read_to_string(dir.join("perf").join(report::STATS_CSV)).unwrap();
    assert!(stats.contains(",pair::one,3,0,") && stats.contains(",pair::two,3,0,"));
    assert!(stats.contains(",Aggregated,6,0,"), "{stats}");
    // The job summary holds what was there, then this run once, with both cases.
    let summary = std::fs::read_to_string(&step_summary).unwrap();
    assert!(summary.starts_with("# earlier output of the step\n## loadgate results"));
    assert_eq!(
        summary.matches("## loadgate results").count(),
        1,
        "{summary}"
    );
    assert!(
        summary.contains("2 of 2 cases met their bounds."),
        "{summary}"
    );

    // A new run starts clean: the previous run's cases are gone.
    succeeded(
        child(dir, "run-b", "pair::two", &step_summary)
            .wait_with_output()
            .unwrap(),
    );
    let run = results(dir);
    assert_eq!(run.run.run_id, "run-b");
    let ids: Vec<&str> = run.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["pair::two"]);
    let case_files = std::fs::read_dir(dir.join("perf/cases"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("case-")
        })
        .count();
    assert_eq!(case_files, 1);
}

#[test]
fn readers_never_see_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let results = pair(dir.path()).run_cases("");
    assert_eq!(results.len(), 2);
    let folder = dir.path().join("perf");
    let files = ReportFiles::new(&folder).with_run_id("concurrent");
    files.write(&results, &|t| t.to_string()).unwrap();

    let done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                let json = std::fs::read_to_string(folder.join(report::RESULTS_JSON)).unwrap();
                let run = RunResults::from_json(&json).expect("results.json is whole");
                assert_eq!(run.cases.len(), 2);
                let xml = std::fs::read(folder.join(report::JUNIT_XML)).unwrap();
                junit_parser::from_reader(xml.as_slice()).expect("junit.xml is whole");
                reads.fetch_add(1, Ordering::SeqCst);
            }
        });
        let writers: Vec<_> = (0..2)
            .map(|i| {
                let (files, results) = (files.clone(), &results);
                scope.spawn(move || {
                    for _ in 0..15 {
                        files.write(&results[i..=i], &|t| t.to_string()).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
    });
    assert!(reads.load(Ordering::SeqCst) > 0);
    for folder in [folder.clone(), folder.join("cases")] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{name} left behind");
        }
    }
}
