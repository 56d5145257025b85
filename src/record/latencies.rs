//! Successful latencies of one series: an HDR histogram, exact values while few, exact sums.
//!
//! The histogram tracks 1 us to the series' largest expected latency (the case's largest request
//! timeout) at 3 significant digits; larger values are clamped to that maximum. Since 1 us is the
//! smallest value it tells apart, its unit is 512 ns: below about 0.5 ms the resolution is those
//! 512 ns rather than 0.1 % of the value. While at most
//! [`EXACT_LIMIT`] latencies were recorded, every value is also kept, so small runs report exact
//! percentiles; the first value past the limit frees them. Sums of nanoseconds and of their
//! squares are kept in `u128`, which is exact and merges exactly (2^128 ns^2 is 10^13 requests of
//! an hour each), so mean and standard deviation never depend on the histogram.

use std::time::Duration;

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::EXACT_LIMIT;

/// The histogram's lowest discernible value: 1 us.
pub(crate) const LOWEST_NANOS: u64 = 1_000;
/// The histogram's precision in significant decimal digits.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Successful latencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Latencies {
    /// HdrHistogram V2 + DEFLATE, base64: the form HDR tools read.
    #[serde(with = "hdr_base64")]
    pub(crate) histogram: Histogram<u64>,
    /// Every latency in recording order while there are at most [`EXACT_LIMIT`]; else empty.
    pub(crate) exact_ns: Vec<u64>,
    pub(crate) sum_ns: u128,
    pub(crate) sum_sq_ns: u128,
    /// Fastest and slowest, exact; 0 when nothing was recorded.
    pub(crate) min_ns: u64,
    pub(crate) max_ns: u64,
}

/// Nanoseconds of `d`, saturating at `u64::MAX` (584 years).
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Latencies {
    /// Empty, with a histogram up to `max` (at least 2 us, the narrowest range HDR allows).
    pub(crate) fn new(max: Duration) -> Self {
        Latencies {
            histogram: histogram_up_to(nanos(max)),
            exact_ns: Vec::new(),
            sum_ns: 0,
            sum_sq_ns: 0,
            min_ns: 0,
            max_ns: 0,
        }
    }

    /// Counts one latency; `count` is the number recorded so far, this one included.
    #[inline]
    pub(crate) fn record(&mut self, ns: u64, count: u64) {
        self.histogram.saturating_record(ns);
        let wide = u128::from(ns);
        self.sum_ns = self.sum_ns.saturating_add(wide);
        self.sum_sq_ns = self.sum_sq_ns.saturating_add(wide * wide);
        if count == 1 {
            (self.min_ns, self.max_ns) = (ns, ns);
        } else {
            self.min_ns = self.min_ns.min(ns);
            self.max_ns = self.max_ns.max(ns);
        }
        if count <= EXACT_LIMIT {
            self.exact_ns.push(ns);
        } else if count == EXACT_LIMIT + 1 {
            self.exact_ns = Vec::new();
        }
    }

    /// Adds `other`; `count` and `other_count` are the latencies each holds.
    pub(crate) fn merge(&mut self, count: u64, other: &Latencies, other_count: u64) {
        if other_count == 0 {
            return;
        }
        if self.histogram.high() < other.histogram.high() {
            let mut wider = histogram_up_to(other.histogram.high());
            add_clamped(&mut wider, &self.histogram);
            self.histogram = wider;
        }
        add_clamped(&mut self.histogram, &other.histogram);
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
        self.sum_sq_ns = self.sum_sq_ns.saturating_add(other.sum_sq_ns);
        if count == 0 {
            (self.min_ns, self.max_ns) = (other.min_ns, other.max_ns);
        } else {
            self.min_ns = self.min_ns.min(other.min_ns);
            self.max_ns = self.max_ns.max(other.max_ns);
        }
        if count + other_count <= EXACT_LIMIT {
            self.exact_ns.extend_from_slice(&other.exact_ns);
        } else {
            self.exact_ns = Vec::new();
        }
    }

    /// Heap bytes held: the histogram's counters and the exact values.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.histogram.distinct_values() * std::mem::size_of::<u64>()
            + self.exact_ns.capacity() * std::mem::size_of::<u64>()
    }

    /// Why these latencies could not have been recorded as `count` successes, if so.
    pub(crate) fn defect(&self, count: u64) -> Option<String> {
        let h = &self.histogram;
        if h.low() != LOWEST_NANOS || h.sigfig() != SIGNIFICANT_DIGITS {
            return Some(format!(
                "histogram tracks from {} ns at {} digits, expected {LOWEST_NANOS} ns at \
                 {SIGNIFICANT_DIGITS}",
                h.low(),
                h.sigfig()
            ));
        }
        if h.len() != count {
            return Some(format!(
                "histogram holds {} latencies, expected ok = {count}",
                h.len()
            ));
        }
        let kept = if count <= EXACT_LIMIT { count } else { 0 };
        if self.exact_ns.len() as u64 != kept {
            return Some(format!(
                "{} exact latencies, expected {kept} for {count} successes",
                self.exact_ns.len()
            ));
        }
        None
    }
}

/// An empty histogram from 1 us to `high_ns` at 3 significant digits.
fn histogram_up_to(high_ns: u64) -> Histogram<u64> {
    // Both bounds are valid for any u64 above 2 us, and 3 digits is in HDR's range (0..=5).
    Histogram::new_with_bounds(
        LOWEST_NANOS,
        high_ns.max(2 * LOWEST_NANOS),
        SIGNIFICANT_DIGITS,
    )
    .expect("1 us .. >= 2 us at 3 digits is a valid HDR range")
}

/// Adds `from` into `to`, clamping values above `to`'s range (HDR refuses them in `add`).
fn add_clamped(to: &mut Histogram<u64>, from: &Histogram<u64>) {
    if to.add(from).is_err() {
        for v in from.iter_recorded() {
            to.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
}

/// The histogram as base64 of the HdrHistogram V2 + DEFLATE encoding.
mod hdr_base64 {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(
        h: &Histogram<u64>,
        out: S,
    ) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(h, &mut bytes)
            .map_err(|e| serde::ser::Error::custom(format!("HDR histogram: {e:?}")))?;
        out.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        input: D,
    ) -> Result<Histogram<u64>, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(input)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("HDR histogram: expected base64: {e}")))?;
        Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| {
                D::Error::custom(format!(
                    "HDR histogram: expected the V2 encoding, compressed or not: {e}"
                ))
            })
    }
}
