//! A YAML document as a tree in which every value and every key keeps its position.
//!
//! The tree is read in one pass by serde-saphyr, which hands each child over as its own
//! `Spanned` (line and column of the node itself). Typed models are then read from the tree by
//! [`crate::suite::de`], so an error about any value can point at that value.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::span::{Span, Spanned};

/// One YAML value. Mapping keys keep their file order and are text: a scalar key such as
/// `200:` becomes `"200"`, and a sequence or mapping used as a key is refused at its position.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`, `~`, or nothing at all.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative whole number.
    Int(i64),
    /// A whole number of zero or more.
    UInt(u64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// Text, quoted or not.
    String(String),
    /// A sequence.
    Seq(Vec<Spanned<Node>>),
    /// A mapping, in file order.
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    /// What kind of value this is, in the words of an error message (`a sequence`).
    pub fn describe(&self) -> String {
        match self {
            Node::Null => "an empty value".to_string(),
            Node::Bool(b) => format!("`{b}`"),
            Node::Int(n) => format!("the number `{n}`"),
            Node::UInt(n) => format!("the number `{n}`"),
            Node::Float(n) => format!("the number `{n}`"),
            Node::String(s) => describe_text(s),
            Node::Seq(_) => "a sequence".to_string(),
            Node::Map(_) => "a mapping".to_string(),
        }
    }

    /// The text of a scalar as a string field reads it (`5` -> `"5"`); `None` for null and
    /// for sequences and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Bool(b) => Some(b.to_string()),
            Node::Int(n) => Some(n.to_string()),
            Node::UInt(n) => Some(n.to_string()),
            Node::Float(n) => Some(n.to_string()),
            Node::String(s) => Some(s.clone()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }
}

/// `the text `...``, cut short so that one long value does not flood a message.
pub(crate) fn describe_text(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("the text `{}...`", &text[..cut]),
        None => format!("the text `{text}`"),
    }
}

/// The position serde-saphyr reports for a node: where its text is (for an alias, the
/// anchored value it stands for).
fn span_of<T>(spanned: &serde_saphyr::Spanned<T>) -> Span {
    let at = spanned.defined;
    let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Span::new(narrow(at.line()), narrow(at.column()))
}

impl<T> From<serde_saphyr::Spanned<T>> for Spanned<T> {
    fn from(spanned: serde_saphyr::Spanned<T>) -> Self {
        let span = span_of(&spanned);
        Spanned::new(spanned.value, span)
    }
}

/// A mapping key read as its source text, so `1.50:` stays `1.50` and `on:` stays `on`.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
        }
        // Asking for a string gets the scalar's text as written; serde-saphyr refuses a
        // sequence or mapping here, and the front door words that refusal.
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::Int(v), Node::UInt))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<serde_saphyr::Spanned<Node>>()? {
            items.push(item.into());
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<serde_saphyr::Spanned<Key>>()? {
            let span = span_of(&key);
            let value: serde_saphyr::Spanned<Node> = map.next_value()?;
            entries.push((Spanned::new(key.value.0, span), value.into()));
        }
        Ok(Node::Map(entries))
    }
}
