//! The run-time cap: each rendered value stops growing at [`MAX_RENDERED_BYTES`].
//!
//! Compile-time bounds ([`Size`](super::size::Size)) cannot know how large a variable, a data
//! row or a custom function's result will be, so what is rendered is counted as it is built,
//! in the same measure. A value that would pass the cap is cut there: text ends at the cap,
//! JSON holds null where it would have grown past it, and the cut is recorded so that the
//! request is not sent.

use super::size::{bytes_within, MAX_RENDERED_BYTES};
use super::Json;
use std::fmt::{self, Write};

/// What the value being rendered has spent of the cap, and whether any value was cut.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    /// Bytes of the value being rendered so far.
    spent: usize,
    /// Whether the value being rendered reached the cap: nothing more is added to it.
    full: bool,
    /// Whether any value rendered with this budget reached the cap; never reset.
    cut: bool,
}

impl Budget {
    /// Starts a value rendered on its own (a path, a header, a body): the cap applies to each.
    pub(crate) fn start_value(&mut self) {
        self.spent = 0;
        self.full = false;
    }

    /// Whether a value reached the cap and was cut.
    pub(crate) fn was_cut(&self) -> bool {
        self.cut
    }

    /// Bytes the value being rendered may still grow by.
    pub(crate) fn room(&self) -> usize {
        match self.full {
            true => 0,
            false => MAX_RENDERED_BYTES.saturating_sub(self.spent),
        }
    }

    /// Whether the value being rendered reached the cap.
    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    /// Adds `bytes` to the value being rendered if they fit; if not, marks it cut and returns
    /// false, and the caller adds nothing.
    pub(crate) fn charge(&mut self, bytes: u64) -> bool {
        match usize::try_from(bytes) {
            Ok(bytes) if !self.full && bytes <= self.room() => {
                self.spent += bytes;
                true
            }
            _ => {
                self.overflow();
                false
            }
        }
    }

    /// Marks the value being rendered as cut at the cap.
    pub(crate) fn overflow(&mut self) {
        self.full = true;
        self.cut = true;
    }

    /// What the value has spent so far, to [`Budget::rewind`] to after building something that
    /// is counted again as it is used (a factory written as text, a custom function's
    /// arguments).
    pub(crate) fn spent(&self) -> usize {
        self.spent
    }

    /// Forgets what was spent since [`Budget::spent`] returned `spent`; a cut stays a cut.
    pub(crate) fn rewind(&mut self, spent: usize) {
        self.spent = spent;
    }

    /// `value`, cloned, if it fits in the room left; null, and the value cut, if not. A value
    /// too large is not walked to its end.
    pub(crate) fn admit(&mut self, value: &Json) -> Json {
        match self.fits(value) {
            true => value.clone(),
            false => Json::Null,
        }
    }

    /// Like [`Budget::admit`], for a value already built.
    pub(crate) fn admit_owned(&mut self, value: Json) -> Json {
        match self.fits(&value) {
            true => value,
            false => Json::Null,
        }
    }

    fn fits(&mut self, value: &Json) -> bool {
        match bytes_within(value, self.room()) {
            Some(bytes) => self.charge(bytes),
            None => {
                self.overflow();
                false
            }
        }
    }
}

/// Appends `value` as text (a string as is, anything else as compact JSON) within the room the
/// cap leaves; a large value is not serialized past it.
pub(crate) fn write_capped(budget: &mut Budget, out: &mut String, value: &Json) {
    append(budget, out, |capped| match value {
        Json::String(s) => capped.write_str(s),
        other => write!(capped, "{other}"),
    });
}

/// Appends literal text within the room the cap leaves.
pub(crate) fn push_capped(budget: &mut Budget, out: &mut String, text: &str) {
    append(budget, out, |capped| capped.write_str(text));
}

/// Charges what `write` appended to `out` through a writer that stops at the room left.
fn append(
    budget: &mut Budget,
    out: &mut String,
    write: impl FnOnce(&mut Capped<'_>) -> fmt::Result,
) {
    let start = out.len();
    let mut capped = Capped {
        limit: start + budget.room(),
        out,
    };
    let fits = write(&mut capped).is_ok();
    let grown = (out.len() - start) as u64;
    if !fits || !budget.charge(grown) {
        budget.overflow();
    }
}

/// Charges what was appended to `out` since it was `start` bytes long, by a writer that could
/// not be capped as it wrote (a builtin's few bytes), cutting it to the `room` there was before.
pub(crate) fn settle(budget: &mut Budget, out: &mut String, start: usize, room: usize) {
    let grown = out.len() - start;
    if grown > room {
        out.truncate(floor_char_boundary(out, start + room));
        budget.overflow();
    } else {
        budget.charge(grown as u64);
    }
}

/// A `String` writer that refuses to grow past `limit` bytes, cutting at a character boundary.
struct Capped<'o> {
    out: &'o mut String,
    limit: usize,
}

