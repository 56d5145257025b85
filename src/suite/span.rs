//! Where something was written in a YAML file, and values that remember it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A 1-based line and column in a file's text; [`Span::UNKNOWN`] when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column in characters, 0 when unknown.
    pub column: u32,
}

impl Span {
    /// No known position.
    pub const UNKNOWN: Span = Span { line: 0, column: 0 };

    /// The position at `line` and `column` (both 1-based).
    pub const fn new(line: u32, column: u32) -> Self {
        Span { line, column }
    }

    /// Whether this is a real position.
    pub const fn is_known(self) -> bool {
        self.line != 0
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value and where it was written. Equality compares values only, so a model that keeps
/// spans still compares equal to one built by hand.
#[derive(Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// `value`, written at `span`.
    pub const fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    /// The value without its position.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} @ {}", self.value, self.span)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

// The handshake with our deserializer: asked for a newtype struct of this name, it hands the
// visitor a map of these three fields in this order. Other deserializers see an ordinary newtype
// and the value arrives without a position (see the visitor's fallbacks).
pub(crate) const NAME: &str = "$__loadgate_spanned";
pub(crate) const LINE: &str = "$__loadgate_spanned_line";
pub(crate) const COLUMN: &str = "$__loadgate_spanned_column";
pub(crate) const VALUE: &str = "$__loadgate_spanned_value";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(NAME, Handshake(PhantomData))
    }
}

struct Handshake<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Handshake<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(SpannedVisitor(PhantomData))
    }
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<T> SpannedVisitor<T> {
    fn unknown<'de, E: de::Error>(value: impl IntoDeserializer<'de, E>) -> Result<Spanned<T>, E>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(value.into_deserializer()).map(|v| Spanned::new(v, Span::UNKNOWN))
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let first = map.next_key::<String>()?;
        if first.as_deref() != Some(LINE) {
            // Not our handshake: a mapping from another deserializer, kept whole.
            let rest = de::value::MapAccessDeserializer::new(Prepended { first, rest: map });
            return T::deserialize(rest).map(|v| Spanned::new(v, Span::UNKNOWN));
        }
        let line = map.next_value()?;
        let column = match map.next_key::<String>()?.as_deref() {
            Some(COLUMN) => map.next_value()?,
            _ => return Err(de::Error::missing_field(COLUMN)),
        };
        let value = match map.next_key::<String>()?.as_deref() {
            Some(VALUE) => map.next_value()?,
            _ => return Err(de::Error::missing_field(VALUE)),
        };
        Ok(Spanned::new(value, Span::new(line, column)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::unknown(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::unknown(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::unknown(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::unknown(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::unknown(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::unknown(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::unknown(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::SeqAccessDeserializer::new(seq))
            .map(|v| Spanned::new(v, Span::UNKNOWN))
    }
}

/// A map whose first key was already read while looking for the handshake.
struct Prepended<A> {
    first: Option<String>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prepended<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_and_serializes_as_the_bare_value() {
        let a = Spanned::new(5, Span::new(1, 2));
        let b = Spanned::new(5, Span::new(3, 4));
        assert_eq!(a, b);
        assert_eq!(*a + 1, 6);
        assert_eq!(serde_json::to_string(&a).unwrap(), "5");
        assert_eq!(format!("{a:?}"), "5 @ 1:2");
    }

    #[test]
    fn other_deserializers_give_values_without_a_position() {
        let n: Spanned<u32> = serde_json::from_str("7").unwrap();
        assert_eq!((n.value, n.span), (7, Span::UNKNOWN));
        let m: Spanned<std::collections::BTreeMap<String, u32>> =
            serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(m.len(), 2);
        assert!(!m.span.is_known());
    }
}
