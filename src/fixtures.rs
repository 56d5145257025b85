//! Rust fixtures: what YAML cannot say, registered from `tests/perf.rs` and named from YAML.

use std::collections::BTreeMap;
use std::fmt;

use crate::template::{CustomFunction, Scope};

/// The Rust-side fixtures a harness offers to its suites.
#[derive(Clone, Default)]
pub struct Fixtures {
    functions: BTreeMap<String, CustomFunction>,
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixtures")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Fixtures {
    /// Registers a data factory callable from templates as `{{ name(args...) }}`.
    pub fn add_function(&mut self, name: &str, function: CustomFunction) {
        self.functions.insert(name.to_string(), function);
    }

    /// The template scope with every registered function.
    pub fn scope(&self) -> Scope {
        self.functions
            .iter()
            .fold(Scope::new(), |scope, (name, f)| {
                scope.with_function(name, f.clone())
            })
    }
}
