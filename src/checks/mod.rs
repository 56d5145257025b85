//! Assertions on responses (`checks:` under a step), counted per label like k6 checks.
//!
//! A failed check does not stop the case; its pass/fail counts are reported beside the latency
//! verdict.

use regex::Regex;
use serde_json::Value;

use crate::extract::{Exchange, JsonSelector};

use crate::redact::{is_sensitive_header, REDACTED};
use crate::suite::StatusSpec;
use crate::template::{RenderContext, Scope, ValueTemplate};

mod custom;
mod status;
mod tally;

pub use custom::{CheckRegistry, CustomCheck};
pub use status::StatusExpect;

pub use crate::suite::CheckSpec;
pub use tally::{CheckCount, CheckTally};

enum Subject {
    Status(StatusExpect, String),
    Header(String),
    Json(JsonSelector),
    BodyContains(String),
    Rust(CustomCheck),
}

enum Condition {
    Absent,
    Equals(Value),
    /// `equals` written with `{{ }}`, rendered per response (e.g. an extracted id).
    EqualsTemplate(ValueTemplate),
    Contains(String),
    Matches(Regex),
    Min(f64),
    Max(f64),
}

/// A compiled check: selector parsed, regex compiled and custom check resolved once.
pub struct Check {
    label: String,
    subject: Subject,
    conditions: Vec<Condition>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// Compiles `spec`, resolving `rust:` names in `custom`; errors start with "check" and say
    /// what is wrong.
    pub fn compile(spec: &CheckSpec, custom: &dyn CheckRegistry) -> Result<Self, String> {
        Self::compile_in(spec, custom, None)
    }

