//! The JSON Schemas for editors: the committed files are what `loadgate schema` generates now,
//! this repository's own suites and thresholds validate against them, and mistakes the loader
//! refuses are refused by the schemas too.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A YAML file's value as JSON, the way an editor's schema validation sees it.
fn yaml_value(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

/// The messages of every schema violation of `instance`, with where they are.
fn violations(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn suite_violations(yaml: &str) -> Vec<String> {
    violations(&loadgate::schema::suite(), &yaml_value(yaml))
}

fn thresholds_violations(yaml: &str) -> Vec<String> {
    violations(&loadgate::schema::thresholds(), &yaml_value(yaml))
}

#[test]
fn the_committed_schemas_are_current() {
    for (name, text) in loadgate::schema::files() {
        let path = root().join("schema").join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is out of date: run `cargo run --bin loadgate -- schema` and commit it",
            path.display()
        );
    }
}

#[test]
fn this_repositorys_suites_and_thresholds_validate() {
    let suite_schema = loadgate::schema::suite();
    let mut files = loadgate::suite::discover(&root().join("suites")).unwrap();
    files.push(root().join("tests/corpus/valid/bom.yaml"));
    assert!(files.len() > 3, "{files:?}");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let problems = violations(&suite_schema, &yaml_value(text));
        assert!(problems.is_empty(), "{}: {problems:#?}", file.display());
    }
    let text = std::fs::read_to_string(root().join("thresholds.yaml")).unwrap();
    let problems = thresholds_violations(&text);
    assert!(problems.is_empty(), "thresholds.yaml: {problems:#?}");
}

const CASE: &str = "cases:\n  - name: a\n    kind: sequential\n    iterations: 5\n    request: { path: /health }\n";

#[test]
fn a_case_takes_the_common_keys_and_those_of_its_kind() {
    assert_eq!(suite_violations(CASE), Vec::<String>::new());
    let tagged = CASE.replace("iterations: 5", "iterations: 5\n    tags: [auth, read]");
    assert_eq!(suite_violations(&tagged), Vec::<String>::new());
    let load = "cases:\n  - name: a\n    kind: load\n    users: 10\n    duration: 2s\n    think_time: { between: [1s, 3s] }\n    request: { path: /health }\n";
    assert_eq!(suite_violations(load), Vec::<String>::new());

    // Each mistake the loader refuses, the schema refuses too.
    for (mistake, yaml) in [
        (
            "a key of another kind",
            CASE.replace("iterations: 5", "iterations: 5\n    size: 3"),
        ),
        (
            "a kind's required key missing",
            CASE.replace("    iterations: 5\n", ""),
        ),
        ("an unknown kind", CASE.replace("sequential", "sequental")),
        (
            "an unknown case key",
            CASE.replace("iterations: 5", "iterations: 5\n    iteration: 5"),
        ),
        (
            "a duration that is not one",
            CASE.replace("{ path: /health }", "{ path: /health, timeout: fast }"),
        ),
        (
            "a tag with a space",
            CASE.replace("iterations: 5", "iterations: 5\n    tags: [\"slow tests\"]"),
        ),
        (
            "inline thresholds with an unknown metric",
            CASE.replace(
                "iterations: 5",
                "iterations: 5\n    thresholds: { p96: 1s }",
            ),
        ),
    ] {
        assert!(
            !suite_violations(&yaml).is_empty(),
            "{mistake} passed:\n{yaml}"
        );
    }
}

#[test]
fn thresholds_tags_and_profiles_have_their_shape() {
    let good = r#"
defaults: { error_rate: 1%, p99: 5s }
tags: { auth: { p95: 100ms }, read: { p95: 50ms }, write: { p95: 200ms } }
profiles:
  ci: { skip_tags: [soak, stress], defaults: { p95: 2s } }
  nightly: { only_tags: [soak, stress, ci], cases: { "capacity::soak": { rss_growth: 1MiB/min } } }
"#;
    assert_eq!(thresholds_violations(good), Vec::<String>::new());
    for (mistake, yaml) in [
        ("an unknown section", "suite: { a: { p95: 1s } }\n"),
        ("an unknown metric", "tags: { auth: { p96: 1s } }\n"),
        ("a tag key with a space", "tags: { \"a b\": { p95: 1s } }\n"),
        (
            "an unknown profile key",
            "profiles: { ci: { skiptags: [soak] } }\n",
        ),
        (
            "a profile's tags as a list",
            "profiles: { ci: { tags: [soak] } }\n",
        ),
        (
            "a ratio that is not one",
            "defaults: { error_rate: lots }\n",
        ),
        ("a CPU share without %", "defaults: { cpu_max: 150 }\n"),
    ] {
        assert!(
            !thresholds_violations(yaml).is_empty(),
            "{mistake} passed: {yaml}"
        );
    }
}

#[test]
fn loadgate_schema_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let written = loadgate::schema::write(&dir.path().join("out")).unwrap();
    let names: Vec<&str> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["suite.schema.json", "thresholds.schema.json"]);
    for path in &written {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(value["$schema"], "http://json-schema.org/draft-07/schema#");
        assert!(Path::new(path).exists());
    }
}
