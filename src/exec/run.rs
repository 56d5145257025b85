//! One case's run: its users, and the exchange of one step (render, time, judge, extract).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::http1::Connection;
use super::outgoing::Outgoing;
use super::request::{prebuild, render, timed, Rendered, Response};
use super::tasks::Tasks;
use super::Case;
use super::{Gate, RunContext, Target, Watch};
use crate::checks::CheckTally;
use crate::extract::Exchange;
use crate::plan::{FixturePlan, StepPlan};
use crate::redact::{is_sensitive_header, snippet};
use crate::sample::{ErrorCause, Outcome, Sample};
use crate::template::{RenderContext, Variables};

/// A simulated user: its HTTP client (and cookie jar), variables and what it counted.
pub struct User {
    /// The user's client: the shared pool, or its own with a cookie jar.
    pub client: reqwest::Client,
    /// Variables visible to this user's templates.
    pub vars: Variables,
    /// Check results of this user's measured requests.
    pub tally: CheckTally,
    /// Times a fixture set up again after a `refresh_on` status.
    pub refreshes: u64,
    /// The per-user fixtures set up for this user, for refresh and tear-down.
    pub fixtures: Vec<Arc<FixturePlan>>,
    /// The user's own connection for measured plain-HTTP requests (load cases): one
    /// keep-alive HTTP/1.1 connection, no pool; `None` sends everything through `client`.
    pub connection: Option<Connection>,
    /// Requests with nothing to render, encoded for this user (see [`CaseRun::own_connection`]).
    prebuilt: Vec<Vec<Option<Outgoing>>>,
}

/// How a request goes out: the user's reqwest client, or its own connection when it has one
/// and the request can take the fast path.
pub struct Via<'a> {
    /// The user's client (its cookie jar, TLS, the shared pool).
    pub client: &'a reqwest::Client,
    /// The user's own HTTP/1.1 connection, if it has one.
    pub connection: Option<&'a mut Connection>,
}

/// What one exchange left behind.
pub struct Exchanged {
    /// The measured sample (error when status, checks or extraction failed).
    pub sample: Sample,
    /// The response, when one arrived.
    pub response: Option<Response>,
}

/// The shared state of one case's run: plan, target, run context, sequence counter, clock.
pub struct CaseRun {
    /// The case being run.
    pub case: Arc<Case>,
    /// Where requests go.
    pub target: Arc<Target>,
    /// Run-wide state: once-fixtures and the redactor.
    pub context: Arc<RunContext>,
    /// Variables from once- and case-scoped fixtures, the start of every user's variables.
    pub vars: Variables,
    /// The case's spawned tasks, cancelled together when the case runs out of time.
    pub tasks: Arc<Tasks>,
    /// The case's bounds, for kinds that stop early when one is missed.
    pub gate: Arc<dyn Gate>,
    /// Shown how a long run is doing.
    pub watch: Arc<dyn Watch>,
    seq: AtomicU64,
    origin: Instant,
    /// `origin` on the wall clock.
    wall_origin: SystemTime,
}

impl CaseRun {
    /// Starts a run; the clock origin is now.
    pub fn new(case: Arc<Case>, target: Arc<Target>, context: Arc<RunContext>) -> Self {
        Self {
            case,
            target,
            context,
            vars: Variables::new(),
            tasks: Arc::new(Tasks::default()),
            gate: Arc::new(super::Open),
            watch: Arc::new(super::Open),
            seq: AtomicU64::new(0),
            origin: Instant::now(),
            wall_origin: SystemTime::now(),
        }
    }

    /// The next sequence number: unique per case across rounds, users and iterations.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Runs `work` with sequence numbers taken `skip` ahead, then puts the counter back: warm-up
    /// requests render rows the measured span will not reach, so a `unique` data set's rows are
    /// left to the measured requests.
    pub async fn aside<F: std::future::Future>(&self, skip: u64, work: F) -> F::Output {
        let before = self.seq.load(Ordering::Relaxed);
        self.seq
            .store(before.saturating_add(skip), Ordering::Relaxed);
        let out = work.await;
        self.seq.store(before, Ordering::Relaxed);
        out
    }

