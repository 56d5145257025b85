//! How large a render can be: the limits, and upper bounds computed without rendering.
//!
//! Rendering is cheap per value, but factories multiply: a factory that uses another twice,
//! forty levels deep, renders 2^40 values from a few lines of YAML. So every compiled template
//! carries an upper bound of what it renders, added up from its parts (a factory's bound is
//! computed once, when it compiles, and reused by each use, so this is linear in the suite), and
//! a template over a limit is refused before any request is sent. What no bound can know at
//! compile time (variables, custom functions' results) is held to [`MAX_RENDERED_BYTES`] when
//! rendered, by [`RenderContext`](super::RenderContext).
//!
//! Sizes are measured as compact JSON: strings count their bytes and quotes but not escapes,
//! numbers as printed, arrays and objects their brackets, commas and keys. In text, a string is
//! written without quotes, so the measure is an upper bound there too.

use super::{Json, TemplateError};
use std::fmt::{self, Display, Write};
use std::ops::Add;

/// The most bytes one rendered value (a path, a header, a query value, a body) may have.
///
/// Checked at compile time against the bound of each template and factory, and at run time
/// against what is actually rendered.
pub const MAX_RENDERED_BYTES: usize = 1 << 20;

/// The most JSON values one template or factory may render, checked at compile time: each is an
/// allocation, so many small values cost more than their bytes say.
pub const MAX_RENDERED_VALUES: u64 = 100_000;

/// An upper bound of what a compiled template renders; additions saturate, never overflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Size {
    /// Bytes, measured as compact JSON (see the module documentation).
    pub(crate) bytes: u64,
    /// JSON values built while rendering.
    pub(crate) values: u64,
    /// Whether a factory use contributes: the error message then says how factories multiply.
    pub(crate) uses_factory: bool,
}

impl Size {
    /// `null`, rendered for a missing variable, key, index or data row.
    pub(crate) const NULL: Size = Size::scalar(4);

    /// A value whose size is known only at run time (a variable, a custom function's result):
    /// counted as one small value here, held to [`MAX_RENDERED_BYTES`] when rendered.
    pub(crate) const RUN_TIME: Size = Size::NULL;

    /// One value of at most `bytes` bytes.
    pub(crate) const fn scalar(bytes: u64) -> Size {
        Size {
            bytes,
            values: 1,
            uses_factory: false,
        }
    }

    /// The exact size of `value`.
    pub(crate) fn of(value: &Json) -> Size {
        let mut size = Size::default();
        // Without a limit, measuring cannot stop early.
        let _ = measure(value, u64::MAX, &mut size);
        size
    }

    /// The size of `value` written as text: a string without its quotes.
    pub(crate) fn of_text(value: &Json) -> Size {
        match value {
            Json::String(text) => Size::scalar(text.len() as u64),
            other => Size::of(other),
        }
    }

    /// This size with `bytes` more.
    pub(crate) fn plus_bytes(self, bytes: u64) -> Size {
        Size {
            bytes: self.bytes.saturating_add(bytes),
            ..self
        }
    }

    /// The larger of two bounds in each measure, for a value that is one or the other.
    pub(crate) fn max(self, other: Size) -> Size {
        Size {
            bytes: self.bytes.max(other.bytes),
            values: self.values.max(other.values),
            uses_factory: self.uses_factory || other.uses_factory,
        }
    }

    /// This size, marked as coming from a factory use.
    pub(crate) fn via_factory(self) -> Size {
        Size {
            uses_factory: true,
            ..self
        }
    }

    /// An error naming `subject` if this bound is over a limit:
    /// "factory `f16` would render about 1.3e5 values; the limit is 100000: ...".
    pub(crate) fn check(self, subject: impl Display) -> Result<(), TemplateError> {
        let (amount, limit) = if self.values > MAX_RENDERED_VALUES {
            (
                format!("{:.1e} values", self.values as f64),
                MAX_RENDERED_VALUES.to_string(),
            )
        } else if self.bytes > MAX_RENDERED_BYTES as u64 {
            (
                format!("{:.1e} bytes", self.bytes as f64),
                format!("{MAX_RENDERED_BYTES} bytes"),
            )
        } else {
            return Ok(());
        };
        let hint = match self.uses_factory {
            true => ": a factory that uses another several times multiplies its size",
            false => "",
        };
        Err(TemplateError::new(format!(
            "{subject} would render about {amount}; the limit is {limit}{hint}"
        )))
    }
}

