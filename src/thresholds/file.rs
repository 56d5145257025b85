//! The serde model of `thresholds.yaml`. Keys keep their file order (glob ties go to the later
//! rule, and among several tags of a case the first in the file wins), duplicates are refused
//! (also `1` and `"1"`, which the parser sees as different keys), and keys are checked while
//! parsing (case patterns compiled, tag and profile names checked) so a bad key is reported at
//! the key.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::suite::{check_tag, Rules, Spanned, TAG_PATTERN};

/// The whole file. Every section is optional and may be empty.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "loadgate thresholds")]
pub(crate) struct File {
    /// Bounds for every case.
    pub defaults: Option<Rules>,
    /// Bounds for every case of a suite, by suite name.
    pub suites: Option<Entries<SuiteRule>>,
    /// Bounds for every case carrying a tag, by tag. A case with several tags takes each
    /// metric from the first of its tags in this file's order that sets it.
    pub tags: Option<Entries<TagRule>>,
    /// Bounds by `suite::case` name or glob pattern (`tasks::submit_*`), also for journey steps
    /// and named requests (`suite::case/step`).
    pub cases: Option<Entries<CaseRule>>,
    /// Named sets of overrides and case selections, picked with `PERF_PROFILE` or
    /// `--profile`.
    pub profiles: Option<Entries<ProfileRule>>,
}

/// Rules for every case of one suite.
pub(crate) type SuiteRule = (String, Rules);

/// Rules for every case that carries one tag.
#[derive(Debug, Clone)]
pub(crate) struct TagRule {
    pub tag: String,
    pub rules: Rules,
}

/// Rules for the cases whose `suite::case` name equals or matches `key`.
#[derive(Debug, Clone)]
pub(crate) struct CaseRule {
    pub key: String,
    pub pattern: glob::Pattern,
    /// Characters outside wildcards and `[...]` classes: how specific the pattern is.
    pub literal_chars: usize,
    pub rules: Rules,
}

/// A named profile as written.
#[derive(Debug)]
pub(crate) struct ProfileRule {
    pub name: String,
    pub spec: ProfileSpec,
}

/// One profile: which cases run, and rules that win over the file's rules of the same level.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileSpec {
    /// Run only the cases that carry one of these tags.
    pub only_tags: Option<Vec<Spanned<String>>>,
    /// Never run the cases that carry one of these tags.
    pub skip_tags: Option<Vec<Spanned<String>>>,
    /// Over the file's `defaults`.
    pub defaults: Option<Rules>,
    /// Over the file's `suites` rules.
    pub suites: Option<Entries<SuiteRule>>,
    /// Over the file's `tags` rules.
    pub tags: Option<Entries<TagRule>>,
    /// Over the file's `cases` rules.
    pub cases: Option<Entries<CaseRule>>,
}

/// A mapping's entries in file order.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub Vec<T>);

/// An entry built from a key and its value.
pub(crate) trait Entry: Sized {
    /// What a valid key parses to.
    type Key;
    /// What the key maps to.
    type Value: DeserializeOwned + JsonSchema;
    /// What the mapping holds, for errors about a value that is not a mapping.
    const EXPECTING: &'static str =
        "a mapping from names to metrics, such as `workers: { p95: 500ms }`";
    /// What every key must match, for the JSON Schema (none: any text).
    const KEY_PATTERN: Option<&'static str> = None;
    /// Parses a key, refusing one that cannot name anything (a case pattern that does not parse).
    fn parse_key(key: &str) -> Result<Self::Key, String>;
    fn new(name: String, key: Self::Key, value: Self::Value) -> Self;
}

impl Entry for SuiteRule {
    type Key = ();
    type Value = Rules;
    fn parse_key(_: &str) -> Result<(), String> {
        Ok(())
    }
    fn new(name: String, _: (), rules: Rules) -> Self {
        (name, rules)
    }
}

impl Entry for TagRule {
    type Key = ();
    type Value = Rules;
    const EXPECTING: &'static str =
        "a mapping from tags to metrics, such as `auth: { p95: 100ms }` \
         (a profile picks the cases it runs with `only_tags: [...]` and `skip_tags: [...]`)";
    const KEY_PATTERN: Option<&'static str> = Some(TAG_PATTERN);
    fn parse_key(key: &str) -> Result<(), String> {
        check_tag(key)
    }
    fn new(tag: String, _: (), rules: Rules) -> Self {
        TagRule { tag, rules }
    }
}

impl Entry for CaseRule {
    type Key = glob::Pattern;
    type Value = Rules;
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

impl Entry for ProfileRule {
    type Key = ();
    type Value = ProfileSpec;
    const EXPECTING: &'static str =
        "a mapping from profile names to profiles, such as `ci: { skip_tags: [soak] }`";
    const KEY_PATTERN: Option<&'static str> = Some(PROFILE_NAME_PATTERN);
    fn parse_key(key: &str) -> Result<(), String> {
        check_profile_name(key)
    }
    fn new(name: String, _: (), spec: ProfileSpec) -> Self {
        ProfileRule { name, spec }
    }
}

/// What a profile name may look like, for the JSON Schema.
const PROFILE_NAME_PATTERN: &str = "^[A-Za-z0-9_-]+$";

/// Profile names are written on command lines and in messages (`profiles.ci.defaults.p95`):
/// letters, digits, `-` and `_`.
pub(crate) fn check_profile_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "profile name `{name}` must be non-empty letters, digits, `-` or `_`"
        ))
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
                f.write_str(T::EXPECTING)
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
                    let value: T::Value = map.next_value()?;
                    seen.insert(name.clone());
                    entries.push(T::new(name, key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// In the file, a mapping from keys to values.
impl<T: Entry> JsonSchema for Entries<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Entries_{}", <T::Value as JsonSchema>::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<T::Value>();
        let mut schema = json_schema!({ "type": "object", "additionalProperties": value });
        if let Some(pattern) = T::KEY_PATTERN {
            schema.insert(
                "propertyNames".into(),
                serde_json::json!({ "pattern": pattern }),
            );
        }
        schema
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