    /// Like [`Check::compile`], with `equals` values holding `{{ }}` compiled against `scope`,
    /// so a check can compare with a variable (`equals: "{{ task_id }}"`).
    pub fn compile_in(
        spec: &CheckSpec,
        custom: &dyn CheckRegistry,
        scope: Option<&Scope>,
    ) -> Result<Self, String> {
        let subjects = [
            spec.status.is_some(),
            spec.header.is_some(),
            spec.json.is_some(),
            spec.body_contains.is_some(),
            spec.rust.is_some(),
        ];
        if subjects.iter().filter(|s| **s).count() != 1 {
            return Err(
                "check: give exactly one of status, header, json, body_contains, rust".into(),
            );
        }
        let (subject, kind, allowed): (Subject, &str, &[&str]) = if let Some(status) = &spec.status
        {
            let expect = StatusExpect::parse(status)
                .map_err(|e| format!("check: {}", e.trim_start_matches("expect.")))?;
            (Subject::Status(expect, status_text(status)), "status", &[])
        } else if let Some(header) = &spec.header {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(format!("check: `{header}` is not a valid header name"));
            }
            (
                Subject::Header(header.to_ascii_lowercase()),
                "header",
                &["exists", "equals", "contains", "matches"],
            )
        } else if let Some(json) = &spec.json {
            let selector = JsonSelector::parse(json).map_err(|e| format!("check: {e}"))?;
            (
                Subject::Json(selector),
                "json",
                &["exists", "equals", "contains", "matches", "min", "max"],
            )
        } else if let Some(text) = &spec.body_contains {
            (Subject::BodyContains(text.clone()), "body_contains", &[])
        } else {
            let name = spec.rust.as_deref().unwrap_or_default();
            let check = custom
                .get(name)
                .ok_or_else(|| custom::unknown_rust_check(name, &custom.names()))?;
            (Subject::Rust(check), "rust", &[])
        };
        let given = [
            ("exists", spec.exists.is_some()),
            ("equals", spec.equals.is_some()),
            ("contains", spec.contains.is_some()),
            ("matches", spec.matches.is_some()),
            ("min", spec.min.is_some()),
            ("max", spec.max.is_some()),
        ];
        if let Some((operator, _)) = given.iter().find(|(op, set)| *set && !allowed.contains(op)) {
            return Err(match allowed {
                [] => format!(
                    "check on {kind}: `{operator}` does not apply; {kind} takes no operator"
                ),
                _ => format!(
                    "check on {kind}: `{operator}` does not apply; use {}",
                    allowed.join(", ")
                ),
            });
        }
        let mut conditions = conditions(spec, matches!(subject, Subject::Header(_)))?;
        if let Some(scope) = scope {
            for condition in &mut conditions {
                if let Condition::Equals(expected) = condition {
                    if expected.to_string().contains("{{") {
                        let template = ValueTemplate::compile(expected, scope)
                            .map_err(|e| format!("check: `equals`: {e}"))?;
                        *condition = Condition::EqualsTemplate(template);
                    }
                }
            }
        }
        let label = match &spec.name {
            Some(name) => name.clone(),
            None => default_label(spec, &subject),
        };
        Ok(Self {
            label,
            subject,
            conditions,
        })
    }

    /// True when judging needs the response body (JSON, body text, or a Rust check, which may
    /// read it); status and header checks do not, so their bodies need not be kept.
    pub fn needs_body(&self) -> bool {
        matches!(
            self.subject,
            Subject::Json(_) | Subject::BodyContains(_) | Subject::Rust(_)
        )
    }

    /// The label counted in the tally and shown in reports.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Passes, or fails with the reason, e.g. "expected status 201, got 500".
    pub fn evaluate(&self, exchange: &Exchange) -> Result<(), String> {
        self.judge(exchange, None)
    }

    /// Like [`Check::evaluate`], rendering templated expectations with `ctx`.
    pub fn evaluate_in(&self, exchange: &Exchange, ctx: &mut RenderContext) -> Result<(), String> {
        self.judge(exchange, Some(ctx))
    }

    fn judge(
        &self,
        exchange: &Exchange,
        mut ctx: Option<&mut RenderContext>,
    ) -> Result<(), String> {
        match &self.subject {
            Subject::Status(expect, _) if expect.accepts(exchange.status()) => Ok(()),
            Subject::Status(_, text) => {
                Err(format!("expected status {text}, got {}", exchange.status()))
            }
            Subject::BodyContains(text) => {
                match String::from_utf8_lossy(exchange.body()).contains(text.as_str()) {
                    true => Ok(()),
                    false => Err(format!("body does not contain {}", quote(text))),
                }
            }
            Subject::Rust(check) => custom::run(check, exchange),
            Subject::Header(name) => {
                let value = exchange.header(name);
                let shown = if is_sensitive_header(name) {
                    REDACTED
                } else {
                    value.unwrap_or_default()
                };
                let what = format!("header `{name}`");
                match value {
                    None if matches!(self.conditions[..], [Condition::Absent]) => Ok(()),
                    None => Err(format!("{what} missing")),
                    Some(_) if matches!(self.conditions[..], [Condition::Absent]) => {
                        Err(format!("{what} is present, expected it absent"))
                    }
                    Some(text) => self.test(
                        &what,
                        &Value::String(text.to_owned()),
                        &format!("is `{shown}`"),
                        &mut ctx,
                    ),
                }
            }
            Subject::Json(selector) => {
                let what = format!("`{selector}`");
                match (selector.lookup(exchange), &self.conditions[..]) {
                    (Err(_), [Condition::Absent]) if exchange.json().is_some() => Ok(()),
                    (Err(reason), _) => Err(reason),
                    (Ok(value), [Condition::Absent]) => {
                        Err(format!("{what} = {}, expected it absent", short(value)))
                    }
                    (Ok(value), _) => {
                        self.test(&what, value, &format!("= {}", short(value)), &mut ctx)
                    }
                }
            }
        }
    }

    /// Applies every condition to `value`; `is` renders the value for the reason.
    fn test(
        &self,
        what: &str,
        value: &Value,
        is: &str,
        ctx: &mut Option<&mut RenderContext>,
    ) -> Result<(), String> {
        for condition in &self.conditions {
            let text = value.as_str();
            let failure = match condition {
                Condition::Absent => None,
                Condition::Equals(expected) if same(value, expected) => None,
                Condition::Equals(expected) => Some(format!("expected {}", short(expected))),
                Condition::EqualsTemplate(template) => match ctx.as_deref_mut() {
                    Some(ctx) => {
                        let expected = template.render(ctx);
                        (!same(value, &expected)).then(|| format!("expected {}", short(&expected)))
                    }
                    None => Some("expected a value that needs variables to render".into()),
                },
                Condition::Contains(part) => match text {
                    Some(t) if t.contains(part.as_str()) => None,
                    Some(_) => Some(format!("expected it to contain {}", quote(part))),
                    None => Some("expected a string".into()),
                },
                Condition::Matches(regex) => match text {
                    Some(t) if regex.is_match(t) => None,
                    Some(_) => Some(format!("expected a match for `{}`", regex.as_str())),
                    None => Some(format!("expected a string matching `{}`", regex.as_str())),
                },
                Condition::Min(min) => match value.as_f64() {
                    Some(n) if n >= *min => None,
                    Some(_) => Some(format!("expected >= {}", number(*min))),
                    None => Some("expected a number".into()),
                },
                Condition::Max(max) => match value.as_f64() {
                    Some(n) if n <= *max => None,
                    Some(_) => Some(format!("expected <= {}", number(*max))),
                    None => Some("expected a number".into()),
                },
            };
            if let Some(expected) = failure {
                return Err(format!("{what} {is}, {expected}"));
            }
        }
        Ok(())
    }
}

