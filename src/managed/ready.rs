//! Waiting for a target to answer: its `ready` path polled until it does, its process ends, or
//! its `ready_timeout` passes.

use std::time::Duration;

use tokio::time::{sleep, timeout, Instant};

use crate::plan::TargetPlan;

/// Time between polls.
const POLL: Duration = Duration::from_millis(50);
/// The longest one poll may wait for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a target did not get ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// Its process ended first; how it ended ("with status 1").
    Ended(String),
    /// The timeout passed; what the last poll found ("could not connect", "answered 503").
    TimedOut(String),
}

/// Polls `plan`'s ready URL until it answers as ready. `ended` says whether (and how) the
/// target's process has ended; it is asked before each poll and after the answer that counts,
/// so a process that fails while something else answers on its port is not taken as ready.
pub async fn wait(
    plan: &TargetPlan,
    mut ended: impl FnMut() -> Option<String>,
) -> Result<(), NotReady> {
    let client = client(plan).map_err(NotReady::TimedOut)?;
    let url = ready_url(plan);
    let deadline = Instant::now() + plan.ready_timeout;
    let mut last = "no answer yet".to_string();
    loop {
        if let Some(how) = ended() {
            return Err(NotReady::Ended(how));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NotReady::TimedOut(last));
        }
        match probe(&client, &url, left.min(PROBE_TIMEOUT)).await {
            Ok(status) if is_ready(plan, status) => {
                return match ended() {
                    Some(how) => Err(NotReady::Ended(how)),
                    None => Ok(()),
                };
            }
            Ok(status) => last = format!("GET {url} answered {status}"),
            Err(why) => last = format!("GET {url}: {why}"),
        }
        sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// The status `plan`'s ready URL answers now, if anything answers there within half a second:
/// checked before a command starts, so a server left running on its port is not measured.
pub async fn answering(plan: &TargetPlan) -> Option<u16> {
    let client = client(plan).ok()?;
    probe(&client, &ready_url(plan), Duration::from_millis(500))
        .await
        .ok()
}

/// The URL polled: the base URL and the `ready` path.
pub fn ready_url(plan: &TargetPlan) -> String {
    format!("{}{}", plan.base_url, plan.ready.path)
}

fn is_ready(plan: &TargetPlan, status: u16) -> bool {
    if plan.ready.success_only {
        (200..300).contains(&status)
    } else {
        status < 500
    }
}

/// A client with the target's TLS settings, so an `https://` target is polled as it is measured.
fn client(plan: &TargetPlan) -> Result<reqwest::Client, String> {
    let tls = crate::exec::Tls::new(&plan.tls)?;
    reqwest::Client::builder()
        .use_preconfigured_tls((*tls.config).clone())
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

/// One GET: the status, or why there is none.
async fn probe(client: &reqwest::Client, url: &str, wait: Duration) -> Result<u16, String> {
    match timeout(wait, client.get(url).send()).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(e)) if e.is_connect() => Err("could not connect".into()),
        Ok(Err(e)) => Err(e.without_url().to_string()),
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(wait)
        )),
    }
}
