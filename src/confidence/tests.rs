use hdrhistogram::Histogram;

use super::*;

/// `1..=n`, so the k-th order statistic is k.
fn ranks(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

/// Interval ranks against exact binomial sums computed independently (Python's
/// `math.comb`, summing `C(n,i) q^i (1-q)^(n-i)`): the largest j with P(B <= j) <= 0.025 gives
/// l = j + 1, the smallest j with P(B <= j) >= 0.975 gives u = j + 1. n = 100, q = 0.5 is the
/// textbook median interval (X_(40), X_(61)) (Conover, table A3).
#[test]
fn order_statistic_ranks_match_exact_binomial_sums() {
    let cases: [(u64, f64, u64, Option<u64>); 6] = [
        (100, 0.5, 40, Some(61)),
        (20, 0.5, 6, Some(15)),
        (100, 0.95, 90, Some(100)),
        (1000, 0.95, 936, Some(964)),
        // 0.95^50 = 0.077 and 0.95^59 = 0.048 exceed 0.025: no upper end yet.
        (50, 0.95, 44, None),
        (59, 0.95, 52, None),
    ];
    for (n, q, low, high) in cases {
        let data = ranks(n);
        let interval = percentile_interval(Latencies::Exact(&data), q, 0.95).unwrap();
        assert_eq!(interval.low_ns, low, "n={n} q={q}");
        assert_eq!(interval.high_ns, high, "n={n} q={q}");
    }
    // 72 is the first n with 0.95^n <= 0.025.
    let data = ranks(72);
    let interval = percentile_interval(Latencies::Exact(&data), 0.95, 0.95).unwrap();
    assert_eq!((interval.low_ns, interval.high_ns), (64, Some(72)));
}

#[test]
fn histogram_intervals_hold_the_exact_ones() {
    let values: Vec<u64> = lognormal_sample(10e6, 0.5, 5000, 7);
    let mut histogram = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
    for &v in &values {
        histogram.record(v).unwrap();
    }
    for q in [0.5, 0.9, 0.95, 0.99] {
        let exact = percentile_interval(Latencies::Exact(&values), q, 0.95).unwrap();
        let binned = percentile_interval(Latencies::Histogram(&histogram), q, 0.95).unwrap();
        assert!(binned.low_ns <= exact.low_ns, "{q}: {binned:?} {exact:?}");
        let (b, e) = (binned.high_ns.unwrap(), exact.high_ns.unwrap());
        assert!(b >= e && (b - e) as f64 <= e as f64 * 0.002, "{q}: {b} {e}");
    }
}

#[test]
fn intervals_cover_the_true_percentile_at_their_level() {
    // Lognormal, median 10 ms, sigma 0.5: the true p95 is 10 ms * exp(0.5 * 1.6449).
    let truth = 10e6 * (0.5f64 * 1.644_853_6).exp();
    let trials = 1000;
    let covered = (0..trials)
        .filter(|&seed| {
            let data = lognormal_sample(10e6, 0.5, 200, seed);
            let i = percentile_interval(Latencies::Exact(&data), 0.95, 0.95).unwrap();
            (i.low_ns as f64) <= truth && i.high_ns.is_some_and(|h| h as f64 >= truth)
        })
        .count();
    assert!(covered >= 940, "covered {covered} of {trials}");
}

#[test]
fn decisions_follow_the_interval() {
    let data = lognormal_sample(10e6, 0.5, 400, 3);
    let met = judge_percentile(Latencies::Exact(&data), 0.95, 100_000_000, 0.95).unwrap();
    assert_eq!(met.1, Decision::Met);
    let missed = judge_percentile(Latencies::Exact(&data), 0.95, 10_000_000, 0.95).unwrap();
    assert_eq!(missed.1, Decision::Missed);
    // 50 requests cannot bound a p95 from above at 95 %: undecided, with an estimate; with
    // twice the estimated requests from the same service, most such runs are decided (the
    // estimate assumes the distribution stays as the first 50 showed it).
    let mut decided = 0;
    for seed in 0..20 {
        let few = lognormal_sample(10e6, 0.5, 50, 100 + seed);
        let (_, first) = judge_percentile(Latencies::Exact(&few), 0.95, 40_000_000, 0.95).unwrap();
        let Decision::Undecided { more_requests } = first else {
            panic!("{first:?}");
        };
        assert!((22..10_000).contains(&more_requests), "{more_requests}");
        let more = lognormal_sample(10e6, 0.5, 50 + 2 * more_requests as usize, 200 + seed);
        let (_, then) = judge_percentile(Latencies::Exact(&more), 0.95, 40_000_000, 0.95).unwrap();
        decided += usize::from(then == Decision::Met);
    }
    assert!(decided >= 14, "{decided} of 20");
}

#[test]
fn sequential_looks_spend_at_most_the_budget() {
    let plan = Sequential {
        confidence: 0.95,
        max_requests: 1000,
    };
    let mut looks = vec![50];
    while let Some(next) = plan.next(*looks.last().unwrap()) {
        looks.push(next);
    }
    assert_eq!(looks, [50, 100, 200, 400, 800, 1000]);
    let mut previous = 0;
    let mut spent = 0.0;
    for &n in &looks {
        spent += 1.0 - plan.look(previous, n);
        previous = n;
    }
    assert!((spent - 0.05).abs() < 1e-9, "{spent}");
    assert_eq!(plan.next(1000), None);
}

#[test]
fn percentile_regressions_are_found_and_unchanged_services_are_not() {
    let old = lognormal_sample(10e6, 0.5, 1000, 11);
    let same = lognormal_sample(10e6, 0.5, 1000, 12);
    let slower: Vec<u64> = lognormal_sample(10e6, 0.5, 1000, 13)
        .iter()
        .map(|v| v * 3 / 2)
        .collect();
    let faster: Vec<u64> = same.iter().map(|v| v / 2).collect();
    let compare = |new: &[u64]| {
        compare_percentiles(
            Latencies::Exact(&old),
            Latencies::Exact(new),
            0.95,
            0.10,
            0.95,
            2000,
            1,
        )
        .unwrap()
    };
    let unchanged = compare(&same);
    assert!(
        unchanged.low <= 1.0 && unchanged.high >= 1.0,
        "{unchanged:?}"
    );
    assert_ne!(unchanged.change, Change::Regressed);
    let worse = compare(&slower);
    assert_eq!(worse.change, Change::Regressed, "{worse:?}");
    assert!(worse.p_value < 0.01 && worse.ratio > 1.3, "{worse:?}");
    let better = compare(&faster);
    assert!(
        better.improved && better.change == Change::Within,
        "{better:?}"
    );
    // The same seed gives the same interval.
    assert_eq!(compare(&slower), worse);
    assert!(compare_percentiles(
        Latencies::Exact(&[]),
        Latencies::Exact(&old),
        0.95,
        0.1,
        0.95,
        100,
        1
    )
    .is_none());
}

#[test]
fn means_and_rates_compare_by_hand_computed_intervals() {
    // Log ratio ln(1.2) = 0.1823; se = sqrt(0.25/100 + 0.25/100) = 0.0707; 95 %: +-0.1386.
    let old = Moments {
        n: 100,
        mean_ns: 10e6,
        stddev_ns: 5e6,
    };
    let new = Moments {
        mean_ns: 12e6,
        stddev_ns: 6e6,
        ..old
    };
    let c = compare_means(old, new, 0.10, 0.95).unwrap();
    assert!((c.ratio - 1.2).abs() < 1e-12);
    assert!((c.low - (0.1823 - 0.1386f64).exp()).abs() < 1e-3, "{c:?}");
    assert!((c.high - (0.1823 + 0.1386f64).exp()).abs() < 1e-3, "{c:?}");
    assert!(matches!(c.change, Change::Undecided { .. }), "{c:?}");
    // 1000 vs 800 requests in 10 s: ratio 0.8, se = sqrt(1/1000 + 1/800) = 0.0474.
    let r = compare_rates(1000, 10.0, 800, 10.0, -0.10, 0.95).unwrap();
    assert!((r.ratio - 0.8).abs() < 1e-12);
    assert_eq!(r.change, Change::Regressed, "{r:?}");
    assert!(r.p_value < 0.01, "{r:?}");
    let same = compare_rates(100_000, 10.0, 100_000, 10.0, -0.10, 0.95).unwrap();
    assert_eq!(same.change, Change::Within);
}

#[test]
fn odd_inputs_never_panic() {
    let one = [5u64];
    let equal = [7u64; 30];
    for data in [&one[..], &equal[..], &[][..]] {
        for q in [0.0, 0.5, 1.0, f64::NAN] {
            for c in [0.0, 0.95, 1.0, f64::NAN] {
                let _ = percentile_interval(Latencies::Exact(data), q, c);
                let _ = judge_percentile(Latencies::Exact(data), q, 6, c);
                let _ = compare_percentiles(
                    Latencies::Exact(data),
                    Latencies::Exact(data),
                    q,
                    0.1,
                    c,
                    100,
                    0,
                );
            }
        }
    }
    let zero = Moments {
        n: 0,
        mean_ns: 0.0,
        stddev_ns: 0.0,
    };
    assert!(compare_means(zero, zero, 0.1, 0.95).is_none());
    assert!(compare_rates(0, 0.0, 5, 1.0, -0.1, 0.95).is_none());
    let plan = Sequential {
        confidence: 0.95,
        max_requests: 0,
    };
    assert_eq!(plan.next(0), None);
    assert!(plan.look(0, 0) < 1.0);
}
