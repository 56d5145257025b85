//! Helpers shared by the integration tests: a suite in a temporary folder, one report, a GET,
//! the README's code blocks.

use std::path::Path;

#[allow(dead_code)]
pub mod hostile;

use loadgate::results::CaseResult;
use loadgate::Harness;

/// `(language, text)` of every fenced block of the README.
#[allow(dead_code)]
pub fn readme_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push((lang.trim().to_string(), body.join("\n") + "\n"));
        }
    }
    out
}

/// Writes `suite` as `suites/<name>.yaml` and `thresholds` beside it; returns the harness.
#[allow(dead_code)]
pub fn harness(dir: &Path, name: &str, suite: &str, thresholds: &str) -> Harness {
    let suites = dir.join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join(format!("{name}.yaml")), suite).unwrap();
    std::fs::write(dir.join("thresholds.yaml"), thresholds).unwrap();
    Harness::new()
        .suites_dir(suites)
        .thresholds_file(dir.join("thresholds.yaml"))
}

/// The one report of a run that must have exactly one.
#[allow(dead_code)]
pub fn only(reports: Vec<CaseResult>) -> CaseResult {
    assert_eq!(reports.len(), 1, "{reports:#?}");
    reports.into_iter().next().unwrap()
}

/// A blocking GET returning JSON, on a runtime of its own.
#[allow(dead_code)]
pub fn get_json(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

/// True when the environment says this is a CI run (`CI` set, and not to `false` or `0`).
#[allow(dead_code)]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A check that needs `tool` cannot run: a failure in CI, where `.ci/run` installs every tool
/// the tests need, so no check passes by being skipped; elsewhere a message, and the caller
/// skips the check.
#[allow(dead_code)]
pub fn missing_tool(tool: &str, install: &str, check: &str) {
    let message = format!("{tool} is not installed (install it with {install}): {check} needs it");
    assert!(
        !in_ci(),
        "CI is set, so this check may not be skipped: {message}"
    );
    eprintln!("skipped: {message}");
}
