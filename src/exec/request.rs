//! The timer: renders a request off the clock, then measures send -> last body byte.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;

use super::Target;
use crate::plan::{BodyPlan, CasePlan, HeaderPlan, UrlPlan};
use crate::sample::{ErrorCause, Outcome, Sample};
use crate::template::{RenderContext, Variables};

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

/// The shared state of one case's run: its plan, target, sequence counter and clock origin.
pub struct CaseRun {
    /// The case being run.
    pub case: Arc<CasePlan>,
    /// Where requests go.
    pub target: Arc<Target>,
    /// Variables visible to templates.
    pub vars: Variables,
    seq: AtomicU64,
    origin: Instant,
}

impl CaseRun {
    /// Starts a run; the clock origin is now.
    pub fn new(case: Arc<CasePlan>, target: Arc<Target>) -> Self {
        Self {
            case,
            target,
            vars: Variables::new(),
            seq: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    /// The next sequence number: unique per case across rounds and concurrent requests.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Renders the case's request with fresh data, ready to send.
    pub fn prepare(&self, client: &reqwest::Client) -> Result<reqwest::Request, ErrorCause> {
        let seq = self.next_seq();
        let plan = &self.case.request;
        let mut ctx = RenderContext::new(&self.case.scope, seq, self.case.data_seed(), &self.vars);
        let url = match &plan.url {
            UrlPlan::Path(path) => {
                let path = path.render(&mut ctx);
                let base = self.target.base_url.trim_end_matches('/');
                if path.starts_with('/') {
                    format!("{base}{path}")
                } else {
                    format!("{base}/{path}")
                }
            }
            UrlPlan::Absolute(url) => url.render(&mut ctx),
        };
        let mut builder = client
            .request(plan.method.clone(), &url)
            .timeout(plan.timeout);
        for (name, value) in &plan.headers {
            let value = match value {
                HeaderPlan::Static(v) => v.clone(),
                HeaderPlan::Template(t) => {
                    HeaderValue::from_str(&t.render(&mut ctx)).map_err(|_| {
                        ErrorCause::InvalidRequest(format!(
                            "header `{name}` rendered to an invalid value"
                        ))
                    })?
                }
            };
            builder = builder.header(name.clone(), value);
        }
        if !plan.query.is_empty() {
            let pairs: Vec<(&str, String)> = plan
                .query
                .iter()
                .map(|(k, v)| (k.as_str(), query_text(v.render(&mut ctx))))
                .collect();
            builder = builder.query(&pairs);
        }
        builder = match &plan.body {
            BodyPlan::Empty => builder,
            BodyPlan::Json(t) => builder.json(&t.render(&mut ctx)),
            BodyPlan::Text(t) => builder.body(t.render(&mut ctx)),
        };
        builder
            .build()
            .map_err(|e| ErrorCause::InvalidRequest(without_url(&e)))
    }

    /// Sends a prepared request and records it as a sample judged by the case's expectations.
    pub async fn measure(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> (Sample, Option<Response>) {
        let (start, latency, result) = timed(client, request).await;
        let start = start.saturating_duration_since(self.origin);
        match result {
            Ok(response) => {
                let outcome = if self.case.request.expect.accepts(response.status) {
                    Outcome::Ok
                } else {
                    Outcome::Error(ErrorCause::Status(response.status))
                };
                (
                    Sample {
                        start,
                        latency,
                        outcome,
                    },
                    Some(response),
                )
            }
            Err(cause) => (
                Sample {
                    start,
                    latency,
                    outcome: Outcome::Error(cause),
                },
                None,
            ),
        }
    }

    /// Renders and sends one request; a request that cannot be built is an error sample.
    pub async fn once(&self, client: &reqwest::Client) -> Sample {
        match self.prepare(client) {
            Ok(request) => self.measure(client, request).await.0,
            Err(cause) => self.unsent(cause),
        }
    }

    /// The sample for a request that could not be built.
    pub fn unsent(&self, cause: ErrorCause) -> Sample {
        Sample {
            start: self.origin.elapsed(),
            latency: Duration::ZERO,
            outcome: Outcome::Error(cause),
        }
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Restarts the clock: the measured span begins now (after warm-up and connection set-up).
    pub fn restart_clock(&mut self) {
        self.origin = Instant::now();
    }
}

/// The measured span: nothing but the exchange happens between the two clock reads.
async fn timed(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> (Instant, Duration, Result<Response, ErrorCause>) {
    let started = Instant::now();
    let result = match client.execute(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
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
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return ErrorCause::ConnectionRefused;
            }
            if io.kind() == std::io::ErrorKind::TimedOut {
                return ErrorCause::Timeout;
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

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn without_url(error: &reqwest::Error) -> String {
    root_cause(error)
}

fn query_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}