    /// Restarts the clock: the measured span begins now (after warm-up and set-up).
    pub fn restart_clock(&mut self) {
        self.origin = Instant::now();
        self.wall_origin = SystemTime::now();
    }

    /// When the measured span began, on the wall clock: what sample offsets count from.
    pub fn started_at(&self) -> SystemTime {
        self.wall_origin
    }

    /// Time since the measured span began.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// A client for a new user: its own with a cookie jar when the case wants sessions.
    pub fn user_client(&self, shared: &reqwest::Client) -> reqwest::Client {
        if self.case.cookies {
            self.target
                .session_client()
                .unwrap_or_else(|_| shared.clone())
        } else {
            shared.clone()
        }
    }

    /// A user with the case's variables and no per-user fixtures yet.
    pub fn user(&self, client: reqwest::Client) -> User {
        User {
            client,
            vars: self.vars.clone(),
            tally: CheckTally::default(),
            refreshes: 0,
            fixtures: Vec::new(),
            connection: None,
            prebuilt: Vec::new(),
        }
    }

    /// Renders a step for `vars` with sequence number `seq`; `direct` when the user owns a
    /// connection, so a plain-HTTP path on the target is rendered straight for it.
    pub fn render(
        &self,
        step: &StepPlan,
        client: &reqwest::Client,
        vars: &Variables,
        seq: u64,
        direct: bool,
    ) -> Result<Rendered, ErrorCause> {
        let mut ctx = RenderContext::new(&self.case.scope, seq, self.case.data_seed(), vars);
        let origin = (direct && !self.case.cookies)
            .then_some(self.target.origin.as_ref())
            .flatten();
        let request = render(
            &step.request,
            &self.target.base_url,
            origin,
            client,
            &mut ctx,
        )?;
        if step.request.renders_credentials {
            request.for_each_header(|name, value| self.note_credential(name, value));
        }
        Ok(request)
    }

    /// Gives `user` an HTTP/1.1 connection of its own for its measured plain-HTTP requests,
    /// with the requests that have nothing to render encoded once, for this user alone: a
    /// request shared between users would bump reference counts that every user's thread
    /// writes to.
    /// Users that keep a cookie jar send through their reqwest client instead.
    pub fn own_connection(&self, user: &mut User) {
        if self.case.cookies {
            return;
        }
        user.connection = Some(self.target.connection());
        user.prebuilt = prebuild_steps(&self.case, &self.target);
    }

    /// Makes each user's own connection open a new TCP connection for every request, inside
    /// its timed span (`fresh_connections`).
    pub fn fresh_connections(&self, users: &mut [User]) {
        for user in users {
            if let Some(connection) = &mut user.connection {
                connection.fresh_each_request();
            }
        }
    }

    /// Opens each user's connection to its first request's host before the measured span, all
    /// users at once; a user without a connection of its own sends a `HEAD` through its client.
    /// Failures are left for the measured requests to meet.
    pub async fn warm(&self, users: &mut [User]) {
        let first = &self.case.main().steps[0];
        let opens = users.iter_mut().map(|user| async move {
            let rendered = self.render_for(user, 0, 0, 0);
            let rendered = match user.connection {
                Some(_) => rendered.and_then(|r| r.onto_connection(self.case.cookies)),
                None => rendered,
            };
            match (rendered, user.connection.as_mut()) {
                (Ok(Rendered::Direct(request)), Some(connection)) => {
                    let _ = connection.open(&request).await;
                }
                (Ok(Rendered::Client(request)), _) => {
                    let head = user.client.head(request.url().clone());
                    let _ = head.timeout(first.request.timeout).send().await;
                }
                _ => {}
            }
        });
        futures::future::join_all(opens).await;
    }

    /// Renders step `index` of scenario `scenario` for `user`: for its own connection when it
    /// has one (a copy of its prebuilt request, when there is one).
    pub fn render_for(
        &self,
        user: &User,
        scenario: usize,
        index: usize,
        seq: u64,
    ) -> Result<Rendered, ErrorCause> {
        let direct = user.connection.is_some();
        let prebuilt = user
            .prebuilt
            .get(scenario)
            .and_then(|steps| steps.get(index));
        if let (true, Some(Some(request))) = (direct, prebuilt) {
            return Ok(Rendered::Direct(request.clone()));
        }
        let step = &self.case.scenarios[scenario].steps[index];
        self.render(step, &user.client, &user.vars, seq, direct)
    }

