//! Reading any serde type from a [`Node`] tree, with errors at the exact node at fault.
//!
//! A type mismatch points at the value, an unknown key at the key, a missing key at the
//! mapping, an unknown enum value at the value, and an error raised by a type's own
//! `Deserialize` (a bad duration) at the value it came from: each node attaches its position
//! to an error that has none yet, so the innermost position wins. On the way out, every mapping
//! value and sequence item adds its key or index to the error's path (`cases[0].request`).

mod access;
mod error;

use serde::de::{self as serde_de, Deserialize, Visitor};

use super::node::Node;
use super::span::{self, Spanned};
use access::{KeyDe, MapDe, SeqDe, SpannedDe, UnitVariant};
use error::{at, expected_by, one_of};
pub use error::{Error, Problem, Segment};

/// Reads a `T` from `node`.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Spanned<Node>) -> Result<T, Error> {
    T::deserialize(node).map_err(at(node.span))
}

impl<'de> serde_de::Deserializer<'de> for &'de Spanned<Node> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Node::Null => visitor.visit_unit(),
            Node::Bool(b) => visitor.visit_bool(*b),
            Node::Int(n) => visitor.visit_i64(*n),
            Node::UInt(n) => visitor.visit_u64(*n),
            Node::Float(n) => visitor.visit_f64(*n),
            Node::String(s) => visitor.visit_borrowed_str(s),
            Node::Seq(items) => SeqDe::visit(items, visitor),
            Node::Map(entries) => MapDe::visit(entries, visitor),
        }
        .map_err(at(self.span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(at(self.span))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Node::Null => visitor.visit_unit().map_err(at(self.span)),
            _ => Err(Error::wrong_type(self, expected_by(&visitor))),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // A string field takes a number or boolean as its text, as YAML readers expect.
        match (&self.value, self.scalar_text()) {
            (Node::String(s), _) => visitor.visit_borrowed_str(s),
            (_, Some(text)) => visitor.visit_string(text),
            (_, None) => return self.deserialize_any(visitor),
        }
        .map_err(at(self.span))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Node::String(s) => visitor.visit_borrowed_str(s).map_err(at(self.span)),
            _ => Err(Error::wrong_type(self, expected_by(&visitor))),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // An empty value under a key (`checks:`) is an empty sequence.
        match &self.value {
            Node::Null => SeqDe::visit(&[], visitor).map_err(at(self.span)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Node::Null => MapDe::visit(&[], visitor).map_err(at(self.span)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Only a mapping: serde's structs would also take a sequence, by position, which
        // nobody writing YAML means.
        match &self.value {
            Node::Map(entries) => MapDe::visit(entries, visitor),
            Node::Null => MapDe::visit(&[], visitor),
            _ => return Err(Error::wrong_type(self, expected_by(&visitor))),
        }
        .map_err(at(self.span))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            Node::String(name) => visitor.visit_enum(UnitVariant {
                name,
                span: self.span,
            }),
            Node::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(access::MapVariant { key, value })
            }
            _ => return Err(Error::wrong_type(self, one_of(variants))),
        }
        .map_err(at(self.span))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == span::NAME {
            return visitor.visit_newtype_struct(SpannedDe::node(self));
        }
        if name == super::raw::NAME {
            super::raw::HANDED.with(|slot| *slot.borrow_mut() = Some(self.clone()));
            return visitor.visit_unit().map_err(at(self.span));
        }
        visitor.visit_newtype_struct(self).map_err(at(self.span))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
    }
}

impl<'de> serde_de::Deserializer<'de> for KeyDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor
            .visit_borrowed_str(&self.0.value)
            .map_err(at(self.0.span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let span = self.0.span;
        visitor
            .visit_enum(UnitVariant {
                name: &self.0.value,
                span,
            })
            .map_err(at(span))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == span::NAME {
            return visitor.visit_newtype_struct(SpannedDe::key(self.0));
        }
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests;
