//! Requests: method, URL, headers, query and body compiled once; statuses accepted.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use std::time::Duration;

use super::DEFAULT_REQUEST_TIMEOUT;
use crate::suite::{ExpectSpec, RequestSpec, StatusSpec, SuiteSpec};
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

/// The statuses a response may have to count as a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExpect {
    ranges: Vec<(u16, u16)>,
}

impl Default for StatusExpect {
    fn default() -> Self {
        Self {
            ranges: vec![(200, 299)],
        }
    }
}

impl StatusExpect {
    /// Parses `201`, `"2xx"`, `[200, "4xx"]`.
    pub fn parse(spec: &StatusSpec) -> Result<Self, String> {
        let mut ranges = Vec::new();
        Self::collect(spec, &mut ranges)?;
        if ranges.is_empty() {
            return Err("expect.status: the list is empty; give at least one status".into());
        }
        Ok(Self { ranges })
    }

    fn collect(spec: &StatusSpec, out: &mut Vec<(u16, u16)>) -> Result<(), String> {
        let bad = |s: &str| {
            format!("expect.status: `{s}` is not a status; use a code like `201`, a class like `2xx`, or a list")
        };
        match spec {
            StatusSpec::Code(code) if (100..=599).contains(code) => out.push((*code, *code)),
            StatusSpec::Code(code) => return Err(bad(&code.to_string())),
            StatusSpec::Text(text) => {
                let t = text.trim().to_ascii_lowercase();
                if let Some(class) = t
                    .strip_suffix("xx")
                    .and_then(|d| d.parse::<u16>().ok())
                    .filter(|d| (1..=5).contains(d))
                {
                    out.push((class * 100, class * 100 + 99));
                } else if let Some(code) = t.parse::<u16>().ok().filter(|c| (100..=599).contains(c))
                {
                    out.push((code, code));
                } else {
                    return Err(bad(text));
                }
            }
            StatusSpec::List(items) => {
                for item in items {
                    Self::collect(item, out)?;
                }
            }
        }
        Ok(())
    }

    /// True when `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

/// A problem with one field: the YAML key to point at, and the message.
pub type FieldError = (&'static str, String);

pub fn plan_request(
    req: &RequestSpec,
    suite: &SuiteSpec,
    scope: &Scope,
) -> Result<RequestPlan, FieldError> {
    let method_text = req.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let method = Method::from_bytes(method_text.as_bytes())
        .map_err(|_| ("method:", format!("`{method_text}` is not an HTTP method")))?;
    let url = match (&req.path, &req.url) {
        (Some(path), None) => {
            UrlPlan::Path(TextTemplate::compile(path, scope).map_err(|e| ("path:", e.to_string()))?)
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{"))
            {
                return Err(("url:", format!("`{url}` is not an absolute http(s) URL; use `path` for a path on the target")));
            }
            UrlPlan::Absolute(
                TextTemplate::compile(url, scope).map_err(|e| ("url:", e.to_string()))?,
            )
        }
        (Some(_), Some(_)) => return Err(("url:", "give either `path` or `url`, not both".into())),
        (None, None) => {
            return Err((
                "request:",
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
            .map_err(|_| ("headers:", format!("`{name}` is not a valid header name")))?;
        let template =
            TextTemplate::compile(value, scope).map_err(|e| ("headers:", e.to_string()))?;
        let plan = if template.is_literal() {
            HeaderPlan::Static(HeaderValue::from_str(value).map_err(|_| {
                (
                    "headers:",
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
            Ok((
                k.clone(),
                ValueTemplate::compile(v, scope).map_err(|e| ("query:", e.to_string()))?,
            ))
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    let body = match (&req.json, &req.body) {
        (Some(json), None) => BodyPlan::Json(
            ValueTemplate::compile(json, scope).map_err(|e| ("json:", e.to_string()))?,
        ),
        (None, Some(text)) => BodyPlan::Text(
            TextTemplate::compile(text, scope).map_err(|e| ("body:", e.to_string()))?,
        ),
        (Some(_), Some(_)) => {
            return Err(("body:", "give either `json` or `body`, not both".into()))
        }
        (None, None) => BodyPlan::Empty,
    };
    let timeout = req
        .timeout
        .or(suite.defaults.timeout)
        .map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.0);
    if timeout.is_zero() {
        return Err((
            "timeout:",
            "a request timeout must be greater than zero".into(),
        ));
    }
    let expect = expect_of(req.expect.as_ref().or(suite.defaults.expect.as_ref()))
        .map_err(|m| ("expect:", m))?;
    Ok(RequestPlan {
        method,
        url,
        headers,
        query,
        body,
        timeout,
        expect,
    })
}

fn expect_of(spec: Option<&ExpectSpec>) -> Result<StatusExpect, String> {
    match spec.and_then(|e| e.status.as_ref()) {
        Some(status) => StatusExpect::parse(status),
        None => Ok(StatusExpect::default()),
    }
}

impl std::fmt::Display for StatusExpect {
    /// `201`, `2xx`, `200-204` or several joined by ` or `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .ranges
            .iter()
            .map(|&(lo, hi)| match (lo, hi) {
                (lo, hi) if lo == hi => lo.to_string(),
                (lo, hi) if lo % 100 == 0 && hi == lo + 99 => format!("{}xx", lo / 100),
                (lo, hi) => format!("{lo}-{hi}"),
            })
            .collect();
        f.write_str(&parts.join(" or "))
    }
}

impl std::fmt::Display for UrlPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlPlan::Path(t) | UrlPlan::Absolute(t) => f.write_str(t.source()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(yaml: &str) -> Result<StatusExpect, String> {
        StatusExpect::parse(&crate::suite::yaml::parse::<StatusSpec>(yaml, "test.yaml").unwrap())
    }

    #[test]
    fn statuses_as_codes_classes_and_lists() {
        let created = expect("201").unwrap();
        assert!(created.accepts(201) && !created.accepts(200));
        let ok = expect("2xx").unwrap();
        assert!(ok.accepts(200) && ok.accepts(299) && !ok.accepts(301));
        let mixed = expect("[204, 4xx, '302']").unwrap();
        assert!(
            mixed.accepts(204) && mixed.accepts(404) && mixed.accepts(302) && !mixed.accepts(500)
        );
        assert!(StatusExpect::default().accepts(200) && !StatusExpect::default().accepts(404));
        assert_eq!(mixed.to_string(), "204 or 4xx or 302");
    }

    #[test]
    fn bad_statuses_say_what_is_accepted() {
        assert!(expect("99").unwrap_err().contains("`99` is not a status"));
        assert!(expect("6xx")
            .unwrap_err()
            .contains("use a code like `201`, a class like `2xx`"));
        assert!(expect("[]").unwrap_err().contains("the list is empty"));
    }
}
