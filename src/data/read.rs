//! Reading a data file into rows: size limit, format by extension, CSV and JSON parsing.

use super::{DataError, Json, MAX_FILE_BYTES};
use crate::files::CappedReadError;
use std::path::Path;

/// The rows of a file and, for CSV, its header.
type Rows = (Vec<Json>, Option<Vec<String>>);

/// Reads the rows of the `.csv` or `.json` file at `path`, for the data set `name`.
pub(super) fn read(name: &str, path: &Path) -> Result<Rows, DataError> {
    let extension = path.extension().and_then(|e| e.to_str());
    let is_csv = match extension.map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => true,
        Some("json") => false,
        _ => {
            return Err(DataError::UnknownFormat {
                name: name.into(),
                path: path.into(),
            })
        }
    };
    let bytes = read_capped(name, path)?;
    // Spreadsheet exports often start with a byte order mark, which neither format allows.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let invalid = |problem: String| DataError::Invalid {
        name: name.into(),
        path: path.into(),
        problem,
    };
    let (rows, columns) = match is_csv {
        true => csv(bytes).map_err(invalid)?,
        false => (json(bytes).map_err(invalid)?, None),
    };
    if rows.is_empty() {
        return Err(DataError::Empty {
            name: name.into(),
            path: path.into(),
        });
    }
    Ok((rows, columns))
}

/// The file's bytes; reading stops past the limit, so even an endless file is refused quickly.
fn read_capped(name: &str, path: &Path) -> Result<Vec<u8>, DataError> {
    crate::files::read_capped(path, MAX_FILE_BYTES).map_err(|e| match e {
        CappedReadError::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            DataError::NotFound {
                name: name.into(),
                path: path.into(),
            }
        }
        CappedReadError::Io(source) => DataError::Read {
            name: name.into(),
            path: path.into(),
            source,
        },
        CappedReadError::TooLarge(_) => DataError::TooLarge {
            name: name.into(),
            path: path.into(),
        },
    })
}

/// One object per record after the header, with typed cells; problems are located by line.
fn csv(bytes: &[u8]) -> Result<Rows, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_problem(e, bytes))?
        .iter()
        .map(String::from)
        .collect();
    for (i, column) in header.iter().enumerate() {
        if header[..i].contains(column) {
            return Err(format!("column `{column}` appears twice in the header"));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_problem(e, bytes))?;
        if record.len() != header.len() {
            let line = record.position().map_or(0, |pos| line_at(bytes, pos));
            return Err(format!(
                "line {line} has {} fields but the header has {}",
                record.len(),
                header.len()
            ));
        }
        let row = header.iter().zip(&record);
        rows.push(Json::Object(
            row.map(|(column, text)| (column.clone(), cell(text)))
                .collect(),
        ));
    }
    Ok((rows, Some(header)))
}

fn csv_problem(error: csv::Error, bytes: &[u8]) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 {
            pos: Some(pos),
            err,
        } => format!(
            "line {} is not valid UTF-8 (field {})",
            line_at(bytes, pos),
            err.field() + 1
        ),
        _ => error.to_string(),
    }
}

/// The line, as an editor numbers it, where the record at `pos` starts; counted from the bytes
/// because the reader's own count leaves out blank lines.
fn line_at(bytes: &[u8], pos: &csv::Position) -> usize {
    let mut offset = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    // The record's position is where reading began, before the blank lines it skipped.
    while matches!(bytes.get(offset), Some(b'\n' | b'\r')) {
        offset += 1;
    }
    let before = bytes.get(..offset).unwrap_or(bytes);
    before.iter().filter(|b| **b == b'\n').count() + 1
}

/// A CSV cell as a JSON value: a JSON-style number, a boolean, or else the text unchanged.
fn cell(text: &str) -> Json {
    match text {
        "true" => return Json::Bool(true),
        "false" => return Json::Bool(false),
        _ => {}
    }
    if !is_json_number(text) {
        return Json::String(text.into());
    }
    let number = match text.contains(['.', 'e', 'E']) {
        false => text
            .parse::<i64>()
            .map(Json::from)
            .or_else(|_| text.parse::<u64>().map(Json::from))
            .ok(),
        true => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number),
    };
    // Out of range (a 30-digit id, `1e999`): kept as text rather than rounded.
    number.unwrap_or_else(|| Json::String(text.into()))
}

/// Whether `text` follows JSON's number grammar, which rules out `007`, `+1`, `.5` and `inf`.
fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - start
    };
    let int_start = at;
    match digits(&mut at) {
        0 => return false,
        1 => {}
        _ if bytes.get(int_start) == Some(&b'0') => return false,
        _ => {}
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if digits(&mut at) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return false;
        }
    }
    at == bytes.len()
}

