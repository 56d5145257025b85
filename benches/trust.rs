//! How far the gates can be trusted: each gate run many times on synthetic latencies with fixed
//! seeds, printing how often an unchanged service fails (false failures), how often a real
//! +20 % p95 is caught (detection), and the requests spent, beside the naive gates' figures
//! from the same samples.
//!
//!   cargo bench --bench trust
//!
//! Distributions: lognormal with median 10 ms and sigma 0.5 (a typical web service), and
//! lognormal with sigma 1.0 (a heavy right tail). Absolute gate: the bound is the true p95
//! plus 10 %. Regression gate: a tolerance of +10 % on p95 against a baseline of the same size.

use loadgate::confidence::{
    compare_percentiles, judge_percentile, lognormal_sample, Change, Decision, Latencies,
    Sequential,
};
use loadgate::stats::percentile;

const REPEATS: u64 = 2000;
const REGRESSION_REPEATS: u64 = 1000;
const MEDIAN_NS: f64 = 10e6;
const CONFIDENCE: f64 = 0.95;
const MAX_REQUESTS: u64 = 2000;
const START: u64 = 50;

fn p95(values: &[u64]) -> f64 {
    let mut v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
    percentile(&mut v, 95.0).unwrap_or(0.0)
}

fn sample(sigma: f64, scale: f64, n: u64, seed: u64) -> Vec<u64> {
    lognormal_sample(MEDIAN_NS * scale, sigma, n as usize, seed)
}

/// Outcome of one gated run: failed, undecided, and requests spent (per side).
struct Run {
    failed: bool,
    undecided: bool,
    requests: u64,
}

/// One gate at a fixed number of requests, at the gate's confidence. `judge(n, confidence)`
/// says whether the first `n` requests fail the gate and whether they leave it undecided.
fn fixed(n: u64, judge: impl FnOnce(u64, f64) -> (bool, bool)) -> Run {
    let (failed, undecided) = judge(n, CONFIDENCE);
    Run {
        failed,
        undecided,
        requests: n,
    }
}

/// One gate run adaptively: looks at START, then doubling request counts up to MAX_REQUESTS,
/// each at the level the alpha spending allows, until `judge` decides.
fn adaptive(mut judge: impl FnMut(u64, f64) -> (bool, bool)) -> Run {
    let plan = Sequential {
        confidence: CONFIDENCE,
        max_requests: MAX_REQUESTS,
    };
    let (mut previous, mut n) = (0, START);
    loop {
        let (failed, undecided) = judge(n, plan.look(previous, n));
        match plan.next(n).filter(|_| undecided) {
            Some(next) => (previous, n) = (n, next),
            None => {
                return Run {
                    failed,
                    undecided,
                    requests: n,
                }
            }
        }
    }
}

fn absolute(sigma: f64, scale: f64, n: Option<u64>, bound: u64, seed: u64) -> (bool, Run) {
    let judge = |data: &[u64], level: f64| {
        let (_, d) = judge_percentile(Latencies::Exact(data), 0.95, bound, level).unwrap();
        (
            d == Decision::Missed,
            matches!(d, Decision::Undecided { .. }),
        )
    };
    match n {
        Some(n) => {
            let data = sample(sigma, scale, n, seed);
            let naive = p95(&data) > bound as f64;
            (naive, fixed(n, |_, level| judge(&data, level)))
        }
        None => {
            let all = sample(sigma, scale, MAX_REQUESTS, seed);
            let naive = p95(&all[..START as usize]) > bound as f64;
            (naive, adaptive(|n, level| judge(&all[..n as usize], level)))
        }
    }
}

