//! How many virtual users ran, second by second: the time integral of the user count per
//! timeline slot (user-nanoseconds), so a slot's mean is exact whatever the sampling, and the
//! users of shards that ran side by side add up exactly.

use std::time::Duration;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::latencies::nanos;
use super::slots::{ShapeDefect, SlotValue, Slots, MAX_SLOTS};
use super::InvalidRecord;

/// Virtual users per slot of the measured span, as user-nanoseconds. Slots are one second wide
/// and double in width past [`MAX_SLOTS`], as the request timeline's do ([`super::slots`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "UsersFields")]
pub struct Users {
    /// Slot `i` covers `[i * width, (i + 1) * width)`: users times the nanoseconds they ran.
    user_ns: Slots<u64>,
}

/// The serialized form, checked before it becomes [`Users`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFields {
    width_secs: u64,
    user_ns: Vec<u64>,
}

impl TryFrom<UsersFields> for Users {
    type Error = InvalidRecord;

    fn try_from(f: UsersFields) -> Result<Self, Self::Error> {
        let users = Users {
            user_ns: Slots::from_parts(f.width_secs, f.user_ns),
        };
        match users.defect() {
            Some(why) => Err(InvalidRecord::Series(why)),
            None => Ok(users),
        }
    }
}

/// Written as [`UsersFields`] reads it: `width_secs` and `user_ns`.
impl Serialize for Users {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Users", 2)?;
        fields.serialize_field("width_secs", &self.user_ns.width_secs())?;
        fields.serialize_field("user_ns", self.user_ns.as_slice())?;
        fields.end()
    }
}

/// A slot's user-nanoseconds; shards' add up (saturating: a count that large is meaningless
/// anyway).
impl SlotValue for u64 {
    fn is_recorded(&self) -> bool {
        *self > 0
    }

    fn merge(&mut self, other: &u64) {
        *self = self.saturating_add(*other);
    }
}

impl Users {
    /// True when no user was counted.
    pub fn is_empty(&self) -> bool {
        self.user_ns.is_empty()
    }

    /// How long each slot is.
    pub fn width(&self) -> Duration {
        self.user_ns.width()
    }

    /// Counts `users` running from `from` to `to` (offsets from the span's start).
    pub fn record(&mut self, from: Duration, to: Duration, users: u64) {
        if users == 0 || to <= from {
            return;
        }
        let (mut at, end) = (nanos(from), nanos(to));
        // Grow (and coarsen) for the latest second first, so the slots below do not move.
        self.user_ns.slot_mut(end.saturating_sub(1) / 1_000_000_000);
        let width_ns = self.user_ns.width_secs().saturating_mul(1_000_000_000);
        while at < end {
            let index = at / width_ns;
            let until = end.min(index.saturating_add(1).saturating_mul(width_ns));
            let slot = self.user_ns.slot_mut(at / 1_000_000_000);
            slot.merge(&users.saturating_mul(until - at));
            at = until;
        }
    }

    /// The mean number of users in the slot holding offset `at`; 0 past the last slot.
    pub fn mean_at(&self, at: Duration) -> f64 {
        let width_ns = self.user_ns.width_secs() as f64 * 1e9;
        self.user_ns.get(at).map_or(0.0, |&n| n as f64 / width_ns)
    }

    /// Each slot's start offset with the mean number of users running in it, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (Duration, f64)> + '_ {
        let width_ns = self.user_ns.width_secs() as f64 * 1e9;
        self.user_ns
            .iter()
            .map(move |(start, &n)| (start, n as f64 / width_ns))
    }

    /// Moves every slot `by` later (to the whole second).
    pub fn shift(&mut self, by: Duration) {
        self.user_ns.shift(by.as_secs());
    }

    /// Adds users that ran side by side with these (another shard of the same case), at the
    /// coarser of the two widths.
    pub fn merge(&mut self, other: &Users) {
        self.user_ns.merge(&other.user_ns);
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.user_ns.heap_bytes()
    }

    /// Why this could not have been recorded, if so.
    fn defect(&self) -> Option<String> {
        self.user_ns.shape_defect().map(|defect| match defect {
            ShapeDefect::Width(width) => {
                format!("user counts' width {width} s is not a power of two")
            }
            ShapeDefect::TooMany(len) => {
                format!("user counts have {len} slots, at most {MAX_SLOTS} expected")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_ramp_reads_as_the_mean_of_each_second() {
        let mut users = Users::default();
        // 10 users for the first second, 20 for half of the second, then 30.
        users.record(secs(0.0), secs(1.0), 10);
        users.record(secs(1.0), secs(1.5), 20);
        users.record(secs(1.5), secs(2.0), 30);
        assert_eq!(users.mean_at(secs(0.3)), 10.0);
        assert_eq!(users.mean_at(secs(1.9)), 25.0);
        assert_eq!(users.mean_at(secs(7.0)), 0.0);
        let each: Vec<(Duration, f64)> = users.iter().collect();
        assert_eq!(each, [(secs(0.0), 10.0), (secs(1.0), 25.0)]);
        // A span across a slot boundary is split at it.
        let mut split = Users::default();
        split.record(secs(0.75), secs(1.25), 8);
        assert_eq!(split.mean_at(secs(0.0)), 2.0);
        assert_eq!(split.mean_at(secs(1.0)), 2.0);
    }

    #[test]
    fn shards_add_up_and_long_runs_coarsen() {
        let mut a = Users::default();
        let mut b = Users::default();
        a.record(secs(0.0), secs(2.0), 5);
        b.record(secs(0.0), secs(2.0), 7);
        a.merge(&b);
        assert_eq!(a.mean_at(secs(1.5)), 12.0);

        let mut long = Users::default();
        let end = MAX_SLOTS as f64 + 10.0;
        long.record(secs(0.0), secs(end), 3);
        assert_eq!(long.width(), Duration::from_secs(2));
        assert!(long.user_ns.len() <= MAX_SLOTS);
        assert!(long.defect().is_none());
        assert_eq!(long.mean_at(secs(100.0)), 3.0);
        // Merging a coarse count into a fine one coarsens the fine one.
        let mut fine = Users::default();
        fine.record(secs(0.0), secs(4.0), 1);
        fine.merge(&long);
        assert_eq!(fine.width(), Duration::from_secs(2));
        assert_eq!(fine.mean_at(secs(1.0)), 4.0);
    }

    #[test]
    fn shifted_counts_move_by_whole_seconds() {
        let mut users = Users::default();
        users.record(secs(0.0), secs(2.0), 6);
        users.shift(secs(3.4));
        let each: Vec<(Duration, f64)> = users.iter().filter(|(_, n)| *n > 0.0).collect();
        assert_eq!(each, [(secs(3.0), 6.0), (secs(4.0), 6.0)]);
    }

    #[test]
    fn edited_counts_are_refused_when_read() {
        let mut users = Users::default();
        users.record(secs(0.0), secs(1.0), 2);
        let mut json = serde_json::to_value(&users).unwrap();
        assert_eq!(
            serde_json::from_value::<Users>(json.clone()).unwrap(),
            users
        );
        json["width_secs"] = 0.into();
        let error = serde_json::from_value::<Users>(json).unwrap_err();
        assert!(error.to_string().contains("power of two"), "{error}");
    }
}
