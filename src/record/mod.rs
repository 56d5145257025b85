//! What requests leave behind: counters, histograms and a timeline per stream of requests, in
//! memory bounded whatever the run's length, mergeable exactly, serializable.
//!
//! A [`Series`] is one stream (a case, a journey step, a request name); [`Recorded`] is one
//! case's series; [`Resources`] is the managed target's CPU and memory over a case. Pure data:
//! no I/O, no clock, no locks; executors and the resource sampler write into it, and
//! [`crate::stats`] and [`crate::verdict`] read it.

mod buckets;
mod causes;
mod latencies;
mod recorded;
mod resources;
mod series;
mod slots;
mod stages;
mod timeline;
mod users;

#[cfg(test)]
mod tests;

pub use causes::MAX_CAUSES;
pub use latencies::SIGNIFICANT_DIGITS;
pub use recorded::{Recorded, Schedule};
pub use resources::{ResourceSlot, Resources};
pub use series::Series;
pub use slots::MAX_SLOTS;
pub use stages::StageSlot;
pub use timeline::{Slot, Timeline};
pub use users::Users;

/// The layout version of serialized records; bumped whenever a reader of the old layout would
/// misread the new one.
pub const SCHEMA_VERSION: u32 = 1;

/// Up to this many successful latencies a series keeps every value, so percentiles are exact;
/// past it they come from the histogram. 100 000 values are 800 KB.
pub const EXACT_LIMIT: u64 = 100_000;

/// Why serialized or merged records cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRecord {
    /// The data was written by another layout version.
    #[error("recorded results have schema version {found}, expected {SCHEMA_VERSION}")]
    Schema {
        /// The version found.
        found: u32,
    },
    /// A series' parts do not agree with each other (edited or corrupted data).
    #[error("recorded series is inconsistent: {0}")]
    Series(String),
    /// Two results to merge have different journey steps, so they are not of the same case.
    #[error(
        "cannot merge results of different cases: step {position} is '{mine}' here but \
         '{theirs}' in the other"
    )]
    Steps {
        /// 1-based step position.
        position: usize,
        /// This result's step name there.
        mine: String,
        /// The other result's step name there.
        theirs: String,
    },
}
