//! One stream of requests (a case, a journey step, a request name) as counters, histograms and a
//! timeline: everything statistics need, in memory that does not grow with the request count.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::causes::Causes;
use super::latencies::{nanos, Latencies};
use super::timeline::Timeline;
use super::InvalidRecord;
use crate::sample::ErrorCause;

/// What one stream of requests left behind.
///
/// Recording is the measuring loop's only cost, so it is O(1) and allocation-free in steady
/// state: the exact latencies grow like a `Vec` until [`EXACT_LIMIT`](super::EXACT_LIMIT), the
/// timeline adds a slot per second, a cause is cloned the first time it is seen; nothing else
/// allocates, formats or locks.
///
/// Memory: the HDR histogram (144 KiB for a 60 s maximum; it grows with the log of the
/// maximum), at most 1 MiB of exact latencies (`Vec` capacity), at most 64 causes, and at most
/// 4096 timeline slots of 72 bytes plus 256 bytes per power of two of latencies seen in that
/// slot. [`Series::heap_bytes`] reports the figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SeriesFields")]
pub struct Series {
    counts: Counts,
    causes: Causes,
    latencies: Latencies,
    rounds: Rounds,
    timeline: Timeline,
}

/// Request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counts {
    requests: u64,
    ok: u64,
    errors: u64,
    /// Response bytes received, all requests.
    bytes: u64,
    /// Time spent in requests that failed, in nanoseconds.
    error_ns: u128,
    /// The first send, from the span's start, in nanoseconds.
    #[serde(default)]
    first_start_ns: Option<u64>,
    /// The last response's end, from the span's start, in nanoseconds.
    #[serde(default)]
    last_end_ns: Option<u64>,
}

impl Counts {
    /// Widens the active span to a request sent at `start` that took `latency`.
    #[inline]
    fn span(&mut self, start: Duration, latency: Duration) {
        let (from, to) = (nanos(start), nanos(start + latency));
        self.first_start_ns = Some(self.first_start_ns.map_or(from, |f| f.min(from)));
        self.last_end_ns = Some(self.last_end_ns.map_or(to, |l| l.max(to)));
    }
}

/// Rounds of concurrent or burst cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Rounds {
    count: u64,
    /// Wall time of the slowest round; 0 when there were none.
    slowest_ns: u64,
    /// The widest release spread of a round (its first send to its last send): how far from
    /// "at once" its requests left; 0 when there were none.
    #[serde(default)]
    widest_spread_ns: u64,
}

/// The serialized form, checked before it becomes a [`Series`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesFields {
    counts: Counts,
    causes: Causes,
    latencies: Latencies,
    rounds: Rounds,
    timeline: Timeline,
}

impl Series {
    /// An empty series whose histogram tracks latencies up to `max_latency` (the case's largest
    /// request timeout); larger latencies count as `max_latency` in histogram percentiles (the
    /// exact maximum, mean and deviation keep their true value).
    pub fn new(max_latency: Duration) -> Self {
        Series {
            counts: Counts::default(),
            causes: Causes::default(),
            latencies: Latencies::new(max_latency),
            rounds: Rounds::default(),
            timeline: Timeline::default(),
        }
    }

    /// Records a successful request sent `start` after the span began, taking `latency`, that
    /// received `bytes`.
    #[inline]
    pub fn record_ok(&mut self, start: Duration, latency: Duration, bytes: u64) {
        let ns = nanos(latency);
        let c = &mut self.counts;
        c.requests += 1;
        c.ok += 1;
        c.bytes = c.bytes.saturating_add(bytes);
        c.span(start, latency);
        self.latencies.record(ns, c.ok);
        self.timeline.record_ok(start, ns, bytes);
    }

    /// Records a failed request. Its latency stays out of latency statistics (a refused
    /// connection is fast, a timeout is the timeout) and only adds to [`Series::error_time`].
    #[inline]
    pub fn record_error(
        &mut self,
        start: Duration,
        latency: Duration,
        cause: &ErrorCause,
        bytes: u64,
    ) {
        let c = &mut self.counts;
        c.requests += 1;
        c.errors += 1;
        c.bytes = c.bytes.saturating_add(bytes);
        c.error_ns = c.error_ns.saturating_add(latency.as_nanos());
        c.span(start, latency);
        self.causes.record(cause, 1);
        self.timeline.record_error(start, bytes);
    }

