//! The walkers serde's visitors drive: items of a sequence, entries of a mapping, an enum's
//! variant, and the position handshake of [`Spanned`].

use serde::de::{
    self as serde_de, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::error::{at, under, Error, Problem, Segment};
use crate::suite::node::Node;
use crate::suite::span::{self, Span, Spanned};

/// A mapping key as a deserializer: its text, and its position for errors.
pub(super) struct KeyDe<'de>(pub &'de Spanned<String>);

/// The items of a sequence, each at its index.
pub(super) struct SeqDe<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Spanned<Node>>>,
}

impl<'de> SeqDe<'de> {
    /// Lets `visitor` read `items`, refusing items it leaves unread.
    pub fn visit<V: Visitor<'de>>(
        items: &'de [Spanned<Node>],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut access = SeqDe {
            items: items.iter().enumerate(),
        };
        let value = visitor.visit_seq(&mut access)?;
        match access.items.next() {
            None => Ok(value),
            Some((read, _)) => Err(Error::new(Problem::Invalid(format!(
                "expected {read} items, found {}",
                items.len()
            )))),
        }
    }
}

impl<'de> SeqAccess<'de> for SeqDe<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, item)) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(item)
            .map(Some)
            .map_err(at(item.span))
            .map_err(under(Segment::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a mapping in file order; a value's errors are under its key.
pub(super) struct MapDe<'de> {
    entries: std::slice::Iter<'de, (Spanned<String>, Spanned<Node>)>,
    pending: Option<&'de (Spanned<String>, Spanned<Node>)>,
}

impl<'de> MapDe<'de> {
    /// Lets `visitor` read `entries`, refusing entries it leaves unread.
    pub fn visit<V: Visitor<'de>>(
        entries: &'de [(Spanned<String>, Spanned<Node>)],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut access = MapDe {
            entries: entries.iter(),
            pending: None,
        };
        let value = visitor.visit_map(&mut access)?;
        match access.entries.next() {
            None => Ok(value),
            Some((key, _)) => {
                let message = format!("unexpected key `{}`", key.value);
                Err(Error::located(Problem::Invalid(message), key.span))
            }
        }
    }
}

impl<'de> MapAccess<'de> for MapDe<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        seed.deserialize(KeyDe(&entry.0))
            .map(Some)
            .map_err(at(entry.0.span))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.pending.take() else {
            return Err(Error::new(Problem::Invalid(
                "a value was asked for before its key".to_string(),
            )));
        };
        seed.deserialize(value)
            .map_err(at(value.span))
            .map_err(under(Segment::Key(key.value.clone())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as its bare name (`kind: burst`).
pub(super) struct UnitVariant<'de> {
    pub name: &'de str,
    pub span: Span,
}

impl<'de> EnumAccess<'de> for UnitVariant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let name: serde_de::value::BorrowedStrDeserializer<'de, Error> =
            serde_de::value::BorrowedStrDeserializer::new(self.name);
        let value = seed.deserialize(name).map_err(at(self.span))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(self.needs_settings())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(self.needs_settings())
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.needs_settings())
    }
}

impl UnitVariant<'_> {
    fn needs_settings(&self) -> Error {
        let message = format!("`{0}` needs settings: write it as `{0}: ...`", self.name);
        Error::located(Problem::Invalid(message), self.span)
    }
}

/// An enum written as a one-key mapping (`burst: { size: 3 }`).
pub(super) struct MapVariant<'de> {
    pub key: &'de Spanned<String>,
    pub value: &'de Spanned<Node>,
}

impl<'de> EnumAccess<'de> for MapVariant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let value = seed
            .deserialize(KeyDe(self.key))
            .map_err(at(self.key.span))?;
        Ok((value, self))
    }
}

impl<'de> MapVariant<'de> {
    fn inside<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result
            .map_err(at(self.value.span))
            .map_err(under(Segment::Key(self.key.value.clone())))
    }
}

impl<'de> VariantAccess<'de> for MapVariant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        let result = match &self.value.value {
            Node::Null => Ok(()),
            _ => Err(Error::wrong_type(
                self.value,
                "nothing after the name".to_string(),
            )),
        };
        self.inside(result)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        self.inside(seed.deserialize(self.value))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.inside(serde_de::Deserializer::deserialize_seq(self.value, visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.inside(serde_de::Deserializer::deserialize_struct(
            self.value, "", fields, visitor,
        ))
    }
}

/// What a [`Spanned`] wraps: a node, or a mapping key.
enum Source<'de> {
    Node(&'de Spanned<Node>),
    Key(&'de Spanned<String>),
}

/// The answer to [`Spanned`]'s handshake: a map of line, column and the value itself.
pub(super) struct SpannedDe<'de> {
    span: Span,
    source: Source<'de>,
    step: u8,
}

impl<'de> SpannedDe<'de> {
    pub fn node(node: &'de Spanned<Node>) -> Self {
        SpannedDe {
            span: node.span,
            source: Source::Node(node),
            step: 0,
        }
    }

    pub fn key(key: &'de Spanned<String>) -> Self {
        SpannedDe {
            span: key.span,
            source: Source::Key(key),
            step: 0,
        }
    }
}

impl<'de> serde_de::Deserializer<'de> for SpannedDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(&mut self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for &mut SpannedDe<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.step {
            0 => span::LINE,
            1 => span::COLUMN,
            2 => span::VALUE,
            _ => return Ok(None),
        };
        let key: serde_de::value::BorrowedStrDeserializer<'de, Error> =
            serde_de::value::BorrowedStrDeserializer::new(key);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.step += 1;
        match (self.step, &self.source) {
            (1, _) => seed.deserialize(self.span.line.into_deserializer()),
            (2, _) => seed.deserialize(self.span.column.into_deserializer()),
            (_, Source::Node(node)) => seed.deserialize(*node).map_err(at(node.span)),
            (_, Source::Key(key)) => seed.deserialize(KeyDe(key)).map_err(at(key.span)),
        }
    }
}
