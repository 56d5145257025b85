//! Finding suite files and reading them into [`SuiteSpec`]s.

use std::path::{Path, PathBuf};

use super::node::Node;
use super::raw::fields_of;
use super::span::Spanned;
use super::{yaml, CaseSpec, KindSettings, SuiteError, SuiteSpec, YamlError};

/// A suite file's text and how to name it in messages.
#[derive(Debug, Clone)]
pub struct SuiteSource {
    /// The file as shown to users, e.g. `suites/workers.yaml`.
    pub origin: String,
    /// The file stem, the suite's name when it sets none.
    pub stem: String,
    /// The file's text.
    pub text: String,
    /// The folder holding the file; data files are found relative to it.
    pub dir: PathBuf,
}

/// Every `*.yaml` / `*.yml` below `dir`, recursively, sorted by path: the suite files. Files
/// named `thresholds.yaml` (or `.yml`) are bounds, not suites, and hidden files and folders
/// (starting with `.`) are skipped.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with('.') || matches!(name, "thresholds.yaml" | "thresholds.yml") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Reads and parses one suite file.
pub fn load_file(path: &Path, origin: &str) -> Result<(SuiteSource, SuiteSpec), SuiteError> {
    let text = yaml::read_file(path, origin).map_err(SuiteError::Syntax)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("suite")
        .to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let source = SuiteSource {
        origin: origin.to_string(),
        stem,
        text,
        dir,
    };
    let spec = parse_str(&source.text, origin)?;
    Ok((source, spec))
}

/// Parses suite YAML held in memory: the suite's keys, then each case's common keys, with its
/// kind's own keys kept for the kind to read.
pub fn parse_str(text: &str, origin: &str) -> Result<SuiteSpec, SuiteError> {
    let mut spec: SuiteSpec = yaml::parse(text, origin).map_err(SuiteError::Syntax)?;
    spec.cases = spec
        .case_nodes
        .iter()
        .enumerate()
        .map(|(i, raw)| read_case(&raw.0, origin, i))
        .collect::<Result<_, _>>()
        .map_err(SuiteError::Syntax)?;
    Ok(spec)
}

/// One case: the keys every case takes into [`CaseSpec`], the others into its settings.
fn read_case(node: &Spanned<Node>, origin: &str, index: usize) -> Result<CaseSpec, YamlError> {
    let path = format!("cases[{index}]");
    let Node::Map(entries) = &node.value else {
        let message = format!(
            "{path}: a case is a mapping with `name`, `kind` and `request` or `steps`; found {}",
            node.describe()
        );
        return Err(YamlError::new(origin, node.span, message));
    };
    let common = fields_of::<CaseSpec>();
    let (own, kind): (Vec<_>, Vec<_>) = entries
        .iter()
        .cloned()
        .partition(|(key, _)| common.contains(&key.value.as_str()));
    let mut case: CaseSpec =
        yaml::from_node_at(&Spanned::new(Node::Map(own), node.span), origin, &path)?;
    case.settings = KindSettings {
        entries: kind,
        span: node.span,
    };
    case.span = node.span;
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_str(text, "suites/t.yaml").unwrap_err().to_string()
    }

    #[test]
    fn the_scan_skips_thresholds_and_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "a.yaml",
            "b.yml",
            "thresholds.yaml",
            ".draft.yaml",
            "data.json",
            "sub/c.yaml",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "cases: []\n").unwrap();
        }
        let found: Vec<String> = discover(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a.yaml", "b.yml", "sub/c.yaml"]);
    }

    #[test]
    fn parses_a_minimal_suite() {
        let spec = parse_str(
            "cases:\n  - name: health\n    kind: sequential\n    iterations: 5\n    request: { path: /health }\n",
            "t.yaml",
        )
        .unwrap();
        assert_eq!(spec.cases.len(), 1);
        assert_eq!(spec.cases[0].settings.entries[0].0.as_str(), "iterations");
    }

    #[test]
    fn missing_field_is_named() {
        let e = err("cases:\n  - name: a\n    request: { path: / }\n");
        assert!(
            e.starts_with("suites/t.yaml:2:5: cases[0]: missing key `kind`"),
            "{e}"
        );
    }

    #[test]
    fn bad_duration_says_what_was_expected() {
        let e = err("defaults: { timeout: -5ms }\ncases: []\n");
        assert!(e.contains("non-negative"), "{e}");
        assert!(e.starts_with("suites/t.yaml:1:"), "{e}");
    }

    #[test]
    fn malformed_yaml_has_a_position() {
        let e = err("cases:\n  - name: [unclosed\n");
        assert!(e.starts_with("suites/t.yaml:"), "{e}");
    }
}
