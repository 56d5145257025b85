//! Another project gets the runner by adding loadgate as a dev-dependency and a three-line
//! `tests/perf.rs`. This builds such a project (in `target/tmp/downstream-project`) and runs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The target directory of the build this test comes from: the project builds there too, so it
/// reuses the dependencies already compiled for loadgate's own tests (the profile lines below
/// match loadgate's, hence their fingerprints do) and compiles only itself, loadgate, and the
/// few crates whose features differ from those of loadgate's own build. Cargo holds that
/// directory's lock while it builds, not while it runs the tests it built.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory")
        .to_path_buf()
}

/// The project's folder: one place inside the target directory, so the project's own crate
/// replaces its previous build instead of adding one per run.
fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("downstream-project")
}

/// The server the project's suites measure, started by this test.
static TARGET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Cargo in the project, building in the shared target directory; the project's reports go to
/// a folder of its own, apart from those of loadgate's tests.
fn command(project: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO"));
    // Without the variables cargo sets for this test's own process: build scripts that rerun
    // when one of them changes (ring's does on `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`) would
    // run again for the project, and then once more, with everything above them, for the next
    // build of loadgate's own tests in the same target directory.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || name.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_RUSTC_CURRENT_DIR",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("PERF_REPORT_DIR", project.join("perf"))
        .env_remove("PERF_BASE_URL")
        .env_remove("PERF_SUITES")
        .env_remove("PERF_THRESHOLDS");
    command
}

fn cargo(project: &Path, args: &[&str]) -> Output {
    command(project, args)
        .env("PERF_BASE_URL", TARGET.get().expect("target started"))
        .output()
        .expect("cargo runs")
}

