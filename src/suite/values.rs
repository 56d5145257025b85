//! Value types users write in YAML: durations (`200ms`, `1.5s`), ratios (`0.01`, `1%`), sizes
//! (`10MiB`), CPU percentages (`150%`) and growth rates (`1MiB/min`).
//!
//! Each is a newtype that can only hold a valid value, so nothing past the parser re-checks them.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A non-negative duration written as `250ms`, `2s`, `1.5s`, `1m`, `500us` or a bare number of
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// Parses `250ms`, `1.5s`, `2m`, `1h`, `800us`, `10ns`; a bare number means milliseconds.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let value: f64 = number.parse().map_err(|_| {
            format!("invalid duration `{text}`: expected a number with a unit, such as `200ms` or `1.5s`")
        })?;
        let nanos_per_unit = match unit.trim() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "" | "ms" => 1e6,
            "s" => 1e9,
            "m" | "min" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(format!(
                    "invalid duration `{text}`: unknown unit `{other}` (use ns, us, ms, s, m or h)"
                ))
            }
        };
        Self::from_nanos_f64(value * nanos_per_unit).ok_or_else(|| {
            format!("invalid duration `{text}`: must be a finite, non-negative time")
        })
    }

    /// Builds a duration from seconds, refusing negative, NaN and absurdly large values.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        Self::from_nanos_f64(secs * 1e9)
    }

    fn from_nanos_f64(nanos: f64) -> Option<Self> {
        // Ten years is far beyond any sane bound and keeps the cast below exact enough.
        if nanos.is_finite() && (0.0..3.2e17).contains(&nanos) {
            Some(Self(Duration::from_nanos(nanos.round() as u64)))
        } else {
            None
        }
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `200ms`, `2s` or `1.5s`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                HumanDuration::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                HumanDuration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                HumanDuration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                HumanDuration::parse(&v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// A fraction in `[0, 1]`, written as `0.01` or `1%`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Ratio(pub f64);

impl Ratio {
    /// Parses `0.01`, `1%` or `0.5 %`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let value = percent_or_fraction(text).ok_or_else(|| {
            format!(
                "invalid ratio `{text}`: expected a fraction like `0.01` or a percentage like `1%`"
            )
        })?;
        Self::new(value)
            .ok_or_else(|| format!("invalid ratio `{text}`: must be between 0 and 1 (0% to 100%)"))
    }

    /// A ratio, if `value` lies in `[0, 1]`.
    pub fn new(value: f64) -> Option<Self> {
        (0.0..=1.0).contains(&value).then_some(Self(value))
    }
}

/// `95%` as 0.95, or a plain fraction such as `0.95` as itself; `None` if it is not a number.
pub(super) fn percent_or_fraction(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (text, 1.0),
    };
    number.parse::<f64>().ok().map(|v| v / scale)
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.0 * 100.0;
        if pct == pct.trunc() {
            write!(f, "{pct:.0}%")
        } else {
            write!(f, "{pct:.2}%")
        }
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RatioVisitor;
        impl Visitor<'_> for RatioVisitor {
            type Value = Ratio;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a ratio such as `0.01` or `1%`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ratio::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ratio::new(v).ok_or_else(|| {
                    E::custom(format!("invalid ratio `{v}`: must be between 0 and 1"))
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
        }
        deserializer.deserialize_any(RatioVisitor)
    }
}

/// A size in bytes, written as `10MiB`, `512KiB`, `2MB`, `1GiB` or a bare number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `10MiB`, `512KiB`, `64KB`, `1GiB`, `1000`; units are case-insensitive.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let value: f64 = number.parse().map_err(|_| {
            format!("invalid size `{text}`: expected a number with a unit, such as `10MiB`")
        })?;
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            other => {
                return Err(format!(
                    "invalid size `{text}`: unknown unit `{other}` (use B, KB, MB, GB, KiB, MiB or GiB)"
                ))
            }
        };
        let bytes = value * scale;
        // 1 TiB is far beyond anything a harness should hold in memory.
        if !(bytes.is_finite() && (0.0..=1024f64.powi(4)).contains(&bytes)) {
            return Err(format!("invalid size `{text}`: must be between 0 and 1TiB"));
        }
        Ok(Self(bytes.round() as u64))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl Visitor<'_> for SizeVisitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as `10MiB` or `512KiB`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                ByteSize::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                ByteSize::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                ByteSize::parse(&v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(SizeVisitor)
    }
}

/// A share of CPU time in percent of one core, written `150%`: 100% is one core busy for the
/// whole time, so a process using two cores reads 200%.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

impl Percent {
    /// Parses `150%` or `12.5 %`; the `%` is required, since `1.5` could mean 150% or 1.5%.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let Some(number) = text.strip_suffix('%') else {
            return Err(format!(
                "invalid percentage `{text}`: write it with `%`, such as `150%` (100% is one \
                 CPU core)"
            ));
        };
        match number.trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value >= 0.0 => Ok(Self(value)),
            _ => Err(format!(
                "invalid percentage `{text}`: expected a non-negative number before `%`, such \
                 as `150%`"
            )),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// A rate of growth in bytes per minute, written `1MiB/min`, `20KB/s` or `100MB/h`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct ByteRate(pub f64);

