//! Splitting text into literal and `{{ }}` pieces, and parsing the expression language.
//!
//! ```text
//! template := (text | "{{" expr "}}")*
//! expr     := literal | call | path
//! call     := ident "(" [expr ("," expr)*] ")"
//! path     := ident ("." segment)*
//! literal  := 'string' | "string" | integer | float | true | false | null
//! ```
//!
//! Only `{{` opens an expression: a lone `}}` is text, so raw JSON bodies such as
//! `{"a":{"b":1}}` need no escaping.

use super::{Json, TemplateError};
use std::fmt;

/// Calls nested deeper than this are rejected rather than risking the stack.
const MAX_DEPTH: usize = 32;

/// One piece of a template text, borrowing from it.
#[derive(Debug, PartialEq)]
pub(crate) enum Piece<'s> {
    /// Literal text, copied as is.
    Text(&'s str),
    /// An expression and its source, `{{` and `}}` included (for messages).
    Expr { ast: Ast, source: &'s str },
}

/// A parsed, not yet resolved, expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ast {
    /// A string, number, boolean or null literal.
    Literal(Json),
    /// A name, possibly dotted: `seq`, `token`, `user.id`, `env.HOME`, `factory.worker`.
    Path(Vec<String>),
    /// A call with parentheses: `random_int(1, 5)`, `seq()`.
    Call { name: String, args: Vec<Ast> },
}

impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ast::Literal(Json::String(s)) => write!(f, "'{s}'"),
            Ast::Literal(v) => write!(f, "{v}"),
            Ast::Path(segments) => write!(f, "{}", segments.join(".")),
            Ast::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Splits `text` into literal text and parsed expressions.
pub(crate) fn split(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while let Some(found) = text[start..].find("{{") {
        let open = start + found;
        if open > start {
            pieces.push(Piece::Text(&text[start..open]));
        }
        let mut parser = Parser {
            src: text,
            pos: open + 2,
        };
        let ast = parser.braced().map_err(|msg| {
            let rest = &text[open..];
            match rest.find("}}") {
                Some(close) => TemplateError::in_expr(msg, &rest[..close + 2]),
                None => TemplateError::in_expr("unclosed `{{`, expected `}}`", rest),
            }
        })?;
        pieces.push(Piece::Expr {
            ast,
            source: &text[open..parser.pos],
        });
        start = parser.pos;
    }
    if start < text.len() {
        pieces.push(Piece::Text(&text[start..]));
    }
    Ok(pieces)
}