/// The `[profile.*]` sections of loadgate's Cargo.toml that `manifest` lacks: a build shares
/// compiled crates with another only when both compile them with the same settings.
fn missing_profiles(manifest: &str) -> String {
    let ours = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("Cargo.toml");
    let mut out = String::new();
    let mut copying = false;
    for line in ours.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            copying =
                trimmed.starts_with("[profile.") && !manifest.lines().any(|l| l.trim() == trimmed);
        }
        if copying && !trimmed.starts_with('#') {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
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
    let api = loadgate::reference_api::ReferenceApi::new()
        .start()
        .unwrap();
    TARGET.get_or_init(|| api.base_url().to_string());
    let project = &project_dir();
    // One run at a time uses the folder (and the project's test binaries).
    let lock = std::fs::File::create(target_dir().join("downstream-project.lock")).unwrap();
    lock.lock().unwrap();
    if project.exists() {
        std::fs::remove_dir_all(project).unwrap();
    }
    std::fs::create_dir_all(project).unwrap();
    let loadgate = env!("CARGO_MANIFEST_DIR").replace('\\', "/");
    // The project's Cargo.toml is the README's, as written, with the path to this clone; its
    // Rust examples are test targets of the project, built below.
    let readme = common::readme_blocks();
    let manifest = readme
        .iter()
        .find(|(lang, text)| lang == "toml" && text.starts_with("[dev-dependencies]"))
        .map(|(_, text)| text.replace("../loadgate", &loadgate))
        .expect("the README shows the dev-dependency");
    let manifest = manifest.replacen(
        "[dev-dependencies]\n",
        "[dev-dependencies]\nserde_json = \"1\"\n",
        1,
    );
    let examples: Vec<&String> = readme
        .iter()
        .filter(|(lang, text)| lang == "rust" && text.contains("fn main"))
        .map(|(_, text)| text)
        .collect();
    assert!(examples.len() >= 4, "{examples:?}");
    let mut targets = String::from(
        "[[test]]\nname = \"fixtures\"\nharness = false\n\n\
         [features]\nembedded = [\"loadgate/reference-api\"]\n",
    );
    std::fs::create_dir_all(project.join("tests")).unwrap();
    for (i, example) in examples.iter().enumerate() {
        let name = format!("readme_{i}");
        std::fs::write(project.join(format!("tests/{name}.rs")), example).unwrap();
        targets.push_str(&format!("\n[[test]]\nname = \"{name}\"\nharness = false\n"));
        if example.contains("reference_api") {
            targets.push_str("required-features = [\"embedded\"]\n");
        }
    }
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-api-perf\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             {manifest}\n{targets}\n{}",
            missing_profiles(&manifest)
        ),
    )
    .unwrap();
    // The same dependency versions as loadgate's own build, so compiled crates are reused.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    // The project's checks are about what it builds and how it runs, not how fast it measures:
    // loadgate itself is compiled without optimisations there, which saves two optimised builds
    // of it (one per feature set of the project), most of this test's time otherwise. A config
    // file rather than a flag, so that the build cargo-nextest starts below uses it too.
    std::fs::create_dir_all(project.join(".cargo")).unwrap();
    std::fs::write(
        project.join(".cargo/config.toml"),
        "[profile.dev.package.loadgate]\nopt-level = 0\n",
    )
    .unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(project.join("tests")).unwrap();
    std::fs::write(
        project.join("tests/perf.rs"),
        "fn main() {\n    loadgate::run_harness()\n}\n",
    )
    .unwrap();
    std::fs::write(project.join("tests/fixtures.rs"), FIXTURES_RUNNER).unwrap();
    std::fs::create_dir_all(project.join("secret_suites")).unwrap();
    std::fs::write(project.join("secret_suites/secrets.yaml"), SECRET_SUITE).unwrap();
    std::fs::create_dir_all(project.join("suites")).unwrap();
    std::fs::write(
        project.join("suites/api.yaml"),
        "suite: api\ncases:\n  - name: health\n    kind: sequential\n    iterations: 20\n    request: { path: /health }\n  \
         - name: list\n    kind: sequential\n    iterations: 5\n    request: { path: /api/v1/workers }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("thresholds.yaml"),
        "defaults: { p95: 2s }\ncases:\n  \"api::helth\": { p95: 1s }\n",
    )
    .unwrap();

    // Without a target, a project that did not ask for the embedded API is told how to set one.
    let untargeted = command(project, &["test", "--test", "perf", "--", "api::health"])
        .output()
        .expect("cargo runs");
    let out = text(&untargeted);
    assert!(!untargeted.status.success(), "{out}");
    assert!(
        out.contains("no target: set `base_url:` in the suite"),
        "{out}"
    );
    assert!(out.contains("PERF_BASE_URL"), "{out}");

    // Every Rust example of the README compiles as written.
    let built = cargo(project, &["build", "--tests", "--features", "embedded"]);
    assert!(built.status.success(), "{}", text(&built));

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
    assert!(out.contains("loadgate summary"), "{out}");
    // A rule that bounds no case is reported, and fails the run when strict.
    assert!(
        out.contains("warning: thresholds.yaml: cases.\"api::helth\" matches no case"),
        "{out}"
    );
    let strict = command(project, &["test", "--test", "perf", "--", "api::health"])
        .env("PERF_BASE_URL", TARGET.get().expect("target started"))
        .env("PERF_STRICT", "1")
        .output()
        .expect("cargo runs");
    assert!(!strict.status.success(), "{}", text(&strict));

    // A thresholds file that cannot be read fails the run, even when the filter leaves its
    // entry out.
    let broken = command(project, &["test", "--test", "perf", "--", "api::health"])
        .env("PERF_THRESHOLDS", "missing.yaml")
        .output()
        .expect("cargo runs");
    let out = text(&broken);
    assert!(!broken.status.success(), "{out}");
    assert!(out.contains("thresholds::file"), "{out}");
    assert!(out.contains("missing.yaml"), "{out}");

    // A filter that matches nothing says so.
    let none = cargo(project, &["test", "--test", "perf", "--", "no_such_case"]);
    assert!(
        text(&none).contains("no case matches the filter"),
        "{}",
        text(&none)
    );

    cases_never_overlap_under_nextest(project);

    // A second runner with a Rust fixture that logs in; a failing set-up step echoes the token
    // in its body, and nothing the process prints may contain it.
    let token_file = project.join("token.txt");
    let run = command(project, &["test", "--test", "fixtures"])
        .env("TOKEN_FILE", &token_file)
        .env("PERF_BASE_URL", TARGET.get().expect("target started"))
        .output()
        .expect("cargo runs");
    let out = text(&run);
    assert!(!run.status.success(), "the leaky case must fail: {out}");
    let token = std::fs::read_to_string(&token_file).expect("the fixture wrote the token");
    assert_eq!(token.len(), 64, "{token}");
    assert!(out.contains("secrets::leak"), "{out}");
    assert!(out.contains("[REDACTED]"), "{out}");
    assert!(
        !out.contains(&token),
        "the token leaked into the output: {out}"
    );
}