impl ByteRate {
    /// Parses a [`ByteSize`] per `s`, `min` (or `m`) or `h`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let Some((size, per)) = text.split_once('/') else {
            return Err(format!(
                "invalid growth rate `{text}`: expected a size per time, such as `1MiB/min`"
            ));
        };
        let size = ByteSize::parse(size).map_err(|e| format!("invalid growth rate: {e}"))?;
        let per_minute = match per.trim() {
            "s" | "sec" => 60.0,
            "m" | "min" => 1.0,
            "h" => 1.0 / 60.0,
            other => {
                return Err(format!(
                    "invalid growth rate `{text}`: unknown time unit `{other}` (use s, min or h)"
                ))
            }
        };
        Ok(Self(size.0 as f64 * per_minute))
    }
}

/// Implements `Deserialize` through a type's `parse`, for values written as text (a number
/// without its unit reaches `parse` as text too, which says what is missing).
macro_rules! deserialize_by_parse {
    ($type:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ParseVisitor;
                impl Visitor<'_> for ParseVisitor {
                    type Value = $type;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        <$type>::parse(v).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                        self.visit_str(&v.to_string())
                    }
                }
                deserializer.deserialize_any(ParseVisitor)
            }
        }
    };
}

pub(super) use deserialize_by_parse;

deserialize_by_parse!(Percent, "a percentage of one CPU core, such as `150%`");
deserialize_by_parse!(ByteRate, "a growth rate such as `1MiB/min`");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_users_write() {
        let ms = |n| Duration::from_millis(n);
        assert_eq!(HumanDuration::parse("200ms").unwrap().0, ms(200));
        assert_eq!(HumanDuration::parse("2s").unwrap().0, ms(2000));
        assert_eq!(HumanDuration::parse("1.5s").unwrap().0, ms(1500));
        assert_eq!(HumanDuration::parse("1m").unwrap().0, ms(60_000));
        assert_eq!(HumanDuration::parse("250").unwrap().0, ms(250));
        assert_eq!(
            HumanDuration::parse("800us").unwrap().0,
            Duration::from_micros(800)
        );
    }

    #[test]
    fn rejects_bad_durations_with_reason() {
        assert!(HumanDuration::parse("-5ms")
            .unwrap_err()
            .contains("non-negative"));
        assert!(HumanDuration::parse("fast")
            .unwrap_err()
            .contains("expected a number"));
        assert!(HumanDuration::parse("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(HumanDuration::parse("NaNs").is_err());
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(ByteSize::parse("10MiB").unwrap().0, 10 * 1024 * 1024);
        assert_eq!(ByteSize::parse("512 KiB").unwrap().0, 512 * 1024);
        assert_eq!(ByteSize::parse("2mb").unwrap().0, 2_000_000);
        assert_eq!(ByteSize::parse("1000").unwrap().0, 1000);
        assert!(ByteSize::parse("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(ByteSize::parse("-1").is_err());
        assert!(ByteSize::parse("2000GiB")
            .unwrap_err()
            .contains("between 0 and 1TiB"));
    }

    #[test]
    fn parses_ratios_and_percentages() {
        assert_eq!(Ratio::parse("0.01").unwrap().0, 0.01);
        assert!((Ratio::parse("1%").unwrap().0 - 0.01).abs() < 1e-12);
        assert!(Ratio::parse("150%")
            .unwrap_err()
            .contains("between 0 and 1"));
        assert!(Ratio::parse("lots").is_err());
    }

    #[test]
    fn parses_cpu_percentages() {
        assert_eq!(Percent::parse("150%").unwrap().0, 150.0);
        assert_eq!(Percent::parse("12.5 %").unwrap().0, 12.5);
        assert!(Percent::parse("1.5")
            .unwrap_err()
            .contains("write it with `%`"));
        assert!(Percent::parse("-5%").unwrap_err().contains("non-negative"));
        assert!(Percent::parse("lots%").is_err());
    }

    #[test]
    fn parses_growth_rates_per_minute() {
        assert_eq!(ByteRate::parse("1MiB/min").unwrap().0, 1024.0 * 1024.0);
        assert_eq!(ByteRate::parse("1KB/s").unwrap().0, 60_000.0);
        assert_eq!(ByteRate::parse("60MB/h").unwrap().0, 1e6);
        assert!(ByteRate::parse("1MiB")
            .unwrap_err()
            .contains("expected a size per time"));
        assert!(ByteRate::parse("1MiB/day")
            .unwrap_err()
            .contains("unknown time unit `day`"));
        assert!(ByteRate::parse("lots/min").is_err());
    }
}
