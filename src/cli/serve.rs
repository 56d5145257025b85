//! `loadgate serve`: the embedded reference API as a server of its own, with its fault knobs,
//! until Ctrl-C (or SIGTERM); e.g. to try suites against it by hand.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;

use super::Exit;
use crate::reference_api::{Fault, ReferenceApi};
use crate::suite::{HumanDuration, Ratio};

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// The port on 127.0.0.1 (0: any free one)
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Delay a route's answers, e.g. `--delay 'GET /health=300ms'`
    #[arg(long, value_name = "ROUTE=DURATION", value_parser = parse_delay)]
    delay: Vec<(String, Duration)>,
    /// Answer a share of a route's requests with an error status (default 500), e.g.
    /// `--error-rate 'POST /api/v1/tasks=10%:503'`
    #[arg(long, value_name = "ROUTE=RATE[:STATUS]", value_parser = parse_error_rate)]
    error_rate: Vec<(String, (f64, u16))>,
}

pub(super) fn serve(args: &ServeArgs) -> Exit {
    // A delay and an error rate on one route make one fault.
    let mut faults: BTreeMap<&str, Fault> = BTreeMap::new();
    let delays = (args.delay.iter()).map(|(route, delay)| (route, Fault::delay(*delay)));
    let errors = (args.error_rate.iter())
        .map(|(route, (rate, status))| (route, Fault::error_rate(*rate, *status)));
    for (route, fault) in delays.chain(errors) {
        let combined = match faults.remove(route.as_str()) {
            Some(earlier) => earlier.and(fault),
            None => fault,
        };
        faults.insert(route, combined);
    }
    let mut api = ReferenceApi::new().port(args.port);
    for (route, fault) in faults {
        api = api.fault(route, fault);
    }
    let running = match api.start() {
        Ok(running) => running,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
        Err(e) => {
            eprintln!(
                "error: cannot serve the reference API on port {}: {e}",
                args.port
            );
            return Exit::Missed;
        }
    };
    println!(
        "loadgate: reference API listening on {} (Ctrl-C stops it)",
        running.base_url()
    );
    for (route, delay) in &args.delay {
        println!(
            "  {route}: answers after {}",
            crate::units::format_duration(*delay)
        );
    }
    for (route, (rate, status)) in &args.error_rate {
        println!("  {route}: {} of answers are {status}", Ratio(*rate));
    }
    if let Err(e) = until_stopped() {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
        return Exit::Missed;
    }
    running.shutdown();
    println!("loadgate: reference API stopped");
    Exit::Met
}

/// Blocks until Ctrl-C or, on Unix, SIGTERM.
fn until_stopped() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut terminate = signal(SignalKind::terminate())?;
            tokio::select! {
                stopped = tokio::signal::ctrl_c() => stopped,
                _ = terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await
    })
}

/// `ROUTE=VALUE`, split at the last `=` (a route has none).
fn route_and(text: &str, what: &str) -> Result<(String, String), String> {
    let (route, value) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("expected ROUTE={what}, such as `GET /health=...`"))?;
    let route = route.trim();
    if !route.contains(' ') {
        return Err(format!(
            "route `{route}` is a method and a path, such as `GET /health`"
        ));
    }
    Ok((route.to_string(), value.trim().to_string()))
}

fn parse_delay(text: &str) -> Result<(String, Duration), String> {
    let (route, value) = route_and(text, "DURATION")?;
    Ok((route, HumanDuration::parse(&value)?.0))
}

fn parse_error_rate(text: &str) -> Result<(String, (f64, u16)), String> {
    let (route, value) = route_and(text, "RATE[:STATUS]")?;
    let (rate, status) = match value.split_once(':') {
        Some((rate, status)) => (rate, Some(status.trim())),
        None => (value.as_str(), None),
    };
    let rate = Ratio::parse(rate)?.0;
    let status = match status {
        None => 500,
        Some(code) => code
            .parse::<u16>()
            .ok()
            .filter(|c| (200..=599).contains(c))
            .ok_or_else(|| format!("status `{code}` must be a number from 200 to 599"))?,
    };
    Ok((route, (rate, status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_flags_name_a_route_and_a_value() {
        assert_eq!(
            parse_delay("GET /health=300ms"),
            Ok(("GET /health".into(), Duration::from_millis(300)))
        );
        assert_eq!(
            parse_error_rate("POST /api/v1/tasks=10%:503"),
            Ok(("POST /api/v1/tasks".into(), (0.1, 503)))
        );
        assert_eq!(
            parse_error_rate("GET /health = 0.5"),
            Ok(("GET /health".into(), (0.5, 500)))
        );
        assert!(parse_delay("GET /health")
            .unwrap_err()
            .contains("ROUTE=DURATION"));
        assert!(parse_delay("/health=1s")
            .unwrap_err()
            .contains("a method and a path"));
        assert!(parse_delay("GET /health=fast")
            .unwrap_err()
            .contains("invalid duration"));
        assert!(parse_error_rate("GET /health=2")
            .unwrap_err()
            .contains("between 0 and 1"));
        assert!(parse_error_rate("GET /health=1%:99")
            .unwrap_err()
            .contains("from 200 to 599"));
    }
}
