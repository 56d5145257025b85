//! Another project gets the runner by adding perfgate as a dev-dependency and a three-line
//! `tests/perf.rs`. This builds such a project in a temporary directory and runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The target directory this test binary was built into, so the project reuses compiled crates.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<binary>
    exe.ancestors()
        .nth(3)
        .expect("target directory")
        .to_path_buf()
}

fn cargo(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("PERF_BASE_URL")
        .env_remove("PERF_SUITES")
        .env_remove("PERF_THRESHOLDS")
        .output()
        .expect("cargo runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_dependent_project_runs_its_suites_with_three_lines() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    let perfgate = env!("CARGO_MANIFEST_DIR").replace('\\', "/");
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-api-perf\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dev-dependencies]\nperfgate = {{ path = \"{perfgate}\" }}\n\n\
             [[test]]\nname = \"perf\"\nharness = false\n"
        ),
    )
    .unwrap();
    // The same dependency versions as perfgate's own build, so compiled crates are reused.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(project.join("tests")).unwrap();
    std::fs::write(
        project.join("tests/perf.rs"),
        "fn main() {\n    perfgate::run_harness()\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(project.join("suites")).unwrap();
    std::fs::write(
        project.join("suites/api.yaml"),
        "suite: api\ncases:\n  - name: health\n    kind: sequential\n    iterations: 20\n    request: { path: /health }\n  \
         - name: list\n    kind: sequential\n    iterations: 5\n    request: { path: /api/v1/workers }\n",
    )
    .unwrap();
    std::fs::write(project.join("thresholds.yaml"), "defaults: { p95: 2s }\n").unwrap();

    let listed = cargo(project, &["test", "--test", "perf", "--", "--list"]);
    let out = text(&listed);
    assert!(listed.status.success(), "{out}");
    assert!(out.contains("[sequential] api::health: test"), "{out}");
    assert!(out.contains("[sequential] api::list: test"), "{out}");

    let run = cargo(project, &["test", "--test", "perf", "--", "api::health"]);
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    assert!(
        out.contains("test [sequential] api::health ... ok"),
        "{out}"
    );
    assert!(out.contains("1 filtered out"), "{out}");
    assert!(out.contains("perfgate summary"), "{out}");
}
