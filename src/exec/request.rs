//! The timer: a request is rendered off the clock, then only send -> last body byte is timed.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;

use crate::plan::{BodyPlan, HeaderPlan, RequestPlan, UrlPlan};
use crate::sample::ErrorCause;
use crate::template::RenderContext;

/// A response as the harness keeps it, read completely inside the measured span.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The whole body.
    pub body: bytes::Bytes,
}

/// Renders a request with `ctx`'s data into a ready-to-send `reqwest::Request`.
pub fn render(
    plan: &RequestPlan,
    base_url: &str,
    client: &reqwest::Client,
    ctx: &mut RenderContext,
) -> Result<reqwest::Request, ErrorCause> {
    let url = match &plan.url {
        UrlPlan::Path(path) => {
            let path = path.render(ctx);
            if path.starts_with('/') {
                format!("{base_url}{path}")
            } else {
                format!("{base_url}/{path}")
            }
        }
        UrlPlan::Absolute(url) => url.render(ctx),
    };
    let mut builder = client
        .request(plan.method.clone(), &url)
        .timeout(plan.timeout);
    for (name, value) in &plan.headers {
        let value = match value {
            HeaderPlan::Static(v) => v.clone(),
            HeaderPlan::Template(t) => HeaderValue::from_str(&t.render(ctx)).map_err(|_| {
                ErrorCause::InvalidRequest(format!("header `{name}` rendered to an invalid value"))
            })?,
        };
        builder = builder.header(name.clone(), value);
    }
    if !plan.query.is_empty() {
        let pairs: Vec<(&str, String)> = plan
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), query_text(v.render(ctx))))
            .collect();
        builder = builder.query(&pairs);
    }
    builder = match &plan.body {
        BodyPlan::Empty => builder,
        BodyPlan::Json(t) => builder.json(&t.render(ctx)),
        BodyPlan::Text(t) => builder.body(t.render(ctx)),
    };
    if let Some(message) = ctx.exhaustion_message() {
        return Err(ErrorCause::Data(message));
    }
    builder
        .build()
        .map_err(|e| ErrorCause::InvalidRequest(root_cause(&e)))
}

/// The measured span: nothing but the exchange happens between the two clock reads.
pub async fn timed(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> (Instant, Duration, Result<Response, ErrorCause>) {
    let started = Instant::now();
    let result = match client.execute(request).await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            // Taken, not cloned: nothing is allocated inside the measured span that can wait.
            let headers = std::mem::take(response.headers_mut());
            match response.bytes().await {
                Ok(body) => Ok(Response {
                    status,
                    headers,
                    body,
                }),
                Err(e) => Err(classify(&e)),
            }
        }
        Err(e) => Err(classify(&e)),
    };
    (started, started.elapsed(), result)
}

/// Maps a client error to the cause users read: `timeout`, `connection refused`, ...
pub fn classify(error: &reqwest::Error) -> ErrorCause {
    if error.is_timeout() {
        return ErrorCause::Timeout;
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return ErrorCause::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return ErrorCause::Timeout,
                _ => {}
            }
        }
        source = inner.source();
    }
    if error.is_connect() {
        ErrorCause::Connect(root_cause(error))
    } else {
        ErrorCause::Transport(root_cause(error))
    }
}

/// The innermost error's text: the part that says what happened, without the URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn query_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}
