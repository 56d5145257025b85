//! Strings with `{{ }}` parts: paths, URLs, headers, query values, raw bodies.

use super::cap::push_capped;
use super::compile::compile;
use super::context::write_json;
use super::eval::Expr;
use super::parse::{split, Piece};
use super::size::Size;
use super::{RenderContext, Scope, TemplateError};
use std::fmt;
use std::sync::Arc;

/// A string with `{{ }}` parts, compiled; cheap to clone and share across threads.
#[derive(Clone)]
pub struct TextTemplate(Arc<Inner>);

struct Inner {
    source: String,
    parts: Vec<Part>,
    /// Starting capacity of a rendered string, so most renders allocate once.
    capacity: usize,
    /// An upper bound of the rendered text.
    size: Size,
}

enum Part {
    Text(String),
    Expr(Expr),
}

/// Room reserved per expression in a rendered string: a uuid fits.
const EXPR_CAPACITY: usize = 36;

impl TextTemplate {
    /// Parses and resolves `text` against `scope`; every error is reported here, not at render,
    /// including a text that would render over the limits
    /// ([`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES),
    /// [`MAX_RENDERED_VALUES`](super::MAX_RENDERED_VALUES)).
    pub fn compile(text: &str, scope: &Scope) -> Result<Self, TemplateError> {
        let template = Self::compile_unchecked(text, scope)?;
        template.size().check("the text")?;
        Ok(template)
    }

    /// Like [`TextTemplate::compile`] without the size check, for a text inside a value, which
    /// is checked as a whole.
    pub(crate) fn compile_unchecked(text: &str, scope: &Scope) -> Result<Self, TemplateError> {
        let mut parts: Vec<Part> = Vec::new();
        for piece in split(text)? {
            let expr = match piece {
                Piece::Text(text) => Expr::Const(text.into()),
                Piece::Expr { ast, source } => compile(&ast, source, scope)?,
            };
            // Constants (text, literals, environment variables) are joined once, here.
            match (expr, parts.last_mut()) {
                (Expr::Const(value), Some(Part::Text(last))) => write_json(&value, last),
                (Expr::Const(value), _) => {
                    let mut text = String::new();
                    write_json(&value, &mut text);
                    parts.push(Part::Text(text));
                }
                (expr, _) => parts.push(Part::Expr(expr)),
            }
        }
        let capacity = parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.len(),
                Part::Expr(_) => EXPR_CAPACITY,
            })
            .sum();
        // One string, plus what the expressions write and the values they may build to do so.
        let size = parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => Size::default().plus_bytes(text.len() as u64),
                Part::Expr(expr) => expr.size(),
            })
            .sum::<Size>()
            + Size::scalar(0);
        Ok(Self(Arc::new(Inner {
            source: text.to_string(),
            parts,
            capacity,
            size,
        })))
    }

    /// Renders the text for one request, held to
    /// [`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES): see [`RenderContext`].
    pub fn render(&self, ctx: &mut RenderContext<'_>) -> String {
        ctx.budget.start_value();
        self.render_within(ctx)
    }

    /// Renders the text as part of a larger value, whose cap it shares.
    pub(crate) fn render_within(&self, ctx: &mut RenderContext<'_>) -> String {
        let mut out = String::with_capacity(self.0.capacity.min(ctx.budget.room()));
        for part in &self.0.parts {
            if ctx.budget.is_full() {
                break;
            }
            match part {
                Part::Text(text) => push_capped(&mut ctx.budget, &mut out, text),
                Part::Expr(expr) => expr.write(ctx, &mut out),
            }
        }
        out
    }

    /// An upper bound of the rendered text, computed when it compiled.
    pub(crate) fn size(&self) -> Size {
        self.0.size
    }

    /// Whether every render gives the same text (no expression, or only constant ones), so the
    /// caller may render once and reuse the result.
    pub fn is_literal(&self) -> bool {
        self.0
            .parts
            .iter()
            .all(|part| matches!(part, Part::Text(_)))
    }

    /// The constant parts joined: the whole text when [`TextTemplate::is_literal`].
    pub(crate) fn render_literal(&self) -> String {
        let mut out = String::with_capacity(self.0.capacity);
        for part in &self.0.parts {
            if let Part::Text(text) = part {
                out.push_str(text);
            }
        }
        out
    }

    /// The text as written, before compilation.
    pub fn source(&self) -> &str {
        &self.0.source
    }
}

