//! Named factories: JSON values with templated strings, which may use one another.

use super::compile::unknown_factory;
use super::parse::{split, Ast, Piece};
use super::{Json, Scope, TemplateError, ValueTemplate};
use std::collections::BTreeMap;

impl Scope {
    /// Compiles named factories (name -> JSON value with templated strings), usable afterwards
    /// as `{{ factory.NAME }}`; errors name the factory.
    ///
    /// Factories may use each other in any order of definition; a cycle is an error. A factory
    /// renders afresh at each use, so two uses in one request give two different objects.
    ///
    /// A factory that would render over the limits
    /// ([`MAX_RENDERED_BYTES`](super::MAX_RENDERED_BYTES),
    /// [`MAX_RENDERED_VALUES`](super::MAX_RENDERED_VALUES)) is an error, found without
    /// rendering it: factories that use others several times multiply, and a few lines can
    /// describe more values than memory holds.
    pub fn with_factories(
        mut self,
        factories: &BTreeMap<String, Json>,
    ) -> Result<Self, TemplateError> {
        let mut uses = BTreeMap::new();
        for (name, value) in factories {
            let mut used = Vec::new();
            self.collect_uses(value, factories, &mut used)
                .map_err(|e| e.context(format_args!("factory `{name}`")))?;
            uses.insert(name.as_str(), used);
        }
        for (name, value) in order(&uses)?
            .into_iter()
            .filter_map(|name| factories.get_key_value(name))
        {
            let template = ValueTemplate::compile_unchecked(value, &self)
                .map_err(|e| e.context(format_args!("factory `{name}`")))?;
            template.size().check(format_args!("factory `{name}`"))?;
            self.add_factory(name, template);
        }
        Ok(self)
    }

