//! The measuring engine alone, for side-by-side runs with other load generators: N virtual
//! users, each owning a [`Connection`], send GET requests back to back until the deadline and
//! record every latency as the harness does ([`Series::record_ok`]).
//!
//! Usage: `engine_probe URL CONNECTIONS SECONDS`
//!
//! Prints one line: `requests=.. ok=.. errors=.. elapsed_s=.. rps=.. p50_us=.. p99_us=..`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use loadgate::exec::{Connection, Outgoing};
use loadgate::record::Series;
use loadgate::sample::ErrorCause;
use loadgate::stats::Summary;

/// Per-request timeout, as a suite's default would be.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Args {
    url: http::Uri,
    connections: usize,
    duration: Duration,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let [url, connections, seconds] = args else {
        return Err("expected 3 arguments: URL CONNECTIONS SECONDS".to_string());
    };
    let url: http::Uri = url
        .parse()
        .map_err(|e| format!("URL `{url}`: expected an http:// URL ({e})"))?;
    let connections: usize = match connections.parse() {
        Ok(n) if n > 0 => n,
        _ => {
            return Err(format!(
                "CONNECTIONS `{connections}`: expected a number above 0"
            ))
        }
    };
    let seconds: f64 = match seconds.parse() {
        Ok(s) if s > 0.0 && s < 86_400.0 => s,
        _ => {
            return Err(format!(
                "SECONDS `{seconds}`: expected a number of seconds above 0"
            ))
        }
    };
    Ok(Args {
        url,
        connections,
        duration: Duration::from_secs_f64(seconds),
    })
}

/// One virtual user: requests back to back until `deadline`, every one recorded.
async fn user(url: http::Uri, origin: Instant, deadline: Instant) -> Series {
    let mut connection = Connection::new();
    let mut series = Series::new(TIMEOUT);
    loop {
        // Rendered off the clock, as the harness renders each request before timing it.
        let request = http::Request::get(url.clone()).body(Bytes::new());
        let prepared = request
            .map_err(|e| ErrorCause::InvalidRequest(e.to_string()))
            .and_then(|r| Outgoing::new(r, Some(TIMEOUT)));
        let request = match prepared {
            Ok(request) => request,
            Err(cause) => {
                series.record_error(Duration::ZERO, Duration::ZERO, &cause, 0);
                return series;
            }
        };
        let (sent, latency, result) = connection.send(request, None).await;
        let start = sent.saturating_duration_since(origin);
        match result {
            Ok(response) if response.status < 400 => {
                series.record_ok(start, latency, response.received)
            }
            Ok(response) => series.record_error(
                start,
                latency,
                &ErrorCause::Status(response.status),
                response.received,
            ),
            Err(cause) => series.record_error(start, latency, &cause, 0),
        }
        if sent + latency >= deadline {
            return series;
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("engine_probe: {message}\nusage: engine_probe URL CONNECTIONS SECONDS");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("engine_probe: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (total, elapsed) = runtime.block_on(async {
        let origin = Instant::now();
        let deadline = origin + args.duration;
        let users: Vec<_> = (0..args.connections)
            .map(|_| tokio::spawn(user(args.url.clone(), origin, deadline)))
            .collect();
        let mut total = Series::new(TIMEOUT);
        for user in users {
            match user.await {
                Ok(series) => total.merge(&series),
                Err(e) => eprintln!("engine_probe: a user failed: {e}"),
            }
        }
        (total, origin.elapsed())
    });
    let summary = Summary::of(&total, elapsed);
    let micros = |pick: fn(&loadgate::stats::Latency) -> Duration| {
        summary.latency.as_ref().map_or(0, |l| pick(l).as_micros())
    };
    println!(
        "requests={} ok={} errors={} elapsed_s={:.3} rps={:.1} p50_us={} p99_us={}",
        summary.requests,
        summary.ok,
        summary.errors,
        elapsed.as_secs_f64(),
        summary.throughput.unwrap_or(0.0),
        micros(|l| l.p50),
        micros(|l| l.p99),
    );
    for (cause, count) in &summary.error_causes {
        eprintln!("engine_probe: {count} x {cause}");
    }
    if summary.ok == 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
