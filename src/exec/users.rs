//! Fixtures at run time: set-up and tear-down per case, per user, and once per run.

use std::sync::Arc;

use futures::future::join_all;

use super::run::{plain_text, CaseRun, User};
use super::{ExecError, RunContext};
use crate::fixtures::SetupContext;
use crate::plan::FixturePlan;
use crate::redact::name_looks_secret;
use crate::suite::FixtureScope;
use crate::template::{RenderContext, Variables};

impl CaseRun {
    /// Sets up one instance of `fixture` into `vars`: its `vars`, then its Rust fixture or steps.
    pub async fn set_up(
        &self,
        fixture: &FixturePlan,
        client: &reqwest::Client,
        vars: &mut Variables,
    ) -> Result<(), String> {
        let seq = self.next_seq();
        let rendered: Vec<(String, serde_json::Value)> = {
            let mut ctx = RenderContext::new(&self.case.scope, seq, self.case.data_seed(), vars);
            fixture
                .vars
                .iter()
                .map(|(name, t)| (name.clone(), t.render(&mut ctx)))
                .collect()
        };
        for (name, value) in rendered {
            self.note_secret(&name, &value);
            vars.insert(name, value);
        }
        if let Some(rust) = &fixture.rust {
            let context = SetupContext {
                client: client.clone(),
                base_url: self.target.base_url.clone(),
                vars: vars.clone(),
            };
            let produced = (rust.run)(context)
                .await
                .map_err(|e| format!("fixture `{}` (Rust set-up): {e}", fixture.name))?;
            for name in &rust.provides {
                if !produced.contains_key(name) {
                    return Err(format!(
                        "fixture `{}` (Rust set-up) did not return the variable `{name}` it provides",
                        fixture.name
                    ));
                }
            }
            for (name, value) in produced {
                self.note_secret(&name, &value);
                vars.insert(name, value);
            }
        }
        self.unmeasured(
            &format!("set-up of fixture `{}`", fixture.name),
            &fixture.setup,
            client,
            vars,
        )
        .await
    }

    /// Runs `fixture`'s tear-down steps with the variables its set-up left.
    pub async fn tear_down(
        &self,
        fixture: &FixturePlan,
        client: &reqwest::Client,
        vars: &mut Variables,
    ) -> Result<(), String> {
        self.unmeasured(
            &format!("tear-down of fixture `{}`", fixture.name),
            &fixture.teardown,
            client,
            vars,
        )
        .await
    }

    fn note_secret(&self, name: &str, value: &serde_json::Value) {
        if name_looks_secret(name) {
            self.context.redactor.add_secret(&plain_text(value));
        }
    }

    fn fixtures_of(&self, scope: FixtureScope) -> impl Iterator<Item = &Arc<FixturePlan>> {
        self.case.fixtures.iter().filter(move |f| f.scope == scope)
    }

    /// Once-scoped fixtures: set up on first use in the run (or reused), merged into `vars`.
    pub async fn set_up_once(&mut self) -> Result<(), ExecError> {
        let fixtures: Vec<Arc<FixturePlan>> =
            self.fixtures_of(FixtureScope::Once).cloned().collect();
        for fixture in fixtures {
            let vars = RunContext::once(self, &fixture)
                .await
                .map_err(ExecError::Setup)?;
            self.vars.extend(vars);
        }
        Ok(())
    }

    /// Case-scoped fixtures, in `use:` order, into the case's variables. Returns the ones set up
    /// (to tear down) and the first failure.
    pub async fn set_up_case(&mut self) -> (Vec<Arc<FixturePlan>>, Option<String>) {
        let client = self.target.pooled.clone();
        let mut vars = self.vars.clone();
        let mut done = Vec::new();
        let mut failure = None;
        for fixture in self.fixtures_of(FixtureScope::Case) {
            match self.set_up(fixture, &client, &mut vars).await {
                Ok(()) => done.push(Arc::clone(fixture)),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        self.vars = vars;
        (done, failure)
    }

    /// Tears down case-scoped fixtures in reverse order; the first failure is returned.
    pub async fn tear_down_case(&self, fixtures: &[Arc<FixturePlan>]) -> Result<(), String> {
        let client = self.target.pooled.clone();
        let mut vars = self.vars.clone();
        let mut first = Ok(());
        for fixture in fixtures.iter().rev() {
            let result = self.tear_down(fixture, &client, &mut vars).await;
            if first.is_ok() {
                first = result;
            }
        }
        first
    }

    /// `n` users, each with its per-user fixtures set up and its own connection for measured
    /// requests; all set-ups run at once, and no user is returned until every set-up finished.
    pub async fn users(&self, n: usize, shared: &reqwest::Client) -> Result<Vec<User>, ExecError> {
        let per_user: Vec<Arc<FixturePlan>> =
            self.fixtures_of(FixtureScope::PerUser).cloned().collect();
        let setups = (0..n).map(|_| {
            let mut user = self.user(self.user_client(shared));
            let per_user = per_user.clone();
            async move {
                for fixture in &per_user {
                    let client = user.client.clone();
                    if let Err(e) = self.set_up(fixture, &client, &mut user.vars).await {
                        // The user comes back so what it did set up is torn down.
                        return Err((user, e));
                    }
                    user.fixtures.push(Arc::clone(fixture));
                }
                Ok(user)
            }
        });
        let results = join_all(setups).await;
        let mut users = Vec::with_capacity(n);
        let mut failure = None;
        for result in results {
            match result {
                Ok(user) => users.push(user),
                Err((user, e)) => {
                    users.push(user);
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            None => {
                users.iter_mut().for_each(|u| self.own_connection(u));
                Ok(users)
            }
            Some(e) => {
                let _ = self.release(users).await;
                Err(ExecError::Setup(e))
            }
        }
    }

    /// Tears down each user's per-user fixtures, all users at once.
    pub async fn release(&self, users: Vec<User>) -> Result<(), String> {
        let teardowns = users.into_iter().map(|mut user| async move {
            let client = user.client.clone();
            let mut first = Ok(());
            for fixture in user.fixtures.clone().iter().rev() {
                let result = self.tear_down(fixture, &client, &mut user.vars).await;
                if first.is_ok() {
                    first = result;
                }
            }
            first
        });
        join_all(teardowns).await.into_iter().collect()
    }
}