    /// Pushes the names of the factories that `value` uses and that are defined in `batch`;
    /// a use of a factory defined nowhere is an error. Syntax errors are left to compilation,
    /// which reports them with the field they occur in.
    fn collect_uses<'b>(
        &self,
        value: &Json,
        batch: &'b BTreeMap<String, Json>,
        used: &mut Vec<&'b str>,
    ) -> Result<(), TemplateError> {
        match value {
            Json::String(text) => {
                for piece in split(text).unwrap_or_default() {
                    if let Piece::Expr { ast, source } = piece {
                        self.collect_in_ast(&ast, source, batch, used)?;
                    }
                }
            }
            Json::Array(items) => {
                for item in items {
                    self.collect_uses(item, batch, used)?;
                }
            }
            Json::Object(map) => {
                for item in map.values() {
                    self.collect_uses(item, batch, used)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn collect_in_ast<'b>(
        &self,
        ast: &Ast,
        source: &str,
        batch: &'b BTreeMap<String, Json>,
        used: &mut Vec<&'b str>,
    ) -> Result<(), TemplateError> {
        match ast {
            Ast::Path(segments) if !self.has_variable("factory") => {
                if let [root, name] = segments.as_slice() {
                    if root == "factory" {
                        match batch.get_key_value(name) {
                            Some((name, _)) => used.push(name),
                            None if self.factory(name).is_some() => {}
                            None => {
                                let known = batch.keys().map(String::as_str);
                                let known = known.chain(self.factory_names());
                                return Err(unknown_factory(name, source, known));
                            }
                        }
                    }
                }
            }
            Ast::Call { args, .. } => {
                for arg in args {
                    self.collect_in_ast(arg, source, batch, used)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The factories in an order where each comes after those it uses, or the first cycle found.
fn order<'n>(uses: &BTreeMap<&'n str, Vec<&'n str>>) -> Result<Vec<&'n str>, TemplateError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'n>(
        name: &'n str,
        uses: &BTreeMap<&'n str, Vec<&'n str>>,
        marks: &mut BTreeMap<&'n str, Mark>,
        path: &mut Vec<&'n str>,
        out: &mut Vec<&'n str>,
    ) -> Result<(), TemplateError> {
        match marks.get(name) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| *n == name).unwrap_or(0);
                let cycle: Vec<String> = path[start..]
                    .iter()
                    .chain([&name])
                    .map(|n| format!("`{n}`"))
                    .collect();
                return Err(TemplateError::new(format!(
                    "factories use each other in a cycle: {}",
                    cycle.join(" -> ")
                )));
            }
            None => {}
        }
        marks.insert(name, Mark::Visiting);
        path.push(name);
        for used in uses.get(name).into_iter().flatten() {
            visit(used, uses, marks, path, out)?;
        }
        path.pop();
        marks.insert(name, Mark::Done);
        out.push(name);
        Ok(())
    }

    let mut marks = BTreeMap::new();
    let mut out = Vec::with_capacity(uses.len());
    for name in uses.keys() {
        visit(name, uses, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::testing::{error, value};
    use serde_json::json;

    fn factories(value: Json) -> BTreeMap<String, Json> {
        serde_json::from_value(value).unwrap()
    }

    fn compile_error(value: Json) -> String {
        Scope::new()
            .with_factories(&factories(value))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn factories_render_typed_objects_and_may_use_each_other() {
        let scope = Scope::new()
            .with_factories(&factories(json!({
                "worker": {
                    "name": "worker-{{ seq }}-{{ random_string(6) }}",
                    "capabilities": ["{{ one_of('python', 'rust') }}"],
                    "max_concurrent_tasks": "{{ random_int(1, 8) }}",
                    "address": "{{ factory.address }}",
                },
                "address": {"city": "{{ city }}", "zip": "{{ random_int(10000, 99999) }}"},
            })))
            .unwrap();
        let worker = value(&scope, json!({"w": "{{ factory.worker }}"}), 3);
        let worker = &worker["w"];
        let name = worker["name"].as_str().unwrap();
        assert!(
            name.starts_with("worker-3-") && name.len() == "worker-3-".len() + 6,
            "{name}"
        );
        assert!(["python", "rust"].contains(&worker["capabilities"][0].as_str().unwrap()));
        assert!((1..=8).contains(&worker["max_concurrent_tasks"].as_i64().unwrap()));
        assert!(worker["address"]["zip"].is_i64());
        assert!(worker["address"]["city"].is_string());
        assert!(scope.factory("address").is_some());
    }

    #[test]
    fn a_factory_in_text_renders_as_compact_json() {
        let scope = Scope::new()
            .with_factories(&factories(json!({"p": {"id": "{{ seq }}"}})))
            .unwrap();
        assert_eq!(
            crate::template::testing::text_with(
                &scope,
                "x={{ factory.p }}",
                4,
                &Default::default()
            ),
            r#"x={"id":4}"#
        );
    }

    #[test]
    fn later_batches_may_use_earlier_factories() {
        let scope = Scope::new()
            .with_factories(&factories(json!({"id": "{{ seq }}"})))
            .unwrap();
        let scope = scope
            .with_factories(&factories(json!({"user": {"id": "{{ factory.id }}"}})))
            .unwrap();
        assert_eq!(
            value(&scope, json!("{{ factory.user }}"), 8),
            json!({"id": 8})
        );
    }

    #[test]
    fn cycles_are_compile_errors() {
        assert_eq!(
            compile_error(json!({
                "a": {"b": "{{ factory.b }}"},
                "b": ["{{ factory.c }}"],
                "c": "{{ factory.a }}",
            })),
            "factories use each other in a cycle: `a` -> `b` -> `c` -> `a`"
        );
        assert_eq!(
            compile_error(json!({"me": {"me": "{{ factory.me }}"}})),
            "factories use each other in a cycle: `me` -> `me`"
        );
    }

    #[test]
    fn errors_name_the_factory() {
        assert_eq!(
            compile_error(json!({
                "worker": {"home": "{{ factory.adress }}"},
                "address": {"city": "{{ city }}"},
            })),
            "factory `worker`: unknown factory `adress` in `{{ factory.adress }}`, \
             did you mean `address`?"
        );
        assert_eq!(
            compile_error(json!({"worker": {"n": "{{ random_int(5, 1) }}"}})),
            "factory `worker`: field `n`: `random_int` needs min <= max, got 5 > 1 \
             in `{{ random_int(5, 1) }}`"
        );
        assert_eq!(
            compile_error(json!({"worker": {"name": "worker-{{ sq }}"}})),
            "factory `worker`: field `name`: unknown variable `sq` in `{{ sq }}`, \
             did you mean `seq`?"
        );
        assert_eq!(
            error(&Scope::new(), "{{ factory.worker }}"),
            "unknown factory `worker` in `{{ factory.worker }}`"
        );
    }

    /// `f0: 0`, then `fN` using `fN-1` twice (`doubling`) or once.
    fn chain(levels: usize, doubling: bool) -> BTreeMap<String, Json> {
        let mut chain = BTreeMap::from([("f0".to_string(), json!(0))]);
        for level in 1..=levels {
            let previous = format!("{{{{ factory.f{} }}}}", level - 1);
            let value = match doubling {
                true => json!({"a": previous, "b": previous}),
                false => json!({"a": previous, "n": level}),
            };
            chain.insert(format!("f{level}"), value);
        }
        chain
    }

    #[test]
    fn factories_that_multiply_past_the_limit_are_refused_without_rendering() {
        let started = std::time::Instant::now();
        let err = Scope::new().with_factories(&chain(40, true)).unwrap_err();
        // Rendering f40 would build 2^41 values; bounding it takes microseconds.
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(
            err.to_string(),
            "factory `f16` would render about 1.3e5 values; the limit is 100000: \
             a factory that uses another several times multiplies its size"
        );
    }

    #[test]
    fn deep_linear_factories_compile_and_render() {
        let scope = Scope::new().with_factories(&chain(20, false)).unwrap();
        let mut rendered = value(&scope, json!("{{ factory.f20 }}"), 1);
        for level in (1..=20).rev() {
            assert_eq!(rendered["n"], level);
            rendered = rendered["a"].take();
        }
        assert_eq!(rendered, 0);
    }

    #[test]
    fn a_template_that_uses_factories_past_the_limit_is_refused() {
        let scope = Scope::new().with_factories(&chain(15, true)).unwrap();
        let body = json!({"x": "{{ factory.f15 }}", "y": "{{ factory.f15 }}"});
        assert_eq!(
            ValueTemplate::compile(&body, &scope)
                .unwrap_err()
                .to_string(),
            "the value would render about 1.3e5 values; the limit is 100000: \
             a factory that uses another several times multiplies its size"
        );
        assert_eq!(
            error(&scope, "{{ factory.f15 }}{{ factory.f15 }}"),
            "the text would render about 1.3e5 values; the limit is 100000: \
             a factory that uses another several times multiplies its size"
        );
    }
}
