//! A compact latency histogram for one slot of the timeline.
//!
//! Log-linear buckets: each power of two of nanoseconds is split into 64 equal buckets, so a
//! bucket is 1/64 of its power of two wide (1.6 % of its lower edge at most) and a value read at
//! the bucket's midpoint is within 0.8 % of every value the bucket holds. Values below 1024 ns
//! share the first bucket (no HTTP exchange takes under a microsecond; readers clamp to the slot's
//! exact maximum anyway). Counts are stored densely, but only over the powers of two actually
//! seen, so a second whose latencies span 1 ms to 1 s holds 10 x 64 counters (2.5 KiB).

use serde::{Deserialize, Serialize};

/// log2 of the buckets per power of two.
const SUB_BITS: u32 = 6;
/// Buckets per power of two.
const SUBS: usize = 1 << SUB_BITS;
/// The power of two of the first bucket: values below 2^10 ns are counted there.
const FLOOR_EXP: u32 = 10;
/// Powers of two a u64 of nanoseconds can reach above the floor.
const OCTAVES: usize = (64 - FLOOR_EXP) as usize;

/// Counts of successful latencies in log-linear buckets over the powers of two seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Buckets {
    /// The power of two (counted from the floor) that `counts[0..64]` covers.
    first: u8,
    /// 64 counters per power of two from `first` on; empty when nothing was recorded.
    counts: Vec<u32>,
}

/// The power of two (from the floor) and the bucket within it that hold `nanos`.
fn locate(nanos: u64) -> (usize, usize) {
    let v = nanos.max(1 << FLOOR_EXP);
    let exp = 63 - v.leading_zeros();
    let sub = (v >> (exp - SUB_BITS)) as usize & (SUBS - 1);
    ((exp - FLOOR_EXP) as usize, sub)
}

/// The midpoint of the bucket `sub` of the power of two `octave`, in nanoseconds.
fn midpoint(octave: usize, sub: usize) -> u64 {
    let shift = octave as u32 + FLOOR_EXP - SUB_BITS;
    let lower = ((SUBS + sub) as u64) << shift;
    lower + ((1u64 << shift) >> 1)
}

impl Buckets {
    /// Counts one latency.
    pub(crate) fn record(&mut self, nanos: u64) {
        let (octave, sub) = locate(nanos);
        self.cover(octave, octave);
        let index = (octave - self.first as usize) * SUBS + sub;
        self.counts[index] = self.counts[index].saturating_add(1);
    }

    /// Adds every count of `other`.
    pub(crate) fn merge(&mut self, other: &Buckets) {
        let Some(last) = other.last_octave() else {
            return;
        };
        self.cover(other.first as usize, last);
        let offset = (other.first - self.first) as usize * SUBS;
        for (mine, theirs) in self.counts[offset..].iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
    }

    /// The latency at fraction `q` (`0..=1`) of `total` counts, nearest rank (the smallest
    /// bucket whose cumulative count reaches `ceil(q * total)`, at least 1), read at the
    /// bucket's midpoint. `None` when nothing was recorded.
    pub(crate) fn quantile(&self, q: f64, total: u64) -> Option<u64> {
        if total == 0 || self.counts.is_empty() {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return Some(midpoint(self.first as usize + index / SUBS, index % SUBS));
            }
        }
        // Counts saturated or `total` exceeds them: the last non-empty bucket is the answer.
        let index = self.counts.iter().rposition(|&c| c > 0)?;
        Some(midpoint(self.first as usize + index / SUBS, index % SUBS))
    }

    /// Sum of all counts.
    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<u32>()
    }

    /// Whether the stored shape is one `record` could have produced.
    pub(crate) fn is_well_formed(&self) -> bool {
        self.counts.len().is_multiple_of(SUBS)
            && (self.counts.is_empty() || self.first as usize + self.counts.len() / SUBS <= OCTAVES)
    }

    /// The last power of two with counters; `None` when empty.
    fn last_octave(&self) -> Option<usize> {
        (!self.counts.is_empty()).then(|| self.first as usize + self.counts.len() / SUBS - 1)
    }

    /// Grows the counters to cover the powers of two `low..=high` too.
    fn cover(&mut self, low: usize, high: usize) {
        let Some(last) = self.last_octave() else {
            self.first = low as u8;
            self.counts = vec![0; (high - low + 1) * SUBS];
            return;
        };
        let first = self.first as usize;
        if high > last {
            // Exact growth: a slot grows a handful of times, and doubling would waste up to half
            // of what thousands of slots hold.
            let len = (high - first + 1) * SUBS;
            self.counts.reserve_exact(len - self.counts.len());
            self.counts.resize(len, 0);
        }
        if low < first {
            // Rare: a faster request than any before in this slot. One copy per new power of two.
            let extra = (first - low) * SUBS;
            let mut grown = Vec::with_capacity(extra + self.counts.len());
            grown.resize(extra, 0);
            grown.extend_from_slice(&self.counts);
            self.counts = grown;
            self.first = low as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midpoints_are_within_0_8_percent_of_every_value_in_the_bucket() {
        for nanos in [
            1_024u64,
            1_500,
            65_537,
            999_999,
            1_000_000,
            123_456_789,
            60_000_000_000,
        ] {
            let (octave, sub) = locate(nanos);
            let mid = midpoint(octave, sub) as f64;
            let error = (mid - nanos as f64).abs() / nanos as f64;
            assert!(
                error <= 1.0 / 128.0,
                "{nanos}: midpoint {mid}, error {error}"
            );
        }
        // The largest u64 still lands in a bucket.
        let (octave, sub) = locate(u64::MAX);
        assert_eq!((octave, sub), (OCTAVES - 1, SUBS - 1));
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut b = Buckets::default();
        for ms in 1..=100u64 {
            b.record(ms * 1_000_000);
        }
        let read = |q: f64| b.quantile(q, 100).unwrap() as f64 / 1e6;
        for (q, want) in [
            (0.5, 50.0),
            (0.95, 95.0),
            (0.99, 99.0),
            (1.0, 100.0),
            (0.0, 1.0),
        ] {
            let got = read(q);
            assert!((got - want).abs() / want < 0.008, "q{q}: {got} vs {want}");
        }
        assert_eq!(Buckets::default().quantile(0.5, 0), None);
    }

    #[test]
    fn grows_both_ways_and_merges_over_different_ranges() {
        let mut a = Buckets::default();
        a.record(5_000_000);
        a.record(100_000);
        a.record(2_000_000_000);
        assert_eq!(a.total(), 3);
        assert!(a.is_well_formed());
        let mut b = Buckets::default();
        b.record(7);
        b.record(3_000_000);
        let mut whole = Buckets::default();
        for v in [5_000_000, 100_000, 2_000_000_000, 7, 3_000_000] {
            whole.record(v);
        }
        a.merge(&b);
        assert_eq!(a, whole);
        assert_eq!(whole.quantile(0.0, 5), Some(midpoint(0, 0)));
    }
}
