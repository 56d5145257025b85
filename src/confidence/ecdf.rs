//! The empirical distribution of a series, read by rank: sorted values, or a histogram's
//! buckets with their cumulative counts.

use super::Latencies;

/// Values by rank, 1-based.
pub(super) enum Ecdf {
    /// Every value, ascending.
    Sorted(Vec<u64>),
    /// Per non-empty bucket: the cumulative count through it, and its lowest and highest value.
    Buckets(Vec<(u64, u64, u64)>),
}

impl Ecdf {
    pub(super) fn of(data: Latencies) -> Self {
        match data {
            Latencies::Exact(values) => {
                let mut sorted = values.to_vec();
                sorted.sort_unstable();
                Ecdf::Sorted(sorted)
            }
            Latencies::Histogram(h) => {
                let mut total = 0;
                let buckets = h
                    .iter_recorded()
                    .map(|v| {
                        total += v.count_at_value();
                        let high = v.value_iterated_to();
                        (total, h.lowest_equivalent(high), h.highest_equivalent(high))
                    })
                    .collect();
                Ecdf::Buckets(buckets)
            }
        }
    }

    pub(super) fn len(&self) -> u64 {
        match self {
            Ecdf::Sorted(values) => values.len() as u64,
            Ecdf::Buckets(buckets) => buckets.last().map_or(0, |b| b.0),
        }
    }

    /// The `rank`-th smallest value (clamped to `1..=n`): for a histogram, the lowest value of
    /// its bucket when `low`, else the highest. 0 when empty.
    pub(super) fn at_rank(&self, rank: u64, low: bool) -> u64 {
        let n = self.len();
        if n == 0 {
            return 0;
        }
        let rank = rank.clamp(1, n);
        match self {
            Ecdf::Sorted(values) => values[(rank - 1) as usize],
            Ecdf::Buckets(buckets) => {
                let i = buckets.partition_point(|b| b.0 < rank);
                let (_, lowest, highest) = buckets[i.min(buckets.len() - 1)];
                if low {
                    lowest
                } else {
                    highest
                }
            }
        }
    }

    /// The q-quantile: Hyndman & Fan type 8 on exact values (the harness's percentiles), the
    /// bucket of rank `ceil(q n)` on a histogram (its highest value, as hdrhistogram reports).
    pub(super) fn quantile(&self, q: f64) -> f64 {
        let n = self.len();
        if n == 0 {
            return 0.0;
        }
        match self {
            Ecdf::Sorted(values) => {
                let nf = n as f64;
                let h = (nf + 1.0 / 3.0) * q + 1.0 / 3.0;
                if h <= 1.0 {
                    return values[0] as f64;
                }
                if h >= nf {
                    return values[values.len() - 1] as f64;
                }
                let below = h.floor();
                let lower = values[below as usize - 1] as f64;
                let upper = values[below as usize] as f64;
                lower + (h - below) * (upper - lower)
            }
            Ecdf::Buckets(_) => self.at_rank((q * n as f64).ceil() as u64, false) as f64,
        }
    }
}
