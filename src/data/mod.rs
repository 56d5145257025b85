//! Data files as feeders: CSV or JSON rows handed out to requests by their `seq`.
//!
//! A suite declares named data sets under `data:`; templates read them as `{{ data.NAME }}` (the
//! whole row) or `{{ data.NAME.COLUMN }}`. Which row a request gets is a pure function of its
//! `seq`, so concurrent requests need no lock or shared counter, and every reference to one data
//! set within a request sees the same row. The user-facing description is in
//! `docs/templates.md`.

mod read;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

pub use crate::suite::Order;
use std::sync::Arc;

/// A JSON value: one row of a data set.
pub type Json = serde_json::Value;

/// Files larger than this are refused: data sets are held in memory for the whole run.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A loaded data set; cheap to clone and share across threads.
#[derive(Debug, Clone)]
pub struct DataSet {
    name: Arc<str>,
    rows: Arc<Vec<Json>>,
    /// The header of a CSV file; `None` for JSON, whose rows need not share keys.
    columns: Option<Arc<[String]>>,
    order: Order,
    /// For [`Order::Shuffle`], the row index to use at each position; empty otherwise.
    permutation: Arc<[usize]>,
}

/// A data file that cannot be used; its `Display` names the data set, the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file does not exist.
    #[error("data `{name}`: file `{path}` not found")]
    NotFound {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("data `{name}`: cannot read `{path}`: {source}")]
    Read {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("data `{name}`: `{path}` is larger than 16 MiB; data files are held in memory")]
    TooLarge {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
    },
    /// The file name ends neither in `.csv` nor in `.json`.
    #[error("data `{name}`: `{path}` must be a `.csv` or `.json` file")]
    UnknownFormat {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
    },
    /// The file holds no rows (a CSV file with at most a header, an empty JSON array).
    #[error("data `{name}`: `{path}` has no rows")]
    Empty {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
    },
    /// The file's content is malformed; `problem` says what and where.
    #[error("data `{name}`: `{path}`: {problem}")]
    Invalid {
        /// The data set's name.
        name: String,
        /// The file, as given.
        path: PathBuf,
        /// What is wrong, e.g. "line 4 has 2 fields but the header has 3".
        problem: String,
    },
}

impl DataSet {
    /// Reads the `.csv` or `.json` file at `path` as the data set `name`.
    ///
    /// `seed` (the suite's) fixes the order of an [`Order::Shuffle`] set: the same seed gives
    /// the same order.
    ///
    /// # CSV cells
    ///
    /// The first record is the header, and each further record becomes an object keyed by it.
    /// A cell written as a JSON number (`42`, `-1.5`, `2e3`) becomes a number, `true` and
    /// `false` become booleans, and every other cell stays a string, including empty cells and
    /// numbers JSON would not accept such as `007` or `+44 20` (so zip codes and phone numbers
    /// keep their digits) or integers too large for 64 bits.
    pub fn load(name: &str, path: &Path, order: Order, seed: u64) -> Result<DataSet, DataError> {
        let (rows, columns) = read::read(name, path)?;
        let permutation: Arc<[usize]> = match order {
            Order::Shuffle => {
                let mut indices: Vec<usize> = (0..rows.len()).collect();
                // Mixing in the name gives sets of equal length unrelated orders.
                indices.shuffle(&mut StdRng::seed_from_u64(seed ^ fnv1a(name)));
                indices.into()
            }
            Order::Sequential | Order::Unique => Arc::new([]),
        };
        Ok(DataSet {
            name: name.into(),
            rows: Arc::new(rows),
            columns: columns.map(Into::into),
            order,
            permutation,
        })
    }

    /// The row for the request numbered `seq` (1-based; 0 is taken as 1), or `None` when a
    /// [`Order::Unique`] set has no row left for it.
    pub fn row_for(&self, seq: u64) -> Option<&Json> {
        let len = self.rows.len() as u64;
        let position = seq.saturating_sub(1);
        let index = match self.order {
            Order::Sequential => position.checked_rem(len)?,
            Order::Shuffle => {
                let slot = usize::try_from(position.checked_rem(len)?).ok()?;
                *self.permutation.get(slot)? as u64
            }
            Order::Unique => position,
        };
        self.rows.get(usize::try_from(index).ok()?)
    }

