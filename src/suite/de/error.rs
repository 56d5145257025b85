//! The error of reading a model from a tree: a [`Problem`], where it is, and how it was reached,
//! worded for the person who wrote the file.

use std::fmt;

use serde::de::{self as serde_de, Expected, Unexpected, Visitor};

use crate::suite::node::{describe_text, Node};
use crate::suite::span::{Span, Spanned};
use crate::suite::suggest::Suggestion;

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
    write!(
        f,
        "unknown {noun} `{word}`{}",
        Suggestion::of(word, expected)
    )?;
    if expected.is_empty() {
        write!(f, " (none are allowed here)")
    } else {
        write!(f, " (expected {})", one_of(expected))
    }
}

/// `one of `a`, `b`` (or just `` `a` `` when there is one).
pub(super) fn one_of(names: &[&str]) -> String {
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
    pub(super) fn new(problem: Problem) -> Self {
        Self::located(problem, Span::UNKNOWN)
    }

    pub(super) fn located(problem: Problem, span: Span) -> Self {
        Error {
            span,
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

    pub(super) fn wrong_type(node: &Spanned<Node>, expected: String) -> Self {
        let found = node.describe();
        Self::located(Problem::WrongType { expected, found }, node.span)
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
pub(super) fn at(span: Span) -> impl FnOnce(Error) -> Error {
    move |mut e| {
        if !e.span.is_known() {
            e.span = span;
        }
        e
    }
}

/// Records that the error came from under `segment`.
pub(super) fn under(segment: Segment) -> impl FnOnce(Error) -> Error {
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
        Unexpected::Str(s) => describe_text(s),
        Unexpected::Unit | Unexpected::Option => "an empty value".to_string(),
        Unexpected::Seq => "a sequence".to_string(),
        Unexpected::Map => "a mapping".to_string(),
        other => other.to_string(),
    }
}

/// The visitor's own description of what it expects, reworded.
pub(super) fn expected_by<'de, V: Visitor<'de>>(visitor: &V) -> String {
    expecting(&format!("{}", visitor as &dyn Expected))
}
