//! One request's render state: its sequence number, variables, seeded RNG, data set rows and
//! the cap on what it renders.

use super::cap::Budget;
use super::size::MAX_RENDERED_BYTES;
use super::{Json, Scope, Variables};
use crate::data::DataSet;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::fmt::Write;

/// Per-request render state: the sequence number, variable values and a seeded RNG.
///
/// The RNG is derived from `(seed, seq)` alone, so each request's data is reproducible under a
/// suite `seed` whatever the order or concurrency in which requests are rendered. Data set rows
/// likewise depend on `seq` alone, so every `data.NAME` in one request reads the same row.
///
/// Each value rendered with [`TextTemplate::render`](super::TextTemplate::render) or
/// [`ValueTemplate::render`] is held to [`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES):
/// compile-time bounds cannot know how large a variable or a custom function's result will be.
/// A value that reaches the cap stops growing, and [`RenderContext::oversize_message`] says so.
pub struct RenderContext<'a> {
    scope: &'a Scope,
    pub(super) vars: &'a Variables,
    seq: u64,
    pub(crate) rng: SmallRng,
    /// The first `unique` data set found without a row for this request.
    exhausted: Option<DataSet>,
    /// The run-time cap of the value being rendered.
    pub(crate) budget: Budget,
}

impl<'a> RenderContext<'a> {
    /// Render state for the request numbered `seq` under the suite's `seed`.
    pub fn new(scope: &'a Scope, seq: u64, seed: u64, vars: &'a Variables) -> Self {
        Self {
            scope,
            vars,
            seq,
            rng: SmallRng::seed_from_u64(splitmix64(seed ^ splitmix64(seq))),
            exhausted: None,
            budget: Budget::default(),
        }
    }

    /// The request's sequence number, as rendered by `{{ seq }}`.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The scope the templates were compiled against.
    pub fn scope(&self) -> &'a Scope {
        self.scope
    }

    /// The variable values this request renders with.
    pub fn variables(&self) -> &'a Variables {
        self.vars
    }

    /// The name of the first `unique` data set that had no row left for this request.
    ///
    /// Its references rendered as null; the request should not be sent but recorded as an error
    /// with [`RenderContext::exhaustion_message`] as the cause.
    pub fn exhausted(&self) -> Option<&str> {
        self.exhausted.as_ref().map(DataSet::name)
    }

    /// Why this request cannot be sent, if a `unique` data set ran out:
    /// ``data `users` ran out of unique rows (3 rows)``.
    pub fn exhaustion_message(&self) -> Option<String> {
        self.exhausted.as_ref().map(DataSet::exhaustion_message)
    }

    /// Whether a value rendered with this context reached
    /// [`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES) and was cut there.
    pub fn oversized(&self) -> bool {
        self.budget.was_cut()
    }

    /// Why this request cannot be sent, if a rendered value reached the cap:
    /// "rendered value over 1048576 bytes, the limit of one templated field".
    ///
    /// The value was cut (text ends at the cap, JSON holds null where it would have grown past
    /// it), so like an exhausted data set the request should not be sent but recorded as an
    /// error with this cause.
    pub fn oversize_message(&self) -> Option<String> {
        self.oversized().then(|| {
            format!(
                "rendered value over {MAX_RENDERED_BYTES} bytes, the limit of one templated field"
            )
        })
    }

    /// Renders with `render`, then forgets what it spent: for a value built only to be counted
    /// again as it is used (a factory written as text, a custom function's arguments).
    pub(super) fn unspent<T>(&mut self, render: impl FnOnce(&mut Self) -> T) -> T {
        let spent = self.budget.spent();
        let out = render(self);
        self.budget.rewind(spent);
        out
    }

    /// The row of `set` for this request; null, and recorded, when a `unique` set ran out.
    pub(super) fn row<'s>(&mut self, set: &'s DataSet) -> &'s Json {
        match set.row_for(self.seq) {
            Some(row) => row,
            None => {
                if self.exhausted.is_none() {
                    self.exhausted = Some(set.clone());
                }
                &Json::Null
            }
        }
    }
}

/// A well-mixed 64-bit hash, so that neighbouring `seq` values give unrelated RNG streams.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Appends `value` as text: a string as is, anything else as compact JSON.
pub(crate) fn write_json(value: &Json, out: &mut String) {
    match value {
        Json::String(s) => out.push_str(s),
        // Writing to a String cannot fail.
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
