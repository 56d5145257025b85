//! `data.NAME` and `data.NAME.COLUMN`: references to the request's row of a data set.

use super::eval::Expr;
use super::size::Size;
use super::{Json, Scope, TemplateError};
use crate::data::DataSet;
use std::collections::BTreeMap;

/// Resolves a reference to the data set `name`, dotted into by `path`; for a CSV file, the
/// first segment of `path` must be one of its columns.
pub(crate) fn compile(
    name: &str,
    path: &[String],
    source: &str,
    scope: &Scope,
) -> Result<Expr, TemplateError> {
    let set = scope.data(name).ok_or_else(|| {
        TemplateError::in_expr(format!("unknown data set `{name}`"), source)
            .suggest(name, scope.data_names())
    })?;
    if let (Some(columns), Some(column)) = (set.columns(), path.first()) {
        if !columns.contains(column) {
            return Err(TemplateError::in_expr(
                format!("data `{name}` has no column `{column}`"),
                source,
            )
            .suggest(column, columns.iter().map(String::as_str)));
        }
    }
    let size = scope
        .data_size(name)
        .map_or(Size::NULL, |sizes| sizes.of_path(path));
    Ok(Expr::Data {
        set: set.clone(),
        path: path.iter().map(|s| s.as_str().into()).collect(),
        size,
    })
}

/// Upper bounds of what references into one data set render, measured once over its rows.
///
/// A reference deeper than one segment (`data.products.price.eur`) is bounded by its first
/// segment's value, which contains it: one pass over the rows serves every path.
#[derive(Debug, Default)]
pub(crate) struct DataSize {
    /// The largest row, for `data.NAME`.
    row: Size,
    /// The largest value under each key of the object rows.
    keys: BTreeMap<String, Size>,
    /// The largest element of the array rows, for `data.NAME.0`.
    elements: Size,
}

impl DataSize {
    /// Measures every row of `set`.
    pub(crate) fn of(set: &DataSet) -> Self {
        let mut sizes = DataSize::default();
        // Whatever the order, requests 1 to len read every row once.
        for row in (1..=set.len() as u64).filter_map(|seq| set.row_for(seq)) {
            sizes.row = sizes.row.max(Size::of(row));
            match row {
                Json::Object(map) => {
                    for (key, value) in map {
                        let size = sizes.keys.entry(key.clone()).or_default();
                        *size = size.max(Size::of(value));
                    }
                }
                Json::Array(items) => {
                    for item in items {
                        sizes.elements = sizes.elements.max(Size::of(item));
                    }
                }
                _ => {}
            }
        }
        sizes
    }

