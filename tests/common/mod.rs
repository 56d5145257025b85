//! Helpers shared by the integration tests: a suite in a temporary folder, one report, a GET.

use std::path::Path;

#[allow(dead_code)]
pub mod hostile;

use loadgate::results::CaseResult;
use loadgate::Harness;

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
