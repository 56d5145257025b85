//! Recorded series -> summary: counts, error causes, latency statistics, throughput and wall time.
//!
//! Latency statistics use only successful requests; an error's latency says little about the
//! service's speed (a refused connection is fast, a timeout is the timeout).
//!
//! Minimum, maximum, mean and standard deviation are always exact: a [`Series`] keeps the exact
//! extremes and integer sums of nanoseconds and their squares. Percentiles are exact while the
//! series still holds every latency (up to [`EXACT_LIMIT`](crate::record::EXACT_LIMIT)
//! successes) and come from its HDR histogram past that; [`Precision`] says which.
//!
//! Exact percentiles follow statrs's `OrderStatistics::quantile`, which is Hyndman & Fan (1996)
//! definition 8 (R's `quantile(type = 8)`, numpy's `method="median_unbiased"`): for `n` sorted
//! values `x[1..=n]` and a fraction `p`, `h = (n + 1/3) p + 1/3`, and the percentile interpolates
//! linearly between `x[floor(h)]` and `x[floor(h) + 1]`, clamped to the minimum and maximum. It is
//! approximately median-unbiased whatever the distribution, and with one sample every
//! percentile is that sample. Histogram percentiles are HDR's: the highest value equivalent to
//! the nearest-rank latency, so at or above it by less than one bucket (0.1 % of the value, or
//! 512 ns below about 0.5 ms), clamped to the exact minimum and maximum.
//!
//! Serialized durations are integer nanoseconds, in fields named `*_ns`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use statrs::statistics::{Data, OrderStatistics};

use crate::record::{Series, SIGNIFICANT_DIGITS};
use crate::sample::ErrorCause;
use crate::units::nanos;

/// What one case's measured span amounts to; the input to a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Every measured request, successful or not.
    pub requests: u64,
    /// Requests that met every expectation.
    pub ok: u64,
    /// Requests that count as errors.
    pub errors: u64,
    /// Error count per cause, most frequent first, then by cause.
    pub error_causes: Vec<(ErrorCause, u64)>,
    /// Errors not listed in `error_causes`: their cause arrived after the series had counted
    /// [`MAX_CAUSES`](crate::record::MAX_CAUSES) distinct causes.
    pub other_causes: u64,
    /// Latency statistics over successful requests; `None` when none succeeded.
    pub latency: Option<Latency>,
    /// Successful requests per elapsed second: the rate the target served. A failed request
    /// was not served, so a case whose every request failed has a throughput of 0, not the rate
    /// at which it was refused. `None` when the elapsed time is zero.
    pub throughput: Option<f64>,
    /// The slowest round's wall time; `None` when the case has no rounds.
    #[serde(rename = "wall_ns", with = "nanos::option")]
    pub wall: Option<Duration>,
    /// The widest release spread of a round (first send to last send): how nearly "at once"
    /// a concurrent round or a burst really was; `None` when the case has no rounds.
    #[serde(rename = "release_spread_ns", default, with = "nanos::option")]
    pub release_spread: Option<Duration>,
    /// The whole measured span.
    #[serde(rename = "elapsed_ns", with = "nanos")]
    pub elapsed: Duration,
    /// Response bytes received, all requests.
    pub bytes: u64,
}

/// Latency statistics over successful requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Fastest request, exact.
    #[serde(rename = "min_ns", with = "nanos")]
    pub min: Duration,
    /// Arithmetic mean, exact (rounded to the nanosecond).
    #[serde(rename = "mean_ns", with = "nanos")]
    pub mean: Duration,
    /// Median; see `precision`.
    #[serde(rename = "p50_ns", with = "nanos")]
    pub p50: Duration,
    /// 90th percentile.
    #[serde(rename = "p90_ns", with = "nanos")]
    pub p90: Duration,
    /// 95th percentile.
    #[serde(rename = "p95_ns", with = "nanos")]
    pub p95: Duration,
    /// 99th percentile.
    #[serde(rename = "p99_ns", with = "nanos")]
    pub p99: Duration,
    /// Slowest request, exact.
    #[serde(rename = "max_ns", with = "nanos")]
    pub max: Duration,
    /// Sample standard deviation (divides by `n - 1`), exact; zero for a single sample.
    #[serde(rename = "stddev_ns", with = "nanos")]
    pub stddev: Duration,
    /// How exact the percentiles are.
    pub precision: Precision,
}

