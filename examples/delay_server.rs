//! A target with a known service time, for measuring how much a load generator adds to it:
//! answers `200 ok` to any request after waiting `?ms=N` milliseconds (0 by default).
//!
//! Usage: `delay_server [ADDR]` (default `127.0.0.1:18081`).
//!
//! The wait is a thread sleep on tokio's blocking pool, not `tokio::time::sleep`: tokio's timer
//! ticks in whole milliseconds and lands up to a millisecond late, which would show up as every
//! client's overhead. A thread sleep overshoots by tens of microseconds.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Longest wait a request may ask for.
const MAX_MS: u64 = 60_000;

/// The `ms` query parameter, if present and a number.
fn delay_of(query: Option<&str>) -> Duration {
    let ms = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "ms")
        .and_then(|(_, value)| value.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_millis(ms.min(MAX_MS))
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let delay = delay_of(request.uri().query());
    if !delay.is_zero() {
        // A panicked sleep leaves nothing to undo; answer anyway.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(delay)).await;
    }
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(1024)
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        eprintln!("delay server listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                // A client that goes away mid-request is not this server's problem.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    })
}
