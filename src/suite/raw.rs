//! A value kept as written, with every position: what a case's kind reads later with a serde
//! type of its own, so the model need not know every kind's keys.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::node::Node;
use super::span::Spanned;

/// The handshake name: asked for a newtype struct of this name, our deserializer leaves a copy
/// of the node here and visits a unit.
pub(crate) const NAME: &str = "$__loadgate_raw";

thread_local! {
    /// The node handed over by the deserializer, taken at once by [`Raw`]'s visitor on the same
    /// thread within the same call.
    pub(crate) static HANDED: RefCell<Option<Spanned<Node>>> = const { RefCell::new(None) };
}

/// A YAML value kept whole, positions included.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw(pub Spanned<Node>);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(NAME, RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        HANDED
            .with(|slot| slot.borrow_mut().take())
            .map(Raw)
            .ok_or_else(|| E::custom("this value can only be read from a YAML file"))
    }
}

/// The field names of a struct, as its derived `Deserialize` lists them (`deny_unknown_fields`
/// messages use the same list): the one source of truth for which keys a type takes.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Lister(RefCell<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for &Lister {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0.borrow_mut() = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let lister = Lister(RefCell::new(&[]));
    let _ = T::deserialize(&lister);
    lister.0.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Two {
        alpha: u32,
        #[serde(rename = "beta_key")]
        beta: Option<String>,
    }

    #[test]
    fn lists_a_structs_keys() {
        assert_eq!(fields_of::<Two>(), ["alpha", "beta_key"]);
    }

    #[test]
    fn keeps_a_value_with_its_positions() {
        let node = crate::suite::yaml::parse_node("a:\n  b: [1, 2]\n", "t.yaml").unwrap();
        #[derive(Deserialize)]
        struct Holder {
            a: Raw,
        }
        let holder: Holder = crate::suite::de::from_node(&node).unwrap();
        assert_eq!(holder.a.0.span.line, 2);
        let Node::Map(entries) = &holder.a.0.value else {
            panic!("a mapping")
        };
        assert_eq!(entries[0].0.value, "b");
        assert_eq!((entries[0].1.span.line, entries[0].1.span.column), (2, 6));
    }
}
