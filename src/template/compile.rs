//! Resolving parsed expressions against a [`Scope`]: every name is checked here, once.

use super::eval::Expr;
use super::functions;
use super::parse::Ast;
use super::{Json, Scope, TemplateError};

/// Resolves `ast` (written as `source`, for messages) into an expression ready to render.
pub(crate) fn compile(ast: &Ast, source: &str, scope: &Scope) -> Result<Expr, TemplateError> {
    match ast {
        Ast::Literal(value) => Ok(Expr::Const(value.clone())),
        Ast::Path(segments) => path(segments, source, scope),
        Ast::Call { name, args } => call(name, args, source, scope),
    }
}

fn path(segments: &[String], source: &str, scope: &Scope) -> Result<Expr, TemplateError> {
    let (root, rest) = match segments.split_first() {
        Some(split) => split,
        None => return Err(TemplateError::in_expr("empty expression", source)),
    };
    if scope.has_variable(root) {
        return Ok(Expr::Variable {
            name: root.as_str().into(),
            path: rest.iter().map(|s| s.as_str().into()).collect(),
        });
    }
    match (root.as_str(), rest) {
        ("env", [name]) => env(name, source),
        ("factory", [name]) => factory(name, source, scope),
        ("data", [name, path @ ..]) => super::data::compile(name, path, source, scope),
        ("data", []) if scope.function("data").is_none() => Err(TemplateError::in_expr(
            "`data` takes a data set name, as in `data.NAME` or `data.NAME.COLUMN`",
            source,
        )),
        ("env" | "factory", _) => Err(TemplateError::in_expr(
            format!("`{root}` takes exactly one name, as in `{root}.NAME`"),
            source,
        )),
        (name, []) => {
            if let Some(function) = scope.function(name) {
                return Ok(Expr::Custom {
                    name: name.into(),
                    function: function.clone(),
                    args: Box::new([]),
                });
            }
            match functions::compile(name, &[], source) {
                Some(builtin) => builtin.map(Expr::Builtin),
                None => Err(unknown_variable(name, source).suggest(
                    name,
                    scope
                        .variables()
                        .chain(functions::NAMES.iter().copied())
                        .chain(scope.function_names()),
                )),
            }
        }
        (name, _) => Err(unknown_variable(name, source)
            .suggest(name, scope.variables().chain(["env", "factory", "data"]))),
    }
}

fn unknown_variable(name: &str, source: &str) -> TemplateError {
    TemplateError::in_expr(format!("unknown variable `{name}`"), source)
}

fn env(name: &str, source: &str) -> Result<Expr, TemplateError> {
    match std::env::var(name) {
        Ok(value) => Ok(Expr::Const(Json::String(value))),
        Err(std::env::VarError::NotPresent) => Err(TemplateError::in_expr(
            format!("environment variable `{name}` is not set"),
            source,
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(TemplateError::in_expr(
            format!("environment variable `{name}` is not valid UTF-8"),
            source,
        )),
    }
}

fn factory(name: &str, source: &str, scope: &Scope) -> Result<Expr, TemplateError> {
    match scope.factory(name) {
        Some(template) => Ok(Expr::Factory {
            name: name.into(),
            template: template.clone(),
        }),
        None => Err(unknown_factory(name, source, scope.factory_names())),
    }
}

/// "unknown factory `x` in `...`", suggesting among `known`.
pub(crate) fn unknown_factory<'k>(
    name: &str,
    source: &str,
    known: impl IntoIterator<Item = &'k str>,
) -> TemplateError {
    TemplateError::in_expr(format!("unknown factory `{name}`"), source).suggest(name, known)
}

fn call(name: &str, args: &[Ast], source: &str, scope: &Scope) -> Result<Expr, TemplateError> {
    if let Some(function) = scope.function(name) {
        let args = args
            .iter()
            .map(|arg| compile(arg, source, scope))
            .collect::<Result<_, _>>()?;
        return Ok(Expr::Custom {
            name: name.into(),
            function: function.clone(),
            args,
        });
    }
    match functions::compile(name, args, source) {
        Some(builtin) => builtin.map(Expr::Builtin),
        None => Err(
            TemplateError::in_expr(format!("unknown function `{name}`"), source).suggest(
                name,
                functions::NAMES
                    .iter()
                    .copied()
                    .chain(scope.function_names()),
            ),
        ),
    }
}
