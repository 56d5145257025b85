//! Error counts by typed cause, with a bound on how many distinct causes are kept apart.
//!
//! Causes carry free text (a transport error's details, a check's name), so a target that fails
//! in ever new ways could otherwise grow the map without end. The first [`MAX_CAUSES`] distinct
//! causes get their own count; errors of any further cause are counted together as "other
//! causes", which readers report as such. Totals stay exact either way.

use serde::{Deserialize, Serialize};

use crate::sample::ErrorCause;

/// The most distinct causes counted apart in one series.
pub const MAX_CAUSES: usize = 64;

/// Error counts per cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Causes {
    /// Sorted by cause, so lookup is a binary search and equality does not depend on the order
    /// in which causes first appeared.
    counts: Vec<(ErrorCause, u64)>,
    /// Errors whose cause arrived when [`MAX_CAUSES`] causes were already counted apart.
    other: u64,
}

impl Causes {
    /// Counts `n` errors of `cause`. Clones the cause only the first time it is seen.
    pub(crate) fn record(&mut self, cause: &ErrorCause, n: u64) {
        match self.counts.binary_search_by(|(c, _)| c.cmp(cause)) {
            Ok(i) => self.counts[i].1 += n,
            Err(i) if self.counts.len() < MAX_CAUSES => self.counts.insert(i, (cause.clone(), n)),
            Err(_) => self.other += n,
        }
    }

    /// Adds `other`'s counts. Exact while the two hold at most [`MAX_CAUSES`] distinct causes
    /// together; past that, which causes keep their own count depends on the merge order.
    pub(crate) fn merge(&mut self, other: &Causes) {
        for (cause, n) in &other.counts {
            self.record(cause, *n);
        }
        self.other += other.other;
    }

    /// Causes with counts, most frequent first, then by cause.
    pub(crate) fn by_frequency(&self) -> Vec<(&ErrorCause, u64)> {
        let mut sorted: Vec<(&ErrorCause, u64)> =
            self.counts.iter().map(|(c, n)| (c, *n)).collect();
        // Stable sort over cause order: equal counts stay ordered by cause.
        sorted.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        sorted
    }

    /// Errors counted under no cause of their own.
    pub(crate) fn other(&self) -> u64 {
        self.other
    }

    /// All errors counted.
    pub(crate) fn total(&self) -> u64 {
        self.counts
            .iter()
            .fold(self.other, |sum, (_, n)| sum.saturating_add(*n))
    }

    /// Whether the stored shape is one `record` could have produced.
    pub(crate) fn is_well_formed(&self) -> bool {
        self.counts.len() <= MAX_CAUSES && self.counts.windows(2).all(|w| w[0].0 < w[1].0)
    }

    /// Approximate heap bytes: the list and the text the causes carry.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<(ErrorCause, u64)>()
            + self
                .counts
                .iter()
                .map(|(c, _)| cause_heap_bytes(c))
                .sum::<usize>()
    }
}

/// Heap bytes of the text (and nesting) a cause carries.
fn cause_heap_bytes(cause: &ErrorCause) -> usize {
    match cause {
        ErrorCause::Status(_)
        | ErrorCause::Timeout
        | ErrorCause::ConnectionRefused
        | ErrorCause::BodyOverLimit(_) => 0,
        ErrorCause::Connect(s)
        | ErrorCause::Tls(s)
        | ErrorCause::Transport(s)
        | ErrorCause::Check(s)
        | ErrorCause::InvalidRequest(s)
        | ErrorCause::Data(s) => s.capacity(),
        ErrorCause::Step(s, inner) => {
            s.capacity() + std::mem::size_of::<ErrorCause>() + cause_heap_bytes(inner)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_causes_are_bounded_and_the_rest_counted_as_other() {
        let mut causes = Causes::default();
        for i in 0..1_000 {
            causes.record(&ErrorCause::Transport(format!("reset #{i}")), 1);
            causes.record(&ErrorCause::Status(500), 1);
        }
        assert_eq!(causes.counts.len(), MAX_CAUSES);
        assert_eq!(causes.total(), 2_000);
        // Status 500 arrived second, so it has its own count; 937 transport errors do not.
        assert_eq!(causes.by_frequency()[0], (&ErrorCause::Status(500), 1_000));
        assert_eq!(causes.other(), 1_000 - (MAX_CAUSES as u64 - 1));
        assert!(causes.is_well_formed());
        let bytes = causes.heap_bytes();
        assert!(bytes < 64 * 1024, "{bytes} bytes");
    }

    #[test]
    fn most_frequent_first_then_by_cause() {
        let mut causes = Causes::default();
        causes.record(&ErrorCause::Timeout, 3);
        causes.record(&ErrorCause::Status(503), 3);
        causes.record(&ErrorCause::Status(500), 9);
        causes.record(&ErrorCause::Check("body".into()), 1);
        let listed: Vec<(&ErrorCause, u64)> = causes.by_frequency();
        assert_eq!(
            listed,
            [
                (&ErrorCause::Status(500), 9),
                (&ErrorCause::Status(503), 3),
                (&ErrorCause::Timeout, 3),
                (&ErrorCause::Check("body".into()), 1),
            ]
        );
    }
}
