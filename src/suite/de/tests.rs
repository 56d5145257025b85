use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self as serde_de, Visitor};
use serde::Deserialize;

use super::*;
use crate::suite::span::Span;
use crate::suite::yaml::parse_node;

/// Reads `T` from `text`; the error as `line:column: message`.
fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    let node = parse_node(text, "t.yaml").map_err(|e| e.to_string())?;
    from_node(&node).map_err(|e| format!("{}: {e}", e.span()))
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: Kind,
    iterations: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    timeout: Option<Seconds>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Sequential,
    Burst,
}

/// A type with its own rule, as `HumanDuration` has.
#[derive(Debug, PartialEq)]
struct Seconds(u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let n = text.strip_suffix('s').and_then(|n| n.parse().ok());
        n.map(Seconds).ok_or_else(|| {
            serde_de::Error::custom(format!("invalid duration `{text}`: write it as `5s`"))
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    cases: Vec<Case>,
}

#[test]
fn reads_a_document_into_a_model() {
    let suite: Suite =
        read("cases:\n  - { name: a, kind: burst, iterations: 3, timeout: 5s }\n").unwrap();
    let case = &suite.cases[0];
    assert_eq!((case.kind, case.iterations), (Kind::Burst, Some(3)));
    assert_eq!(case.timeout, Some(Seconds(5)));
    assert!(case.tags.is_empty());
}

#[test]
fn an_unknown_key_is_at_the_key_with_the_nearest_valid_one() {
    let e = read::<Suite>("cases:\n  - name: a\n    kind: burst\n    iteration: 3\n").unwrap_err();
    assert_eq!(
        e,
        "4:5: cases[0]: unknown key `iteration`, did you mean `iterations`? \
         (expected one of `name`, `kind`, `iterations`, `tags`, `timeout`)"
    );
    let e = read::<Suite>("cases: [{ name: a, kind: burst, colour: red }]\n").unwrap_err();
    assert!(
        e.starts_with("1:33: cases[0]: unknown key `colour` (expected one of"),
        "{e}"
    );
}

#[test]
fn a_wrong_type_is_at_the_value() {
    let e =
        read::<Suite>("cases:\n  - name: a\n    kind: burst\n    iterations: [1]\n").unwrap_err();
    assert_eq!(
        e,
        "4:17: cases[0].iterations: expected a whole number from 0 to 4294967295, found a sequence"
    );
    let e = read::<Suite>("cases: { name: a }\n").unwrap_err();
    assert_eq!(e, "1:8: cases: expected a sequence, found a mapping");
    let e = read::<Suite>("cases:\n  - [a, burst]\n").unwrap_err();
    assert_eq!(e, "2:5: cases[0]: expected a mapping, found a sequence");
}

#[test]
fn a_missing_key_is_at_the_mapping() {
    let e = read::<Suite>("cases:\n  - name: a\n    tags: [x]\n").unwrap_err();
    assert_eq!(e, "2:5: cases[0]: missing key `kind`");
}

#[test]
fn an_unknown_enum_value_is_at_the_value() {
    let e = read::<Suite>("cases:\n  - name: a\n    kind: sequental\n").unwrap_err();
    assert_eq!(
        e,
        "3:11: cases[0].kind: unknown value `sequental`, did you mean `sequential`? \
         (expected one of `sequential`, `burst`)"
    );
    let e = read::<Suite>("cases:\n  - name: a\n    kind: [burst]\n").unwrap_err();
    assert_eq!(
        e,
        "3:11: cases[0].kind: expected one of `sequential`, `burst`, found a sequence"
    );
}

#[test]
fn a_types_own_error_is_at_the_value_it_came_from() {
    let e = read::<Suite>("cases:\n  - name: a\n    kind: burst\n    timeout: soon\n").unwrap_err();
    assert_eq!(
        e,
        "4:14: cases[0].timeout: invalid duration `soon`: write it as `5s`"
    );
}

#[test]
fn text_fields_take_numbers_and_booleans_as_written() {
    let tags: Vec<String> = read("[5, true, 1.5, x]").unwrap();
    assert_eq!(tags, ["5", "true", "1.5", "x"]);
    let long = format!("iterations: {}\n", "x".repeat(100));
    let e = read::<BTreeMap<String, u64>>(&long).unwrap_err();
    assert!(
        e.ends_with(&format!("found the text `{}...`", "x".repeat(40))),
        "{e}"
    );
    let e = read::<Vec<String>>("[~]").unwrap_err();
    assert_eq!(e, "1:2: [0]: expected a string, found an empty value");
}

#[test]
fn empty_values_are_none_or_empty_collections() {
    #[derive(Deserialize)]
    struct Loose {
        a: Option<u32>,
        b: Vec<u32>,
        c: BTreeMap<String, u32>,
    }
    let loose: Loose = read("a:\nb:\nc: ~\n").unwrap();
    assert!(loose.a.is_none() && loose.b.is_empty() && loose.c.is_empty());
}

#[test]
fn untyped_values_and_untagged_enums_work() {
    let json: serde_json::Value = read("a: [1, -2, 1.5, x, true, ~, { b: c }]").unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "a": [1, -2, 1.5, "x", true, null, { "b": "c" }] })
    );

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum Status {
        Code(u16),
        Text(String),
        List(Vec<Status>),
    }
    let s: Status = read("[201, 2xx]").unwrap();
    assert_eq!(
        s,
        Status::List(vec![Status::Code(201), Status::Text("2xx".into())])
    );
    let e = read::<BTreeMap<String, Status>>("a:\n  b: {}\n").unwrap_err();
    assert_eq!(
        e,
        "2:3: a: data did not match any variant of untagged enum Status"
    );
}