    /// The bound of `data.NAME` dotted into by `path`; a missing key, index or row is null.
    pub(crate) fn of_path(&self, path: &[String]) -> Size {
        let found = match path.first() {
            None => self.row,
            Some(first) => {
                let key = self.keys.get(first).copied().unwrap_or_default();
                match first.parse::<usize>() {
                    Ok(_) => key.max(self.elements),
                    Err(_) => key,
                }
            }
        };
        found.max(Size::NULL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::testing::set;
    use crate::data::Order;
    use crate::template::testing::{error, text_with, value};
    use crate::template::{RenderContext, TextTemplate, ValueTemplate, Variables};
    use serde_json::json;

    const USERS: &str = "email,password,age\na@x.io,pa,31\nb@x.io,pb,42\nc@x.io,pc,27\n";

    fn scope(order: Order) -> Scope {
        Scope::new()
            .with_data(set("users", "csv", USERS, order))
            .with_data(set(
                "products",
                "json",
                r#"[{"sku": "A1", "price": {"eur": 3}, "tags": ["x", "y"]}, "plain"]"#,
                Order::Sequential,
            ))
    }

    #[test]
    fn columns_of_one_row_stay_together_within_a_render() {
        let scope = scope(Order::Shuffle);
        let body = json!({
            "email": "{{ data.users.email }}",
            "password": "{{ data.users.password }}",
            "login": "{{ data.users.email }}:{{ data.users.password }}",
            "row": "{{ data.users }}",
        });
        for seq in 1..=6 {
            let body = value(&scope, body.clone(), seq);
            let row = &body["row"];
            assert_eq!(body["email"], row["email"], "seq {seq}");
            assert_eq!(body["password"], row["password"], "seq {seq}");
            assert_eq!(
                body["login"],
                format!(
                    "{}:{}",
                    row["email"].as_str().unwrap(),
                    row["password"].as_str().unwrap()
                ),
            );
        }
    }

    #[test]
    fn rows_render_typed_in_values_and_as_text_in_strings() {
        let scope = scope(Order::Sequential);
        assert_eq!(
            value(&scope, json!({"age": "{{ data.users.age }}"}), 2),
            json!({"age": 42})
        );
        assert_eq!(
            value(&scope, json!("{{ data.users }}"), 4),
            json!({"email": "a@x.io", "password": "pa", "age": 31})
        );
        let render = |text, seq| text_with(&scope, text, seq, &Variables::new());
        assert_eq!(
            render("/u/{{ data.users.email }}?age={{ data.users.age }}", 3),
            "/u/c@x.io?age=27"
        );
        assert_eq!(
            render(
                "{{ data.products.price.eur }} {{ data.products.tags.1 }} {{ data.products.nope }}",
                1
            ),
            "3 y null"
        );
        assert_eq!(
            render("{{ data.products }}|{{ data.products.sku }}", 2),
            "plain|null"
        );
    }

    #[test]
    fn data_in_factories_uses_the_same_row() {
        let factories = serde_json::from_value(json!({
            "login": {"email": "{{ data.users.email }}", "password": "{{ data.users.password }}"},
        }))
        .unwrap();
        let scope = scope(Order::Sequential).with_factories(&factories).unwrap();
        assert_eq!(
            value(
                &scope,
                json!({"l": "{{ factory.login }}", "e": "{{ data.users.email }}"}),
                2
            ),
            json!({"l": {"email": "b@x.io", "password": "pb"}, "e": "b@x.io"})
        );
    }

    #[test]
    fn an_exhausted_unique_set_renders_null_and_is_recorded() {
        let scope = scope(Order::Unique);
        let template = ValueTemplate::compile(
            &json!({"e": "{{ data.users.email }}", "s": "{{ seq }}"}),
            &scope,
        )
        .unwrap();
        let vars = Variables::new();
        let mut ctx = RenderContext::new(&scope, 3, 42, &vars);
        assert_eq!(template.render(&mut ctx)["e"], "c@x.io");
        assert_eq!(ctx.exhausted(), None);
        assert_eq!(ctx.exhaustion_message(), None);

        let mut ctx = RenderContext::new(&scope, 4, 42, &vars);
        assert_eq!(template.render(&mut ctx), json!({"e": null, "s": 4}));
        assert_eq!(ctx.exhausted(), Some("users"));
        assert_eq!(
            ctx.exhaustion_message().as_deref(),
            Some("data `users` ran out of unique rows (3 rows)")
        );

        let text = TextTemplate::compile("{{ data.users.email }}", &scope).unwrap();
        let mut ctx = RenderContext::new(&scope, 9, 42, &vars);
        assert_eq!(text.render(&mut ctx), "null");
        assert_eq!(ctx.exhausted(), Some("users"));
    }

    #[test]
    fn unknown_data_sets_and_columns_are_compile_errors_with_suggestions() {
        let scope = scope(Order::Sequential);
        let cases = [
            (
                "{{ data.usres.email }}",
                "unknown data set `usres` in `{{ data.usres.email }}`, did you mean `users`?",
            ),
            (
                "{{ data.orders }}",
                "unknown data set `orders` in `{{ data.orders }}`",
            ),
            (
                "{{ data.users.emial }}",
                "data `users` has no column `emial` in `{{ data.users.emial }}`, \
                 did you mean `email`?",
            ),
            (
                "{{ data }}",
                "`data` takes a data set name, as in `data.NAME` or `data.NAME.COLUMN` \
                 in `{{ data }}`",
            ),
            (
                "{{ dat.users }}",
                "unknown variable `dat` in `{{ dat.users }}`, did you mean `data`?",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(error(&scope, input), expected);
        }
        // JSON rows need not share keys, so their keys are not checked.
        assert!(TextTemplate::compile("{{ data.products.anything }}", &scope).is_ok());
    }

    #[test]
    fn a_variable_named_data_shadows_data_sets() {
        let scope = scope(Order::Sequential).with_variable("data");
        let vars = Variables::from([("data".to_string(), json!({"users": "mine"}))]);
        assert_eq!(text_with(&scope, "{{ data.users }}", 1, &vars), "mine");
    }

    #[test]
    fn references_are_bounded_by_the_longest_value_they_can_read() {
        let long = "x".repeat(600_000);
        let scope = Scope::new().with_data(set(
            "big",
            "csv",
            &format!("id,blob\n1,short\n2,{long}\n"),
            Order::Sequential,
        ));
        assert_eq!(
            text_with(&scope, "{{ data.big.blob }}", 2, &Variables::new()).len(),
            600_000
        );
        assert_eq!(
            error(&scope, "{{ data.big.blob }}{{ data.big.blob }}"),
            "the text would render about 1.2e6 bytes; the limit is 1048576 bytes"
        );
        assert_eq!(
            error(&scope, "{{ data.big }}{{ data.big }}"),
            "the text would render about 1.2e6 bytes; the limit is 1048576 bytes"
        );
        // Short columns and keys that no row has stay small.
        assert!(TextTemplate::compile("{{ data.big.id }}{{ data.big.id }}", &scope).is_ok());
    }
}
