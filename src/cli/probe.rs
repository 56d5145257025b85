//! `loadgate probe`: one endpoint's SLA from flags alone. The flags become a one-case suite in
//! memory, which runs through the same pipeline as a suite file: same summary, same verdict,
//! same exit status.
//!
//! With `-c 1` the case is `sequential` (`-n` requests one after another); with more, it is a
//! `load` case of `-c` virtual users sending `-n / -c` requests each, back to back, as
//! `hey -n -c` or `ab -n -c` do (a `concurrent` case would release requests in lock-step rounds,
//! which measures something else).

use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Map, Value};

use super::run::execute;
use super::{Exit, TlsArgs};
use crate::run::Config;
use crate::run::FrontEnd;
use crate::suite::{HumanDuration, Ratio, SuiteSource, Throughput};

/// The suite (and origin) the probe's case belongs to: its id is `probe::METHOD`.
const SUITE: &str = "probe";

#[derive(Debug, Args)]
pub(super) struct ProbeArgs {
    /// The endpoint: an absolute http(s) URL, query included
    #[arg(value_name = "URL")]
    url: String,
    /// Requests to send
    #[arg(short = 'n', long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    requests: u64,
    /// Requests in flight at once: virtual users, each sending n / c requests
    #[arg(short = 'c', long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    concurrency: u64,
    /// Bound on the median latency
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    p50: Option<String>,
    /// Bound on the 95th percentile latency
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    p95: Option<String>,
    /// Bound on the 99th percentile latency
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    p99: Option<String>,
    /// Bound on the slowest request
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    max: Option<String>,
    /// Bound on errors / requests, e.g. `1%` [default: 0: any error fails]
    #[arg(long, value_name = "RATIO", value_parser = ratio)]
    error_rate: Option<String>,
    /// Lowest acceptable requests per second
    #[arg(long, value_name = "RATE", value_parser = throughput)]
    throughput: Option<String>,
    /// HTTP method
    #[arg(long, short = 'X', default_value = "GET", value_parser = method)]
    method: String,
    /// A request header, `name: value` (repeatable)
    #[arg(long, short = 'H', value_name = "NAME: VALUE", value_parser = header)]
    header: Vec<(String, String)>,
    /// The request body, sent as written (`{{ ... }}` templates work as in suites)
    #[arg(long, short = 'd')]
    body: Option<String>,
    /// Per-request timeout
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    timeout: String,
    /// Bound on the whole probe's run
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = duration)]
    case_timeout: String,
    /// Also write report files here
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
}

pub(super) fn probe(args: &ProbeArgs) -> Exit {
    let text = match suite_text(args) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::BadInput;
        }
    };
    let tls = match args.tls.options() {
        Ok(tls) => tls,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::BadInput;
        }
    };
    let mut config = Config::from_env();
    config.front_end = FrontEnd::CommandLine;
    config.tls = tls;
    config.suites = Vec::new();
    config.sources = vec![SuiteSource {
        origin: SUITE.into(),
        stem: SUITE.into(),
        text,
        dir: PathBuf::from("."),
    }];
    // Only the flags bound the probe: no thresholds file, tags or profile apply.
    config.thresholds = PathBuf::new();
    config.thresholds_named = false;
    config.tags = None;
    config.profile = None;
    config.base_url = None;
    config.report_dir = args.report_dir.clone();
    let loaded = crate::run::load(&config);
    execute(&config, loaded, "")
}

