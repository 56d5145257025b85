//! What templates may refer to: declared variables, custom functions, compiled factories and
//! data sets.

use super::data::DataSize;
use super::{CustomFunction, ValueTemplate};
use crate::data::DataSet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// What a template may refer to; built once per suite, before any template is compiled.
///
/// Names are resolved against the scope at compile time, so an unknown name is an error before
/// any request is sent. A declared variable shadows a builtin of the same name when written
/// bare (`{{ name }}`); a custom function shadows a builtin of the same name.
#[derive(Clone, Default)]
pub struct Scope {
    variables: BTreeSet<String>,
    functions: BTreeMap<String, CustomFunction>,
    factories: BTreeMap<String, ValueTemplate>,
    data: BTreeMap<String, DataSet>,
    /// Bounds of what references into each data set render, by the set's name.
    data_sizes: BTreeMap<String, Arc<DataSize>>,
}

impl Scope {
    /// An empty scope: builtins, `env.NAME` and literals only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a variable name; its value is supplied at render time through
    /// [`Variables`](super::Variables).
    pub fn with_variable(mut self, name: &str) -> Self {
        self.variables.insert(name.to_string());
        self
    }

    /// Registers a custom function, callable as `name(args...)` (or bare `name`).
    pub fn with_function(mut self, name: &str, f: CustomFunction) -> Self {
        self.functions.insert(name.to_string(), f);
        self
    }

    /// Makes a loaded data set usable as `{{ data.NAME }}` and `{{ data.NAME.COLUMN }}`, under
    /// its own name; a set of the same name is replaced.
    ///
    /// Its rows are measured once, here, so that templates reading them are held to the size
    /// limits when they compile.
    pub fn with_data(mut self, set: DataSet) -> Self {
        let name = set.name().to_string();
        self.data_sizes
            .insert(name.clone(), Arc::new(DataSize::of(&set)));
        self.data.insert(name, set);
        self
    }

    /// Whether `name` was declared with [`Scope::with_variable`].
    pub fn has_variable(&self, name: &str) -> bool {
        self.variables.contains(name)
    }

    /// The compiled factory called `name`, if any.
    pub fn factory(&self, name: &str) -> Option<&ValueTemplate> {
        self.factories.get(name)
    }

    /// The data set called `name`, if any.
    pub fn data(&self, name: &str) -> Option<&DataSet> {
        self.data.get(name)
    }

    /// Every data set in scope.
    pub fn data_sets(&self) -> impl Iterator<Item = &DataSet> {
        self.data.values()
    }

    /// The bounds of the data set called `name`, if any.
    pub(crate) fn data_size(&self, name: &str) -> Option<&DataSize> {
        self.data_sizes.get(name).map(Arc::as_ref)
    }

    pub(crate) fn data_names(&self) -> impl Iterator<Item = &str> {
        self.data.keys().map(String::as_str)
    }

    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(String::as_str)
    }

    pub(crate) fn function(&self, name: &str) -> Option<&CustomFunction> {
        self.functions.get(name)
    }

    pub(crate) fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    pub(crate) fn factory_names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    pub(crate) fn add_factory(&mut self, name: &str, template: ValueTemplate) {
        self.factories.insert(name.to_string(), template);
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("variables", &self.variables)
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("factories", &self.factories.keys().collect::<Vec<_>>())
            .field("data", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
}
