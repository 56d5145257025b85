//! Run-wide state: fixtures scoped `once` (set up on first use, torn down at the end of the
//! run) and the redactor every output passes through.

use std::sync::Arc;

use super::run::CaseRun;
use super::Case;
use super::Target;
use crate::plan::FixturePlan;
use crate::redact::Redactor;
use crate::template::Variables;

/// State shared by every case of one run.
#[derive(Debug, Default)]
pub struct RunContext {
    /// Secrets seen so far (tokens, passwords), removed from every output.
    pub redactor: Arc<Redactor>,
    once: tokio::sync::Mutex<Vec<OnceEntry>>,
}

#[derive(Debug)]
struct OnceEntry {
    fixture: Arc<FixturePlan>,
    case: Arc<Case>,
    target: Arc<Target>,
    vars: Result<Variables, String>,
}

impl RunContext {
    /// A fresh run.
    pub fn new() -> Self {
        Self::default()
    }

    /// The variables of a `once` fixture against `run`'s target, set up now if this is its
    /// first use. A failed set-up is remembered: every case using it fails with the same cause.
    pub async fn once(run: &CaseRun, fixture: &Arc<FixturePlan>) -> Result<Variables, String> {
        let mut entries = run.context.once.lock().await;
        let same = |e: &&OnceEntry| {
            e.fixture.key == fixture.key && e.target.base_url == run.target.base_url
        };
        if let Some(entry) = entries.iter().find(same) {
            return entry.vars.clone();
        }
        let mut vars = Variables::new();
        let client = run.target.pooled.clone();
        let result = run.set_up(fixture, &client, &mut vars).await.map(|()| vars);
        entries.push(OnceEntry {
            fixture: Arc::clone(fixture),
            case: Arc::clone(&run.case),
            target: Arc::clone(&run.target),
            vars: result.clone(),
        });
        result
    }

    /// Tears down every `once` fixture that was set up, last first; returns the failures.
    pub async fn tear_down_all(self: &Arc<Self>) -> Vec<String> {
        let entries = std::mem::take(&mut *self.once.lock().await);
        let mut failures = Vec::new();
        for entry in entries.into_iter().rev() {
            let Ok(mut vars) = entry.vars else { continue };
            let run = CaseRun::new(entry.case, Arc::clone(&entry.target), Arc::clone(self));
            let client = entry.target.pooled.clone();
            if let Err(e) = run.tear_down(&entry.fixture, &client, &mut vars).await {
                failures.push(self.redactor.redact(&e));
            }
        }
        failures
    }
}