/// How the percentiles of a [`Latency`] were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Precision {
    /// From every latency, by Hyndman & Fan definition 8.
    Exact,
    /// From the HDR histogram, to this many significant decimal digits (and 512 ns at least:
    /// the histogram tells 1 us apart).
    Histogram {
        /// Significant decimal digits (3: within 0.1 %).
        significant_digits: u8,
    },
}

impl Summary {
    /// Summarises one series over a measured span of `elapsed`.
    pub fn of(series: &Series, elapsed: Duration) -> Self {
        let elapsed_secs = elapsed.as_secs_f64();
        Summary {
            requests: series.requests(),
            ok: series.ok(),
            errors: series.errors(),
            error_causes: series
                .causes()
                .into_iter()
                .map(|(cause, n)| (cause.clone(), n))
                .collect(),
            other_causes: series.other_causes(),
            latency: Latency::of(series),
            throughput: (elapsed_secs > 0.0).then(|| series.ok() as f64 / elapsed_secs),
            wall: series.slowest_round(),
            release_spread: series.widest_spread(),
            elapsed,
            bytes: series.bytes(),
        }
    }

    /// Summarises a part of a case (a journey step, a request name) over the time its own
    /// requests were active, so its rate is its own and not the case's.
    pub fn of_part(series: &Series) -> Self {
        Summary::of(series, series.active_span().unwrap_or_default())
    }

    /// Errors divided by requests; 0 when there were no requests.
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }
}

impl Latency {
    /// Statistics over the series' successful latencies; `None` when there are none.
    fn of(series: &Series) -> Option<Self> {
        let (min, max) = (series.min()?, series.max()?);
        let n = u128::from(series.ok());
        let sum = series.sum_nanos();
        let mean = Duration::from_nanos(u64::try_from((sum + n / 2) / n).unwrap_or(u64::MAX));
        let stddev = to_duration(sample_stddev(n, sum, series.sum_squared_nanos()));
        let (p50, p90, p95, p99, precision) = match series.exact_nanos() {
            Some(exact) => {
                let mut values: Vec<f64> = exact.iter().map(|&ns| ns as f64).collect();
                let mut at = |p: f64| percentile(&mut values, p).map(to_duration);
                (at(50.0)?, at(90.0)?, at(95.0)?, at(99.0)?, Precision::Exact)
            }
            None => {
                let histogram = series.histogram();
                let at = |p: f64| {
                    Duration::from_nanos(histogram.value_at_quantile(p / 100.0)).clamp(min, max)
                };
                let precision = Precision::Histogram {
                    significant_digits: SIGNIFICANT_DIGITS,
                };
                (at(50.0), at(90.0), at(95.0), at(99.0), precision)
            }
        };
        Some(Latency {
            min,
            mean,
            p50,
            p90,
            p95,
            p99,
            max,
            stddev,
            precision,
        })
    }
}

/// Sample standard deviation in nanoseconds from `n` values, their sum and their sum of
/// squares; 0 for fewer than two values.
///
/// `n * sum_sq - sum^2` can overflow `u128`, and `sum_sq - sum^2 / n` in floating point loses the
/// deviation when it is small next to the mean. With `sum = q n + r`, `sum^2 / n = q (sum + r) +
/// r^2 / n`, so the sum of squared deviations is `sum_sq - q (sum + r)` in exact integers minus a
/// fraction below `n`.
fn sample_stddev(n: u128, sum: u128, sum_sq: u128) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let (q, r) = (sum / n, sum % n);
    let squared_deviations = match sum.checked_add(r).and_then(|s| q.checked_mul(s)) {
        Some(whole) => sum_sq.saturating_sub(whole) as f64 - (r * r) as f64 / n as f64,
        None => sum_sq as f64 - (sum as f64).powi(2) / n as f64,
    };
    (squared_deviations.max(0.0) / (n - 1) as f64).sqrt()
}

/// The `p`-th percentile (`0..=100`) of `values`, by Hyndman & Fan definition 8 (statrs's
/// `quantile`, numpy's `median_unbiased`); see the module documentation.
///
/// Reorders `values` in place (partial selection, not a full sort), so repeated calls on the same
/// slice get cheaper. `None` when `values` is empty, contains NaN, or `p` is outside `0..=100`.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    // statrs's selection assumes totally ordered values; NaN would break its scan.
    if values.is_empty() || !(0.0..=100.0).contains(&p) || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(Data::new(values).quantile(p / 100.0))
}