/// The elements of a JSON array, whatever they are.
fn json(bytes: &[u8]) -> Result<Vec<Json>, String> {
    match serde_json::from_slice(bytes) {
        Ok(Json::Array(rows)) => Ok(rows),
        Ok(other) => Err(format!(
            "expected a JSON array of rows, found {}",
            match other {
                Json::Object(_) => "an object",
                Json::String(_) => "a string",
                Json::Number(_) => "a number",
                Json::Bool(_) => "a boolean",
                _ => "null",
            }
        )),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{file, set};
    use super::super::{DataSet, Order};
    use super::*;
    use serde_json::json;

    fn error(ext: &str, content: &[u8]) -> String {
        let mut file = tempfile::Builder::new()
            .suffix(&format!(".{ext}"))
            .tempfile()
            .unwrap();
        std::io::Write::write_all(&mut file, content).unwrap();
        let err = DataSet::load("users", file.path(), Order::Sequential, 0).unwrap_err();
        let path = file.path().display().to_string();
        err.to_string().replace(&path, "FILE")
    }

    #[test]
    fn csv_cells_are_typed() {
        let data = set(
            "users",
            "csv",
            "id,score,big,zip,phone,ok,no,empty,text,inf,quoted\n\
             7,-1.5e2,123456789012345678901234,007,+44 20,true,false,,Ada,inf,\"a, \"\"b\"\"\nc\"\n",
            Order::Sequential,
        );
        assert_eq!(
            data.row_for(1).unwrap(),
            &json!({
                "id": 7, "score": -150.0, "big": "123456789012345678901234", "zip": "007",
                "phone": "+44 20", "ok": true, "no": false, "empty": "", "text": "Ada",
                "inf": "inf", "quoted": "a, \"b\"\nc",
            })
        );
        let columns = data.columns().unwrap();
        assert_eq!(columns.first().map(String::as_str), Some("id"));
        assert_eq!(columns.len(), 11);
    }

    #[test]
    fn json_number_grammar() {
        for yes in [
            "0",
            "-0",
            "12",
            "1.5",
            "-0.25",
            "1e3",
            "2E-2",
            "18446744073709551615",
        ] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in [
            "", "-", "01", "+1", ".5", "5.", "1e", "1e+", "0x1", " 1", "1 ", "NaN",
        ] {
            assert!(!is_json_number(no), "{no}");
        }
        assert_eq!(cell("18446744073709551615"), json!(u64::MAX));
        assert_eq!(cell("1e999"), json!("1e999"));
    }

    #[test]
    fn a_byte_order_mark_and_blank_lines_are_ignored() {
        let data = set("u", "csv", "\u{feff}email\n\na@x.io\n", Order::Sequential);
        assert_eq!(data.len(), 1);
        assert_eq!(data.row_for(1).unwrap(), &json!({"email": "a@x.io"}));
        let data = set("p", "json", "\u{feff}[1]", Order::Sequential);
        assert_eq!(data.row_for(1).unwrap(), &json!(1));
    }

    #[test]
    fn json_rows_are_objects_or_scalars() {
        let data = set(
            "products",
            "JSON",
            r#"[{"sku": "A1", "price": {"eur": 3}}, "plain", 5]"#,
            Order::Sequential,
        );
        assert_eq!(data.len(), 3);
        assert_eq!(data.row_for(1).unwrap()["price"]["eur"], 3);
        assert_eq!(data.row_for(2).unwrap(), &json!("plain"));
        assert_eq!(data.row_for(3).unwrap(), &json!(5));
        assert!(data.columns().is_none());
    }

    #[test]
    fn load_errors_name_the_data_set_the_file_and_the_problem() {
        let cases: [(&str, &[u8], &str); 10] = [
            ("csv", b"", "data `users`: `FILE` has no rows"),
            (
                "csv",
                b"email,password\n",
                "data `users`: `FILE` has no rows",
            ),
            ("json", b" [ ] ", "data `users`: `FILE` has no rows"),
            (
                "csv",
                b"a,b,c\n1,2,3\n\n4,5\n",
                "data `users`: `FILE`: line 4 has 2 fields but the header has 3",
            ),
            (
                "csv",
                b"a,b,a\n1,2,3\n",
                "data `users`: `FILE`: column `a` appears twice in the header",
            ),
            (
                "csv",
                b"a,b\n1,\xff\n",
                "data `users`: `FILE`: line 2 is not valid UTF-8 (field 2)",
            ),
            (
                "json",
                br#"{"a": 1}"#,
                "data `users`: `FILE`: expected a JSON array of rows, found an object",
            ),
            (
                "json",
                b"[1, 2",
                "data `users`: `FILE`: not valid JSON: EOF while parsing a list \
                 at line 1 column 5",
            ),
            (
                "json",
                b"\"x\"",
                "data `users`: `FILE`: expected a JSON array of rows, found a string",
            ),
            (
                "txt",
                b"a\n1\n",
                "data `users`: `FILE` must be a `.csv` or `.json` file",
            ),
        ];
        for (ext, content, expected) in cases {
            assert_eq!(error(ext, content), expected, "{content:?}");
        }
    }

    #[test]
    fn missing_unreadable_and_oversized_files_are_refused() {
        let err = DataSet::load("users", Path::new("no/such.csv"), Order::Sequential, 0);
        assert_eq!(
            err.unwrap_err().to_string(),
            "data `users`: file `no/such.csv` not found"
        );
        let dir = tempfile::Builder::new().suffix(".csv").tempdir().unwrap();
        let err = DataSet::load("users", dir.path(), Order::Sequential, 0).unwrap_err();
        assert!(
            matches!(err, DataError::Read { .. }),
            "a folder is not a data file: {err}"
        );
        let mut big = "id\n".to_string();
        big.push_str(&"1\n".repeat((MAX_FILE_BYTES / 2) as usize));
        let big = file("csv", &big);
        let err = DataSet::load("users", big.path(), Order::Sequential, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "data `users`: `{}` is larger than 16 MiB; data files are held in memory",
                big.path().display()
            )
        );
    }
}
