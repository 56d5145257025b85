//! The managed target's CPU and memory over a case: one sample a second, in the per-second
//! series the [`super::Timeline`] uses ([`super::slots`]: at most [`super::MAX_SLOTS`] slots,
//! whose width doubles as pairs merge), so a day-long soak holds a few hundred kilobytes;
//! mergeable by time offset; serializable.
//!
//! Memory growth is the least-squares slope of resident memory over the steady part of the span:
//! the first fifth of it, at most [`WARM_UP_CAP`], is left out as warm-up (allocator arenas,
//! connection pools and caches fill then, which is not a leak).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::slots::{SlotValue, Slots};

/// The longest warm-up left out of the growth estimate; also the whole warm-up of a span of
/// 150 s or more (a fifth of it, below that).
pub const WARM_UP_CAP: Duration = Duration::from_secs(30);

/// Fewest slots with samples in the steady part for a growth estimate: a line through two
/// points says nothing about noise.
pub const MIN_GROWTH_SLOTS: usize = 3;

/// A process's CPU and resident memory, sampled over a case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Resources {
    /// Slot `i` covers `[i * width, (i + 1) * width)` from the sampling's start.
    slots: Slots<ResourceSlot>,
}

/// The samples that fell into one slot of a [`Resources`] record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSlot {
    samples: u64,
    /// Sum of the samples' CPU use (percent of one core).
    cpu_sum: f64,
    cpu_max: f64,
    /// Sum of the samples' resident memory, in bytes (a float: exact up to 8 PiB).
    rss_sum: f64,
    rss_max: u64,
}

impl Resources {
    /// Adds a sample taken `offset` after sampling started: CPU use over the time since the
    /// previous sample, in percent of one core, and resident memory at that instant.
    pub fn record(&mut self, offset: Duration, cpu_percent: f64, rss_bytes: u64) {
        let cpu = if cpu_percent.is_finite() {
            cpu_percent.max(0.0)
        } else {
            0.0
        };
        let slot = self.slots.slot_mut(offset.as_secs());
        slot.samples += 1;
        slot.cpu_sum += cpu;
        slot.cpu_max = slot.cpu_max.max(cpu);
        slot.rss_sum += rss_bytes as f64;
        slot.rss_max = slot.rss_max.max(rss_bytes);
    }

    /// Adds `other`'s samples at their time offsets, at the coarser of the two widths.
    pub fn merge(&mut self, other: &Resources) {
        self.slots.merge(&other.slots);
    }

    /// How long each slot is: one second, doubled as often as the span needed.
    pub fn width(&self) -> Duration {
        self.slots.width()
    }

    /// Number of slots, from the start to the last slot with a sample.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing was sampled.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Number of samples taken.
    pub fn samples(&self) -> u64 {
        self.slots.as_slice().iter().map(|s| s.samples).sum()
    }

    /// Each slot with its start offset, in time order, empty ones included.
    pub fn iter(&self) -> impl Iterator<Item = (Duration, &ResourceSlot)> + '_ {
        self.slots.iter()
    }

    /// Highest CPU use of any sample, in percent of one core; `None` without samples.
    pub fn cpu_max(&self) -> Option<f64> {
        self.sampled().map(|s| s.cpu_max).reduce(f64::max)
    }

    /// Mean CPU use over all samples, in percent of one core; `None` without samples.
    pub fn cpu_mean(&self) -> Option<f64> {
        let (n, sum) = self
            .sampled()
            .fold((0, 0.0), |(n, sum), s| (n + s.samples, sum + s.cpu_sum));
        (n > 0).then(|| sum / n as f64)
    }

    /// Highest resident memory of any sample, in bytes; `None` without samples.
    pub fn rss_max(&self) -> Option<u64> {
        self.sampled().map(|s| s.rss_max).max()
    }

    /// Growth of resident memory in bytes per minute once warmed up, negative when it shrinks:
    /// the slope of the least-squares line through each slot's mean (weighted by its samples,
    /// placed at the slot's middle) after the warm-up. The warm-up is the first fifth of the
    /// sampled span, at most [`WARM_UP_CAP`]. `None` with fewer than [`MIN_GROWTH_SLOTS`]
    /// sampled slots after it.
    pub fn rss_growth(&self) -> Option<f64> {
        let width = self.slots.width_secs() as f64;
        let span = self.slots.len() as f64 * width;
        let warm_up = (span * 0.2).min(WARM_UP_CAP.as_secs_f64());
        let points: Vec<(f64, f64, f64)> = self
            .iter()
            .filter(|(start, slot)| slot.samples > 0 && start.as_secs_f64() >= warm_up)
            .map(|(start, slot)| {
                let weight = slot.samples as f64;
                (
                    start.as_secs_f64() + width / 2.0,
                    slot.rss_sum / weight,
                    weight,
                )
            })
            .collect();
        if points.len() < MIN_GROWTH_SLOTS {
            return None;
        }
        let total: f64 = points.iter().map(|p| p.2).sum();
        let mean_x = points.iter().map(|p| p.0 * p.2).sum::<f64>() / total;
        let mean_y = points.iter().map(|p| p.1 * p.2).sum::<f64>() / total;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (x, y, w) in &points {
            sxy += w * (x - mean_x) * (y - mean_y);
            sxx += w * (x - mean_x) * (x - mean_x);
        }
        // Distinct slots have distinct middles, so `sxx` is positive with three or more.
        Some(sxy / sxx * 60.0)
    }

    fn sampled(&self) -> impl Iterator<Item = &ResourceSlot> + '_ {
        self.slots.as_slice().iter().filter(|s| s.is_recorded())
    }
}