/// Nanoseconds as a duration; the inputs are finite and non-negative, and `as` saturates anyway.
fn to_duration(nanos: f64) -> Duration {
    Duration::from_nanos(nanos.round() as u64)
}

#[cfg(test)]
mod tests {

    /// Samples as the executors once kept them, to test summaries of known latencies.
    #[derive(Default)]
    struct Samples {
        requests: Vec<Sample>,
        rounds: Vec<Duration>,
        elapsed: Duration,
    }

    impl Summary {
        /// Summarises one case's samples by recording them into a [`Series`] first.
        fn from_samples(samples: &Samples) -> Self {
            let max = samples.requests.iter().map(|s| s.latency).max();
            let mut series = Series::new(max.unwrap_or_default());
            for sample in &samples.requests {
                match &sample.outcome {
                    Outcome::Ok => series.record_ok(sample.start, sample.latency, 0),
                    Outcome::Error(cause) => {
                        series.record_error(sample.start, sample.latency, cause, 0)
                    }
                }
            }
            for &wall in &samples.rounds {
                series.record_round(wall, Duration::ZERO);
            }
            Summary::of(&series, samples.elapsed)
        }
    }

    use super::*;
    use crate::sample::{ErrorCause, Outcome, Sample};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ok(latency: Duration) -> Sample {
        Sample {
            start: Duration::ZERO,
            latency,
            outcome: Outcome::Ok,
            bytes: 0,
        }
    }

    fn failed(latency: Duration, cause: ErrorCause) -> Sample {
        Sample {
            start: Duration::ZERO,
            latency,
            outcome: Outcome::Error(cause),
            bytes: 0,
        }
    }

    #[test]
    fn percentiles_match_numpy_median_unbiased() {
        let values = [
            12.0, 7.5, 3.0, 44.0, 19.25, 8.0, 8.0, 101.0, 15.5, 2.0, 61.0, 33.3, 27.0,
        ];
        // python3 -c "import numpy as np; v=[12.0,7.5,3.0,44.0,19.25,8.0,8.0,101.0,15.5,2.0,61.0,33.3,27.0]; print([float(np.percentile(v, p, method='median_unbiased')) for p in (0,1,10,25,50,90,95,99,100)])"
        let expected = [
            (0.0, 2.0),
            (1.0, 2.0),
            (10.0, 2.666666666666667),
            (25.0, 7.833333333333333),
            (50.0, 15.5),
            (90.0, 74.33333333333336),
            (95.0, 101.0),
            (99.0, 101.0),
            (100.0, 101.0),
        ];
        for (p, want) in expected {
            let mut v = values;
            let got = percentile(&mut v, p).unwrap();
            assert!((got - want).abs() < 1e-9, "p{p}: got {got}, numpy {want}");
        }
    }

    #[test]
    fn percentiles_of_even_count_match_numpy() {
        // python3 -c "import numpy as np; v=list(range(1,101)); print([float(np.percentile(v, p, method='median_unbiased')) for p in (50,90,95,99)])"
        let expected = [
            (50.0, 50.5),
            (90.0, 90.63333333333334),
            (95.0, 95.65),
            (99.0, 99.66333333333333),
        ];
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        for (p, want) in expected {
            let got = percentile(&mut values.clone(), p).unwrap();
            assert!((got - want).abs() < 1e-9, "p{p}: got {got}, numpy {want}");
        }
    }

    #[test]
    fn percentile_refuses_what_it_cannot_answer() {
        assert_eq!(percentile(&mut [], 50.0), None);
        assert_eq!(percentile(&mut [1.0], 101.0), None);
        assert_eq!(percentile(&mut [1.0], -1.0), None);
        assert_eq!(percentile(&mut [1.0, f64::NAN, 3.0], 50.0), None);
        assert_eq!(percentile(&mut [4.0], 99.0), Some(4.0));
    }

