//! The per-second timeline of one series: what each second of the measured span saw.
//!
//! Requests land in the slot of their start offset (send time from the span's start), so
//! concurrent tasks may record out of order. The slots grow, coarsen and merge as every
//! per-second series does ([`super::slots`]): a day-long soak keeps at most [`MAX_SLOTS`] slots
//! of 32 s, and two timelines merge exactly, at the coarser width of the two.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;
use super::slots::{ShapeDefect, SlotValue, Slots, MAX_SLOTS};

/// Requests per slot of the measured span.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timeline {
    slots: Slots<Slot>,
}

/// What one slot of the timeline saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    requests: u64,
    ok: u64,
    errors: u64,
    bytes: u64,
    /// Slowest successful request, exact; 0 when none succeeded.
    max_ns: u64,
    /// Successful latencies, to read the slot's percentiles (within 0.8 %).
    latencies: Buckets,
}

impl Timeline {
    /// Counts a successful request started at `start` that took `nanos`.
    pub(crate) fn record_ok(&mut self, start: Duration, nanos: u64, bytes: u64) {
        self.slots.slot_mut(start.as_secs()).add_ok(nanos, bytes);
    }

    /// Counts a failed request started at `start`.
    pub(crate) fn record_error(&mut self, start: Duration, bytes: u64) {
        self.slots.slot_mut(start.as_secs()).add_error(bytes);
    }

    /// Moves every slot `by` later (to the whole second: a slot's requests keep their slot,
    /// which starts `by`'s whole seconds later), coarsening if the span grows past the
    /// maximum number of slots.
    pub(crate) fn shift(&mut self, by: Duration) {
        self.slots.shift(by.as_secs());
    }

    /// Adds `other`'s slots, at the coarser of the two widths.
    pub(crate) fn merge(&mut self, other: &Timeline) {
        self.slots.merge(&other.slots);
    }

    /// How long each slot is: one second, doubled as often as the span needed.
    pub fn width(&self) -> Duration {
        self.slots.width()
    }

    /// Number of slots, from the span's start to the last slot with a request.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Each slot with its start offset, in time order; slots in which nothing started are
    /// included (a stalled second is worth seeing).
    pub fn iter(&self) -> impl Iterator<Item = (Duration, &Slot)> + '_ {
        self.slots.iter()
    }

    /// The slots that start in `[from, to)` from the span's start, merged into one: what a part
    /// of the run (a stage of a ramp) saw, at the slots' precision.
    pub fn span(&self, from: Duration, to: Duration) -> Slot {
        let mut merged = Slot::default();
        for (start, slot) in self.iter() {
            if start >= from && start < to {
                merged.merge(slot);
            }
        }
        merged
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
            + self
                .slots
                .as_slice()
                .iter()
                .map(Slot::heap_bytes)
                .sum::<usize>()
    }

    /// Totals over all slots: (requests, ok, errors, bytes); for consistency checks.
    pub(crate) fn totals(&self) -> (u64, u64, u64, u64) {
        let slots = self.slots.as_slice().iter();
        slots.fold((0, 0, 0, 0), |(r, o, e, b), s| {
            (
                r.saturating_add(s.requests),
                o.saturating_add(s.ok),
                e.saturating_add(s.errors),
                b.saturating_add(s.bytes),
            )
        })
    }

    /// Why this timeline could not have been recorded, if so.
    pub(crate) fn defect(&self) -> Option<String> {
        match self.slots.shape_defect() {
            Some(ShapeDefect::Width(width)) => {
                return Some(format!("timeline width {width} s is not a power of two"))
            }
            Some(ShapeDefect::TooMany(len)) => {
                return Some(format!(
                    "timeline has {len} slots, at most {MAX_SLOTS} expected"
                ))
            }
            None => {}
        }
        self.slots.as_slice().iter().enumerate().find_map(|(i, s)| {
            (!s.adds_up()).then(|| format!("timeline slot {i}: counts do not add up"))
        })
    }
}

impl Slot {
    /// Requests started in this slot.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Of those, the successful ones.
    pub fn ok(&self) -> u64 {
        self.ok
    }

    /// Of those, the failed ones.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Bytes received by requests started in this slot.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The slot's slowest successful request, exact; `None` when none succeeded.
    pub fn max(&self) -> Option<Duration> {
        (self.ok > 0).then(|| Duration::from_nanos(self.max_ns))
    }

    /// The `p`-th percentile (`0..=100`) of the slot's successful latencies: the nearest-rank
    /// request, read at its bucket's midpoint (within 0.8 %) and never above the exact maximum;
    /// the top rank is the exact maximum itself (so one request reads exactly). `None` when none
    /// succeeded or `p` is outside `0..=100`.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if !(0.0..=100.0).contains(&p) || self.ok == 0 {
            return None;
        }
        let q = p / 100.0;
        if (q * self.ok as f64).ceil() as u64 >= self.ok {
            return self.max();
        }
        let nanos = self.latencies.quantile(q, self.ok)?;
        Some(Duration::from_nanos(nanos.min(self.max_ns)))
    }

    /// Median of the slot's successful latencies; see [`Slot::percentile`].
    pub fn p50(&self) -> Option<Duration> {
        self.percentile(50.0)
    }

    /// 95th percentile of the slot's successful latencies; see [`Slot::percentile`].
    pub fn p95(&self) -> Option<Duration> {
        self.percentile(95.0)
    }

    /// 99th percentile of the slot's successful latencies; see [`Slot::percentile`].
    pub fn p99(&self) -> Option<Duration> {
        self.percentile(99.0)
    }

    /// Counts a successful request that took `nanos` and received `bytes`.
    #[inline]
    pub(crate) fn add_ok(&mut self, nanos: u64, bytes: u64) {
        self.requests += 1;
        self.ok += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.max_ns = self.max_ns.max(nanos);
        self.latencies.record(nanos);
    }

    /// Counts a failed request that received `bytes`.
    #[inline]
    pub(crate) fn add_error(&mut self, bytes: u64) {
        self.requests += 1;
        self.errors += 1;
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// Whether the counts agree with each other (not so in edited or corrupted data).
    pub(crate) fn adds_up(&self) -> bool {
        self.ok.checked_add(self.errors) == Some(self.requests)
            && self.latencies.is_well_formed()
            && self.latencies.total() == self.ok
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.latencies.heap_bytes()
    }
}

