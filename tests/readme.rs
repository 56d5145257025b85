//! The README's examples work as written: every YAML block is valid YAML, every block that
//! starts with `# suites/NAME.yaml` loads and plans as a suite, every `# thresholds.yaml` block
//! parses as thresholds, and the JSON block is valid JSON. (Its Rust and TOML blocks are built
//! as a dependent project's files in `tests/downstream.rs`.)

mod common;

use loadgate::run::{load, Config, Loaded};
use loadgate::thresholds::Thresholds;

#[test]
fn every_yaml_block_parses_and_every_suite_block_plans() {
    let mut suites = 0;
    for (lang, text) in common::readme_blocks().iter().filter(|(l, _)| l == "yaml") {
        let first = text.lines().next().unwrap_or_default();
        loadgate::suite::yaml::parse_node(text, "README.md")
            .unwrap_or_else(|e| panic!("{lang} block `{first}`: {e}"));
        if first.starts_with("# thresholds.yaml") {
            Thresholds::parse(text, "thresholds.yaml")
                .unwrap_or_else(|e| panic!("thresholds block: {e}\n{text}"));
        }
        let Some(name) = first.strip_prefix("# suites/") else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let suites_dir = dir.path().join("suites");
        std::fs::create_dir_all(&suites_dir).unwrap();
        std::fs::write(suites_dir.join(name.trim()), text).unwrap();
        let mut config = Config::from_env();
        config.suites = vec![suites_dir];
        config.thresholds = dir.path().join("thresholds.yaml");
        config.thresholds_named = false;
        for entry in load(&config) {
            if let Loaded::Broken { id, error } = entry {
                panic!("README suite `{name}` does not load: {id}: {error}");
            }
        }
        suites += 1;
    }
    assert!(suites >= 2, "the README shows suites");
}

#[test]
fn the_json_blocks_are_json() {
    for (_, text) in common::readme_blocks().iter().filter(|(l, _)| l == "json") {
        serde_json::from_str::<serde_json::Value>(text)
            .unwrap_or_else(|e| panic!("README JSON block: {e}\n{text}"));
    }
}