    #[test]
    fn latency_comes_from_ok_samples_and_errors_are_counted_by_cause() {
        let samples = Samples {
            requests: vec![
                ok(ms(10)),
                failed(ms(1), ErrorCause::Status(500)),
                ok(ms(20)),
                failed(ms(5000), ErrorCause::Timeout),
                ok(ms(30)),
                failed(ms(2), ErrorCause::Status(500)),
            ],
            rounds: vec![],
            elapsed: ms(2000),
        };
        let s = Summary::from_samples(&samples);
        assert_eq!((s.requests, s.ok, s.errors), (6, 3, 3));
        assert_eq!(
            s.error_causes,
            [(ErrorCause::Status(500), 2), (ErrorCause::Timeout, 1)]
        );
        assert_eq!(s.other_causes, 0);
        assert_eq!(s.error_rate(), 0.5);
        let lat = s.latency.unwrap();
        assert_eq!(
            (lat.min, lat.max, lat.mean, lat.p50),
            (ms(10), ms(30), ms(20), ms(20))
        );
        assert_eq!(lat.stddev, ms(10));
        assert_eq!(lat.precision, Precision::Exact);
        // Three of six requests were served in two seconds.
        assert_eq!(s.throughput, Some(1.5));
        assert_eq!(s.wall, None);
    }

    #[test]
    fn single_sample_has_zero_stddev() {
        let samples = Samples {
            requests: vec![ok(ms(7))],
            rounds: vec![],
            elapsed: ms(7),
        };
        let lat = Summary::from_samples(&samples).latency.unwrap();
        assert_eq!(lat.stddev, Duration::ZERO);
        assert_eq!(
            (lat.p50, lat.p99, lat.min, lat.max),
            (ms(7), ms(7), ms(7), ms(7))
        );
    }

    #[test]
    fn all_errors_leave_no_latency() {
        let samples = Samples {
            requests: vec![failed(ms(1), ErrorCause::ConnectionRefused)],
            rounds: vec![],
            elapsed: ms(1),
        };
        let s = Summary::from_samples(&samples);
        assert_eq!(s.latency, None);
        assert_eq!(s.error_rate(), 1.0);
    }

    #[test]
    fn throughput_and_wall() {
        let samples = Samples {
            requests: (0..50).map(|_| ok(ms(5))).collect(),
            rounds: vec![ms(300), ms(900), ms(450)],
            elapsed: ms(2500),
        };
        let s = Summary::from_samples(&samples);
        assert_eq!(s.throughput, Some(20.0));
        assert_eq!(s.wall, Some(ms(900)));

        let empty = Summary::from_samples(&Samples::default());
        assert_eq!(
            (empty.requests, empty.throughput, empty.wall),
            (0, None, None)
        );
        assert_eq!(empty.error_rate(), 0.0);
    }

