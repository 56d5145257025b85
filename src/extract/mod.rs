//! Values pulled out of a response into variables for later steps (`extract:` under a step).
//!
//! Everything here runs after the timed exchange, on the response the harness kept.

mod exchange;

use regex::Regex;
use reqwest::header::HeaderName;
use serde_json::Value;

pub use exchange::{Exchange, JsonSelector};

pub use crate::suite::ExtractSpec;

#[derive(Debug, Clone)]
enum Source {
    Json(JsonSelector),
    Header(HeaderName),
    Regex(Regex),
}

/// A compiled extraction: selector validated, JSONPath parsed and regex compiled once.
#[derive(Debug, Clone)]
pub struct Extractor {
    name: String,
    source: Source,
    secret: bool,
}

impl Extractor {
    /// Compiles the entry `name: spec`; errors start with "extract `name`:" and give the reason.
    pub fn compile(name: &str, spec: &ExtractSpec) -> Result<Self, String> {
        let fail = |reason: String| format!("extract `{name}`: {reason}");
        let source = match (&spec.json, &spec.header, &spec.regex) {
            (Some(json), None, None) => Source::Json(JsonSelector::parse(json).map_err(fail)?),
            (None, Some(header), None) => Source::Header(
                HeaderName::from_bytes(header.trim().as_bytes())
                    .map_err(|_| fail(format!("`{header}` is not a valid header name")))?,
            ),
            (None, None, Some(pattern)) => Source::Regex(
                Regex::new(pattern).map_err(|e| fail(format!("invalid regex `{pattern}`: {e}")))?,
            ),
            _ => return Err(fail("give exactly one of json, header, regex".into())),
        };
        // Every extracted value is secret unless the suite says otherwise: what a server hands
        // out (a token under any name, a session id) is not the harness's to print.
        let secret = spec.secret.unwrap_or(true);
        Ok(Self {
            name: name.to_owned(),
            source,
            secret,
        })
    }

    /// The variable the value is stored in.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the extracted value must be kept out of every output.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// The value from `exchange`: any JSON value for `json`, a string for `header` and `regex`.
    /// The error names what was missing; callers prefix it with the variable name.
    pub fn extract(&self, exchange: &Exchange) -> Result<Value, String> {
        match &self.source {
            Source::Json(selector) => selector.lookup(exchange).cloned(),
            Source::Header(name) => exchange
                .header(name.as_str())
                .map(|v| Value::String(v.to_owned()))
                .ok_or_else(|| format!("header `{name}` missing")),
            Source::Regex(regex) => {
                let text = String::from_utf8_lossy(exchange.body());
                let captures = regex.captures(&text).ok_or("regex did not match")?;
                let found = if regex.captures_len() > 1 {
                    captures.get(1)
                } else {
                    captures.get(0)
                };
                found
                    .map(|m| Value::String(m.as_str().to_owned()))
                    .ok_or_else(|| "regex matched but its first group captured nothing".to_owned())
            }
        }
    }

    /// The source in a few words, e.g. "json /data/token".
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Json(selector) => format!("json {selector}"),
            Source::Header(name) => format!("header {name}"),
            Source::Regex(regex) => format!("regex {}", regex.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;

    fn headers() -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("x-request-id", HeaderValue::from_static("req-42"));
        map
    }

    fn spec(yaml: &str) -> ExtractSpec {
        crate::suite::yaml::parse(yaml, "test.yaml").unwrap()
    }

    fn run(name: &str, yaml: &str, body: &str) -> Result<Value, String> {
        let h = headers();
        let extractor = Extractor::compile(name, &spec(yaml)).unwrap();
        extractor.extract(&Exchange::new(200, &h, body.as_bytes()))
    }

    const BODY: &str = r#"{"data":{"token":"abc123","count":7,"user":{"id":1}}}"#;