/// The one-case suite the flags describe, as JSON (which YAML reads as it is).
fn suite_text(args: &ProbeArgs) -> Result<String, String> {
    let url = reqwest::Url::parse(&args.url)
        .map_err(|e| format!("`{}` is not an absolute URL: {e}", args.url))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(format!(
            "`{}` is not an http(s) URL with a host, such as `http://127.0.0.1:8000/health`",
            args.url
        ));
    }
    let (n, c) = (args.requests, args.concurrency);
    if n % c != 0 {
        return Err(format!(
            "-n {n} is not a multiple of -c {c}: each of the {c} users sends the same number \
             of requests"
        ));
    }
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    let mut request = json!({ "method": args.method, "path": path, "timeout": args.timeout });
    if !args.header.is_empty() {
        let headers: Map<String, Value> = args
            .header
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        request["headers"] = Value::Object(headers);
    }
    if let Some(body) = &args.body {
        request["body"] = json!(body);
    }
    let mut bounds = Map::new();
    for (metric, value) in [
        ("p50", &args.p50),
        ("p95", &args.p95),
        ("p99", &args.p99),
        ("max", &args.max),
        ("error_rate", &args.error_rate),
        ("throughput", &args.throughput),
    ] {
        if let Some(value) = value {
            bounds.insert(metric.into(), json!(value));
        }
    }
    let mut case = json!({
        "name": args.method,
        "description": format!("{} {}", args.method, args.url),
        "request": request,
        "case_timeout": args.case_timeout,
    });
    if c == 1 {
        case["kind"] = json!("sequential");
        case["iterations"] = json!(n);
    } else {
        case["kind"] = json!("load");
        case["users"] = json!(c);
        case["iterations"] = json!(n / c);
    }
    if !bounds.is_empty() {
        case["thresholds"] = Value::Object(bounds);
    }
    let origin = url.origin().ascii_serialization();
    let suite = json!({ "suite": SUITE, "base_url": origin, "cases": [case] });
    serde_json::to_string_pretty(&suite).map_err(|e| e.to_string())
}

fn duration(text: &str) -> Result<String, String> {
    HumanDuration::parse(text).map(|_| text.to_string())
}

fn ratio(text: &str) -> Result<String, String> {
    Ratio::parse(text).map(|_| text.to_string())
}

fn throughput(text: &str) -> Result<String, String> {
    Throughput::parse(text).map(|_| text.to_string())
}

fn method(text: &str) -> Result<String, String> {
    let upper = text.to_ascii_uppercase();
    if !upper.is_empty() && upper.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(upper)
    } else {
        Err(format!(
            "`{text}` is not an HTTP method such as GET or POST"
        ))
    }
}

fn header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!(
            "`{text}` is not a header such as `accept: application/json`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        args: ProbeArgs,
    }

    fn suite(argv: &[&str]) -> Result<Value, String> {
        let mut all = vec!["probe"];
        all.extend(argv);
        let probe = Probe::try_parse_from(all).map_err(|e| e.to_string())?;
        let text = suite_text(&probe.args)?;
        Ok(serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn one_user_probes_sequentially() {
        let s = suite(&[
            "http://127.0.0.1:8000/health?x=1",
            "-n",
            "50",
            "--p95",
            "150ms",
        ])
        .unwrap();
        assert_eq!(s["base_url"], "http://127.0.0.1:8000");
        let case = &s["cases"][0];
        assert_eq!(case["name"], "GET");
        assert_eq!(case["kind"], "sequential");
        assert_eq!(case["iterations"], 50);
        assert_eq!(case["request"]["path"], "/health?x=1");
        assert_eq!(case["thresholds"], json!({ "p95": "150ms" }));
    }

    #[test]
    fn several_users_share_the_requests() {
        let s = suite(&[
            "https://api.example/tasks",
            "-n",
            "200",
            "-c",
            "10",
            "-X",
            "post",
            "-H",
            "content-type: application/json",
            "-d",
            "{\"title\":\"x\"}",
            "--error-rate",
            "1%",
        ])
        .unwrap();
        let case = &s["cases"][0];
        assert_eq!(
            (&case["kind"], &case["users"], &case["iterations"]),
            (&json!("load"), &json!(10), &json!(20))
        );
        assert_eq!(case["name"], "POST");
        assert_eq!(
            case["request"]["headers"]["content-type"],
            "application/json"
        );
        assert_eq!(case["request"]["body"], "{\"title\":\"x\"}");
        assert_eq!(case["thresholds"]["error_rate"], "1%");
    }

    #[test]
    fn flags_are_checked_before_anything_is_sent() {
        let err = suite(&["http://h/x", "-n", "10", "-c", "3"]).unwrap_err();
        assert!(err.contains("-n 10 is not a multiple of -c 3"), "{err}");
        let err = suite(&["/health"]).unwrap_err();
        assert!(err.contains("not an absolute URL"), "{err}");
        let err = suite(&["ftp://h/x"]).unwrap_err();
        assert!(err.contains("not an http(s) URL"), "{err}");
        let err = suite(&["http://h/x", "--p95", "fast"]).unwrap_err();
        assert!(err.contains("invalid duration `fast`"), "{err}");
        let err = suite(&["http://h/x", "-H", "no colon"]).unwrap_err();
        assert!(err.contains("is not a header"), "{err}");
    }
}
