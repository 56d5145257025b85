//! Speed of the pure core: recording and summarising 1 M requests, template rendering, suite
//! parsing.
//!
//! `cargo bench --bench core`

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loadgate::record::Series;
use loadgate::sample::{ErrorCause, Outcome, Sample};
use loadgate::stats::Summary;
use loadgate::template::{RenderContext, Scope, ValueTemplate};

fn million_samples() -> Vec<Sample> {
    // A deterministic spread of latencies (0.5 ms to ~50 ms) with 1 % errors.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..1_000_000u64)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let outcome = if i % 100 == 0 {
                Outcome::Error(ErrorCause::Status(500))
            } else {
                Outcome::Ok
            };
            Sample {
                start: Duration::from_micros(i * 10),
                latency: Duration::from_micros(500 + x % 50_000),
                outcome,
                bytes: 512,
            }
        })
        .collect()
}

/// What a virtual user does per request: one `record_ok` or `record_error`.
fn record(series: &mut Series, samples: &[Sample]) {
    for sample in samples {
        match &sample.outcome {
            Outcome::Ok => series.record_ok(sample.start, sample.latency, sample.bytes),
            Outcome::Error(cause) => {
                series.record_error(sample.start, sample.latency, cause, sample.bytes)
            }
        }
    }
}

fn recording(c: &mut Criterion) {
    let samples = million_samples();
    // Into a series already past the exact limit and spanning the 10 s: the steady state.
    let mut series = Series::new(Duration::from_secs(30));
    record(&mut series, &samples);
    c.bench_function("record 1M requests into a warm series", |b| {
        b.iter(|| record(black_box(&mut series), black_box(&samples)))
    });
    c.bench_function("record 1M requests into a new series", |b| {
        b.iter(|| {
            let mut series = Series::new(Duration::from_secs(30));
            record(&mut series, black_box(&samples));
            series
        })
    });
}

fn statistics(c: &mut Criterion) {
    let samples = million_samples();
    let mut series = Series::new(Duration::from_secs(30));
    record(&mut series, &samples);
    c.bench_function("summary of a 1M-request series", |b| {
        b.iter(|| Summary::of(black_box(&series), Duration::from_secs(10)))
    });
    let mut small = Series::new(Duration::from_secs(30));
    record(&mut small, &samples[..100_000]);
    c.bench_function(
        "summary of a 100k-request series (exact percentiles)",
        |b| b.iter(|| Summary::of(black_box(&small), Duration::from_secs(1))),
    );
}

fn templates(c: &mut Criterion) {
    let mut factories = BTreeMap::new();
    factories.insert(
        "worker".to_string(),
        serde_json::json!({
            "name": "worker-{{ seq }}-{{ random_string(6) }}",
            "capabilities": ["{{ one_of('python', 'rust') }}"],
            "max_concurrent_tasks": "{{ random_int(1, 8) }}",
        }),
    );
    let scope = Scope::new()
        .with_factories(&factories)
        .expect("factories compile");
    let body = ValueTemplate::compile(&serde_json::json!("{{ factory.worker }}"), &scope)
        .expect("template compiles");
    let vars = HashMap::new();
    let mut seq = 0;
    c.bench_function("render worker factory", |b| {
        b.iter(|| {
            seq += 1;
            let mut ctx = RenderContext::new(&scope, seq, 42, &vars);
            black_box(body.render(&mut ctx))
        })
    });
}

fn parsing(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/suites/workers.yaml"))
        .expect("suite file");
    c.bench_function("parse workers suite", |b| {
        b.iter(|| {
            loadgate::suite::parse_str(black_box(&text), "suites/workers.yaml").expect("parses")
        })
    });
}

criterion_group!(benches, recording, statistics, templates, parsing);
criterion_main!(benches);
