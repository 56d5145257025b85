//! Speed of the pure core: statistics over 1 M samples, template rendering, suite parsing.
//!
//! `cargo bench --bench core`

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loadgate::sample::{ErrorCause, Outcome, Sample, Samples};
use loadgate::stats::Summary;
use loadgate::template::{RenderContext, Scope, ValueTemplate};

fn million_samples() -> Samples {
    // A deterministic spread of latencies (0.5 ms to ~50 ms) with 1 % errors.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let requests = (0..1_000_000u64)
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
            }
        })
        .collect();
    Samples {
        requests,
        rounds: vec![],
        elapsed: Duration::from_secs(10),
    }
}

fn statistics(c: &mut Criterion) {
    let samples = million_samples();
    c.bench_function("summary of 1M samples", |b| {
        b.iter(|| Summary::from_samples(black_box(&samples)))
    });
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

criterion_group!(benches, statistics, templates, parsing);
criterion_main!(benches);
