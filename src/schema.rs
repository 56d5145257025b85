//! JSON Schemas of suite files and `thresholds.yaml` for editors (a YAML language server reads
//! them from a `# yaml-language-server: $schema=...` line), generated from the serde types the
//! files are read with, so they cannot drift from what loadgate accepts.
//!
//! A case's kind keys are kept raw by the suite model and read by each kind's own settings
//! type; here a case is assembled as the keys every case takes plus, by `kind`, that kind's
//! keys (`if`/`then` on `kind`, one branch per registered kind). Draft 7, which editors
//! support best.

use std::io;
use std::path::{Path, PathBuf};

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::suite::{CaseSpec, SuiteSpec, TAG_PATTERN};

/// The suite file schema's file name, in the `schema/` folder of this repository.
pub const SUITE_SCHEMA: &str = "suite.schema.json";
/// The thresholds file schema's file name.
pub const THRESHOLDS_SCHEMA: &str = "thresholds.schema.json";

fn generator() -> SchemaGenerator {
    SchemaSettings::draft07().into_generator()
}

/// The JSON Schema of a suite file.
pub fn suite() -> Value {
    let mut generator = generator();
    let case = case_schema(&mut generator);
    generator
        .definitions_mut()
        .insert("Case".into(), case.to_value());
    let mut root = generator.root_schema_for::<SuiteSpec>();
    root.insert("title".into(), json!("loadgate suite"));
    if let Some(properties) = root.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(
            "cases".into(),
            json!({
                "description": "The performance cases, each a test named `suite::case`.",
                "type": "array",
                "items": { "$ref": "#/definitions/Case" }
            }),
        );
    }
    root.to_value()
}

/// The JSON Schema of `thresholds.yaml`.
pub fn thresholds() -> Value {
    crate::thresholds::file_schema(generator()).to_value()
}

/// A case: the common keys, `kind` one of the registered kinds, and for each kind an
/// `if kind is K then only the common keys and K's keys` branch with K's required keys.
fn case_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut common = CaseSpec::json_schema(generator);
    let kinds = crate::exec::kind_schemas(generator);
    let names: Vec<&str> = kinds.iter().map(|(name, _)| *name).collect();
    let properties = common
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut properties: Map<String, Value> = properties;
    properties.insert(
        "kind".into(),
        json!({ "description": "How the requests are issued.", "enum": names }),
    );
    if let Some(tags) = properties.get_mut("tags") {
        *tags = json!({
            "description": tags.get("description").cloned().unwrap_or(Value::Null),
            "type": "array",
            "items": { "type": "string", "pattern": TAG_PATTERN },
            "uniqueItems": true
        });
    }
    let branches: Vec<Value> = kinds
        .iter()
        .map(|(name, own)| {
            // Keys of the common part are allowed here and checked above.
            let mut allowed: Map<String, Value> = properties
                .keys()
                .map(|k| (k.clone(), json!(true)))
                .collect();
            if let Some(keys) = own.get("properties").and_then(Value::as_object) {
                allowed.extend(keys.clone());
            }
            let mut then = json!({ "properties": allowed, "additionalProperties": false });
            if let Some(required) = own.get("required") {
                then["required"] = required.clone();
            }
            json!({
                "if": { "properties": { "kind": { "const": name } }, "required": ["kind"] },
                "then": then
            })
        })
        .collect();
    let mut case = Map::new();
    case.insert(
        "description".into(),
        json!("One performance case: the keys every case takes, and those of its `kind`."),
    );
    case.insert("type".into(), json!("object"));
    case.insert("properties".into(), Value::Object(properties));
    if let Some(required) = common.get("required") {
        case.insert("required".into(), required.clone());
    }
    case.insert("allOf".into(), Value::Array(branches));
    Schema::from(case)
}

/// Each schema file's name and text (pretty JSON, a newline at the end), as `loadgate schema`
/// writes them and this repository commits them.
pub fn files() -> [(&'static str, String); 2] {
    let text = |value: Value| {
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    };
    [
        (SUITE_SCHEMA, text(suite())),
        (THRESHOLDS_SCHEMA, text(thresholds())),
    ]
}

/// Writes both schema files into `dir` (created if needed); returns their paths.
pub fn write(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    files()
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text)?;
            Ok(path)
        })
        .collect()
}
