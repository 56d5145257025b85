//! JSON Schemas of the model's value types whose serde readers are written by hand: what an
//! editor should accept where the reader accepts a duration, a ratio, a size, and so on. The
//! patterns follow the parsers in [`super::values`] and [`super::rules`] (tests below hold them
//! together); ranges the parsers check after reading (a ratio above 100 %) are theirs to report.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::model::CommandLine;
use super::raw::Raw;
use super::rules::Throughput;
use super::span::Spanned;
use super::values::{ByteRate, ByteSize, HumanDuration, Percent, Ratio};

/// A decimal number without sign or exponent, as the value parsers read one.
const NUMBER: &str = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)";
/// A size unit, as [`ByteSize::parse`] reads one (case-insensitive).
const SIZE_UNIT: &str = r"([kKmMgG][iI]?[bB]|[bB])";

fn duration_pattern() -> String {
    format!(r"^\s*\+?{NUMBER}\s*(ns|us|µs|ms|s|m|min|h)?\s*$")
}

fn ratio_pattern() -> String {
    format!(r"^\s*\+?{NUMBER}\s*%?\s*$")
}

fn size_pattern() -> String {
    format!(r"^\s*{NUMBER}\s*{SIZE_UNIT}?\s*$")
}

fn percent_pattern() -> String {
    format!(r"^\s*{NUMBER}\s*%\s*$")
}

fn growth_pattern() -> String {
    format!(r"^\s*{NUMBER}\s*{SIZE_UNIT}?\s*/\s*(s|sec|m|min|h)\s*$")
}

fn throughput_pattern() -> String {
    format!(r"^\s*\+?{NUMBER}\s*(req/s|/s)?\s*$")
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: `250ms`, `1.5s`, `2m`, `1h`, `800us`, `10ns`; a bare number is milliseconds.",
            "anyOf": [
                { "type": "string", "pattern": duration_pattern() },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

impl JsonSchema for Ratio {
    fn schema_name() -> Cow<'static, str> {
        "Ratio".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A fraction from 0 to 1 (`0.01`) or a percentage (`1%`).",
            "anyOf": [
                { "type": "string", "pattern": ratio_pattern() },
                { "type": "number", "minimum": 0, "maximum": 1 }
            ]
        })
    }
}

impl JsonSchema for ByteSize {
    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size: `10MiB`, `512KiB`, `2MB`, `1GiB`, or a number of bytes.",
            "anyOf": [
                { "type": "string", "pattern": size_pattern() },
                { "type": "integer", "minimum": 0 }
            ]
        })
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "CpuPercent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A share of CPU in percent of one core, with `%`: `150%` (two busy cores are `200%`).",
            "type": "string",
            "pattern": percent_pattern()
        })
    }
}

impl JsonSchema for ByteRate {
    fn schema_name() -> Cow<'static, str> {
        "GrowthRate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A growth of memory per time: `1MiB/min`, `20KB/s`, `100MB/h`.",
            "type": "string",
            "pattern": growth_pattern()
        })
    }
}

impl JsonSchema for Throughput {
    fn schema_name() -> Cow<'static, str> {
        "Throughput".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Requests per second, more than 0: `10`, `2.5`, `10 req/s`.",
            "anyOf": [
                { "type": "string", "pattern": throughput_pattern() },
                { "type": "number", "exclusiveMinimum": 0 }
            ]
        })
    }
}

/// A value with its position is, in the file, just the value.
impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("loadgate::Spanned<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

/// Any value: the model keeps it as written for a later reader. Where that reader's keys are
/// known (a case's kind), the assembled schema says more.
impl JsonSchema for Raw {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "AnyValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::from(true)
    }
}

impl JsonSchema for CommandLine {
    fn schema_name() -> Cow<'static, str> {
        "CommandLine".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A program and its arguments, one item each, run without a shell: `[\"./server\", \"--port\", \"8000\"]`.",
            "type": "array",
            "items": { "type": "string" },
            "minItems": 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `good` text matches the pattern and parses; every `bad` one does neither.
    fn agree<T, E>(pattern: &str, parse: fn(&str) -> Result<T, E>, good: &[&str], bad: &[&str]) {
        let pattern = regex::Regex::new(pattern).unwrap();
        for text in good {
            assert!(pattern.is_match(text), "pattern refuses {text:?}");
            assert!(parse(text).is_ok(), "parser refuses {text:?}");
        }
        for text in bad {
            assert!(!pattern.is_match(text), "pattern accepts {text:?}");
            assert!(parse(text).is_err(), "parser accepts {text:?}");
        }
    }

    #[test]
    fn value_patterns_follow_their_parsers() {
        agree(
            &duration_pattern(),
            HumanDuration::parse,
            &[
                "250ms", "1.5s", " 2m ", "1min", "1h", "800us", "800µs", "10ns", "250", "5.",
            ],
            &["fast", "-5ms", "5 parsecs", "1e3ms", "", "ms"],
        );
        agree(
            &ratio_pattern(),
            Ratio::parse,
            &["0.01", "1%", "0.5 %", "1", ".5"],
            &["lots", "-1%", "1%%"],
        );
        agree(
            &size_pattern(),
            ByteSize::parse,
            &["10MiB", "512 KiB", "2mb", "1000", "1GiB", "64KB", "7b"],
            &["5 parsecs", "-1", "10M", "MiB"],
        );
        agree(
            &percent_pattern(),
            Percent::parse,
            &["150%", "12.5 %"],
            &["1.5", "-5%", "lots%"],
        );
        agree(
            &growth_pattern(),
            ByteRate::parse,
            &["1MiB/min", "1KB/s", "60MB/h", "20 KiB / sec", "100/m"],
            &["1MiB", "1MiB/day", "lots/min"],
        );
        agree(
            &throughput_pattern(),
            Throughput::parse,
            &["10", "2.5 req/s", "4/s", "10req/s"],
            &["fast", "-3", "10 rps"],
        );
    }
}
