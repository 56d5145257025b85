//! Choosing the system under test: `PERF_BASE_URL` (or the harness's `base_url`), a suite's
//! `base_url`, or, in a project that asked for it, the embedded reference API started on first
//! use. A project that did not ask gets an error naming the ways to set a target, never a
//! silent run against a server it did not mean to measure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::exec::{ExecError, Target, TlsOptions};
#[cfg(feature = "reference-api")]
use crate::reference_api::{ReferenceApi, RunningApi};
#[cfg(not(feature = "reference-api"))]
type RunningApi = std::convert::Infallible;

/// The environment variable that points every suite at one server.
pub const BASE_URL_VAR: &str = "PERF_BASE_URL";

/// The front end a run came through, so a message names that front end's own way to fix
/// what it reports: flags on the command line, environment variables and the `Harness`
/// builder under `cargo test`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FrontEnd {
    /// `cargo test --test perf` (libtest), or the library called from Rust.
    #[default]
    Tests,
    /// The `loadgate` command line.
    CommandLine,
}

/// Targets shared by all cases of a run, created on first use.
#[derive(Default)]
pub struct Targets {
    /// Where the run came from, for the words of the "no target" error.
    pub front_end: FrontEnd,
    /// Overrides every suite's `base_url` (from `PERF_BASE_URL` or the harness builder).
    pub forced: Option<String>,
    /// Suites without a target run against the embedded reference API.
    pub fallback: bool,
    by_url: Mutex<HashMap<(String, TlsOptions), Arc<Target>>>,
    embedded: Mutex<Option<RunningApi>>,
}

impl Targets {
    /// Targets with an optional base URL that wins over every suite's own; with `fallback`,
    /// suites without one run against the embedded reference API.
    pub fn new(forced: Option<String>, fallback: bool) -> Self {
        Self {
            forced: forced.filter(|u| !u.trim().is_empty()),
            fallback,
            ..Self::default()
        }
    }

    /// The target for a suite whose own `base_url` is `suite_url`, with the TLS settings `tls`.
    pub fn resolve(
        &self,
        suite_url: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<Arc<Target>, ExecError> {
        let url = match self.forced.as_deref().or(suite_url) {
            Some(url) => url.to_string(),
            None if self.fallback => self.embedded_url()?,
            None => return Err(ExecError::Client(self.no_target())),
        };
        let mut cache = self.by_url.lock().unwrap_or_else(|p| p.into_inner());
        let key = (url, tls.clone());
        if let Some(target) = cache.get(&key) {
            return Ok(Arc::clone(target));
        }
        let target = Arc::new(Target::with_tls(&key.0, tls)?);
        cache.insert(key, Arc::clone(&target));
        Ok(target)
    }

    /// The "no target" error, in the words of the run's front end.
    fn no_target(&self) -> String {
        match self.front_end {
            FrontEnd::Tests => format!(
                "no target: set `base_url:` in the suite, the {BASE_URL_VAR} environment \
                 variable (`{BASE_URL_VAR}=http://127.0.0.1:8000 cargo test --test perf`), or \
                 `Harness::new().base_url(..)` in tests/perf.rs"
            ),
            FrontEnd::CommandLine if cfg!(feature = "reference-api") => {
                "no target: set `base_url:` in the suite, or pass `--base-url \
                 http://127.0.0.1:8000` (or `--reference-api` to run against the embedded \
                 reference API)"
                    .to_string()
            }
            FrontEnd::CommandLine => "no target: set `base_url:` in the suite, or pass \
                 `--base-url http://127.0.0.1:8000`"
                .to_string(),
        }
    }

    #[cfg(not(feature = "reference-api"))]
    fn embedded_url(&self) -> Result<String, ExecError> {
        Err(ExecError::Client(format!(
            "no target: set `base_url` in the suite, {BASE_URL_VAR}, or Harness::base_url \
             (loadgate was built without its `reference-api` feature, so there is no embedded \
             server to fall back on)"
        )))
    }

    #[cfg(feature = "reference-api")]
    fn embedded_url(&self) -> Result<String, ExecError> {
        let mut slot = self.embedded.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let api = ReferenceApi::new().start().map_err(|e| {
                ExecError::Client(format!("cannot start the embedded reference API: {e}"))
            })?;
            *slot = Some(api);
        }
        Ok(slot
            .as_ref()
            .map(|api| api.base_url().to_string())
            .unwrap_or_default())
    }

    /// Stops the embedded API, if it was started (dropping it stops the server and frees the
    /// port).
    pub fn shutdown(&self) {
        let _stopped = self
            .embedded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}
