//! The measuring engine alone, for side-by-side runs with other load generators: N virtual
//! users, each owning a [`Connection`], send GET requests back to back until the deadline and
//! record every latency as the harness does ([`Series::record_ok`]).
//!
//! Usage: `engine_probe [--shared] URL CONNECTIONS SECONDS`
//!
//! The users are spread over one single-threaded runtime per CPU, each on its own thread, so a
//! user's task is only ever woken by its socket and never moved between threads. `--shared`
//! runs them on one multi-threaded runtime with a worker per CPU instead, the layout of the
//! harness's other case kinds, to compare the two.
//!
//! Prints one line: `requests=.. ok=.. errors=.. elapsed_s=.. rps=.. p50_us=.. p99_us=..`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, HOST};
use loadgate::engine::{Connection, Outgoing};
use loadgate::record::Series;
use loadgate::sample::ErrorCause;
use loadgate::stats::{Latency, Summary};

/// Per-request timeout, as a suite's default would be.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Args {
    url: http::Uri,
    host: HeaderValue,
    connections: usize,
    duration: Duration,
    shared: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let shared = args.iter().any(|a| a == "--shared");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--shared").collect();
    let [url, connections, seconds] = args[..] else {
        return Err("expected 3 arguments: URL CONNECTIONS SECONDS".to_string());
    };
    let url: http::Uri = url
        .parse()
        .map_err(|e| format!("URL `{url}`: expected an http:// URL ({e})"))?;
    let host = url
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        .ok_or_else(|| format!("URL `{url}`: expected a host"))?;
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
        _ => return Err(format!("SECONDS `{seconds}`: expected a number above 0")),
    };
    Ok(Args {
        url,
        host,
        connections,
        duration: Duration::from_secs_f64(seconds),
        shared,
    })
}

/// One virtual user: requests back to back until `deadline`, every one recorded.
async fn user(url: http::Uri, host: HeaderValue, origin: Instant, deadline: Instant) -> Series {
    let mut connection = Connection::new();
    let mut series = Series::new(TIMEOUT);
    loop {
        // Rendered off the clock, as the harness renders each request before timing it (a
        // static header is a shared value, cloned without a copy).
        let request = http::Request::get(url.clone())
            .header(HOST, host.clone())
            .body(Bytes::new());
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

/// Runs `count` users on the current runtime and merges what they recorded.
async fn users(args: &Args, count: usize, origin: Instant) -> Series {
    let deadline = origin + args.duration;
    let tasks: Vec<_> = (0..count)
        .map(|_| tokio::spawn(user(args.url.clone(), args.host.clone(), origin, deadline)))
        .collect();
    let mut total = Series::new(TIMEOUT);
    for task in tasks {
        match task.await {
            Ok(series) => total.merge(&series),
            Err(e) => eprintln!("engine_probe: a user failed: {e}"),
        }
    }
    total
}

fn runtime(shared: bool) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = if shared {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

/// Every user's series merged, and the wall time from the first send to the last response.
fn run(args: &Args) -> std::io::Result<(Series, Duration)> {
    let origin = Instant::now();
    if args.shared {
        let total = runtime(true)?.block_on(users(args, args.connections, origin));
        return Ok((total, origin.elapsed()));
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let totals: Vec<std::io::Result<Series>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..cpus)
            .map(|cpu| {
                // Users dealt out like cards: the first `connections % cpus` threads get one more.
                let count = args.connections / cpus + usize::from(cpu < args.connections % cpus);
                scope.spawn(move || Ok(runtime(false)?.block_on(users(args, count, origin))))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a thread panicked")))
            })
            .collect()
    });
    let mut total = Series::new(TIMEOUT);
    for series in totals {
        total.merge(&series?);
    }
    Ok((total, origin.elapsed()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!(
                "engine_probe: {message}\nusage: engine_probe [--shared] URL CONNECTIONS SECONDS"
            );
            return ExitCode::from(2);
        }
    };
    let (total, elapsed) = match run(&args) {
        Ok(done) => done,
        Err(e) => {
            eprintln!("engine_probe: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = Summary::of(&total, elapsed);
    let micros = |pick: fn(&Latency) -> Duration| {
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
