//! Another project gets the runner by adding loadgate as a dev-dependency and a three-line
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
    let loadgate = env!("CARGO_MANIFEST_DIR").replace('\\', "/");
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-api-perf\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dev-dependencies]\nloadgate = {{ path = \"{loadgate}\" }}\nserde_json = \"1\"\n\n\
             [[test]]\nname = \"perf\"\nharness = false\n\n\
             [[test]]\nname = \"fixtures\"\nharness = false\n"
        ),
    )
    .unwrap();
    // The same dependency versions as loadgate's own build, so compiled crates are reused.
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
    assert!(out.contains("loadgate summary"), "{out}");

    // A second runner with a Rust fixture that logs in; a failing set-up step echoes the token
    // in its body, and nothing the process prints may contain it.
    let token_file = project.join("token.txt");
    let run = Command::new(env!("CARGO"))
        .args(["test", "--test", "fixtures"])
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("TOKEN_FILE", &token_file)
        .env_remove("PERF_BASE_URL")
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
