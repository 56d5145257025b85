//! A corpus of bad YAML files, each starting with the position and text its error must have
//! (`# expect: LINE:COLUMN: text`), loaded through the public harness as a user's files are.

use std::path::{Path, PathBuf};

use loadgate::Harness;

/// A corpus folder's `*.yaml` files, sorted.
fn corpus(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
}

/// The `(LINE:COLUMN, text)` a corpus file's first line promises.
fn expectation(bytes: &[u8]) -> (String, String) {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("first line is not `# expect: LINE:COLUMN: text`: {first}"));
    let mut parts = rest.splitn(3, ':');
    let (line, column, text) = (parts.next(), parts.next(), parts.next());
    match (line, column, text) {
        (Some(line), Some(column), Some(text)) => {
            (format!("{line}:{column}"), text.trim().to_string())
        }
        _ => panic!("first line is not `# expect: LINE:COLUMN: text`: {first}"),
    }
}

/// Runs the harness over one suite file and a thresholds file, against a closed port; returns
/// the one load error and the paths the files were written to.
fn load_error(name: &str, suite: &[u8], thresholds: &[u8]) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    let suite_path = suites.join(name);
    let thresholds_path = dir.path().join("thresholds.yaml");
    std::fs::write(&suite_path, suite).unwrap();
    std::fs::write(&thresholds_path, thresholds).unwrap();
    let reports = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(&thresholds_path)
        .base_url("http://127.0.0.1:9")
        .run_cases("");
    assert_eq!(reports.len(), 1, "{name}: {reports:#?}");
    assert!(reports[0].summary.is_none(), "{name}: nothing may be sent");
    let error = reports[0]
        .error_message()
        .expect("a load error")
        .to_string();
    let shown = |p: &Path| p.display().to_string();
    (error, shown(&suite_path), shown(&thresholds_path))
}

/// Why `file` does not give its promised error, if it does not.
fn mismatch(file: &Path, as_thresholds: bool) -> Option<String> {
    let bytes = std::fs::read(file).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let (position, text) = expectation(&bytes);
    let (error, suite_origin, thresholds_origin) = if as_thresholds {
        load_error("empty.yaml", b"suite: empty\ncases: []\n", &bytes)
    } else {
        load_error(&name, &bytes, b"")
    };
    let origin = if as_thresholds {
        thresholds_origin
    } else {
        suite_origin
    };
    let at = format!("{origin}:{position}: ");
    (!error.contains(&at) || !error.contains(&text))
        .then(|| format!("{name}: expected `{position}: {text}`\n  got: {error}"))
}

fn assert_corpus(folder: &str, as_thresholds: bool) {
    let failures: Vec<String> = corpus(folder)
        .iter()
        .filter_map(|file| mismatch(file, as_thresholds))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_suite_error_is_reported_at_its_place() {
    assert_corpus("yaml", false);
}

#[test]
fn every_thresholds_error_is_reported_at_its_place() {
    assert_corpus("thresholds", true);
}

#[test]
fn a_byte_order_mark_changes_nothing() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid/bom.yaml");
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the corpus file lost its mark"
    );
    let (_, spec) = loadgate::suite::load_file(&file, "bom.yaml").unwrap();
    assert_eq!(spec.suite.as_ref().map(|s| s.as_str()), Some("bom"));

    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join("bom.yaml"), &bytes).unwrap();
    std::fs::write(
        dir.path().join("thresholds.yaml"),
        b"\xEF\xBB\xBFdefaults: {}\n",
    )
    .unwrap();
    let reports = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("thresholds.yaml"))
        .base_url("http://127.0.0.1:9")
        .run_cases("");
    assert!(reports.is_empty(), "{reports:#?}");
}
