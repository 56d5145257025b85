//! Durations in serialized records: integer nanoseconds (`u64`, enough for 584 years), so any
//! reader gets one plain number instead of a seconds-and-nanoseconds pair.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

use super::latencies::nanos;

/// Writes `d` as nanoseconds, saturating at `u64::MAX`.
pub(crate) fn serialize<S: Serializer>(d: &Duration, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_u64(nanos(*d))
}

/// Reads nanoseconds.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Duration, D::Error> {
    u64::deserialize(input).map(Duration::from_nanos)
}

/// The same for `Option<Duration>`: nanoseconds or null.
pub(crate) mod option {
    use super::*;

    /// Writes nanoseconds, or null for `None`.
    pub(crate) fn serialize<S: Serializer>(
        d: &Option<Duration>,
        out: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => out.serialize_some(&nanos(*d)),
            None => out.serialize_none(),
        }
    }

    /// Reads nanoseconds or null.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(input).map(|n| n.map(Duration::from_nanos))
    }
}