impl Write for Capped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit.saturating_sub(self.out.len());
        if s.len() <= room {
            self.out.push_str(s);
            Ok(())
        } else {
            self.out.push_str(&s[..floor_char_boundary(s, room)]);
            // Stops the serializer: nothing past the cap is formatted.
            Err(fmt::Error)
        }
    }
}

/// The largest character boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use crate::template::{
        CustomFunction, Json, RenderContext, Scope, TextTemplate, ValueTemplate, Variables,
        MAX_RENDERED_BYTES,
    };
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn vars(value: Json) -> Variables {
        Variables::from([("v".to_string(), value)])
    }

    #[test]
    fn a_long_variable_is_cut_at_the_cap_and_recorded() {
        let scope = Scope::new().with_variable("v");
        let vars = vars(json!("é".repeat(MAX_RENDERED_BYTES)));
        let text = TextTemplate::compile("Bearer {{ v }} and more", &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
        let out = text.render(&mut ctx);
        // Cut at a character boundary, a byte short of the cap.
        assert_eq!(out.len(), MAX_RENDERED_BYTES - 1);
        assert!(out.starts_with("Bearer éé"));
        assert!(ctx.oversized());
        assert_eq!(
            ctx.oversize_message().as_deref(),
            Some("rendered value over 1048576 bytes, the limit of one templated field")
        );

        let body = ValueTemplate::compile(&json!({"t": "{{ v }}", "u": 1}), &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
        // Nothing is added after the cut, not even what would fit.
        assert_eq!(body.render(&mut ctx), json!({"t": null, "u": null}));
        assert!(ctx.oversized());
    }

    #[test]
    fn values_under_the_cap_render_unchanged_and_unmarked() {
        let scope = Scope::new().with_variable("v");
        let long = "x".repeat(MAX_RENDERED_BYTES / 2);
        let vars = vars(json!({"s": long}));
        let body = ValueTemplate::compile(&json!({"a": "{{ v.s }}", "n": [1]}), &scope).unwrap();
        let text = TextTemplate::compile("{{ v.s }}", &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
        // The cap applies to each value: two halves in two values are fine.
        assert_eq!(body.render(&mut ctx), json!({"a": long, "n": [1]}));
        assert_eq!(text.render(&mut ctx), long);
        assert!(!ctx.oversized());
        assert_eq!(ctx.oversize_message(), None);
    }

    #[test]
    fn a_factory_repeating_a_variable_is_held_to_the_cap() {
        let factories: BTreeMap<String, Json> =
            serde_json::from_value(json!({"pair": ["{{ v }}", "{{ v }}"]})).unwrap();
        let scope = Scope::new()
            .with_variable("v")
            .with_factories(&factories)
            .unwrap();
        let vars = vars(json!("x".repeat(MAX_RENDERED_BYTES / 3)));
        for template in ["{{ factory.pair }}", "{{ factory.pair }}!"] {
            let value = ValueTemplate::compile(&json!([template, template]), &scope).unwrap();
            let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
            let rendered = value.render(&mut ctx);
            assert!(ctx.oversized(), "{template}");
            assert!(
                rendered.to_string().len() <= MAX_RENDERED_BYTES,
                "{template}"
            );
        }
    }

    #[test]
    fn builtins_and_custom_functions_are_held_to_the_cap() {
        let big: CustomFunction =
            Arc::new(|_: &[Json], _: &mut dyn rand::RngCore| json!("y".repeat(MAX_RENDERED_BYTES)));
        let scope = Scope::new().with_variable("v").with_function("big", big);
        let vars = vars(json!("x".repeat(MAX_RENDERED_BYTES / 2)));

        let text = TextTemplate::compile("{{ v }}{{ random_string(600000) }}", &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
        assert_eq!(text.render(&mut ctx).len(), MAX_RENDERED_BYTES);
        assert!(ctx.oversized());

        let value = ValueTemplate::compile(&json!({"b": "{{ big }}"}), &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 1, 42, &vars);
        assert_eq!(value.render(&mut ctx), json!({"b": null}));
        assert!(ctx.oversized());
    }
}
