//! The per-second series every record over time shares (the request timeline, the target's
//! resources, the virtual users): slot `i` covers `[i * width, (i + 1) * width)` seconds from
//! the span's start; the width starts at one second and doubles, adjacent slots merging, when
//! the span would need more than [`MAX_SLOTS`].
//!
//! The width is therefore always the smallest power of two of seconds that fits the latest
//! offset seen, which makes merging exact: two series merge at the coarser width of the two.
//! One growth rule, one coarsen and one merge, so the three records line up slot for slot.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The most slots a series holds; past it the slot width doubles.
pub const MAX_SLOTS: usize = 4096;

/// What one slot of a [`Slots`] series holds.
pub(crate) trait SlotValue: Default {
    /// Whether anything was recorded in it: empty slots are skipped when series merge or
    /// shift, so they neither grow nor coarsen the target.
    fn is_recorded(&self) -> bool;

    /// Adds `other`, recorded in the same span of time (another shard, or a neighbouring slot
    /// being coarsened into this one).
    fn merge(&mut self, other: &Self);
}

/// Slots of one width, from the span's start to the last slot written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Slots<T> {
    /// Seconds per slot: a power of two.
    width_secs: u64,
    /// Slot `i` covers `[i * width, (i + 1) * width)` from the span's start.
    slots: Vec<T>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            width_secs: 1,
            slots: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    /// Slots as read from a file, unchecked: see [`Slots::shape_defect`].
    pub(crate) fn from_parts(width_secs: u64, slots: Vec<T>) -> Self {
        Slots { width_secs, slots }
    }

    /// Seconds per slot.
    pub(crate) fn width_secs(&self) -> u64 {
        self.width_secs
    }

    /// How long each slot is: one second, doubled as often as the span needed.
    pub(crate) fn width(&self) -> Duration {
        Duration::from_secs(self.width_secs)
    }

    /// The slots, in time order.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.slots
    }

    /// Number of slots, from the span's start to the last one written.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Each slot with its start offset, in time order, empty ones included.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Duration, &T)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .map(|(i, slot)| (Duration::from_secs(i as u64 * self.width_secs), slot))
    }

    /// The slot holding offset `at`, if the series reaches it.
    pub(crate) fn get(&self, at: Duration) -> Option<&T> {
        let index = at.as_secs() / self.width_secs;
        usize::try_from(index).ok().and_then(|i| self.slots.get(i))
    }

    /// Heap bytes held by the slots themselves (not by what they point to).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<T>()
    }

    /// Why these slots could not have been recorded, if so: a width that is not a power of
    /// two, or more than [`MAX_SLOTS`] slots.
    pub(crate) fn shape_defect(&self) -> Option<ShapeDefect> {
        if !self.width_secs.is_power_of_two() {
            Some(ShapeDefect::Width(self.width_secs))
        } else if self.slots.len() > MAX_SLOTS {
            Some(ShapeDefect::TooMany(self.slots.len()))
        } else {
            None
        }
    }
}

/// How a series read from a file breaks the growth rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeDefect {
    /// The width, in seconds, is not a power of two.
    Width(u64),
    /// This many slots, more than [`MAX_SLOTS`].
    TooMany(usize),
}

impl<T: SlotValue> Slots<T> {
    /// The slot for offset `secs`, growing the series (and coarsening it past [`MAX_SLOTS`])
    /// as needed. Capacity grows like a `Vec`'s, but never past the maximum.
    pub(crate) fn slot_mut(&mut self, secs: u64) -> &mut T {
        let mut index = secs / self.width_secs;
        while index >= MAX_SLOTS as u64 {
            self.coarsen();
            index = secs / self.width_secs;
        }
        let index = index as usize;
        if index >= self.slots.len() {
            if index >= self.slots.capacity() {
                let target = (self.slots.capacity() * 2).clamp(index + 1, MAX_SLOTS);
                self.slots.reserve_exact(target - self.slots.len());
            }
            self.slots.resize_with(index + 1, T::default);
        }
        &mut self.slots[index]
    }

    /// Adds `other`'s slots at their offsets, at the coarser of the two widths: shards that
    /// ran side by side, or a later round already shifted to its place.
    pub(crate) fn merge(&mut self, other: &Slots<T>) {
        while self.width_secs < other.width_secs {
            self.coarsen();
        }
        for (index, slot) in other.slots.iter().enumerate() {
            if slot.is_recorded() {
                self.slot_mut(index as u64 * other.width_secs).merge(slot);
            }
        }
    }

    /// Moves every slot `by_secs` whole seconds later (a slot's content keeps its slot, which
    /// starts that much later), coarsening if the span grows past [`MAX_SLOTS`].
    pub(crate) fn shift(&mut self, by_secs: u64) {
        if by_secs == 0 {
            return;
        }
        let width = self.width_secs;
        for (index, slot) in std::mem::take(&mut self.slots).into_iter().enumerate() {
            if slot.is_recorded() {
                let start = (index as u64 * width).saturating_add(by_secs);
                self.slot_mut(start).merge(&slot);
            }
        }
    }