    /// Records one round of a concurrent case or a burst: its wall time (first send to last
    /// response) and its release spread (first send to last send).
    pub fn record_round(&mut self, wall: Duration, spread: Duration) {
        let rounds = &mut self.rounds;
        rounds.count += 1;
        rounds.slowest_ns = rounds.slowest_ns.max(nanos(wall));
        rounds.widest_spread_ns = rounds.widest_spread_ns.max(nanos(spread));
    }

    /// Adds `other`, as if its requests had been recorded here. Exact: merging two halves gives
    /// the series of the whole (the exact latencies are kept if the two together are still
    /// within the limit). The histogram widens to the larger maximum of the two, the timeline
    /// coarsens to the wider slots of the two. Distinct causes past
    /// [`MAX_CAUSES`](super::MAX_CAUSES) count as other causes.
    pub fn merge(&mut self, other: &Series) {
        let ok_before = self.counts.ok;
        let (c, o) = (&mut self.counts, &other.counts);
        c.requests = c.requests.saturating_add(o.requests);
        c.ok = c.ok.saturating_add(o.ok);
        c.errors = c.errors.saturating_add(o.errors);
        c.bytes = c.bytes.saturating_add(o.bytes);
        c.error_ns = c.error_ns.saturating_add(o.error_ns);
        c.first_start_ns = match (c.first_start_ns, o.first_start_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        c.last_end_ns = c.last_end_ns.max(o.last_end_ns);
        self.causes.merge(&other.causes);
        self.latencies
            .merge(ok_before, &other.latencies, other.counts.ok);
        self.rounds.count = self.rounds.count.saturating_add(other.rounds.count);
        self.rounds.slowest_ns = self.rounds.slowest_ns.max(other.rounds.slowest_ns);
        self.rounds.widest_spread_ns =
            (self.rounds.widest_spread_ns).max(other.rounds.widest_spread_ns);
        self.timeline.merge(&other.timeline);
    }

    /// Moves the series `by` later in the span: its first send and last response, and its
    /// timeline (to the whole second). For a part measured later than the part it joins.
    pub fn shift(&mut self, by: Duration) {
        let by_ns = nanos(by);
        let c = &mut self.counts;
        c.first_start_ns = c.first_start_ns.map(|n| n.saturating_add(by_ns));
        c.last_end_ns = c.last_end_ns.map(|n| n.saturating_add(by_ns));
        self.timeline.shift(by);
    }

    /// Every request recorded.
    pub fn requests(&self) -> u64 {
        self.counts.requests
    }

    /// Successful requests.
    pub fn ok(&self) -> u64 {
        self.counts.ok
    }

    /// Failed requests.
    pub fn errors(&self) -> u64 {
        self.counts.errors
    }

    /// Errors by cause, most frequent first, then by cause. At most
    /// [`MAX_CAUSES`](super::MAX_CAUSES); see [`Series::other_causes`].
    pub fn causes(&self) -> Vec<(&ErrorCause, u64)> {
        self.causes.by_frequency()
    }

    /// Errors counted under no cause of their own because the series already counted
    /// [`MAX_CAUSES`](super::MAX_CAUSES) distinct causes.
    pub fn other_causes(&self) -> u64 {
        self.causes.other()
    }

    /// Time spent in requests that failed (the sum of their latencies).
    pub fn error_time(&self) -> Duration {
        Duration::from_nanos(u64::try_from(self.counts.error_ns).unwrap_or(u64::MAX))
    }

    /// Successful latencies in nanoseconds, 1 us to [`Series::max_latency`], 3 significant digits.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.latencies.histogram
    }

    /// The largest latency the histogram tells apart; see [`Series::new`].
    pub fn max_latency(&self) -> Duration {
        Duration::from_nanos(self.latencies.histogram.high())
    }

