//! The timer: a request is rendered off the clock, then only send -> last body byte is timed.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;

use crate::plan::{BodyPlan, HeaderPlan, RequestPlan, UrlPlan};
use crate::sample::ErrorCause;
use crate::template::RenderContext;

/// A response as the harness keeps it: read to the last byte inside the measured span, its body
/// kept only when asked for and only up to a limit.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as kept: whole when it was asked for and fits the limit, otherwise empty.
    pub body: bytes::Bytes,
    /// Body bytes received, kept or not.
    pub received: u64,
    /// The body was wanted but is larger than the limit, so none of it was kept.
    pub over_limit: bool,
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
    // A value cut at the size cap is not the request the suite describes: it is not sent.
    if let Some(message) = ctx.oversize_message() {
        return Err(ErrorCause::InvalidRequest(message));
    }
    builder
        .build()
        .map_err(|e| ErrorCause::InvalidRequest(root_cause(&e)))
}

/// The measured span: send, then read the body to its last byte. Only the exchange happens
/// between the two clock reads; chunks are counted and, when `keep` gives a limit, their
/// handles are kept (no copy) and joined after the clock stops. A body over the limit is still
/// read to the end, so a large response costs its time but not its size in memory.
pub async fn timed(
    client: &reqwest::Client,
    request: reqwest::Request,
    keep: Option<usize>,
) -> (Instant, Duration, Result<Response, ErrorCause>) {
    // Allocated before the clock starts: a body of up to eight chunks needs no allocation.
    let mut chunks: Vec<bytes::Bytes> = Vec::with_capacity(if keep.is_some() { 8 } else { 0 });
    let started = Instant::now();
    let result = read(client, request, keep, &mut chunks).await;
    let latency = started.elapsed();
    let result = result.map(|(status, headers, received, over_limit)| Response {
        status,
        headers,
        body: join(chunks),
        received,
        over_limit,
    });
    (started, latency, result)
}

async fn read(
    client: &reqwest::Client,
    request: reqwest::Request,
    keep: Option<usize>,
    chunks: &mut Vec<bytes::Bytes>,
) -> Result<(u16, reqwest::header::HeaderMap, u64, bool), ErrorCause> {
    let mut response = client.execute(request).await.map_err(|e| classify(&e))?;
    let status = response.status().as_u16();
    // Taken, not cloned: nothing is allocated inside the measured span that can wait.
    let headers = std::mem::take(response.headers_mut());
    let (mut received, mut over_limit) = (0u64, false);
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        received += chunk.len() as u64;
        match keep {
            Some(limit) if !over_limit && received <= limit as u64 => chunks.push(chunk),
            Some(_) if !over_limit => {
                over_limit = true;
                chunks.clear();
            }
            _ => {}
        }
    }
    Ok((status, headers, received, over_limit))
}

/// One body from its chunks; a single chunk is the body itself, without a copy.
fn join(mut chunks: Vec<bytes::Bytes>) -> bytes::Bytes {
    match chunks.len() {
        0 => bytes::Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut body = bytes::BytesMut::with_capacity(chunks.iter().map(|c| c.len()).sum());
            for chunk in chunks {
                body.extend_from_slice(&chunk);
            }
            body.freeze()
        }
    }
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