    /// The values of columns and JSON fields named like credentials (`password`, `api_key`,
    /// `token`, ...), in every row: secrets the redactor must know before any request is sent.
    pub fn secret_values(&self) -> Vec<String> {
        fn walk(value: &Json, secret: bool, out: &mut Vec<String>) {
            match value {
                Json::Object(fields) => {
                    for (key, value) in fields {
                        walk(value, secret || crate::redact::name_looks_secret(key), out);
                    }
                }
                Json::Array(items) => items.iter().for_each(|v| walk(v, secret, out)),
                Json::String(text) if secret => out.push(text.clone()),
                Json::Number(n) if secret => out.push(n.to_string()),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for row in self.rows.iter() {
            walk(row, false, &mut out);
        }
        out
    }

    /// The data set's name, as declared under `data:`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows; never true for a loaded set, as empty files are refused.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// How rows are handed out.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The CSV header, which templates are checked against; `None` for JSON files.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    /// What a request that found no row left is told:
    /// ``data `users` ran out of unique rows (3 rows)``.
    pub fn exhaustion_message(&self) -> String {
        let rows = self.rows.len();
        let plural = if rows == 1 { "" } else { "s" };
        format!(
            "data `{}` ran out of unique rows ({rows} row{plural})",
            self.name
        )
    }
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`), so a seed gives the same order everywhere.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! Data sets written to temporary files, for the tests of this crate.
    use super::*;
    use std::io::Write;

    /// Writes `content` to a temporary file with the extension `ext` and returns it; the file
    /// lives as long as the handle.
    pub(crate) fn file(ext: &str, content: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(&format!(".{ext}"))
            .tempfile()
            .unwrap();
        file.write_all(content.as_bytes()).unwrap();
        file
    }

    /// Loads `content` as the data set `name` of the format `ext`, with seed 42.
    pub(crate) fn set(name: &str, ext: &str, content: &str, order: Order) -> DataSet {
        let file = file(ext, content);
        DataSet::load(name, file.path(), order, 42).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::set;
    use super::*;
    use serde_json::json;

    const USERS: &str = "email,password\na@x.io,pa\nb@x.io,pb\nc@x.io,pc\n";

    fn emails(data: &DataSet, seqs: std::ops::RangeInclusive<u64>) -> Vec<Json> {
        seqs.map(|seq| data.row_for(seq).map_or(Json::Null, |r| r["email"].clone()))
            .collect()
    }

    #[test]
    fn spec_parses_from_yaml_like_json_and_rejects_unknown_keys() {
        use crate::suite::DataSpec;
        let spec: DataSpec =
            serde_json::from_value(json!({"file": "data/users.csv", "order": "unique"})).unwrap();
        assert_eq!(spec.file, PathBuf::from("data/users.csv"));
        assert_eq!(spec.order, Some(Order::Unique));
        let spec: DataSpec = serde_json::from_value(json!({"file": "p.json"})).unwrap();
        assert_eq!(spec.order.unwrap_or_default(), Order::Sequential);
        let err = serde_json::from_value::<DataSpec>(json!({"file": "a", "ordr": "shuffle"}));
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("unknown field `ordr`"));
        let err = serde_json::from_value::<DataSpec>(json!({"file": "a", "order": "random"}));
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("unknown variant `random`"));
    }

    #[test]
    fn sequential_wraps_around() {
        let data = set("users", "csv", USERS, Order::Sequential);
        assert_eq!(
            emails(&data, 1..=7),
            json!(["a@x.io", "b@x.io", "c@x.io", "a@x.io", "b@x.io", "c@x.io", "a@x.io"])
                .as_array()
                .unwrap()
                .clone()
        );
        assert_eq!(data.row_for(0), data.row_for(1));
        assert_eq!(data.row_for(u64::MAX), data.row_for((u64::MAX - 1) % 3 + 1));
        assert_eq!(data.len(), 3);
        assert!(!data.is_empty());
    }

    #[test]
    fn shuffle_is_a_reproducible_permutation_that_wraps() {
        let rows: String = (0..50).map(|i| format!("{i}\n")).collect();
        let content = format!("id\n{rows}");
        let ids = |seed: u64, name: &str| -> Vec<i64> {
            let file = testing::file("csv", &content);
            let data = DataSet::load(name, file.path(), Order::Shuffle, seed).unwrap();
            (1..=100)
                .map(|seq| data.row_for(seq).unwrap()["id"].as_i64().unwrap())
                .collect()
        };
        let first = ids(42, "users");
        let mut sorted = first[..50].to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(first[..50], sorted[..], "not shuffled");
        assert_eq!(
            first[..50],
            first[50..],
            "the second pass repeats the first"
        );
        assert_eq!(first, ids(42, "users"));
        assert_ne!(first, ids(43, "users"));
        assert_ne!(first, ids(42, "other"));
    }

    #[test]
    fn unique_hands_out_each_row_once_then_runs_out() {
        let data = set("users", "csv", USERS, Order::Unique);
        assert_eq!(
            emails(&data, 1..=4),
            vec![
                json!("a@x.io"),
                json!("b@x.io"),
                json!("c@x.io"),
                Json::Null
            ]
        );
        assert_eq!(data.row_for(3).unwrap()["password"], "pc");
        assert!(data.row_for(u64::MAX).is_none());
        assert_eq!(
            data.exhaustion_message(),
            "data `users` ran out of unique rows (3 rows)"
        );
        let one = set("token", "json", r#"["t"]"#, Order::Unique);
        assert_eq!(
            one.exhaustion_message(),
            "data `token` ran out of unique rows (1 row)"
        );
    }
}