fn conditions(spec: &CheckSpec, header: bool) -> Result<Vec<Condition>, String> {
    let mut out = Vec::new();
    if spec.exists == Some(false) {
        if spec.equals.is_some()
            || spec.contains.is_some()
            || spec.matches.is_some()
            || spec.min.is_some()
            || spec.max.is_some()
        {
            return Err("check: `exists: false` cannot be combined with other operators".into());
        }
        return Ok(vec![Condition::Absent]);
    }
    if let Some(expected) = &spec.equals {
        let expected = match (header, expected) {
            (true, Value::Array(_) | Value::Object(_) | Value::Null) => {
                return Err("check: a header `equals` takes a string, number or boolean".into())
            }
            (true, Value::String(_)) => expected.clone(),
            (true, other) => Value::String(other.to_string()),
            (false, _) => expected.clone(),
        };
        out.push(Condition::Equals(expected));
    }
    if let Some(part) = &spec.contains {
        out.push(Condition::Contains(part.clone()));
    }
    if let Some(pattern) = &spec.matches {
        out.push(Condition::Matches(
            Regex::new(pattern).map_err(|e| format!("check: invalid regex `{pattern}`: {e}"))?,
        ));
    }
    if let (Some(min), Some(max)) = (spec.min, spec.max) {
        if min > max {
            return Err(format!(
                "check: min {} is greater than max {}",
                number(min),
                number(max)
            ));
        }
    }
    out.extend(spec.min.map(Condition::Min));
    out.extend(spec.max.map(Condition::Max));
    Ok(out)
}

fn default_label(spec: &CheckSpec, subject: &Subject) -> String {
    let (head, what) = match subject {
        Subject::Status(_, text) => return format!("status is {text}"),
        Subject::BodyContains(text) => return format!("body contains {text}"),
        Subject::Rust(_) => return spec.rust.clone().unwrap_or_default(),
        Subject::Header(name) => ("header", name.clone()),
        Subject::Json(selector) => ("json", selector.to_string()),
    };
    let mut parts = Vec::new();
    if spec.exists == Some(false) {
        parts.push("is absent".to_owned());
    }
    if let Some(value) = &spec.equals {
        parts.push(format!(
            "equals {}",
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned)
        ));
    }
    parts.extend(spec.contains.as_ref().map(|c| format!("contains {c}")));
    parts.extend(spec.matches.as_ref().map(|m| format!("matches {m}")));
    match (spec.min, spec.max) {
        (Some(min), Some(max)) => {
            parts.push(format!("between {} and {}", number(min), number(max)))
        }
        (Some(min), None) => parts.push(format!(">= {}", number(min))),
        (None, Some(max)) => parts.push(format!("<= {}", number(max))),
        (None, None) => {}
    }
    if parts.is_empty() {
        parts.push("exists".to_owned());
    }
    format!("{head} {what} {}", parts.join(" and "))
}

fn status_text(spec: &StatusSpec) -> String {
    match spec {
        StatusSpec::Code(code) => code.to_string(),
        StatusSpec::Text(text) => text.trim().to_owned(),
        StatusSpec::List(items) => items
            .iter()
            .map(status_text)
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// JSON equality where `1` and `1.0` are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A value as JSON, shortened for a one-line reason.
/// A value as a failure reason shows it: long enough that the reader (after redaction, which
/// must see a secret whole) can cut it, short enough that a huge body costs little.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(2000) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn number(n: f64) -> String {
    Value::from(n).to_string().trim_end_matches(".0").to_owned()
}

#[cfg(test)]
mod tests;
