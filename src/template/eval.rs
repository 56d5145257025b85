//! Compiled expressions and their evaluation against one request's render state.

use super::cap::{settle, write_capped};
use super::context::RenderContext;
use super::functions::Builtin;
use super::size::Size;
use super::{CustomFunction, Json, ValueTemplate, Variables};
use crate::data::DataSet;
use std::fmt;

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
        /// The largest value this reference can read, measured when it compiled.
        size: Size,
    },
    Custom {
        name: Box<str>,
        function: CustomFunction,
        args: Box<[Expr]>,
    },
}

impl Expr {
    /// An upper bound of the value written as text, computed without rendering.
    pub(crate) fn size(&self) -> Size {
        match self {
            Expr::Const(value) => Size::of_text(value),
            Expr::Builtin(builtin) => builtin.size(),
            Expr::Variable { .. } => Size::RUN_TIME,
            Expr::Factory { template, .. } => template.size().via_factory(),
            Expr::Data { size, .. } => *size,
            Expr::Custom { args, .. } => args.iter().map(Expr::size).sum::<Size>() + Size::RUN_TIME,
        }
    }

    /// The value as typed JSON, for a field that is exactly this expression.
    pub(crate) fn value(&self, ctx: &mut RenderContext<'_>) -> Json {
        match self {
            Expr::Const(value) => ctx.budget.admit(value),
            Expr::Builtin(builtin) => {
                let value = builtin.value(ctx);
                ctx.budget.admit_owned(value)
            }
            Expr::Variable { name, path } => ctx.budget.admit(lookup(ctx.vars, name, path)),
            Expr::Data { set, path, .. } => {
                let row = ctx.row(set);
                ctx.budget.admit(walk(row, path))
            }
            Expr::Factory { template, .. } => template.render_within(ctx),
            Expr::Custom { function, args, .. } => {
                // The arguments are held to the cap while built, but only the result is kept.
                let args: Vec<Json> =
                    ctx.unspent(|ctx| args.iter().map(|arg| arg.value(ctx)).collect());
                let value = function(&args, &mut ctx.rng);
                ctx.budget.admit_owned(value)
            }
        }
    }

    /// Appends the value as text: strings without quotes, anything else as compact JSON.
    pub(crate) fn write(&self, ctx: &mut RenderContext<'_>, out: &mut String) {
        match self {
            Expr::Const(value) => write_capped(&mut ctx.budget, out, value),
            Expr::Builtin(builtin) => {
                let (start, room) = (out.len(), ctx.budget.room());
                builtin.write(ctx, out);
                settle(&mut ctx.budget, out, start, room);
            }
            Expr::Variable { name, path } => {
                write_capped(&mut ctx.budget, out, lookup(ctx.vars, name, path));
            }
            Expr::Data { set, path, .. } => {
                let row = ctx.row(set);
                write_capped(&mut ctx.budget, out, walk(row, path));
            }
            Expr::Factory { .. } | Expr::Custom { .. } => {
                let value = ctx.unspent(|ctx| self.value(ctx));
                write_capped(&mut ctx.budget, out, &value);
            }
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
            Expr::Data { set, path, .. } => {
                write!(f, "data.{}", set.name())?;
                path.iter().try_for_each(|segment| write!(f, ".{segment}"))
            }
            Expr::Custom { name, args, .. } => write!(f, "{name}({args:?})"),
        }
    }
}