impl SlotValue for Slot {
    fn is_recorded(&self) -> bool {
        self.requests > 0
    }

    fn merge(&mut self, other: &Slot) {
        self.requests += other.requests;
        self.ok += other.ok;
        self.errors += other.errors;
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.latencies.merge(&other.latencies);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn ms(n: u64) -> u64 {
        n * 1_000_000
    }

    #[test]
    fn counts_per_second_and_percentiles_for_a_known_pattern() {
        let mut t = Timeline::default();
        // Second 0: 100 requests of 1..=100 ms, recorded out of order; second 2: 3 errors and one
        // 7 ms request; second 1 stays empty.
        for i in (1..=100u64).rev() {
            t.record_ok(secs(0.005 * i as f64), ms(i), 10);
        }
        for _ in 0..3 {
            t.record_error(secs(2.5), 1);
        }
        t.record_ok(secs(2.9), ms(7), 10);

        let slots: Vec<(Duration, &Slot)> = t.iter().collect();
        assert_eq!(t.width(), Duration::from_secs(1));
        assert_eq!(slots.len(), 3);
        let (start, first) = slots[0];
        assert_eq!(start, Duration::ZERO);
        assert_eq!(
            (first.requests(), first.ok(), first.errors(), first.bytes()),
            (100, 100, 0, 1000)
        );
        let close = |got: Option<Duration>, want_ms: f64| {
            let got = got.unwrap().as_secs_f64() * 1e3;
            assert!(
                (got - want_ms).abs() / want_ms <= 0.008,
                "{got} vs {want_ms}"
            );
        };
        close(first.p50(), 50.0);
        close(first.p95(), 95.0);
        close(first.p99(), 99.0);
        assert_eq!(first.max(), Some(Duration::from_millis(100)));
        assert_eq!(first.percentile(100.0), Some(Duration::from_millis(100)));
        assert_eq!(first.percentile(101.0), None);

        let (start, empty) = slots[1];
        assert_eq!((start, empty.requests(), empty.p50()), (secs(1.0), 0, None));
        let (_, last) = slots[2];
        assert_eq!((last.requests(), last.ok(), last.errors()), (4, 1, 3));
        // One request: every percentile is that request, read exactly as the maximum.
        assert_eq!(last.p99(), Some(Duration::from_millis(7)));
        assert_eq!(t.totals(), (104, 101, 3, 1013));
        assert_eq!(t.defect(), None);
    }

    #[test]
    fn slot_width_doubles_past_the_maximum() {
        let mut t = Timeline::default();
        for s in 0..MAX_SLOTS as u64 {
            t.record_ok(Duration::from_secs(s), ms(1), 0);
        }
        assert_eq!((t.width(), t.len()), (Duration::from_secs(1), MAX_SLOTS));
        t.record_error(Duration::from_secs(MAX_SLOTS as u64), 0);
        assert_eq!(
            (t.width(), t.len()),
            (Duration::from_secs(2), MAX_SLOTS / 2 + 1)
        );
        assert!(t.iter().take(MAX_SLOTS / 2).all(|(_, s)| s.ok() == 2));
        // A day in one jump: the width becomes the smallest power of two that fits.
        t.record_ok(Duration::from_secs(86_400), ms(3), 0);
        assert_eq!(t.width(), Duration::from_secs(32));
        assert_eq!(t.len(), 86_400 / 32 + 1);
        assert!(t.slots.heap_bytes() <= MAX_SLOTS * std::mem::size_of::<Slot>());
        let (r, o, e, _) = t.totals();
        assert_eq!((r, o, e), (MAX_SLOTS as u64 + 2, MAX_SLOTS as u64 + 1, 1));
        assert_eq!(t.iter().next().unwrap().1.ok(), 32);
    }

    #[test]
    fn merging_different_widths_coarsens_the_finer() {
        let starts: Vec<u64> = (0..9_000).step_by(7).collect();
        let mut whole = Timeline::default();
        let (mut early, mut late) = (Timeline::default(), Timeline::default());
        for &s in &starts {
            whole.record_ok(Duration::from_secs(s), ms(s % 50 + 1), 1);
            let half = if s < 3_000 { &mut early } else { &mut late };
            half.record_ok(Duration::from_secs(s), ms(s % 50 + 1), 1);
        }
        assert_eq!(early.width(), Duration::from_secs(1));
        assert_eq!(late.width(), Duration::from_secs(4));
        let mut merged = early.clone();
        merged.merge(&late);
        assert_eq!(merged, whole);
        let mut other_way = late;
        other_way.merge(&early);
        assert_eq!(other_way, whole);
    }
}
