//! Samples -> summary: counts, error causes, latency statistics, throughput and wall time.
//!
//! Latency statistics use only successful samples; an error's latency says little about the
//! service's speed (a refused connection is fast, a timeout is the timeout).
//!
//! Percentiles follow statrs's `OrderStatistics::quantile`, which is Hyndman & Fan (1996)
//! definition 8 (R's `quantile(type = 8)`, numpy's `method="median_unbiased"`): for `n` sorted
//! values `x[1..=n]` and a fraction `p`, `h = (n + 1/3) p + 1/3`, and the percentile interpolates
//! linearly between `x[floor(h)]` and `x[floor(h) + 1]`, clamped to the minimum and maximum. It is
//! approximately median-unbiased whatever the distribution, and with one sample every
//! percentile is that sample.

use std::collections::BTreeMap;
use std::time::Duration;

use statrs::statistics::{Data, OrderStatistics, Statistics};

use crate::sample::{Outcome, Samples};

/// What one case's measured span amounts to; the input to a verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Every measured request, successful or not.
    pub requests: usize,
    /// Requests that met every expectation.
    pub ok: usize,
    /// Requests that count as errors.
    pub errors: usize,
    /// Error count per cause, keyed by the cause's `Display` (`status 500`, `timeout`).
    pub error_causes: BTreeMap<String, usize>,
    /// Latency statistics over successful requests; `None` when none succeeded.
    pub latency: Option<Latency>,
    /// All requests divided by elapsed seconds; `None` when the elapsed time is zero.
    pub throughput: Option<f64>,
    /// The slowest round's wall time; `None` when the case has no rounds.
    pub wall: Option<Duration>,
    /// The whole measured span.
    pub elapsed: Duration,
}

/// Latency statistics over successful requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Latency {
    /// Fastest request.
    pub min: Duration,
    /// Arithmetic mean.
    pub mean: Duration,
    /// Median (Hyndman & Fan definition 8, like every percentile here).
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest request.
    pub max: Duration,
    /// Sample standard deviation (divides by `n - 1`); zero for a single sample.
    pub stddev: Duration,
}

impl Summary {
    /// Summarises one case's samples.
    pub fn from_samples(samples: &Samples) -> Self {
        let mut error_causes = BTreeMap::new();
        let mut ok_nanos = Vec::with_capacity(samples.requests.len());
        for sample in &samples.requests {
            match &sample.outcome {
                Outcome::Ok => ok_nanos.push(sample.latency.as_nanos() as f64),
                Outcome::Error(cause) => *error_causes.entry(cause.to_string()).or_insert(0) += 1,
            }
        }
        let requests = samples.requests.len();
        let ok = ok_nanos.len();
        let elapsed_secs = samples.elapsed.as_secs_f64();
        Summary {
            requests,
            ok,
            errors: requests - ok,
            error_causes,
            latency: Latency::from_nanos(ok_nanos),
            throughput: (elapsed_secs > 0.0).then(|| requests as f64 / elapsed_secs),
            wall: samples.rounds.iter().max().copied(),
            elapsed: samples.elapsed,
        }
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
    /// Statistics over latencies in nanoseconds; `None` when there are none.
    fn from_nanos(nanos: Vec<f64>) -> Option<Self> {
        if nanos.is_empty() {
            return None;
        }
        let mean = nanos.iter().mean();
        let stddev = if nanos.len() > 1 {
            nanos.iter().std_dev()
        } else {
            0.0
        };
        // One `Data` for every percentile: each selection leaves the values partitioned around
        // its rank, so later selections work on nearly ordered data instead of starting over.
        let mut data = Data::new(nanos);
        let mut at = |p: f64| to_duration(data.quantile(p / 100.0));
        let (p50, p90, p95, p99) = (at(50.0), at(90.0), at(95.0), at(99.0));
        Some(Latency {
            min: to_duration(Statistics::min(data.iter())),
            mean: to_duration(mean),
            p50,
            p90,
            p95,
            p99,
            max: to_duration(Statistics::max(data.iter())),
            stddev: to_duration(stddev),
        })
    }
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
    use super::*;
    use crate::sample::{ErrorCause, Sample};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ok(latency: Duration) -> Sample {
        Sample {
            start: Duration::ZERO,
            latency,
            outcome: Outcome::Ok,
        }
    }

    fn failed(latency: Duration, cause: ErrorCause) -> Sample {
        Sample {
            start: Duration::ZERO,
            latency,
            outcome: Outcome::Error(cause),
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
        assert_eq!(s.error_causes.get("status 500"), Some(&2));
        assert_eq!(s.error_causes.get("timeout"), Some(&1));
        assert_eq!(s.error_rate(), 0.5);
        let lat = s.latency.unwrap();
        assert_eq!(
            (lat.min, lat.max, lat.mean, lat.p50),
            (ms(10), ms(30), ms(20), ms(20))
        );
        assert_eq!(lat.stddev, ms(10));
        assert_eq!(s.throughput, Some(3.0));
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
        // Takes tens of milliseconds in debug builds; the margin is for slow CI machines.
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "took {:?}",
            start.elapsed()
        );
        let lat = s.latency.unwrap();
        assert!(lat.p50 > ms(490) && lat.p50 < ms(510), "p50 {:?}", lat.p50);
        assert!(lat.p99 > ms(980) && lat.p99 < ms(1000), "p99 {:?}", lat.p99);
    }
}