impl ResourceSlot {
    /// Samples taken in this slot.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Mean CPU use of the slot's samples, in percent of one core; `None` without samples.
    pub fn cpu_mean(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.cpu_sum / self.samples as f64)
    }

    /// Highest CPU use of the slot's samples; `None` without samples.
    pub fn cpu_max(&self) -> Option<f64> {
        (self.samples > 0).then_some(self.cpu_max)
    }

    /// Mean resident memory of the slot's samples, in bytes; `None` without samples.
    pub fn rss_mean(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.rss_sum / self.samples as f64)
    }

    /// Highest resident memory of the slot's samples; `None` without samples.
    pub fn rss_max(&self) -> Option<u64> {
        (self.samples > 0).then_some(self.rss_max)
    }
}

impl SlotValue for ResourceSlot {
    fn is_recorded(&self) -> bool {
        self.samples > 0
    }

    fn merge(&mut self, other: &ResourceSlot) {
        self.samples += other.samples;
        self.cpu_sum += other.cpu_sum;
        self.cpu_max = self.cpu_max.max(other.cpu_max);
        self.rss_sum += other.rss_sum;
        self.rss_max = self.rss_max.max(other.rss_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::MAX_SLOTS;

    const MIB: u64 = 1024 * 1024;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn peaks_means_and_a_known_slope() {
        let mut r = Resources::default();
        // 100 MiB, growing 1 MiB a second from second 1 on: 60 MiB per minute.
        for s in 1..=10 {
            r.record(secs(s), s as f64 * 10.0, (100 + s) * MIB);
        }
        assert_eq!(r.samples(), 10);
        assert_eq!(r.cpu_max(), Some(100.0));
        assert_eq!(r.cpu_mean(), Some(55.0));
        assert_eq!(r.rss_max(), Some(110 * MIB));
        let growth = r.rss_growth().unwrap();
        assert!((growth - 60.0 * MIB as f64).abs() < 1.0, "{growth}");
        assert_eq!(Resources::default().cpu_max(), None);
        assert_eq!(Resources::default().rss_growth(), None);
    }

    #[test]
    fn warm_up_is_left_out_of_the_growth() {
        let mut r = Resources::default();
        // A fast climb in the first two of ten seconds, then flat: no leak.
        for s in 0..10 {
            let rss = if s < 2 { (s + 1) * 50 * MIB } else { 100 * MIB };
            r.record(secs(s), 1.0, rss);
        }
        assert_eq!(r.rss_growth(), Some(0.0));
        // Of a long soak, only the first 30 s: a climb at 60 s counts.
        let mut soak = Resources::default();
        for s in 0..600 {
            let rss = if s < 60 {
                100 * MIB + s * MIB
            } else {
                160 * MIB
            };
            soak.record(secs(s), 1.0, rss);
        }
        assert!(soak.rss_growth().unwrap() > 0.0);
    }

    #[test]
    fn too_few_samples_give_no_growth() {
        let mut r = Resources::default();
        r.record(secs(1), 5.0, MIB);
        r.record(secs(2), 5.0, 2 * MIB);
        assert_eq!(r.rss_growth(), None);
        assert_eq!(r.rss_max(), Some(2 * MIB));
    }

    #[test]
    fn width_doubles_past_the_maximum_and_keeps_peaks() {
        let mut r = Resources::default();
        for s in 0..=MAX_SLOTS as u64 {
            r.record(secs(s), (s % 7) as f64, s * 1000);
        }
        assert_eq!((r.width(), r.len()), (secs(2), MAX_SLOTS / 2 + 1));
        assert_eq!(r.samples(), MAX_SLOTS as u64 + 1);
        assert_eq!(r.cpu_max(), Some(6.0));
        assert_eq!(r.rss_max(), Some(MAX_SLOTS as u64 * 1000));
        let (start, first) = r.iter().next().unwrap();
        assert_eq!(
            (start, first.samples(), first.rss_mean()),
            (secs(0), 2, Some(500.0))
        );
        r.record(secs(86_400), 1.0, 1);
        assert_eq!(r.width(), secs(32));
        assert!(r.len() <= MAX_SLOTS);
    }

    #[test]
    fn merging_lines_up_by_offset_at_the_coarser_width() {
        let mut whole = Resources::default();
        let (mut early, mut late) = (Resources::default(), Resources::default());
        for s in (0..9_000).step_by(3) {
            whole.record(secs(s), 10.0, s);
            let half = if s < 3_000 { &mut early } else { &mut late };
            half.record(secs(s), 10.0, s);
        }
        assert_eq!((early.width(), late.width()), (secs(1), secs(4)));
        let mut merged = early.clone();
        merged.merge(&late);
        assert_eq!(merged, whole);
        late.merge(&early);
        assert_eq!(late, whole);
    }

    #[test]
    fn serializes_and_reads_back() {
        let mut r = Resources::default();
        r.record(secs(0), 12.5, 3 * MIB);
        r.record(secs(1), 25.0, 4 * MIB);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Resources>(&json).unwrap(), r);
    }
}