    /// Hands a credential header a request is about to send to the redactor: whatever the
    /// variable it came from is called, it never appears in a message.
    fn note_credential(&self, name: &str, value: &[u8]) {
        if !is_sensitive_header(name) {
            return;
        }
        let Ok(text) = std::str::from_utf8(value) else {
            return;
        };
        let redactor = &self.context.redactor;
        redactor.add_secret(text);
        // `Bearer <token>`: the token alone, as an echoing server may print it.
        if let Some((_, credential)) = text.split_once(' ') {
            redactor.add_secret(credential.trim());
        }
        // `Cookie: a=1; b=2`: each value.
        for pair in text.split(';') {
            if let Some((_, v)) = pair.split_once('=') {
                redactor.add_secret(v.trim());
            }
        }
    }

    /// Hands the redactor the secrets the case holds before anything is sent: literal
    /// credentials in its requests and its fixtures' requests, and data-file values in columns
    /// named like credentials.
    pub fn note_case_secrets(&self) {
        let redactor = &self.context.redactor;
        let fixture_steps = self
            .case
            .fixtures
            .iter()
            .flat_map(|f| f.setup.iter().chain(&f.teardown));
        let measured = self.case.scenarios.iter().flat_map(|s| &s.steps);
        for step in measured.chain(fixture_steps) {
            for secret in &step.request.literal_secrets {
                redactor.add_secret(secret);
            }
        }
        for set in self.case.scope.data_sets() {
            for secret in set.secret_values() {
                redactor.add_secret(&secret);
            }
        }
    }

    /// Hands the redactor the cookies a server set: session cookies are credentials.
    fn note_cookies(&self, headers: &reqwest::header::HeaderMap) {
        for value in headers.get_all(reqwest::header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((_, v)) = pair.split_once('=') {
                self.context.redactor.add_secret(v.trim());
            }
        }
    }

    /// Sends one prepared request and judges it: status, checks, then extractions into `vars`.
    /// Only the exchange itself is inside the timer.
    pub async fn exchange(
        &self,
        step: &StepPlan,
        seq: u64,
        via: Via<'_>,
        prepared: Result<Rendered, ErrorCause>,
        vars: &mut Variables,
        tally: Option<&mut CheckTally>,
    ) -> Exchanged {
        let request = match prepared {
            Ok(request) => request,
            Err(cause) => return self.unsent(cause),
        };
        let keep = step.keep_body.then_some(step.request.max_body);
        let request = match via.connection {
            Some(_) => match request.onto_connection(self.case.cookies) {
                Ok(request) => request,
                Err(cause) => return self.unsent(cause),
            },
            None => request,
        };
        let (sent, latency, result) = match (request, via.connection) {
            // From a user that owns a connection, encoded before the clock.
            (Rendered::Direct(outgoing), Some(connection)) => connection.send(outgoing, keep).await,
            (Rendered::Client(request), _) => timed(via.client, request, keep).await,
            (Rendered::Direct(_), None) => {
                let why = "a request rendered for a user's own connection, sent without one";
                return self.unsent(ErrorCause::InvalidRequest(why.into()));
            }
        };
        let start = sent.saturating_duration_since(self.origin);
        let response = match result {
            Ok(response) => response,
            Err(cause) => {
                let outcome = Outcome::Error(cause);
                return Exchanged {
                    sample: Sample {
                        start,
                        latency,
                        outcome,
                        bytes: 0,
                    },
                    response: None,
                };
            }
        };
        self.note_cookies(&response.headers);
        let outcome = self.judge(step, seq, &response, vars, tally);
        Exchanged {
            sample: Sample {
                start,
                latency,
                outcome,
                bytes: response.received,
            },
            response: Some(response),
        }
    }

