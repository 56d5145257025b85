//! `results.json`: the whole run as data, versioned, for tools, baselines and merges.

use std::io;

use serde::{Deserialize, Deserializer, Serialize};

use super::meta::RunInfo;
use super::Report;
use crate::results::CaseResult;

/// The layout version of `results.json`; bumped whenever a reader of the old layout would
/// misread the new one. (Each case's recorded series carry their own version as well.)
pub const REPORT_SCHEMA: u32 = 1;

/// Everything one run left behind: what it ran on, and every case's whole result (summary,
/// verdict with bounds and their sources, errors by cause, checks, and the recorded histograms
/// and timeline, which merge with [`crate::record::Recorded::merge`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResults {
    /// The layout version; reading refuses any other than [`REPORT_SCHEMA`].
    #[serde(deserialize_with = "current_schema")]
    schema: u32,
    /// What the run ran on.
    pub run: RunInfo,
    /// Every case of the run, ordered by id.
    pub cases: Vec<CaseResult>,
}

impl RunResults {
    /// A run's results in the current layout.
    pub fn new(run: RunInfo, cases: Vec<CaseResult>) -> Self {
        RunResults {
            schema: REPORT_SCHEMA,
            run,
            cases,
        }
    }

    /// The layout version: always [`REPORT_SCHEMA`] once read.
    pub fn schema(&self) -> u32 {
        self.schema
    }

    /// Reads `results.json` text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The case named `id` (`suite::case`), if the run has it.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|c| c.id == id)
    }
}

/// Writes `results.json`: compact, since the exact latencies of a case can run to 100 000
/// numbers per series.
#[derive(Debug, Clone, Copy)]
pub struct Json<'a>(pub &'a RunInfo);

/// [`RunResults`] by reference, so writing needs no copy of the cases.
#[derive(Serialize)]
struct RunResultsRef<'a> {
    schema: u32,
    run: &'a RunInfo,
    cases: &'a [CaseResult],
}

impl Report for Json<'_> {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let run = RunResultsRef {
            schema: REPORT_SCHEMA,
            run: self.0,
            cases: results,
        };
        serde_json::to_writer(&mut *out, &run)?;
        out.write_all(b"\n")
    }
}

/// Reads the schema version, refusing any but the current one.
fn current_schema<'de, D: Deserializer<'de>>(input: D) -> Result<u32, D::Error> {
    let found = u32::deserialize(input)?;
    if found == REPORT_SCHEMA {
        Ok(found)
    } else {
        Err(serde::de::Error::custom(format!(
            "results.json has schema version {found}, expected {REPORT_SCHEMA}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn another_schema_is_refused_with_both_versions_named() {
        let run = RunInfo::collect("r", SystemTime::now(), &[]);
        let mut text = Vec::new();
        Json(&run).write(&[], &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            RunResults::from_json(&text).unwrap(),
            RunResults::new(run, vec![])
        );
        let other = text.replace(r#""schema":1"#, r#""schema":9"#);
        let err = RunResults::from_json(&other).unwrap_err().to_string();
        assert!(err.contains("schema version 9, expected 1"), "{err}");
    }
}
