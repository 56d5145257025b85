//! What each stage of a staged load saw, between the stage's exact bounds: a request counts in
//! the stage its iteration started in. The timeline's slots (a second or wider) cannot say that
//! of a stage that starts or ends between two slot boundaries.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::latencies::nanos;
use super::slots::SlotValue;
use super::timeline::Slot;
use super::InvalidRecord;

/// One stage's requests: counts, bytes, the exact maximum and latency buckets (percentiles
/// within 0.8 %), in a few kilobytes whatever the stage's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StageFields")]
pub struct StageSlot {
    /// Start, from the span's start, in nanoseconds.
    from_ns: u64,
    /// End (exclusive), from the span's start, in nanoseconds.
    to_ns: u64,
    slot: Slot,
}

/// The serialized form, checked before it becomes a [`StageSlot`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFields {
    from_ns: u64,
    to_ns: u64,
    slot: Slot,
}

impl TryFrom<StageFields> for StageSlot {
    type Error = InvalidRecord;

    fn try_from(f: StageFields) -> Result<Self, Self::Error> {
        if f.from_ns > f.to_ns {
            return Err(InvalidRecord::Series(format!(
                "stage ends ({} ns) before it starts ({} ns)",
                f.to_ns, f.from_ns
            )));
        }
        if !f.slot.adds_up() {
            return Err(InvalidRecord::Series("stage counts do not add up".into()));
        }
        Ok(StageSlot {
            from_ns: f.from_ns,
            to_ns: f.to_ns,
            slot: f.slot,
        })
    }
}

impl StageSlot {
    /// An empty stage over `[from, to)` from the span's start.
    pub fn new(from: Duration, to: Duration) -> Self {
        StageSlot {
            from_ns: nanos(from),
            to_ns: nanos(to).max(nanos(from)),
            slot: Slot::default(),
        }
    }

    /// Start, from the span's start.
    pub fn from(&self) -> Duration {
        Duration::from_nanos(self.from_ns)
    }

    /// End (exclusive), from the span's start.
    pub fn to(&self) -> Duration {
        Duration::from_nanos(self.to_ns)
    }

    /// What the stage saw.
    pub fn slot(&self) -> &Slot {
        &self.slot
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.slot.heap_bytes()
    }

    /// Moves the stage's bounds `by` later.
    pub(crate) fn shift(&mut self, by: Duration) {
        self.from_ns = self.from_ns.saturating_add(nanos(by));
        self.to_ns = self.to_ns.saturating_add(nanos(by));
    }
}

/// The stage a request started at `start` counts in: the one whose `[from, to)` holds it;
/// `None` outside every stage. Stages are in time order and do not overlap.
#[inline]
pub(crate) fn stage_mut(stages: &mut [StageSlot], start: Duration) -> Option<&mut Slot> {
    let at = nanos(start);
    let index = stages.partition_point(|s| s.to_ns <= at);
    stages
        .get_mut(index)
        .filter(|s| s.from_ns <= at)
        .map(|s| &mut s.slot)
}

/// Whether `other`'s stages can be added to `mine`: the same number of stages of the same
/// lengths (shards of one staged case, or later rounds of it), or either side has none.
pub(crate) fn check_merge(mine: &[StageSlot], other: &[StageSlot]) -> Result<(), InvalidRecord> {
    let length = |s: &StageSlot| s.to_ns - s.from_ns;
    let same = mine.is_empty()
        || other.is_empty()
        || (mine.len() == other.len()
            && mine.iter().zip(other).all(|(a, b)| length(a) == length(b)));
    if same {
        Ok(())
    } else {
        Err(InvalidRecord::Series(
            "cannot merge results whose stages differ".into(),
        ))
    }
}

/// Adds `other`'s stages to `mine`, stage by stage (see [`check_merge`]); `mine` keeps its
/// bounds.
pub(crate) fn merge(mine: &mut Vec<StageSlot>, other: &[StageSlot]) {
    if mine.is_empty() {
        mine.extend_from_slice(other);
        return;
    }
    for (a, b) in mine.iter_mut().zip(other) {
        a.slot.merge(&b.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_request_counts_in_the_stage_it_started_in_to_the_nanosecond() {
        // Stages of 300 ms and 1.2 s: both fall inside the timeline's first two seconds.
        let mut stages = vec![
            StageSlot::new(ms(0), ms(300)),
            StageSlot::new(ms(300), ms(1500)),
        ];
        for (start, latency) in [(0, 5), (299, 7), (300, 50), (1499, 60), (1500, 1)] {
            if let Some(slot) = stage_mut(&mut stages, ms(start)) {
                slot.add_ok(nanos(ms(latency)), 10);
            }
        }
        stage_mut(&mut stages, ms(400)).unwrap().add_error(3);
        let first = stages[0].slot();
        assert_eq!((first.requests(), first.errors()), (2, 0));
        assert_eq!(first.max(), Some(ms(7)));
        let second = stages[1].slot();
        assert_eq!(
            (second.requests(), second.errors(), second.bytes()),
            (3, 1, 23)
        );
        assert_eq!(second.max(), Some(ms(60)));
        // A request started after the last stage counts in none.
        assert_eq!(stages.iter().map(|s| s.slot().requests()).sum::<u64>(), 5);
    }

    #[test]
    fn shards_and_rounds_with_the_same_stages_merge_and_others_are_refused() {
        let mut mine = vec![StageSlot::new(ms(0), ms(100))];
        let mut theirs = mine.clone();
        stage_mut(&mut mine, ms(1)).unwrap().add_ok(1_000, 0);
        stage_mut(&mut theirs, ms(2)).unwrap().add_ok(3_000, 0);
        check_merge(&mine, &theirs).unwrap();
        merge(&mut mine, &theirs);
        assert_eq!(mine[0].slot().requests(), 2);
        assert_eq!(mine[0].slot().max(), Some(Duration::from_micros(3)));
        // A later round of the same stages, shifted: merged stage by stage.
        let mut later = theirs.clone();
        later[0].shift(Duration::from_secs(5));
        check_merge(&mine, &later).unwrap();
        merge(&mut mine, &later);
        assert_eq!(mine[0].slot().requests(), 3);
        assert_eq!((mine[0].from(), mine[0].to()), (ms(0), ms(100)));
        let other = vec![StageSlot::new(ms(0), ms(200))];
        assert!(check_merge(&mine, &other).is_err());
        let mut empty = Vec::new();
        merge(&mut empty, &mine);
        assert_eq!(empty, mine);
    }

    #[test]
    fn edited_stages_are_refused_when_read() {
        let stage = StageSlot::new(ms(0), ms(100));
        let mut json = serde_json::to_value(&stage).unwrap();
        assert_eq!(
            serde_json::from_value::<StageSlot>(json.clone()).unwrap(),
            stage
        );
        json["to_ns"] = 0.into();
        json["from_ns"] = 5.into();
        assert!(serde_json::from_value::<StageSlot>(json.clone()).is_err());
        json["from_ns"] = 0.into();
        json["slot"]["requests"] = 4.into();
        let error = serde_json::from_value::<StageSlot>(json).unwrap_err();
        assert!(error.to_string().contains("do not add up"), "{error}");
    }
}
