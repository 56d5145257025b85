//! The serde model of `thresholds.yaml`. Keys keep their file order (glob ties go to the later
//! rule), duplicates are refused (also `1` and `"1"`, which the parser sees as different keys),
//! and case patterns are compiled while parsing so a bad pattern is reported at its key.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::suite::Rules;

/// The whole file. Every section is optional and may be empty.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    pub defaults: Option<Rules>,
    pub suites: Option<Entries<SuiteRule>>,
    pub cases: Option<Entries<CaseRule>>,
}

/// Rules for every case of one suite.
pub(crate) type SuiteRule = (String, Rules);

/// Rules for the cases whose `suite::case` name equals or matches `key`.
#[derive(Debug, Clone)]
pub(crate) struct CaseRule {
    pub key: String,
    pub pattern: glob::Pattern,
    /// Characters outside wildcards and `[...]` classes: how specific the pattern is.
    pub literal_chars: usize,
    pub rules: Rules,
}

/// A mapping's entries in file order.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub Vec<T>);

/// An entry built from a key and its rules.
pub(crate) trait Entry: Sized {
    /// What a valid key parses to.
    type Key;
    /// Parses a key, refusing one that cannot name anything (a case pattern that does not parse).
    fn parse_key(key: &str) -> Result<Self::Key, String>;
    fn new(name: String, key: Self::Key, rules: Rules) -> Self;
}

impl Entry for SuiteRule {
    type Key = ();
    fn parse_key(_: &str) -> Result<(), String> {
        Ok(())
    }
    fn new(name: String, _: (), rules: Rules) -> Self {
        (name, rules)
    }
}

impl Entry for CaseRule {
    type Key = glob::Pattern;
    fn parse_key(key: &str) -> Result<glob::Pattern, String> {
        glob::Pattern::new(key).map_err(|err| format!("invalid case pattern `{key}`: {err}"))
    }
    fn new(name: String, pattern: glob::Pattern, rules: Rules) -> Self {
        CaseRule {
            literal_chars: literal_chars(&name),
            key: name,
            pattern,
            rules,
        }
    }
}

/// Reads one key, checking it as a key so that errors point at it rather than at its rules.
struct Key<'a, T> {
    seen: &'a HashSet<String>,
    entry: PhantomData<T>,
}

impl<'de, T: Entry> DeserializeSeed<'de> for Key<'_, T> {
    type Value = (String, T::Key);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<T: Entry> Visitor<'_> for Key<'_, T> {
    type Value = (String, T::Key);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        if self.seen.contains(key) {
            return Err(E::custom(format!("duplicate key `{key}`")));
        }
        let parsed = T::parse_key(key).map_err(E::custom)?;
        Ok((key.to_string(), parsed))
    }
}

impl<'de, T: Entry> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Entry> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from names to metrics, such as `workers: { p95: 500ms }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = HashSet::new();
                let mut entries = Vec::new();
                loop {
                    let seed = Key::<T> {
                        seen: &seen,
                        entry: PhantomData,
                    };
                    let Some((name, key)) = map.next_key_seed(seed)? else {
                        break;
                    };
                    let rules: Rules = map.next_value()?;
                    seen.insert(name.clone());
                    entries.push(T::new(name, key, rules));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Counts the characters of a glob pattern that must match literally.
fn literal_chars(pattern: &str) -> usize {
    let mut count = 0;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => {}
            '[' => {
                // A class matches one of several characters; skip it. `]` right after `[` or
                // `[!` is a member, not the end.
                let mut first = true;
                for c in chars.by_ref() {
                    if c == ']' && !first {
                        break;
                    }
                    first = c == '!' && first;
                }
            }
            _ => count += 1,
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::literal_chars;

    #[test]
    fn counts_literal_characters() {
        assert_eq!(literal_chars("tasks::submit_20"), 16);
        assert_eq!(literal_chars("tasks::*"), 7);
        assert_eq!(literal_chars("tasks::submit_?0"), 15);
        assert_eq!(literal_chars("tasks::[ab]*"), 7);
        assert_eq!(literal_chars("a[]]b"), 2);
    }
}