    #[test]
    fn summarises_a_million_samples_quickly() {
        // A deterministic spread of latencies between 1ms and ~1s.
        let requests = (0..1_000_000u64)
            .map(|i| ok(Duration::from_micros(1_000 + (i * 7_919) % 1_000_000)))
            .collect();
        let samples = Samples {
            requests,
            rounds: vec![],
            elapsed: ms(60_000),
        };
        let start = std::time::Instant::now();
        let s = Summary::from_samples(&samples);
        // A fraction of a second in debug builds; the margin is for slow CI machines.
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "took {:?}",
            start.elapsed()
        );
        let lat = s.latency.unwrap();
        assert!(lat.p50 > ms(490) && lat.p50 < ms(510), "p50 {:?}", lat.p50);
        assert!(lat.p99 > ms(980) && lat.p99 < ms(1000), "p99 {:?}", lat.p99);
    }

    /// Seeded lognormal latencies around 20 ms (sigma 0.6), via Box-Muller.
    pub(crate) fn lognormal_nanos(n: usize, seed: u64) -> Vec<u64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let (u1, u2): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (20e6f64.ln() + 0.6 * z).exp() as u64
            })
            .collect()
    }

    #[test]
    fn exact_percentiles_of_a_series_match_numpy() {
        // The numpy values of `percentiles_match_numpy_median_unbiased`, in ms, recorded as ns.
        let values: [f64; 13] = [
            12.0, 7.5, 3.0, 44.0, 19.25, 8.0, 8.0, 101.0, 15.5, 2.0, 61.0, 33.3, 27.0,
        ];
        let mut series = Series::new(Duration::from_secs(1));
        for v in values {
            series.record_ok(
                Duration::ZERO,
                Duration::from_nanos((v * 1e6).round() as u64),
                0,
            );
        }
        let lat = Summary::of(&series, ms(1)).latency.unwrap();
        let ns = Duration::from_nanos;
        assert_eq!(lat.precision, Precision::Exact);
        assert_eq!(lat.p50, ns(15_500_000));
        assert_eq!(lat.p90, ns(74_333_333));
        assert_eq!((lat.p95, lat.p99, lat.max), (ms(101), ms(101), ms(101)));
        assert_eq!(lat.min, ms(2));
        // python3 -c "import statistics as s; v=[...]; print(s.mean(v), s.stdev(v))"
        // 26.27307692307692 28.393636430432608
        assert_eq!(lat.mean, ns(26_273_077));
        assert_eq!(lat.stddev.as_micros(), 28_393);
    }

    #[test]
    fn histogram_percentiles_are_within_three_digits_of_exact() {
        let nanos = lognormal_nanos(1_000_000, 7);
        let mut series = Series::new(Duration::from_secs(10));
        for &n in &nanos {
            series.record_ok(Duration::ZERO, Duration::from_nanos(n), 0);
        }
        let lat = Summary::of(&series, Duration::from_secs(60))
            .latency
            .unwrap();
        assert_eq!(
            lat.precision,
            Precision::Histogram {
                significant_digits: 3
            }
        );
        let mut exact: Vec<f64> = nanos.iter().map(|&n| n as f64).collect();
        for (p, got) in [
            (50.0, lat.p50),
            (90.0, lat.p90),
            (95.0, lat.p95),
            (99.0, lat.p99),
        ] {
            let want = percentile(&mut exact, p).unwrap();
            let error = (got.as_nanos() as f64 - want).abs() / want;
            assert!(
                error <= 1e-3,
                "p{p}: {got:?} vs exact {want} ns ({error:e})"
            );
        }
        // Mean, deviation and extremes never depend on the histogram.
        let mean = exact.iter().sum::<f64>() / exact.len() as f64;
        let var = exact.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (exact.len() - 1) as f64;
        assert!((lat.mean.as_nanos() as f64 - mean).abs() <= 1.0);
        assert!((lat.stddev.as_nanos() as f64 - var.sqrt()).abs() <= 1.0);
        assert_eq!(lat.max.as_nanos(), u128::from(*nanos.iter().max().unwrap()));
        assert_eq!(lat.min.as_nanos(), u128::from(*nanos.iter().min().unwrap()));
    }

    #[test]
    fn stddev_stays_exact_when_the_mean_dwarfs_it() {
        // 10 s latencies one nanosecond apart: f64 sums of squares (1e20) cannot see a 1 ns spread.
        let (a, b) = (10_000_000_000u128, 10_000_000_002u128);
        let (sum, sum_sq) = (2 * (a + b), 2 * (a * a + b * b));
        let sd = sample_stddev(4, sum, sum_sq);
        assert!((sd - (4.0f64 / 3.0).sqrt()).abs() < 1e-9, "{sd}");
        assert_eq!(sample_stddev(1, a, a * a), 0.0);
    }

    #[test]
    fn summary_round_trips_through_json_with_durations_in_nanoseconds() {
        let samples = Samples {
            requests: vec![
                ok(ms(10)),
                ok(ms(30)),
                failed(
                    ms(1),
                    ErrorCause::Step("login".into(), Box::new(ErrorCause::Status(401))),
                ),
            ],
            rounds: vec![ms(40)],
            elapsed: ms(500),
        };
        let summary = Summary::from_samples(&samples);
        let json = serde_json::to_string(&summary).unwrap();
        assert!(json.contains(r#""p50_ns":20000000"#), "{json}");
        assert!(json.contains(r#""wall_ns":40000000"#), "{json}");
        assert!(json.contains(r#""precision":{"kind":"exact"}"#), "{json}");
        assert!(
            json.contains(r#"[{"step":["login",{"status":401}]},1]"#),
            "{json}"
        );
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, summary);

        let none = Summary::from_samples(&Samples::default());
        let back: Summary = serde_json::from_str(&serde_json::to_string(&none).unwrap()).unwrap();
        assert_eq!(back, none);
    }
}
