//! Rust fixtures: what YAML cannot say, registered on the harness builder and named from YAML.
//!
//! Three kinds, as in pytest's conftest: data factories (`{{ name(args) }}`), set-up fixtures
//! (`fixtures: { idp: { rust: name } }`) that get the HTTP client and return variables, and
//! checks (`checks: [{ rust: name }]`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::checks::{CheckRegistry, CustomCheck};
use crate::template::{CustomFunction, Scope, Variables};

/// What a Rust set-up fixture is given.
#[derive(Debug, Clone)]
pub struct SetupContext {
    /// The HTTP client of the user (or case) the fixture sets up.
    pub client: reqwest::Client,
    /// The target's base URL, without a trailing slash.
    pub base_url: String,
    /// Variables set up so far (fixtures listed earlier in `use:`).
    pub vars: Variables,
}

/// The future a Rust set-up fixture returns: its variables, or why it failed.
pub type SetupFuture = BoxFuture<'static, Result<Variables, String>>;

/// A set-up fixture written in Rust.
pub type SetupFunction = Arc<dyn Fn(SetupContext) -> SetupFuture + Send + Sync>;

/// A registered set-up fixture and the variables it promises, so templates that use them can be
/// checked before anything is sent.
#[derive(Clone)]
pub struct RustSetup {
    /// The variable names it returns.
    pub provides: Vec<String>,
    /// The fixture.
    pub run: SetupFunction,
}

impl fmt::Debug for RustSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustSetup")
            .field("provides", &self.provides)
            .finish_non_exhaustive()
    }
}

/// The Rust-side fixtures a harness offers to its suites.
#[derive(Clone, Default)]
pub struct Fixtures {
    functions: BTreeMap<String, CustomFunction>,
    setups: BTreeMap<String, RustSetup>,
    checks: BTreeMap<String, CustomCheck>,
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixtures")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("setups", &self.setups.keys().collect::<Vec<_>>())
            .field("checks", &self.checks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Fixtures {
    /// Registers a data factory callable from templates as `{{ name(args...) }}`.
    pub fn add_function(&mut self, name: &str, function: CustomFunction) {
        self.functions.insert(name.to_string(), function);
    }

    /// Registers a set-up fixture that returns the variables named in `provides`.
    pub fn add_setup(&mut self, name: &str, provides: &[&str], run: SetupFunction) {
        let provides = provides.iter().map(|p| p.to_string()).collect();
        self.setups
            .insert(name.to_string(), RustSetup { provides, run });
    }

    /// Registers a check usable as `checks: [{ rust: name }]`.
    pub fn add_check(&mut self, name: &str, check: CustomCheck) {
        self.checks.insert(name.to_string(), check);
    }

    /// The set-up fixture registered as `name`.
    pub fn setup(&self, name: &str) -> Option<&RustSetup> {
        self.setups.get(name)
    }

    /// Names of the registered set-up fixtures.
    pub fn setup_names(&self) -> Vec<&str> {
        self.setups.keys().map(String::as_str).collect()
    }

    /// The registered checks, for compiling `rust:` checks.
    pub fn checks(&self) -> &dyn CheckRegistry {
        &self.checks
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