#[test]
fn enums_read_as_a_name_or_a_one_key_mapping() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    enum Load {
        Idle,
        Fixed(u32),
        Pair(u32, u32),
        Ramp { from: u32, to: u32 },
    }
    let loads: Vec<Load> =
        read("[idle, { fixed: 3 }, { pair: [1, 2] }, { ramp: { from: 1, to: 9 } }]").unwrap();
    assert_eq!(
        loads,
        [
            Load::Idle,
            Load::Fixed(3),
            Load::Pair(1, 2),
            Load::Ramp { from: 1, to: 9 }
        ]
    );
    let e = read::<Vec<Load>>("- ramp:\n    from: 1\n    too: 9\n").unwrap_err();
    assert!(
        e.starts_with("3:5: [0].ramp: unknown key `too`, did you mean `to`?"),
        "{e}"
    );
    let e = read::<Vec<Load>>("- fixed\n").unwrap_err();
    assert_eq!(
        e,
        "1:3: [0]: `fixed` needs settings: write it as `fixed: ...`"
    );
    let e = read::<Vec<Load>>("- { idle: 1 }\n").unwrap_err();
    assert_eq!(
        e,
        "1:11: [0].idle: expected nothing after the name, found the number `1`"
    );
}

#[test]
fn spanned_values_and_keys_carry_their_positions() {
    #[derive(Deserialize)]
    struct Rules {
        name: Spanned<String>,
        limits: Vec<(Spanned<String>, Spanned<u32>)>,
    }
    #[derive(Deserialize)]
    struct Entries(BTreeMap<String, Spanned<u32>>);
    let rules: Rules = read("name: fast\nlimits:\n  - [p95, 200]\n").unwrap();
    assert_eq!(
        (rules.name.as_str(), rules.name.span),
        ("fast", Span::new(1, 7))
    );
    let (metric, limit) = &rules.limits[0];
    assert_eq!(
        (metric.span, limit.span),
        (Span::new(3, 6), Span::new(3, 11))
    );
    let entries: Entries = read("a: 1\nb: 2\n").unwrap();
    assert_eq!(entries.0["b"].span, Span::new(2, 4));

    struct Keys(Vec<Spanned<String>>);
    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a mapping")
                }
                fn visit_map<A: serde_de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = m.next_key::<Spanned<String>>()? {
                        m.next_value::<serde_de::IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    let keys: Keys = read("a: 1\n  # note\nbb: 2\n").unwrap();
    let spans: Vec<Span> = keys.0.iter().map(|k| k.span).collect();
    assert_eq!(spans, [Span::new(1, 1), Span::new(3, 1)]);
}

#[test]
fn the_innermost_position_wins() {
    // A custom error in a deeply nested value: its own position, not one of its parents'.
    let e =
        read::<BTreeMap<String, BTreeMap<String, Vec<Seconds>>>>("a:\n  b:\n    - 1s\n    - 2m\n")
            .unwrap_err();
    assert_eq!(e, "4:7: a.b[1]: invalid duration `2m`: write it as `5s`");
}

#[test]
fn leftover_items_are_refused() {
    let e = read::<(u32, u32)>("[1, 2, 3]").unwrap_err();
    assert_eq!(e, "1:1: expected 2 items, found 3");
}