    /// Every successful latency in nanoseconds, in recording order, while there are at most
    /// [`EXACT_LIMIT`](super::EXACT_LIMIT); `None` past it.
    pub fn exact_nanos(&self) -> Option<&[u64]> {
        (self.counts.ok <= super::EXACT_LIMIT).then_some(self.latencies.exact_ns.as_slice())
    }

    /// Sum of successful latencies in nanoseconds, exact.
    pub fn sum_nanos(&self) -> u128 {
        self.latencies.sum_ns
    }

    /// Sum of squared successful latencies in nanoseconds squared, exact.
    pub fn sum_squared_nanos(&self) -> u128 {
        self.latencies.sum_sq_ns
    }

    /// Fastest successful request, exact; `None` when none succeeded.
    pub fn min(&self) -> Option<Duration> {
        (self.counts.ok > 0).then(|| Duration::from_nanos(self.latencies.min_ns))
    }

    /// Slowest successful request, exact (not clamped); `None` when none succeeded.
    pub fn max(&self) -> Option<Duration> {
        (self.counts.ok > 0).then(|| Duration::from_nanos(self.latencies.max_ns))
    }

    /// From the first send to the last response of this series' requests: the time they were
    /// active, the denominator of a part's own rate (a journey step's, a request name's).
    pub fn active_span(&self) -> Option<Duration> {
        let (from, to) = (self.counts.first_start_ns?, self.counts.last_end_ns?);
        Some(Duration::from_nanos(to.saturating_sub(from)))
    }

    /// Response bytes received by all requests.
    pub fn bytes(&self) -> u64 {
        self.counts.bytes
    }

    /// Rounds recorded.
    pub fn rounds(&self) -> u64 {
        self.rounds.count
    }

    /// Wall time of the slowest round; `None` when there were no rounds.
    pub fn slowest_round(&self) -> Option<Duration> {
        (self.rounds.count > 0).then(|| Duration::from_nanos(self.rounds.slowest_ns))
    }

    /// The widest release spread of a round (first send to last send); `None` when there were
    /// no rounds.
    pub fn widest_spread(&self) -> Option<Duration> {
        (self.rounds.count > 0).then(|| Duration::from_nanos(self.rounds.widest_spread_ns))
    }

    /// Requests per slot (one second, or wider for long spans) of the measured span.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Approximate heap bytes held, from capacities.
    pub fn heap_bytes(&self) -> usize {
        self.latencies.heap_bytes() + self.causes.heap_bytes() + self.timeline.heap_bytes()
    }
}

impl TryFrom<SeriesFields> for Series {
    type Error = InvalidRecord;

    fn try_from(f: SeriesFields) -> Result<Self, InvalidRecord> {
        let c = &f.counts;
        let mut defects = Vec::new();
        if c.ok.checked_add(c.errors) != Some(c.requests) {
            defects.push(format!(
                "requests {} != ok {} + errors {}",
                c.requests, c.ok, c.errors
            ));
        }
        if !f.causes.is_well_formed() {
            defects.push("causes are not distinct and sorted, or too many".to_string());
        } else if f.causes.total() != c.errors {
            defects.push(format!(
                "causes count {} errors, expected {}",
                f.causes.total(),
                c.errors
            ));
        }
        defects.extend(f.latencies.defect(c.ok));
        defects.extend(f.timeline.defect());
        let (requests, ok, errors, _) = f.timeline.totals();
        if (requests, ok, errors) != (c.requests, c.ok, c.errors) {
            defects.push(format!(
                "timeline counts {requests} requests ({ok} ok, {errors} errors), expected {} ({} \
                 ok, {} errors)",
                c.requests, c.ok, c.errors
            ));
        }
        if !defects.is_empty() {
            return Err(InvalidRecord::Series(defects.join("; ")));
        }
        Ok(Series {
            counts: f.counts,
            causes: f.causes,
            latencies: f.latencies,
            rounds: f.rounds,
            timeline: f.timeline,
        })
    }
}