    fn judge(
        &self,
        step: &StepPlan,
        seq: u64,
        response: &Response,
        vars: &mut Variables,
        tally: Option<&mut CheckTally>,
    ) -> Outcome {
        if !step.request.expect.accepts(response.status) {
            return Outcome::Error(ErrorCause::Status(response.status));
        }
        if response.over_limit
            && (!step.extract.is_empty() || step.checks.iter().any(|c| c.needs_body()))
        {
            return Outcome::Error(ErrorCause::BodyOverLimit(step.request.max_body as u64));
        }
        let exchange = Exchange::new(response.status, &response.headers, &response.body);
        let mut failed = None;
        if !step.checks.is_empty() {
            let mut tally = tally;
            let mut ctx = RenderContext::new(&self.case.scope, seq, self.case.data_seed(), vars);
            for check in &step.checks {
                let result = check.evaluate_in(&exchange, &mut ctx);
                if let Some(t) = tally.as_deref_mut() {
                    match &result {
                        Ok(()) => t.record(check.label(), true),
                        Err(why) => t.record_failure(check.label(), || {
                            // Redacted whole, then cut: a cut secret would no longer match.
                            let redacted = self.context.redactor.redact(why);
                            snippet(redacted.as_bytes(), 200)
                        }),
                    }
                }
                if result.is_err() && failed.is_none() {
                    failed = Some(check.label().to_string());
                }
            }
        }
        if let Some(label) = failed {
            return Outcome::Error(ErrorCause::Check(label));
        }
        for extractor in &step.extract {
            match extractor.extract(&exchange) {
                Ok(value) => {
                    if extractor.is_secret() {
                        self.context.redactor.add_secret(&plain_text(&value));
                    }
                    vars.insert(extractor.name().to_string(), value);
                }
                Err(_) => {
                    return Outcome::Error(ErrorCause::Check(format!(
                        "extract `{}` ({})",
                        extractor.name(),
                        extractor.describe()
                    )))
                }
            }
        }
        Outcome::Ok
    }

    /// The sample for a request that could not be built.
    pub fn unsent(&self, cause: ErrorCause) -> Exchanged {
        let sample = Sample {
            start: self.elapsed(),
            latency: Duration::ZERO,
            outcome: Outcome::Error(cause),
            bytes: 0,
        };
        Exchanged {
            sample,
            response: None,
        }
    }

    /// Runs unmeasured steps (a fixture's set-up or tear-down) in order for one user's variables.
    /// A failure names the step, the status and the start of the body.
    pub async fn unmeasured(
        &self,
        owner: &str,
        steps: &[StepPlan],
        client: &reqwest::Client,
        vars: &mut Variables,
    ) -> Result<(), String> {
        let seq = self.next_seq();
        for step in steps {
            let prepared = self.render(step, client, vars, seq, false);
            let done = self
                .exchange(
                    step,
                    seq,
                    Via {
                        client,
                        connection: None,
                    },
                    prepared,
                    vars,
                    None,
                )
                .await;
            if let Outcome::Error(cause) = &done.sample.outcome {
                let body = done
                    .response
                    .as_ref()
                    .map(|r| {
                        // Redacted whole, then cut: a secret cut in half no longer matches.
                        let body = self
                            .context
                            .redactor
                            .redact(&String::from_utf8_lossy(&r.body));
                        format!("; body: {}", snippet(body.as_bytes(), 200))
                    })
                    .unwrap_or_default();
                let expected = match cause {
                    ErrorCause::Status(_) => format!(" (expected {})", step.request.expect),
                    _ => String::new(),
                };
                return Err(format!(
                    "{owner}, step `{}` ({} {}): {cause}{expected}{body}",
                    step.name, step.request.method, step.request.url
                ));
            }
        }
        Ok(())
    }
}

/// The case's requests with nothing to render, encoded for the target's origin (none when
/// users keep cookie jars, whose requests go through reqwest).
fn prebuild_steps(case: &Case, target: &Target) -> Vec<Vec<Option<Outgoing>>> {
    let Some(origin) = target.origin.as_ref().filter(|_| !case.cookies) else {
        return Vec::new();
    };
    let vars = Variables::new();
    case.scenarios
        .iter()
        .map(|scenario| {
            scenario
                .steps
                .iter()
                .map(|step| {
                    let plan = &step.request;
                    let mut ctx = RenderContext::new(&case.scope, 0, case.data_seed(), &vars);
                    plan.is_literal()
                        .then(|| prebuild(plan, origin, &mut ctx))
                        .flatten()
                })
                .collect()
        })
        .collect()
}

/// A JSON value as the text it would be sent as (strings without quotes).
pub fn plain_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