/// Under cargo-nextest every case runs in a process of its own, several at once; two cases of
/// at least a second each must still take at least two seconds together.
fn cases_never_overlap_under_nextest(project: &Path) {
    let probe = Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output();
    if !probe.is_ok_and(|p| p.status.success()) {
        common::missing_tool(
            "cargo-nextest",
            "`cargo install cargo-nextest --locked`",
            "running a project's cases under cargo-nextest",
        );
        return;
    }
    std::fs::write(
        project.join("suites/slow.yaml"),
        "suite: slow\ncases:\n  - name: one\n    kind: burst\n    size: 1\n    rounds: 2\n    interval: 1s\n    request: { path: /health }\n  \
         - name: two\n    kind: burst\n    size: 1\n    rounds: 2\n    interval: 1s\n    request: { path: /health }\n",
    )
    .unwrap();
    let run = cargo(
        project,
        &[
            "nextest",
            "run",
            "--test",
            "perf",
            "--test-threads",
            "4",
            "-E",
            "test(/slow::/)",
        ],
    );
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    let total: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Summary ["))
        .and_then(|rest| rest.split('s').next())
        .and_then(|secs| secs.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary line: {out}"));
    assert!(total >= 2.0, "two 1 s cases overlapped: {total}s\n{out}");
    std::fs::remove_file(project.join("suites/slow.yaml")).unwrap();
}

const FIXTURES_RUNNER: &str = r#"use loadgate::template::Variables;

fn main() {
    loadgate::Harness::new()
        .suites_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/secret_suites"))
        .setup("login", &["api_token"], |cx| async move {
            let body = serde_json::json!({ "username": "downstream", "password": "hunter2-hunter2" });
            let url = format!("{}/api/v1/auth", cx.base_url);
            cx.client.post(format!("{url}/register")).json(&body).send().await.map_err(|e| e.to_string())?;
            let reply = cx.client.post(format!("{url}/login")).json(&body).send().await.map_err(|e| e.to_string())?;
            let login: serde_json::Value = reply.json().await.map_err(|e| e.to_string())?;
            let token = login["data"]["token"].as_str().ok_or("no token")?.to_string();
            std::fs::write(std::env::var("TOKEN_FILE").map_err(|e| e.to_string())?, &token).map_err(|e| e.to_string())?;
            let mut vars = Variables::new();
            vars.insert("api_token".into(), serde_json::json!(token));
            Ok(vars)
        })
        .run()
}
"#;

const SECRET_SUITE: &str = r#"suite: secrets
fixtures:
  login: { scope: once, rust: login }
  leaky:
    setup:
      - name: echo
        request: { method: POST, path: /api/v1/tasks, json: { title: t, description: "{{ api_token }}" }, expect: { status: 200 } }
cases:
  - name: leak
    kind: sequential
    iterations: 1
    use: [login, leaky]
    request: { path: /api/v1/users/me, headers: { authorization: "Bearer {{ api_token }}" } }
"#;
