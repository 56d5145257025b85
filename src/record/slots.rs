//! The growth rule every per-second record shares (the request timeline, the target's
//! resources, the virtual users): slot `i` covers `[i * width, (i + 1) * width)` seconds from
//! the span's start; the width starts at one second and doubles, adjacent slots merging, when
//! the span would need more than [`MAX_SLOTS`].

use super::timeline::MAX_SLOTS;

/// The slot for offset `secs`, growing `slots` (and coarsening them with `merge` past
/// [`MAX_SLOTS`]) as needed. Capacity grows like a `Vec`'s, but never past the maximum.
pub(crate) fn slot_mut<'a, T: Default>(
    width_secs: &mut u64,
    slots: &'a mut Vec<T>,
    secs: u64,
    merge: fn(&mut T, &T),
) -> &'a mut T {
    let mut index = secs / *width_secs;
    while index >= MAX_SLOTS as u64 {
        coarsen(width_secs, slots, merge);
        index = secs / *width_secs;
    }
    let index = index as usize;
    if index >= slots.len() {
        if index >= slots.capacity() {
            let target = (slots.capacity() * 2).clamp(index + 1, MAX_SLOTS);
            slots.reserve_exact(target - slots.len());
        }
        slots.resize_with(index + 1, T::default);
    }
    &mut slots[index]
}

/// Doubles the slot width, merging each pair of adjacent slots with `merge`.
pub(crate) fn coarsen<T: Default>(width_secs: &mut u64, slots: &mut Vec<T>, merge: fn(&mut T, &T)) {
    *width_secs *= 2;
    let len = slots.len().div_ceil(2);
    for i in 0..len {
        let mut merged = std::mem::take(&mut slots[2 * i]);
        if let Some(next) = slots.get(2 * i + 1) {
            merge(&mut merged, next);
        }
        slots[i] = merged;
    }
    slots.truncate(len);
}

/// Moves every non-empty slot (`keep`) `by_secs` later, to the slot holding its new start.
pub(crate) fn shift<T: Default>(
    width_secs: &mut u64,
    slots: &mut Vec<T>,
    by_secs: u64,
    keep: fn(&T) -> bool,
    merge: fn(&mut T, &T),
) {
    if by_secs == 0 {
        return;
    }
    let width = *width_secs;
    for (index, slot) in std::mem::take(slots).into_iter().enumerate() {
        if keep(&slot) {
            let start = (index as u64 * width).saturating_add(by_secs);
            merge(slot_mut(width_secs, slots, start, merge), &slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &mut u64, b: &u64) {
        *a += b;
    }

    #[test]
    fn slots_grow_coarsen_and_shift() {
        let (mut width, mut slots) = (1u64, Vec::new());
        *slot_mut(&mut width, &mut slots, 3, add) += 5;
        assert_eq!((width, slots.clone()), (1, vec![0, 0, 0, 5]));
        *slot_mut(&mut width, &mut slots, MAX_SLOTS as u64, add) += 1;
        assert_eq!(width, 2);
        assert_eq!(slots.len(), MAX_SLOTS / 2 + 1);
        assert_eq!(slots[1], 5);
        shift(&mut width, &mut slots, 4, |&n| n > 0, add);
        assert_eq!(slots[3], 5);
        assert_eq!(slots[MAX_SLOTS / 2 + 2], 1);
        assert_eq!(slots.iter().sum::<u64>(), 6);
    }
}