impl Add for Size {
    type Output = Size;

    fn add(self, other: Size) -> Size {
        Size {
            bytes: self.bytes.saturating_add(other.bytes),
            values: self.values.saturating_add(other.values),
            uses_factory: self.uses_factory || other.uses_factory,
        }
    }
}

impl std::iter::Sum for Size {
    fn sum<I: Iterator<Item = Size>>(iter: I) -> Size {
        iter.fold(Size::default(), Add::add)
    }
}

/// The brackets and commas of an array or object of `len` items; an object's keys come on top.
pub(crate) fn punctuation(len: usize) -> u64 {
    len.max(1) as u64 + 1
}

/// The bytes a key adds to an object: itself, its quotes and its colon.
pub(crate) fn key_bytes(key: &str) -> u64 {
    key.len() as u64 + 3
}

/// The bytes of `value` as compact JSON, or `None` as soon as they pass `limit`: a value too
/// large to admit is not walked to its end.
pub(crate) fn bytes_within(value: &Json, limit: usize) -> Option<u64> {
    let mut size = Size::default();
    measure(value, limit as u64, &mut size).ok()?;
    Some(size.bytes)
}

/// Adds the size of `value` to `size`; `Err` once the bytes pass `limit`.
fn measure(value: &Json, limit: u64, size: &mut Size) -> Result<(), ()> {
    let own = match value {
        Json::Null | Json::Bool(true) => 4,
        Json::Bool(false) => 5,
        Json::Number(n) => {
            let mut counter = Counter(0);
            // Counting cannot fail.
            let _ = write!(counter, "{n}");
            counter.0
        }
        Json::String(text) => text.len() as u64 + 2,
        Json::Array(items) => punctuation(items.len()),
        Json::Object(map) => punctuation(map.len()),
    };
    *size = *size + Size::scalar(own);
    if size.bytes > limit {
        return Err(());
    }
    match value {
        Json::Array(items) => items.iter().try_for_each(|item| measure(item, limit, size)),
        Json::Object(map) => map.iter().try_for_each(|(key, item)| {
            *size = size.plus_bytes(key_bytes(key));
            measure(item, limit, size)
        }),
        _ => Ok(()),
    }
}

/// A writer that only counts the bytes written to it.
struct Counter(u64);

impl Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_match_compact_json() {
        for value in [
            json!(null),
            json!(false),
            json!(-12.5),
            json!("héllo"),
            json!([]),
            json!({}),
            json!([1, "a", {"k": [true, null]}]),
            json!({"a": 1, "bc": {"d": "e"}}),
        ] {
            let size = Size::of(&value);
            assert_eq!(size.bytes, value.to_string().len() as u64, "{value}");
            assert_eq!(bytes_within(&value, 1 << 20), Some(size.bytes));
        }
        assert_eq!(Size::of(&json!([1, [2, 3], {"k": 4}])).values, 7);
        assert_eq!(Size::of_text(&json!("abc")).bytes, 3);
    }

    #[test]
    fn measuring_stops_at_the_limit() {
        let long = json!(["x".repeat(100), "y".repeat(100)]);
        let exact = long.to_string().len();
        assert_eq!(bytes_within(&long, exact), Some(exact as u64));
        assert_eq!(bytes_within(&long, exact - 1), None);
        assert_eq!(bytes_within(&long, 50), None);
    }

    #[test]
    fn additions_saturate() {
        let huge = Size::scalar(u64::MAX);
        assert_eq!((huge + huge).bytes, u64::MAX);
        assert_eq!(huge.plus_bytes(9).bytes, u64::MAX);
    }

    #[test]
    fn bounds_over_a_limit_name_the_subject_and_the_limit() {
        let values = Size {
            bytes: 10,
            values: 1_099_511_627_775,
            uses_factory: true,
        };
        assert_eq!(
            values.check("factory `f40`").unwrap_err().to_string(),
            "factory `f40` would render about 1.1e12 values; the limit is 100000: \
             a factory that uses another several times multiplies its size"
        );
        let bytes = Size::scalar(3_000_000);
        assert_eq!(
            bytes.check("the text").unwrap_err().to_string(),
            "the text would render about 3.0e6 bytes; the limit is 1048576 bytes"
        );
        assert!(Size::scalar(MAX_RENDERED_BYTES as u64).check("x").is_ok());
    }
}
