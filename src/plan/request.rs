//! Requests: method, URL, headers, query and body compiled once; statuses accepted.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use std::time::Duration;

use super::{DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT};
use crate::checks::StatusExpect;
use crate::redact::{is_sensitive_header, name_looks_secret};
use crate::suite::{ExpectSpec, Json, RequestSpec, Span, Spanned, SuiteSpec};
use crate::template::{Scope, TextTemplate, ValueTemplate};

/// A request whose templated parts are compiled.
#[derive(Debug)]
pub struct RequestPlan {
    /// HTTP method.
    pub method: Method,
    /// Where it goes.
    pub url: UrlPlan,
    /// Headers; static ones are pre-built.
    pub headers: Vec<(HeaderName, HeaderPlan)>,
    /// Query parameters.
    pub query: Vec<(String, ValueTemplate)>,
    /// The body.
    pub body: BodyPlan,
    /// Per-request timeout: send to last body byte.
    pub timeout: Duration,
    /// Accepted statuses.
    pub expect: StatusExpect,
    /// The most of the response body kept when the step needs it.
    pub max_body: usize,
    /// Secret values written literally in the request (a password in its JSON, a static
    /// `Authorization` value), for the redactor to know before anything is sent.
    pub literal_secrets: Vec<String>,
    /// The request sends a credential header whose value is rendered per request; the rendered
    /// value is handed to the redactor.
    pub renders_credentials: bool,
}

impl RequestPlan {
    /// Nothing in it is rendered per request: every send is the same request.
    pub fn is_literal(&self) -> bool {
        let url = match &self.url {
            UrlPlan::Path(t) | UrlPlan::Absolute(t) => t.is_literal(),
        };
        let body = match &self.body {
            BodyPlan::Empty => true,
            BodyPlan::Json(t) => t.is_literal(),
            BodyPlan::Text(t) => t.is_literal(),
        };
        url && body
            && self.query.iter().all(|(_, v)| v.is_literal())
            && self
                .headers
                .iter()
                .all(|(_, h)| matches!(h, HeaderPlan::Static(_)))
    }
}

/// A path joined to the base URL at run time, or an absolute URL.
#[derive(Debug)]
pub enum UrlPlan {
    /// Joined to the target's base URL.
    Path(TextTemplate),
    /// Used as is.
    Absolute(TextTemplate),
}

/// A header value, pre-built when it holds no template.
#[derive(Debug)]
pub enum HeaderPlan {
    /// Sent as is on every request.
    Static(HeaderValue),
    /// Rendered per request.
    Template(TextTemplate),
}

/// A request body.
#[derive(Debug)]
pub enum BodyPlan {
    /// No body.
    Empty,
    /// JSON, serialized per request.
    Json(ValueTemplate),
    /// Raw text.
    Text(TextTemplate),
}

/// A problem found after parsing: the position of the value at fault, and the message.
pub type FieldError = (Span, String);

