//! Saved baselines: the whole `results.json` of a run kept under a name
//! (`perf-baselines/NAME.json`), and the cases of a later run compared with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::record::{Recorded, SCHEMA_VERSION};
use crate::report::{write_atomically, RunInfo, RunResults, REPORT_SCHEMA};
use crate::verdict::{BaselineUse, Mismatch, MismatchKind};

/// The environment variable naming the baseline to compare with.
pub const BASELINE_VAR: &str = "PERF_BASELINE";
/// The environment variable naming the baseline to save this run as.
pub const SAVE_BASELINE_VAR: &str = "PERF_SAVE_BASELINE";
/// The environment variable naming the baselines' folder (default `perf-baselines/` of the
/// package under test).
pub const BASELINE_DIR_VAR: &str = "PERF_BASELINE_DIR";

/// A baseline read back: what its run ran on, and each case's recorded requests.
#[derive(Debug)]
pub struct Baseline {
    name: String,
    run: RunInfo,
    /// Per case id: what it recorded, and the target it ran against.
    cases: BTreeMap<String, (Recorded, String)>,
}

/// The file of baseline `name` in `dir`.
pub fn baseline_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// A baseline name is a file name: letters, digits, `.`, `_` and `-`, not starting with `.`.
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid baseline name `{name}`: use letters, digits, `.`, `_` and `-` (it names \
             a file in the baselines folder)"
        ))
    }
}

impl Baseline {
    /// Reads baseline `name` from `dir`, refusing a missing file, one that is not a loadgate
    /// results file, and one written with another layout version.
    pub fn load(dir: &Path, name: &str) -> Result<Self, String> {
        check_name(name)?;
        let path = baseline_path(dir, name);
        let shown = path.display();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no baseline `{name}`: {shown} does not exist (save one with \
                     {SAVE_BASELINE_VAR}={name}, or `loadgate run --save-baseline {name}`)"
                )
            } else {
                format!("cannot read baseline {shown}: {e}")
            }
        })?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("baseline {shown} is not JSON: {e}"))?;
        let schema = value.get("schema").and_then(serde_json::Value::as_u64);
        if schema != Some(u64::from(REPORT_SCHEMA)) {
            let found = schema.map_or("none".to_string(), |s| s.to_string());
            return Err(format!(
                "baseline {shown} has results layout version {found}; this loadgate reads \
                 version {REPORT_SCHEMA} (recorded series: version {SCHEMA_VERSION}): save the \
                 baseline again with this version ({SAVE_BASELINE_VAR}={name})"
            ));
        }
        let results: RunResults = serde_json::from_value(value).map_err(|e| {
            format!("baseline {shown} is not a loadgate results file of this version: {e}")
        })?;
        let cases = results
            .cases
            .into_iter()
            .filter_map(|case| {
                let recorded = case.recorded?;
                Some((case.id, (recorded, case.target)))
            })
            .collect();
        Ok(Baseline {
            name: name.to_string(),
            run: results.run,
            cases,
        })
    }

    /// The baseline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What case `id` (run against `target`) is compared with: its recorded requests in the
    /// baseline, if it has the case, and what differs between the two runs.
    pub fn for_case(&self, id: &str, target: &str) -> (BaselineUse, Option<&Recorded>) {
        let here = RunInfo::collect("", SystemTime::now(), &[]);
        let found = self.cases.get(id);
        let mut mismatches = Vec::new();
        let mut differ = |what, baseline: String, run: String| {
            if baseline != run {
                mismatches.push(Mismatch {
                    what,
                    baseline,
                    run,
                });
            }
        };
        let unknown = || "unknown".to_string();
        differ(
            MismatchKind::Host,
            self.run.host.clone().unwrap_or_else(unknown),
            here.host.unwrap_or_else(unknown),
        );
        differ(
            MismatchKind::Cpus,
            self.run.cpus.to_string(),
            here.cpus.to_string(),
        );
        differ(
            MismatchKind::Build,
            self.run.build.to_string(),
            here.build.to_string(),
        );
        if let Some((_, old_target)) = found {
            differ(MismatchKind::Target, old_target.clone(), target.to_string());
        }
        let using = BaselineUse {
            name: self.name.clone(),
            has_case: found.is_some(),
            mismatches,
        };
        (using, found.map(|(recorded, _)| recorded))
    }

    /// The baseline's cases that are not among `ran`.
    pub fn missing_from<'a>(&'a self, ran: &[&str]) -> Vec<&'a str> {
        self.cases
            .keys()
            .map(String::as_str)
            .filter(|id| !ran.contains(id))
            .collect()
    }
}

/// Saves `results` as baseline `name` in `dir` (created if needed), atomically; returns the
/// file written.
pub fn save(dir: &Path, name: &str, results: &RunResults) -> Result<PathBuf, String> {
    check_name(name)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create baselines folder {}: {e}", dir.display()))?;
    let path = baseline_path(dir, name);
    write_atomically(&path, |out| {
        serde_json::to_writer(&mut *out, results)?;
        out.write_all(b"\n")
    })
    .map_err(|e| format!("cannot save baseline `{name}`: {e}"))?;
    Ok(path)
}
