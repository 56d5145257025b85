//! JSON value trees whose strings may be templates: JSON bodies and factories.

use super::compile::compile;
use super::eval::Expr;
use super::parse::{split, Piece};
use super::size::{key_bytes, punctuation, Size};
use super::{Json, RenderContext, Scope, TemplateError, TextTemplate};
use std::fmt;
use std::sync::Arc;

/// A JSON value tree whose strings may be templates, compiled; cheap to clone and share.
///
/// A string that is exactly one expression (`"{{ random_int(1, 8) }}"`) renders as that
/// expression's typed value; a string mixing text and expressions renders as a string.
/// Object keys are taken literally.
#[derive(Clone)]
pub struct ValueTemplate(Arc<Compiled>);

struct Compiled {
    root: Node,
    /// An upper bound of the rendered value, computed once so that each use of a factory
    /// reuses it: computing a bound stays linear however factories nest.
    size: Size,
}

enum Node {
    /// A subtree without expressions, cloned as is; its size is exact.
    Literal(Json, Size),
    /// A string that is exactly one expression.
    Expr(Expr),
    /// A string mixing text and expressions.
    Text(TextTemplate),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl ValueTemplate {
    /// Compiles every string in `value` against `scope`; errors name the field they come from.
    ///
    /// A value that would render over the limits ([`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES),
    /// [`MAX_RENDERED_VALUES`](super::MAX_RENDERED_VALUES)) is an error too, found without
    /// rendering it.
    pub fn compile(value: &Json, scope: &Scope) -> Result<Self, TemplateError> {
        let template = Self::compile_unchecked(value, scope)?;
        template.size().check("the value")?;
        Ok(template)
    }

    /// Like [`ValueTemplate::compile`] without the size check, for a caller that names the
    /// value in its own message (a factory).
    pub(crate) fn compile_unchecked(value: &Json, scope: &Scope) -> Result<Self, TemplateError> {
        let root = node(value, scope, &mut String::new())?;
        let size = root.size();
        Ok(Self(Arc::new(Compiled { root, size })))
    }

    /// Renders the value for one request, held to
    /// [`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES): see [`RenderContext`].
    pub fn render(&self, ctx: &mut RenderContext<'_>) -> Json {
        ctx.budget.start_value();
        self.render_within(ctx)
    }

    /// Renders the value as part of a larger one (a factory's use), whose cap it shares.
    pub(crate) fn render_within(&self, ctx: &mut RenderContext<'_>) -> Json {
        self.0.root.render(ctx)
    }

    /// An upper bound of the rendered value, computed when it compiled.
    pub(crate) fn size(&self) -> Size {
        self.0.size
    }

    /// Whether every render gives the same value, so the caller may render once and reuse it.
    pub fn is_literal(&self) -> bool {
        matches!(self.0.root, Node::Literal(..))
    }
}

fn node(value: &Json, scope: &Scope, field: &mut String) -> Result<Node, TemplateError> {
    let compiled = match value {
        Json::String(text) => string(text, scope).map_err(|e| match field.is_empty() {
            true => e,
            false => e.context(format_args!("field `{field}`")),
        })?,
        Json::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = field.len();
                field.push_str(&format!("[{i}]"));
                nodes.push(node(item, scope, field)?);
                field.truncate(len);
            }
            Node::Array(nodes)
        }
        Json::Object(map) => {
            let mut nodes = Vec::with_capacity(map.len());
            for (key, item) in map {
                let len = field.len();
                if len > 0 {
                    field.push('.');
                }
                field.push_str(key);
                nodes.push((key.clone(), node(item, scope, field)?));
                field.truncate(len);
            }
            Node::Object(nodes)
        }
        other => Node::literal(other.clone()),
    };
    // A subtree whose strings all folded to constants becomes one literal, cloned in one go.
    Ok(match compiled {
        Node::Array(nodes) if nodes.iter().all(Node::is_literal) => {
            Node::literal(nodes.into_iter().filter_map(Node::into_literal).collect())
        }
        Node::Object(nodes) if nodes.iter().all(|(_, n)| n.is_literal()) => Node::literal(
            nodes
                .into_iter()
                .filter_map(|(key, node)| Some((key, node.into_literal()?)))
                .collect(),
        ),
        other => other,
    })
}

fn string(text: &str, scope: &Scope) -> Result<Node, TemplateError> {
    let pieces = split(text)?;
    if let [Piece::Expr { ast, source }] = pieces.as_slice() {
        return Ok(match compile(ast, source, scope)? {
            Expr::Const(value) => Node::literal(value),
            expr => Node::Expr(expr),
        });
    }
    let template = TextTemplate::compile_unchecked(text, scope)?;
    Ok(match template.is_literal() {
        true => Node::literal(Json::String(template.render_literal())),
        false => Node::Text(template),
    })
}

/// The quotes a string adds as a JSON value, which it does not have as text.
const QUOTES: u64 = 2;

impl Node {
    fn literal(value: Json) -> Node {
        let size = Size::of(&value);
        Node::Literal(value, size)
    }

    fn is_literal(&self) -> bool {
        matches!(self, Node::Literal(..))
    }