/// Compiles a request: method, URL, headers, query and body templates, timeout and statuses.
pub fn plan_request(
    req: &Spanned<RequestSpec>,
    suite: &SuiteSpec,
    scope: &Scope,
) -> Result<RequestPlan, FieldError> {
    let method = match &req.method {
        Some(text) => {
            let upper = text.to_ascii_uppercase();
            Method::from_bytes(upper.as_bytes())
                .map_err(|_| (text.span, format!("`{upper}` is not an HTTP method")))?
        }
        None => Method::GET,
    };
    let compile_text =
        |t: &Spanned<String>| TextTemplate::compile(t, scope).map_err(|e| (t.span, e.to_string()));
    let url = match (&req.path, &req.url) {
        (Some(path), None) => UrlPlan::Path(compile_text(path)?),
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{"))
            {
                let message = format!(
                    "`{}` is not an absolute http(s) URL; use `path` for a path on the target",
                    url.as_str()
                );
                return Err((url.span, message));
            }
            UrlPlan::Absolute(compile_text(url)?)
        }
        (Some(_), Some(url)) => {
            return Err((url.span, "give either `path` or `url`, not both".into()))
        }
        (None, None) => {
            return Err((
                req.span,
                "the request needs a `path` (joined to the base URL) or an absolute `url`".into(),
            ))
        }
    };
    let mut headers = Vec::new();
    let merged = suite
        .defaults
        .headers
        .iter()
        .filter(|(k, _)| !req.headers.keys().any(|own| own.eq_ignore_ascii_case(k)));
    for (name, value) in merged.chain(req.headers.iter()) {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| (value.span, format!("`{name}` is not a valid header name")))?;
        let template = compile_text(value)?;
        let plan = if template.is_literal() {
            HeaderPlan::Static(HeaderValue::from_str(value).map_err(|_| {
                (
                    value.span,
                    format!("the value of `{name}` is not a valid header value"),
                )
            })?)
        } else {
            HeaderPlan::Template(template)
        };
        headers.push((header, plan));
    }
    let query = req
        .query
        .iter()
        .map(|(k, v)| {
            let template = ValueTemplate::compile(v, scope).map_err(|e| (v.span, e.to_string()))?;
            Ok((k.clone(), template))
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    let body = match (&req.json, &req.body) {
        (Some(json), None) => BodyPlan::Json(
            ValueTemplate::compile(json, scope).map_err(|e| (json.span, e.to_string()))?,
        ),
        (None, Some(text)) => BodyPlan::Text(compile_text(text)?),
        (Some(_), Some(text)) => {
            return Err((text.span, "give either `json` or `body`, not both".into()))
        }
        (None, None) => BodyPlan::Empty,
    };
    let timeout = match req.timeout.as_ref().or(suite.defaults.timeout.as_ref()) {
        Some(t) if t.0.is_zero() => {
            let message = "a request timeout must be greater than zero";
            return Err((t.span, message.into()));
        }
        Some(t) => t.0,
        None => DEFAULT_REQUEST_TIMEOUT,
    };
    let expect = match req.expect.as_ref().or(suite.defaults.expect.as_ref()) {
        Some(e) => expect_of(e).map_err(|m| (e.span, m))?,
        None => StatusExpect::default(),
    };
    let max_body = suite.defaults.max_body.map_or(DEFAULT_MAX_BODY, |b| {
        usize::try_from(b.0).unwrap_or(usize::MAX)
    });
    let renders_credentials = headers.iter().any(|(name, plan)| {
        is_sensitive_header(name.as_str()) && matches!(plan, HeaderPlan::Template(_))
    });
    Ok(RequestPlan {
        method,
        url,
        headers,
        query,
        body,
        timeout,
        expect,
        max_body,
        literal_secrets: literal_secrets(req, suite),
        renders_credentials,
    })
}

/// Literal values a request sends that are secrets: credential headers without templates, and
/// JSON fields and query parameters named like credentials (`password`, `api_key`, ...).
fn literal_secrets(req: &RequestSpec, suite: &SuiteSpec) -> Vec<String> {
    fn literal(text: &str) -> Option<String> {
        (!text.contains("{{")).then(|| text.to_string())
    }
    fn walk(value: &Json, secret: bool, out: &mut Vec<String>) {
        match value {
            Json::Object(fields) => {
                for (key, value) in fields {
                    walk(value, secret || name_looks_secret(key), out);
                }
            }
            Json::Array(items) => items.iter().for_each(|v| walk(v, secret, out)),
            Json::String(text) if secret => out.extend(literal(text)),
            Json::Number(n) if secret => out.push(n.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (name, value) in suite.defaults.headers.iter().chain(&req.headers) {
        if is_sensitive_header(name) {
            out.extend(literal(value));
        }
    }
    for (name, value) in &req.query {
        walk(value, name_looks_secret(name), &mut out);
    }
    if let Some(json) = &req.json {
        walk(json, false, &mut out);
    }
    out
}

fn expect_of(spec: &ExpectSpec) -> Result<StatusExpect, String> {
    match &spec.status {
        Some(status) => StatusExpect::parse(status),
        None => Ok(StatusExpect::default()),
    }
}

impl std::fmt::Display for UrlPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlPlan::Path(t) | UrlPlan::Absolute(t) => f.write_str(t.source()),
        }
    }
}
