//! Reading any serde type from a [`Node`] tree, with errors at the exact node at fault.
//!
//! A type mismatch points at the value, an unknown key at the key, a missing key at the
//! mapping, an unknown enum value at the value, and an error raised by a type's own
//! `Deserialize` (a bad duration) at the value it came from: each node attaches its position
//! to an error that has none yet, so the innermost position wins. On the way out, every mapping
//! value and sequence item adds its key or index to the error's path (`cases[0].request`).

mod access;

use std::fmt;

use serde::de::{self as serde_de, Deserialize, Expected, Unexpected, Visitor};

use super::node::Node;
use super::span::{self, Span, Spanned};
use super::suggest::nearest;
use access::{KeyDe, MapDe, SeqDe, SpannedDe, UnitVariant};

/// Reads a `T` from `node`.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Spanned<Node>) -> Result<T, Error> {
    T::deserialize(node).map_err(at(node.span))
}

/// What is wrong with a value, in terms a message can be worded from.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A key the mapping does not take.
    UnknownKey {
        /// The key as written.
        key: String,
        /// The keys the mapping takes.
        expected: Vec<&'static str>,
    },
    /// A value that is not one of a fixed set (a case `kind`).
    UnknownValue {
        /// The value as written.
        value: String,
        /// The values allowed.
        expected: Vec<&'static str>,
    },
    /// A required key that is absent.
    MissingKey(&'static str),
    /// A key given twice.
    DuplicateKey(String),
    /// A value of the wrong kind (a sequence where a mapping belongs).
    WrongType {
        /// What belongs here, such as `a duration such as `200ms``.
        expected: String,
        /// What was found, such as `a sequence`.
        found: String,
    },
    /// Anything else, worded by the type that refused the value.
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownKey { key, expected } => unknown(f, "key", key, expected),
            Problem::UnknownValue { value, expected } => unknown(f, "value", value, expected),
            Problem::MissingKey(key) => write!(f, "missing key `{key}`"),
            Problem::DuplicateKey(key) => write!(f, "duplicate key `{key}`"),
            Problem::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            Problem::Invalid(message) => f.write_str(message),
        }
    }
}

fn unknown(f: &mut fmt::Formatter<'_>, noun: &str, word: &str, expected: &[&str]) -> fmt::Result {
    write!(f, "unknown {noun} `{word}`")?;
    if let Some(best) = nearest(word, expected) {
        write!(f, ", did you mean `{best}`?")?;
    }
    if expected.is_empty() {
        write!(f, " (none are allowed here)")
    } else {
        write!(f, " (expected {})", one_of(expected))
    }
}

/// `one of `a`, `b`` (or just `` `a` `` when there is one).
pub(crate) fn one_of(names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match list.len() {
        1 => list[0].clone(),
        _ => format!("one of {}", list.join(", ")),
    }
}

/// One step from a parent to a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// The value under a mapping key.
    Key(String),
    /// An item of a sequence.
    Index(usize),
}

/// A [`Problem`] at a node: where it is and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    span: Span,
    /// Innermost first: segments are pushed as the error travels out.
    path: Vec<Segment>,
    problem: Problem,
}

impl Error {
    fn new(problem: Problem) -> Self {
        Error {
            span: Span::UNKNOWN,
            path: Vec::new(),
            problem,
        }
    }

    /// Where the problem is.
    pub fn span(&self) -> Span {
        self.span
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// How the node was reached from the document's root, as `cases[0].request`; empty at the
    /// root. For an unknown key, the path of the mapping that holds it.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) if out.is_empty() => out.push_str(key),
                Segment::Key(key) => {
                    out.push('.');
                    out.push_str(key);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn wrong_type(node: &Spanned<Node>, expected: String) -> Self {
        let mut e = Error::new(Problem::WrongType {
            expected,
            found: node.describe(),
        });
        e.span = node.span;
        e
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{path}: {}", self.problem)
        }
    }
}

impl std::error::Error for Error {}

impl serde_de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(Problem::Invalid(message.to_string()))
    }
    fn invalid_type(found: Unexpected, expected: &dyn Expected) -> Self {
        Error::new(Problem::WrongType {
            expected: expecting(&expected.to_string()),
            found: describe(&found),
        })
    }
    fn invalid_value(found: Unexpected, expected: &dyn Expected) -> Self {
        Self::invalid_type(found, expected)
    }
    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Error::new(Problem::Invalid(format!(
            "expected {expected}, found {len} items"
        )))
    }
    fn unknown_variant(value: &str, expected: &'static [&'static str]) -> Self {
        Error::new(Problem::UnknownValue {
            value: value.to_string(),
            expected: expected.to_vec(),
        })
    }
    fn unknown_field(key: &str, expected: &'static [&'static str]) -> Self {
        Error::new(Problem::UnknownKey {
            key: key.to_string(),
            expected: expected.to_vec(),
        })
    }
    fn missing_field(key: &'static str) -> Self {
        Error::new(Problem::MissingKey(key))
    }
    fn duplicate_field(key: &'static str) -> Self {
        Error::new(Problem::DuplicateKey(key.to_string()))
    }
}

/// Gives an error without a position the position `span`.
fn at(span: Span) -> impl FnOnce(Error) -> Error {
    move |mut e| {
        if !e.span.is_known() {
            e.span = span;
        }
        e
    }
}

/// Records that the error came from under `segment`.
fn under(segment: Segment) -> impl FnOnce(Error) -> Error {
    move |mut e| {
        e.path.push(segment);
        e
    }
}

/// serde's description of an expected type, in the words of someone writing YAML.
fn expecting(serde_words: &str) -> String {
    let words = match serde_words {
        w if w.starts_with("struct ") || w == "a map" => "a mapping",
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" | "u128" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" | "i128" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "`true` or `false`",
        other => other,
    };
    words.to_string()
}

/// serde's description of a value found, in the words [`Node::describe`] uses.
fn describe(found: &Unexpected) -> String {
    match found {
        Unexpected::Bool(b) => format!("`{b}`"),
        Unexpected::Unsigned(n) => format!("the number `{n}`"),
        Unexpected::Signed(n) => format!("the number `{n}`"),
        Unexpected::Float(n) => format!("the number `{n}`"),
        Unexpected::Str(s) => format!("the text `{s}`"),
        Unexpected::Unit | Unexpected::Option => "an empty value".to_string(),
        Unexpected::Seq => "a sequence".to_string(),
        Unexpected::Map => "a mapping".to_string(),
        other => other.to_string(),
    }
}

/// The visitor's own description of what it expects, reworded.
fn expected_by<'de, V: Visitor<'de>>(visitor: &V) -> String {
    expecting(&format!("{}", visitor as &dyn Expected))
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