    fn into_literal(self) -> Option<Json> {
        match self {
            Node::Literal(value, _) => Some(value),
            _ => None,
        }
    }

    /// An upper bound of the rendered value: the same measure as the run-time cap's.
    fn size(&self) -> Size {
        match self {
            Node::Literal(_, size) => *size,
            Node::Expr(expr) => expr.size().plus_bytes(QUOTES),
            Node::Text(template) => template.size().plus_bytes(QUOTES),
            Node::Array(nodes) => {
                nodes.iter().map(Node::size).sum::<Size>() + Size::scalar(punctuation(nodes.len()))
            }
            Node::Object(nodes) => {
                nodes
                    .iter()
                    .map(|(key, node)| node.size().plus_bytes(key_bytes(key)))
                    .sum::<Size>()
                    + Size::scalar(punctuation(nodes.len()))
            }
        }
    }

    /// Renders within the room the cap leaves; past it, a container is not filled and any
    /// value becomes null.
    fn render(&self, ctx: &mut RenderContext<'_>) -> Json {
        match self {
            Node::Literal(value, size) => match ctx.budget.charge(size.bytes) {
                true => value.clone(),
                false => Json::Null,
            },
            Node::Expr(expr) => expr.value(ctx),
            Node::Text(template) => {
                let text = template.render_within(ctx);
                ctx.budget.charge(QUOTES);
                Json::String(text)
            }
            Node::Array(nodes) => match ctx.budget.charge(punctuation(nodes.len())) {
                true => nodes.iter().map(|node| node.render(ctx)).collect(),
                false => Json::Null,
            },
            Node::Object(nodes) => {
                let keys: u64 = nodes.iter().map(|(key, _)| key_bytes(key)).sum();
                match ctx.budget.charge(punctuation(nodes.len()) + keys) {
                    true => nodes
                        .iter()
                        .map(|(key, node)| (key.clone(), node.render(ctx)))
                        .collect(),
                    false => Json::Null,
                }
            }
        }
    }
}

impl fmt::Debug for ValueTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ValueTemplate").field(&self.0.root).finish()
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Literal(value, _) => write!(f, "{value}"),
            Node::Expr(expr) => write!(f, "{{{{ {expr:?} }}}}"),
            Node::Text(template) => write!(f, "{:?}", template.source()),
            Node::Array(nodes) => f.debug_list().entries(nodes).finish(),
            Node::Object(nodes) => f
                .debug_map()
                .entries(nodes.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::testing::value;
    use serde_json::json;

    #[test]
    fn a_string_that_is_exactly_one_expression_keeps_its_type() {
        let scope = Scope::new();
        let body = json!({
            "n": "{{ random_int(3, 3) }}",
            "f": "{{ 2.5 }}",
            "b": "{{ one_of(true) }}",
            "seq": "{{ seq }}",
            "label": "w-{{ seq }}",
            "padded": " {{ seq }}",
            "list": ["{{ seq }}", 1, "x"],
            "fixed": {"a": [1, "b"]},
        });
        assert_eq!(
            value(&scope, body, 12),
            json!({
                "n": 3, "f": 2.5, "b": true, "seq": 12, "label": "w-12", "padded": " 12",
                "list": [12, 1, "x"], "fixed": {"a": [1, "b"]},
            })
        );
    }

    #[test]
    fn seq_agrees_within_one_render() {
        let body = json!({"id": "{{ seq }}", "name": "w-{{ seq }}", "tags": ["t{{seq}}"]});
        assert_eq!(
            value(&Scope::new(), body, 31),
            json!({"id": 31, "name": "w-31", "tags": ["t31"]})
        );
    }

    #[test]
    fn subtrees_without_expressions_are_literal() {
        let scope = Scope::new();
        let literal = ValueTemplate::compile(&json!({"a": [1, "{{ 'x' }}"]}), &scope).unwrap();
        assert!(literal.is_literal());
        assert_eq!(
            value(&scope, json!({"a": [1, "{{ 'x' }}"]}), 0),
            json!({"a": [1, "x"]})
        );
        let templated = ValueTemplate::compile(&json!({"a": ["{{ seq }}"]}), &scope).unwrap();
        assert!(!templated.is_literal());
    }

    #[test]
    fn a_missing_variable_renders_as_json_null() {
        let scope = Scope::new().with_variable("task");
        assert_eq!(
            value(&scope, json!({"id": "{{ task.id }}", "t": "{{ task }}"}), 0),
            json!({"id": null, "t": null})
        );
    }

    #[test]
    fn errors_name_the_field() {
        let body = json!({"worker": {"caps": ["ok", "{{ one_off('a') }}"]}});
        let err = ValueTemplate::compile(&body, &Scope::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `worker.caps[1]`: unknown function `one_off` in `{{ one_off('a') }}`, \
             did you mean `one_of`?"
        );
        let err = ValueTemplate::compile(&json!("{{ seq"), &Scope::new()).unwrap_err();
        assert_eq!(err.to_string(), "unclosed `{{`, expected `}}` in `{{ seq`");
    }
}
