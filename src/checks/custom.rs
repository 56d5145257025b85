//! Checks written in Rust and registered by name, for `rust:` entries.

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::extract::Exchange;
use crate::suite::suggest::nearest;

/// A check written in Rust, registered by name on the harness builder.
pub type CustomCheck = Arc<dyn Fn(&Exchange) -> Result<(), String> + Send + Sync>;

/// Where `rust:` checks are looked up by name; listing the names lets an unknown name get a
/// suggestion.
pub trait CheckRegistry {
    /// The check registered as `name`.
    fn get(&self, name: &str) -> Option<CustomCheck>;
    /// Every registered name.
    fn names(&self) -> Vec<&str>;
}

impl CheckRegistry for HashMap<String, CustomCheck> {
    fn get(&self, name: &str) -> Option<CustomCheck> {
        HashMap::get(self, name).cloned()
    }
    fn names(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

impl CheckRegistry for BTreeMap<String, CustomCheck> {
    fn get(&self, name: &str) -> Option<CustomCheck> {
        BTreeMap::get(self, name).cloned()
    }
    fn names(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

pub(super) fn unknown_rust_check(name: &str, names: &[&str]) -> String {
    if names.is_empty() {
        return format!("check: unknown rust check `{name}`; no rust checks are registered");
    }
    match nearest(name, names) {
        Some(best) => format!("check: unknown rust check `{name}`; did you mean `{best}`?"),
        None => {
            let mut names = names.to_vec();
            names.sort_unstable();
            format!(
                "check: unknown rust check `{name}`; registered: {}",
                names.join(", ")
            )
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs `check`, turning a panic into a failure so one bad check cannot stop a case.
pub(super) fn run(check: &CustomCheck, exchange: &Exchange) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| check(exchange))) {
        Ok(result) => result,
        Err(panic) => Err(format!("check panicked: {}", panic_message(&*panic))),
    }
}