    #[test]
    fn pointer_and_path_extract_strings_numbers_and_objects() {
        assert_eq!(
            run("token", "json: /data/token", BODY).unwrap(),
            json!("abc123")
        );
        assert_eq!(
            run("token", "json: $.data.token", BODY).unwrap(),
            json!("abc123")
        );
        assert_eq!(run("n", "json: /data/count", BODY).unwrap(), json!(7));
        assert_eq!(
            run("user", "json: $.data.user", BODY).unwrap(),
            json!({"id": 1})
        );
        assert_eq!(
            run("first", "json: $..id", r#"[{"id":1},{"id":2}]"#).unwrap(),
            json!(1)
        );
        assert_eq!(run("all", "json: ''", "[1]").unwrap(), json!([1]));
    }

    #[test]
    fn header_and_regex() {
        assert_eq!(
            run("rid", "header: X-Request-Id", "").unwrap(),
            json!("req-42")
        );
        let html = r#"<input name="csrf" value="t0k3n">"#;
        assert_eq!(
            run("csrf", r#"regex: 'name="csrf" value="([^"]+)"'"#, html).unwrap(),
            json!("t0k3n")
        );
        assert_eq!(
            run("csrf", "regex: 'value=\"[a-z0-9]+'", html).unwrap(),
            json!("value=\"t0k3n")
        );
    }

    #[test]
    fn failures_name_what_is_missing() {
        assert_eq!(
            run("t", "json: /data/token", "{}").unwrap_err(),
            "`/data/token` not found in the JSON body"
        );
        assert_eq!(
            run("t", "json: $.data.token", "{}").unwrap_err(),
            "`$.data.token` not found in the JSON body"
        );
        assert_eq!(
            run("t", "json: /data/token", "<html>").unwrap_err(),
            "body is not JSON"
        );
        assert_eq!(
            run("t", "json: /data/token", "").unwrap_err(),
            "body is not JSON"
        );
        assert_eq!(
            run("r", "header: x-trace", "").unwrap_err(),
            "header `x-trace` missing"
        );
        assert_eq!(
            run("r", "regex: 'id=(\\d+)'", "none").unwrap_err(),
            "regex did not match"
        );
        assert_eq!(
            run("r", "regex: 'a|(b)'", "a").unwrap_err(),
            "regex matched but its first group captured nothing"
        );
    }

    #[test]
    fn compile_errors_say_what_is_wrong() {
        let err = |yaml: &str| Extractor::compile("token", &spec(yaml)).unwrap_err();
        assert_eq!(
            err("{}"),
            "extract `token`: give exactly one of json, header, regex"
        );
        assert_eq!(
            err("{ json: /a, header: b }"),
            "extract `token`: give exactly one of json, header, regex"
        );
        assert!(
            err("json: '$.['")
                .starts_with("extract `token`: `$.[` is not a valid JSONPath: at position"),
            "{}",
            err("json: '$.['")
        );
        assert_eq!(
            err("json: data.token"),
            "extract `token`: `data.token` is not a JSON pointer (start with `/`, e.g. `/data/token`) or a JSONPath (start with `$`)"
        );
        assert_eq!(
            err("json: /a~2"),
            "extract `token`: `/a~2` is not a valid JSON pointer: `~` must be followed by 0 or 1"
        );
        assert!(
            err("regex: '('").starts_with("extract `token`: invalid regex `(`: regex parse error")
        );
        assert_eq!(
            err("header: 'a b'"),
            "extract `token`: `a b` is not a valid header name"
        );
        assert!(
            crate::suite::yaml::parse::<ExtractSpec>("{ json: /a, default: 0 }", "test.yaml")
                .unwrap_err()
                .to_string()
                .contains("unknown key `default`")
        );
    }

    #[test]
    fn extracted_values_are_secret_unless_marked_otherwise() {
        let secret =
            |name: &str, yaml: &str| Extractor::compile(name, &spec(yaml)).unwrap().is_secret();
        for name in [
            "token",
            "accessToken",
            "CLIENT_SECRET",
            "password",
            "passwd",
            "api_key",
            "session_id",
            "cookie",
            "authHeader",
        ] {
            assert!(secret(name, "json: /a"), "{name}");
        }
        assert!(secret("access", "json: /a"));
        assert!(secret("user_id", "json: /a"));
        assert!(!secret("token", "{ json: /a, secret: false }"));
        assert!(secret("order", "{ json: /a, secret: true }"));
    }

    #[test]
    fn describe_and_name() {
        let e = Extractor::compile("token", &spec("json: /data/token")).unwrap();
        assert_eq!(
            (e.name(), e.describe().as_str()),
            ("token", "json /data/token")
        );
        assert_eq!(
            Extractor::compile("r", &spec("header: X-Request-Id"))
                .unwrap()
                .describe(),
            "header x-request-id"
        );
        assert_eq!(
            Extractor::compile("r", &spec("regex: 'a(b)'"))
                .unwrap()
                .describe(),
            "regex a(b)"
        );
    }

    #[test]
    fn json_is_parsed_once_and_invalid_header_names_are_absent() {
        let h = headers();
        let exchange = Exchange::new(200, &h, br#"{"a":1}"#);
        assert!(std::ptr::eq(
            exchange.json().unwrap(),
            exchange.json().unwrap()
        ));
        assert_eq!(exchange.header("not a header"), None);
        assert_eq!(
            (exchange.status(), exchange.body()),
            (200, &br#"{"a":1}"#[..])
        );
    }
}