impl fmt::Debug for TextTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TextTemplate").field(&self.0.source).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::testing::{error, text, text_with};
    use crate::template::{CustomFunction, Json, Variables};
    use serde_json::json;

    #[test]
    fn mixes_text_and_stringified_values() {
        assert_eq!(text("plain /path", 0), "plain /path");
        assert_eq!(text("w-{{ seq }}-{{seq()}}", 9), "w-9-9");
        assert_eq!(
            text(
                "{{ 'a' }} {{ 1.5 }} {{ true }} {{ null }} {{ one_of('x') }}",
                0
            ),
            "a 1.5 true null x"
        );
        assert_eq!(text("{\"a\":{{ seq }}}", 3), "{\"a\":3}");
    }

    #[test]
    fn literal_and_constant_templates_are_literal() {
        let scope = Scope::new();
        assert!(TextTemplate::compile("/api/v1/tasks", &scope)
            .unwrap()
            .is_literal());
        assert!(TextTemplate::compile("x{{ 'y' }}{{ 3 }}", &scope)
            .unwrap()
            .is_literal());
        assert!(!TextTemplate::compile("x{{ seq }}", &scope)
            .unwrap()
            .is_literal());
        let template = TextTemplate::compile("a{{ 'b' }}c", &scope).unwrap();
        assert_eq!(template.render_literal(), "abc");
        assert_eq!(template.source(), "a{{ 'b' }}c");
    }

    #[test]
    fn same_seed_and_seq_reproduce_and_other_seqs_differ() {
        let scope = Scope::new();
        let vars = Variables::new();
        let template =
            TextTemplate::compile("{{ uuid }} {{ random_string(8) }} {{ email }}", &scope).unwrap();
        let render = |seq, seed| template.render(&mut RenderContext::new(&scope, seq, seed, &vars));
        assert_eq!(render(5, 42), render(5, 42));
        assert_ne!(render(5, 42), render(6, 42));
        assert_ne!(render(5, 42), render(5, 43));
    }

    #[test]
    fn variables_render_including_dotted_access() {
        let scope = Scope::new().with_variable("token").with_variable("user");
        let vars = Variables::from([
            ("token".to_string(), json!("abc")),
            (
                "user".to_string(),
                json!({"id": 7, "tags": ["a", "b"], "o": {"k": 1}}),
            ),
        ]);
        let render = |text| text_with(&scope, text, 0, &vars);
        assert_eq!(render("Bearer {{ token }}"), "Bearer abc");
        assert_eq!(
            render("/users/{{ user.id }}/{{ user.tags.1 }}"),
            "/users/7/b"
        );
        assert_eq!(render("{{ user.o }}"), r#"{"k":1}"#);
        assert_eq!(
            render("{{ user.missing }}|{{ user.tags.9 }}|{{ token.x }}"),
            "null|null|null"
        );
    }

    #[test]
    fn a_missing_variable_value_renders_as_null() {
        let scope = Scope::new().with_variable("token");
        assert_eq!(
            text_with(&scope, "Bearer {{ token }}", 0, &Variables::new()),
            "Bearer null"
        );
    }

    #[test]
    fn declared_variables_shadow_bare_builtins() {
        let scope = Scope::new().with_variable("name");
        let vars = Variables::from([("name".to_string(), json!("Ada"))]);
        assert_eq!(text_with(&scope, "{{ name }}", 0, &vars), "Ada");
        assert_ne!(text_with(&scope, "{{ name() }}", 0, &vars), "Ada");
    }

    #[test]
    fn custom_functions_receive_evaluated_arguments_and_the_rng() {
        let double: CustomFunction =
            Arc::new(|args: &[Json], _rng: &mut dyn rand::RngCore| match args {
                [Json::Number(n)] => json!(n.as_i64().unwrap_or(0) * 2),
                _ => Json::Null,
            });
        let dice: CustomFunction =
            Arc::new(|_: &[Json], rng: &mut dyn rand::RngCore| json!(rng.next_u32() % 6 + 1));
        let scope = Scope::new()
            .with_function("double", double)
            .with_function("dice", dice);
        let vars = Variables::new();
        assert_eq!(
            text_with(&scope, "{{ double(21) }}/{{ double(seq) }}", 4, &vars),
            "42/8"
        );
        assert_eq!(text_with(&scope, "{{ double() }}", 4, &vars), "null");
        assert_eq!(
            text_with(&scope, "{{ dice }}", 4, &vars),
            text_with(&scope, "{{ dice() }}", 4, &vars)
        );
    }

    #[test]
    fn environment_variables_are_read_at_compile_time() {
        std::env::set_var("PERFGATE_TEMPLATE_TEST_HOST", "api.example.com");
        let template = TextTemplate::compile(
            "https://{{ env.PERFGATE_TEMPLATE_TEST_HOST }}/",
            &Scope::new(),
        )
        .unwrap();
        std::env::remove_var("PERFGATE_TEMPLATE_TEST_HOST");
        assert!(template.is_literal());
        assert_eq!(template.render_literal(), "https://api.example.com/");
        assert_eq!(
            error(&Scope::new(), "{{ env.PERFGATE_TEMPLATE_TEST_UNSET }}"),
            "environment variable `PERFGATE_TEMPLATE_TEST_UNSET` is not set \
             in `{{ env.PERFGATE_TEMPLATE_TEST_UNSET }}`"
        );
        assert_eq!(
            error(&Scope::new(), "{{ env.A.B }}"),
            "`env` takes exactly one name, as in `env.NAME` in `{{ env.A.B }}`"
        );
    }

    #[test]
    fn unknown_names_are_compile_errors_with_suggestions() {
        let scope = Scope::new().with_variable("token").with_variable("user");
        let cases = [
            (
                "{{ random_integer(1, 5) }}",
                "unknown function `random_integer` in `{{ random_integer(1, 5) }}`, \
                 did you mean `random_int`?",
            ),
            (
                "{{ tokn }}",
                "unknown variable `tokn` in `{{ tokn }}`, did you mean `token`?",
            ),
            (
                "{{ uuidd }}",
                "unknown variable `uuidd` in `{{ uuidd }}`, did you mean `uuid`?",
            ),
            (
                "{{ usr.id }}",
                "unknown variable `usr` in `{{ usr.id }}`, did you mean `user`?",
            ),
            ("{{ xyz }}", "unknown variable `xyz` in `{{ xyz }}`"),
            (
                "{{ frobnicate() }}",
                "unknown function `frobnicate` in `{{ frobnicate() }}`",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(error(&scope, input), expected);
        }
    }

    #[test]
    fn templates_are_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<TextTemplate>();
        assert_send_sync::<crate::template::ValueTemplate>();
        assert_send_sync::<Scope>();
    }
}
