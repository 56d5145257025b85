//! `{{ ... }}` expressions and data factories.
//!
//! Request fields in suites may hold expressions such as `"worker-{{ seq }}"` or
//! `"{{ factory.worker }}"` that produce fresh data for every request. Everything is compiled once,
//! against a [`Scope`] that says which variables, custom functions, factories and data sets exist,
//! so that mistakes surface before the first request and rendering on the hot path never parses,
//! locks or fails. The user-facing syntax is described in `docs/templates.md`.
//!
//! ```
//! use loadgate::template::{RenderContext, Scope, TextTemplate, Variables};
//!
//! let scope = Scope::new().with_variable("token");
//! let header = TextTemplate::compile("Bearer {{ token }}", &scope).unwrap();
//! let vars = Variables::from([("token".to_string(), "abc".into())]);
//! let mut ctx = RenderContext::new(&scope, 7, 42, &vars);
//! assert_eq!(header.render(&mut ctx), "Bearer abc");
//! ```

mod cap;
mod compile;
mod context;
mod data;
mod error;
mod eval;
mod factory;
mod functions;
mod parse;
mod scope;
mod size;
mod text;
mod value;

pub use context::RenderContext;
pub use error::TemplateError;
pub use scope::Scope;
pub use size::{MAX_RENDERED_BYTES, MAX_RENDERED_VALUES};
pub use text::TextTemplate;
pub use value::ValueTemplate;

/// A JSON value: what expressions produce and what variables hold.
pub type Json = serde_json::Value;

/// Variable values at render time (e.g. tokens extracted by a setup step), name -> JSON.
pub type Variables = std::collections::HashMap<String, Json>;

/// A function registered from Rust and callable from templates as `name(args...)`.
///
/// It receives the evaluated arguments and the request's seeded RNG, so that its output is
/// reproducible under a suite `seed` like the builtins'. It must not panic.
pub type CustomFunction =
    std::sync::Arc<dyn Fn(&[Json], &mut dyn rand::RngCore) -> Json + Send + Sync>;

#[cfg(test)]
pub(crate) mod testing {
    //! Shorthands for the unit tests of this module.
    use super::*;

    /// Compiles `text` in `scope` and renders it for request `seq` with seed 42 and `vars`.
    pub(crate) fn text_with(scope: &Scope, text: &str, seq: u64, vars: &Variables) -> String {
        let template = TextTemplate::compile(text, scope).unwrap();
        template.render(&mut RenderContext::new(scope, seq, 42, vars))
    }

    /// Compiles and renders `text` in an empty scope, for request `seq`.
    pub(crate) fn text(text: &str, seq: u64) -> String {
        text_with(&Scope::new(), text, seq, &Variables::new())
    }

    /// Compiles `value` in `scope` and renders it for request `seq` with seed 42.
    pub(crate) fn value(scope: &Scope, value: Json, seq: u64) -> Json {
        let template = ValueTemplate::compile(&value, scope).unwrap();
        template.render(&mut RenderContext::new(scope, seq, 42, &Variables::new()))
    }

    /// The compile error of `text` in `scope`, as users read it.
    pub(crate) fn error(scope: &Scope, text: &str) -> String {
        TextTemplate::compile(text, scope).unwrap_err().to_string()
    }
}