/// A cursor over one expression; errors are plain messages, located by the caller.
struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn braced(&mut self) -> Result<Ast, String> {
        self.skip_ws();
        if self.rest().starts_with("}}") {
            return Err("empty expression".into());
        }
        let ast = self.expr(0)?;
        self.skip_ws();
        if self.rest().starts_with("}}") {
            self.pos += 2;
            Ok(ast)
        } else {
            Err(self.unexpected("`}}`"))
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Ast, String> {
        if depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => self.string(quote),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.take_while(|c| c.is_ascii_alphanumeric() || c == b'_');
                match name {
                    "true" => return Ok(Ast::Literal(Json::Bool(true))),
                    "false" => return Ok(Ast::Literal(Json::Bool(false))),
                    "null" => return Ok(Ast::Literal(Json::Null)),
                    _ => {}
                }
                let name = name.to_string();
                self.skip_ws();
                match self.peek() {
                    Some(b'(') => self.call(name, depth),
                    Some(b'.') => self.path(name),
                    _ => Ok(Ast::Path(vec![name])),
                }
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn call(&mut self, name: String, depth: usize) -> Result<Ast, String> {
        self.pos += 1; // `(`
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(Ast::Call { name, args });
        }
        loop {
            self.skip_ws();
            args.push(self.expr(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(Ast::Call { name, args });
                }
                _ => return Err(self.unexpected("`,` or `)`")),
            }
        }
    }

    fn path(&mut self, first: String) -> Result<Ast, String> {
        let mut segments = vec![first];
        while self.peek() == Some(b'.') {
            self.pos += 1;
            self.skip_ws();
            let segment = self.take_while(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
            if segment.is_empty() {
                return Err(self.unexpected("a name after `.`"));
            }
            segments.push(segment.to_string());
            self.skip_ws();
        }
        Ok(Ast::Path(segments))
    }

    fn string(&mut self, quote: u8) -> Result<Ast, String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c as u32 == u32::from(quote) => {
                    self.pos += i + 1;
                    return Ok(Ast::Literal(Json::String(out)));
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.pos = self.src.len();
        Err("unterminated string literal".into())
    }

    fn number(&mut self) -> Result<Ast, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.unexpected("a digit after `-`"));
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.pos += 1;
            if self.take_while(|c| c.is_ascii_digit()).is_empty() {
                return Err(self.unexpected("a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.take_while(|c| c.is_ascii_digit()).is_empty() {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        let text = &self.src[start..self.pos];
        let out_of_range = || format!("number `{text}` is out of range");
        if float {
            let value: f64 = text.parse().map_err(|_| out_of_range())?;
            serde_json::Number::from_f64(value)
                .map(|n| Ast::Literal(Json::Number(n)))
                .ok_or_else(out_of_range)
        } else {
            let value: i64 = text.parse().map_err(|_| out_of_range())?;
            Ok(Ast::Literal(Json::from(value)))
        }
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        self.take_while(|c| c.is_ascii_whitespace());
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.rest().chars().next() {
            None => format!("unexpected end of text, expected {expected}"),
            Some(c) => format!("unexpected `{c}`, expected {expected}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ast(text: &str) -> Ast {
        match split(text).unwrap().pop() {
            Some(Piece::Expr { ast, .. }) => ast,
            other => panic!("no expression in {text}: {other:?}"),
        }
    }

    fn error(text: &str) -> String {
        split(text).unwrap_err().to_string()
    }

    #[test]
    fn splits_text_and_expressions() {
        let pieces = split("w-{{seq}}-{{ uuid() }}!").unwrap();
        assert_eq!(pieces.len(), 5);
        assert_eq!(pieces[0], Piece::Text("w-"));
        assert!(matches!(
            pieces[1],
            Piece::Expr {
                source: "{{seq}}",
                ..
            }
        ));
        assert!(matches!(
            pieces[3],
            Piece::Expr {
                source: "{{ uuid() }}",
                ..
            }
        ));
        assert_eq!(pieces[4], Piece::Text("!"));
        assert_eq!(split("").unwrap(), vec![]);
    }

    #[test]
    fn lone_closing_braces_are_text() {
        let pieces = split(r#"{"a":{"b":1}}"#).unwrap();
        assert_eq!(pieces, vec![Piece::Text(r#"{"a":{"b":1}}"#)]);
    }

    #[test]
    fn parses_calls_paths_and_literals() {
        assert_eq!(
            ast("{{ one_of('a', \"b\", 3, -1.5, true, null) }}").to_string(),
            "one_of('a', 'b', 3, -1.5, true, null)"
        );
        assert_eq!(
            ast("{{ user . id }}"),
            Ast::Path(vec!["user".into(), "id".into()])
        );
        assert_eq!(
            ast("{{ items.0.first-name }}").to_string(),
            "items.0.first-name"
        );
        assert_eq!(ast("{{ f(g(1)) }}").to_string(), "f(g(1))");
        assert_eq!(ast("{{ '}} \\' x' }}"), Ast::Literal("}} ' x".into()));
        assert_eq!(ast("{{ 2e3 }}"), Ast::Literal(2000.0.into()));
    }

    #[test]
    fn reports_syntax_errors_with_the_expression() {
        assert_eq!(
            error("Bearer {{ token"),
            "unclosed `{{`, expected `}}` in `{{ token`"
        );
        assert_eq!(error("a {{ }} b"), "empty expression in `{{ }}`");
        assert_eq!(
            error("{{ random_int(1, 5 }}"),
            "unexpected `}`, expected `,` or `)` in `{{ random_int(1, 5 }}`"
        );
        assert_eq!(
            error("{{ seq seq }}"),
            "unexpected `s`, expected `}}` in `{{ seq seq }}`"
        );
        assert_eq!(
            error("{{ 'abc }}"),
            "unterminated string literal in `{{ 'abc }}`"
        );
        assert_eq!(
            error("{{ 99999999999999999999 }}"),
            "number `99999999999999999999` is out of range in `{{ 99999999999999999999 }}`"
        );
        assert_eq!(
            error("{{ user. }}"),
            "unexpected `}`, expected a name after `.` in `{{ user. }}`"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{{{{ {}1{} }}}}", "f(".repeat(10_000), ")".repeat(10_000));
        assert!(error(&text).starts_with("expression nested too deeply in `{{ f(f("));
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "{{",
            "{{-",
            "{{ 1.",
            "{{ 'é",
            "{{ é }}",
            "{{ a.é }}",
            "{{{{}}}}",
            "{{ \\",
        ] {
            assert!(split(text).is_err(), "{text}");
        }
    }
}
