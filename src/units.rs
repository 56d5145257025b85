//! Formatting and serialising the numbers results carry: durations read as people read
//! latencies, sizes as people write them, and durations written to result files as whole
//! nanoseconds.

use std::time::Duration;

/// Formats a duration the way people read latencies: `850us`, `12.3ms`, `1.50s`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos < 1_000 {
        format!("{nanos}ns")
    } else if nanos < 1_000_000 {
        format!("{:.0}us", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        let ms = nanos as f64 / 1e6;
        if ms < 10.0 {
            format!("{ms:.2}ms")
        } else {
            format!("{ms:.1}ms")
        }
    } else {
        format!("{:.2}s", nanos as f64 / 1e9)
    }
}

/// Formats a size in bytes the way users write one in `thresholds.yaml`: the largest binary unit
/// it reaches, at most two decimals, no space (`812B`, `64KiB`, `143.23MiB`, `1.5GiB`). Measured
/// sizes and bounds read alike (`rss_max 120MiB > bound 64MiB`), and either can be pasted back
/// as a bound. A negative size (shrinking memory) keeps its sign.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [(&str, f64); 4] = [
        ("GiB", 1024.0 * 1024.0 * 1024.0),
        ("MiB", 1024.0 * 1024.0),
        ("KiB", 1024.0),
        ("B", 1.0),
    ];
    let size = bytes.abs();
    let (unit, scale) = UNITS
        .into_iter()
        .find(|(_, scale)| size >= *scale)
        .unwrap_or(("B", 1.0));
    let value = (size / scale * 100.0).round() / 100.0;
    let sign = if bytes < 0.0 && value > 0.0 { "-" } else { "" };
    format!("{sign}{value}{unit}")
}

/// Durations as whole nanoseconds, the unit every result file uses (serde's default for
/// `Duration` is a `{secs, nanos}` pair, which no spreadsheet or chart reads).
pub mod nanos {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `d` as nanoseconds, saturating at `u64::MAX` (584 years).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Reads nanoseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_nanos)
    }

    /// The same for `Option<Duration>`: nanoseconds or null.
    pub mod option {
        use std::time::Duration;

        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes nanoseconds, or null for `None`.
        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        /// Reads nanoseconds or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            Option::<u64>::deserialize(d).map(|n| n.map(Duration::from_nanos))
        }
    }
}

/// `SystemTime` as RFC 3339 text in UTC with milliseconds: `2026-05-04T10:11:12.345Z`.
pub mod rfc3339 {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `time` as RFC 3339.
    pub fn serialize<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_millis(*time))
    }

    /// Reads RFC 3339 text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<SystemTime>`: RFC 3339 text or null.
    pub mod option {
        use std::time::SystemTime;

        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes RFC 3339 text, or null for `None`.
        pub fn serialize<S: Serializer>(
            time: &Option<SystemTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => super::serialize(time, s),
                None => s.serialize_none(),
            }
        }

        /// Reads RFC 3339 text or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SystemTime>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| humantime::parse_rfc3339(&text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_latencies_readably() {
        assert_eq!(format_duration(Duration::from_micros(850)), "850us");
        assert_eq!(format_duration(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.50s");
    }

    #[test]
    fn formats_sizes_as_users_write_them() {
        const MIB: f64 = 1024.0 * 1024.0;
        assert_eq!(format_bytes(812.0), "812B");
        assert_eq!(format_bytes(0.0), "0B");
        assert_eq!(format_bytes(64.0 * 1024.0), "64KiB");
        assert_eq!(format_bytes(512.0 * MIB), "512MiB");
        assert_eq!(format_bytes(143.234 * MIB), "143.23MiB");
        assert_eq!(format_bytes(1536.0 * MIB), "1.5GiB");
        assert_eq!(format_bytes(-3.2 * MIB), "-3.2MiB");
        assert_eq!(format_bytes(-0.001), "0B");
    }
}