    /// Doubles the slot width, merging each pair of adjacent slots.
    pub(crate) fn coarsen(&mut self) {
        self.width_secs *= 2;
        let len = self.slots.len().div_ceil(2);
        for i in 0..len {
            let mut merged = std::mem::take(&mut self.slots[2 * i]);
            if let Some(next) = self.slots.get(2 * i + 1) {
                merged.merge(next);
            }
            self.slots[i] = merged;
        }
        self.slots.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count per slot, the simplest thing a slot can hold.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    struct Count(u64);

    impl SlotValue for Count {
        fn is_recorded(&self) -> bool {
            self.0 > 0
        }

        fn merge(&mut self, other: &Self) {
            self.0 += other.0;
        }
    }

    fn counts(slots: &Slots<Count>) -> Vec<u64> {
        slots.as_slice().iter().map(|c| c.0).collect()
    }

    fn at(slots: &mut Slots<Count>, secs: u64, n: u64) {
        slots.slot_mut(secs).0 += n;
    }

    #[test]
    fn slots_grow_to_the_latest_offset_one_second_wide() {
        let mut slots = Slots::default();
        at(&mut slots, 3, 5);
        at(&mut slots, 0, 1);
        assert_eq!((slots.width_secs(), counts(&slots)), (1, vec![1, 0, 0, 5]));
        let starts: Vec<Duration> = slots.iter().map(|(start, _)| start).collect();
        assert_eq!(starts[3], Duration::from_secs(3));
        assert_eq!(slots.get(Duration::from_millis(3500)), Some(&Count(5)));
        assert_eq!(slots.get(Duration::from_secs(4)), None);
        assert_eq!(slots.shape_defect(), None);
    }

    #[test]
    fn coarsening_doubles_the_width_and_adds_neighbours() {
        let mut slots = Slots::default();
        for s in 0..5 {
            at(&mut slots, s, s + 1);
        }
        slots.coarsen();
        assert_eq!((slots.width_secs(), counts(&slots)), (2, vec![3, 7, 5]));
        slots.coarsen();
        assert_eq!((slots.width_secs(), counts(&slots)), (4, vec![10, 5]));
        // Past the maximum the width becomes the smallest power of two that fits.
        at(&mut slots, 86_400, 1);
        assert_eq!(slots.width_secs(), 32);
        assert_eq!(slots.len(), 86_400 / 32 + 1);
        assert!(slots.heap_bytes() <= MAX_SLOTS * std::mem::size_of::<Count>());
        assert_eq!(counts(&slots).iter().sum::<u64>(), 16);
    }

    #[test]
    fn shards_merge_at_the_coarser_width_whichever_way() {
        let offsets: Vec<u64> = (0..9_000).step_by(7).collect();
        let mut whole = Slots::default();
        let (mut early, mut late) = (Slots::default(), Slots::default());
        for &s in &offsets {
            at(&mut whole, s, s % 3 + 1);
            let shard = if s % 2 == 0 { &mut early } else { &mut late };
            at(shard, s, s % 3 + 1);
        }
        let mut merged = early.clone();
        merged.merge(&late);
        assert_eq!(merged, whole);
        let mut other_way = late.clone();
        other_way.merge(&early);
        assert_eq!(other_way, whole);
        // A fine series merged into a coarse one keeps the coarse width.
        let mut fine = Slots::default();
        at(&mut fine, 1, 2);
        let mut coarse = Slots::default();
        at(&mut coarse, 5_000, 1);
        coarse.merge(&fine);
        assert_eq!(coarse.width_secs(), 2);
        assert_eq!(coarse.as_slice()[0], Count(2));
        // Empty slots of the other side do not grow this one.
        let mut short = Slots::default();
        at(&mut short, 0, 1);
        let mut trailing = Slots::default();
        trailing.slot_mut(9);
        short.merge(&trailing);
        assert_eq!(counts(&short), vec![1]);
    }

    #[test]
    fn shifting_moves_whole_seconds_and_coarsens_past_the_maximum() {
        let mut slots = Slots::default();
        at(&mut slots, 0, 1);
        at(&mut slots, 2, 4);
        slots.shift(0);
        assert_eq!(counts(&slots), vec![1, 0, 4]);
        slots.shift(3);
        assert_eq!(counts(&slots), vec![0, 0, 0, 1, 0, 4]);
        slots.shift(MAX_SLOTS as u64);
        assert_eq!(slots.width_secs(), 2);
        assert_eq!(slots.len(), MAX_SLOTS / 2 + 3);
        assert_eq!(slots.as_slice()[MAX_SLOTS / 2 + 1], Count(1));
        assert_eq!(slots.as_slice()[MAX_SLOTS / 2 + 2], Count(4));
    }

    #[test]
    fn a_series_that_breaks_the_growth_rule_says_how() {
        let odd = Slots::from_parts(3, vec![Count(1)]);
        assert_eq!(odd.shape_defect(), Some(ShapeDefect::Width(3)));
        let long = Slots::from_parts(1, vec![Count(0); MAX_SLOTS + 1]);
        assert_eq!(
            long.shape_defect(),
            Some(ShapeDefect::TooMany(MAX_SLOTS + 1))
        );
    }
}