fn regression(sigma: f64, scale: f64, n: Option<u64>, seed: u64) -> (bool, Run) {
    let old_all = sample(sigma, 1.0, MAX_REQUESTS, seed);
    let new_all = sample(sigma, scale, MAX_REQUESTS, seed + 1_000_000);
    let judge = |n: u64, level: f64| {
        let change = compare_percentiles(
            Latencies::Exact(&old_all[..n as usize]),
            Latencies::Exact(&new_all[..n as usize]),
            0.95,
            0.10,
            level,
            1000,
            seed,
        )
        .unwrap()
        .change;
        (
            change == Change::Regressed,
            matches!(change, Change::Undecided { .. }),
        )
    };
    let first = n.unwrap_or(START) as usize;
    let naive = p95(&new_all[..first]) > p95(&old_all[..first]) * 1.10;
    let run = match n {
        Some(n) => fixed(n, judge),
        None => adaptive(judge),
    };
    (naive, run)
}

/// Rates over `repeats` runs: naive failures, gate failures, undecided, mean requests.
fn tally(repeats: u64, mut one: impl FnMut(u64) -> (bool, Run)) -> (f64, f64, f64, f64) {
    let (mut naive, mut failed, mut undecided, mut requests) = (0u64, 0u64, 0u64, 0u64);
    for seed in 0..repeats {
        let (n, run) = one(seed);
        naive += u64::from(n);
        failed += u64::from(run.failed);
        undecided += u64::from(run.undecided);
        requests += run.requests;
    }
    let pct = |x: u64| 100.0 * x as f64 / repeats as f64;
    (
        pct(naive),
        pct(failed),
        pct(undecided),
        requests as f64 / repeats as f64,
    )
}

fn label(n: Option<u64>) -> String {
    n.map_or(format!("adaptive ({START}..{MAX_REQUESTS})"), |n| {
        n.to_string()
    })
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read.
    let sizes = [Some(10), Some(20), Some(50), Some(100), Some(1000), None];
    println!(
        "## Absolute bound: p95 <= true p95 + 10 %, {REPEATS} runs per row, 95 % confidence\n"
    );
    println!("| distribution | n | naive false failures | gate false failures | gate inconclusive | naive detects +20 % | gate detects +20 % | gate inconclusive at +20 % | mean requests |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, sigma) in [("lognormal sigma 0.5", 0.5), ("lognormal sigma 1.0", 1.0)] {
        let true_p95 = MEDIAN_NS * (sigma * 1.644_853_6f64).exp();
        let bound = (true_p95 * 1.10) as u64;
        for n in sizes {
            let (naive_ff, ff, inc, req) =
                tally(REPEATS, |seed| absolute(sigma, 1.0, n, bound, seed));
            let (naive_det, det, inc_det, _) = tally(REPEATS, |seed| {
                absolute(sigma, 1.2, n, bound, 50_000 + seed)
            });
            println!(
                "| {name} | {} | {naive_ff:.1} % | {ff:.2} % | {inc:.1} % | {naive_det:.1} % | {det:.1} % | {inc_det:.1} % | {req:.0} |",
                label(n)
            );
        }
    }
    println!("\n## Regression: p95 may grow 10 %, {REGRESSION_REPEATS} runs per row, 95 % confidence, n per side\n");
    println!("| distribution | n per side | naive false failures | gate false failures | naive detects +20 % | gate detects +20 % | gate inconclusive at +20 % | mean requests per side (no change / +20 %) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, sigma) in [("lognormal sigma 0.5", 0.5), ("lognormal sigma 1.0", 1.0)] {
        for n in [Some(50), Some(100), Some(1000), None] {
            let (naive_ff, ff, _, req0) =
                tally(REGRESSION_REPEATS, |seed| regression(sigma, 1.0, n, seed));
            let (naive_det, det, inc, req1) = tally(REGRESSION_REPEATS, |seed| {
                regression(sigma, 1.2, n, 70_000 + seed)
            });
            println!(
                "| {name} | {} | {naive_ff:.1} % | {ff:.2} % | {naive_det:.1} % | {det:.1} % | {inc:.1} % | {req0:.0} / {req1:.0} |",
                label(n)
            );
        }
    }
}
