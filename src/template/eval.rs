//! Compiled expressions and their evaluation against one request's render state.

use super::functions::Builtin;
use super::{CustomFunction, Json, Scope, ValueTemplate, Variables};
use crate::data::DataSet;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::fmt::{self, Write};

/// Per-request render state: the sequence number, variable values and a seeded RNG.
///
/// The RNG is derived from `(seed, seq)` alone, so each request's data is reproducible under a
/// suite `seed` whatever the order or concurrency in which requests are rendered. Data set rows
/// likewise depend on `seq` alone, so every `data.NAME` in one request reads the same row.
pub struct RenderContext<'a> {
    scope: &'a Scope,
    vars: &'a Variables,
    seq: u64,
    pub(crate) rng: SmallRng,
    /// The first `unique` data set found without a row for this request.
    exhausted: Option<DataSet>,
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

    /// The row of `set` for this request; null, and recorded, when a `unique` set ran out.
    fn row<'s>(&mut self, set: &'s DataSet) -> &'s Json {
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

/// An expression with every name resolved; evaluating it cannot fail.
#[derive(Clone)]
pub(crate) enum Expr {
    /// A literal, or an environment variable read at compile time.
    Const(Json),
    Builtin(Builtin),
    /// A caller-supplied value, optionally dotted into: `user.id`, `items.0`.
    Variable {
        name: Box<str>,
        path: Box<[Box<str>]>,
    },
    Factory {
        name: Box<str>,
        template: ValueTemplate,
    },
    /// The request's row of a data set, optionally dotted into: `data.users.email`.
    Data {
        set: DataSet,
        path: Box<[Box<str>]>,
    },
    Custom {
        name: Box<str>,
        function: CustomFunction,
        args: Box<[Expr]>,
    },
}

impl Expr {
    /// The value as typed JSON, for a field that is exactly this expression.
    pub(crate) fn value(&self, ctx: &mut RenderContext<'_>) -> Json {
        match self {
            Expr::Const(value) => value.clone(),
            Expr::Builtin(builtin) => builtin.value(ctx),
            Expr::Variable { name, path } => lookup(ctx.vars, name, path).clone(),
            Expr::Data { set, path } => walk(ctx.row(set), path).clone(),
            Expr::Factory { template, .. } => template.render(ctx),
            Expr::Custom { function, args, .. } => {
                let args: Vec<Json> = args.iter().map(|arg| arg.value(ctx)).collect();
                function(&args, &mut ctx.rng)
            }
        }
    }

    /// Appends the value as text: strings without quotes, anything else as compact JSON.
    pub(crate) fn write(&self, ctx: &mut RenderContext<'_>, out: &mut String) {
        match self {
            Expr::Const(value) => write_json(value, out),
            Expr::Builtin(builtin) => builtin.write(ctx, out),
            Expr::Variable { name, path } => write_json(lookup(ctx.vars, name, path), out),
            Expr::Data { set, path } => write_json(walk(ctx.row(set), path), out),
            Expr::Factory { .. } | Expr::Custom { .. } => write_json(&self.value(ctx), out),
        }
    }
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

/// A missing variable, key or index renders as null: rendering never fails.
fn lookup<'v>(vars: &'v Variables, name: &str, path: &[Box<str>]) -> &'v Json {
    match vars.get(name) {
        Some(value) => walk(value, path),
        None => &Json::Null,
    }
}

/// The value at `path` inside `value` (object keys and array indices); null when missing.
fn walk<'v>(mut value: &'v Json, path: &[Box<str>]) -> &'v Json {
    const NULL: &Json = &Json::Null;
    for segment in path {
        let next = match value {
            Json::Object(map) => map.get(&**segment),
            Json::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        value = match next {
            Some(next) => next,
            None => return NULL,
        };
    }
    value
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(value) => write!(f, "{value}"),
            Expr::Builtin(builtin) => write!(f, "{builtin:?}"),
            Expr::Variable { name, path } => {
                f.write_str(name)?;
                path.iter().try_for_each(|segment| write!(f, ".{segment}"))
            }
            Expr::Factory { name, .. } => write!(f, "factory.{name}"),
            Expr::Data { set, path } => {
                write!(f, "data.{}", set.name())?;
                path.iter().try_for_each(|segment| write!(f, ".{segment}"))
            }
            Expr::Custom { name, args, .. } => write!(f, "{name}({args:?})"),
        }
    }
}
