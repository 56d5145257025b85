//! The pipeline every runner shares: load -> plan -> execute -> record -> judge. The libtest
//! glue ([`crate::harness`]), the command line and the tests all call it; reports read what it
//! returns.

use std::sync::{Arc, Mutex, OnceLock};

use crate::confidence::Sequential;
use crate::exec::{self, Case, ExecError, Gate, Measurement, RunContext, Target, TlsOptions};
use crate::managed::{Managed, Sampler};
use crate::plan::KindPlan;
use crate::record::{Recorded, Resources, Series};
use crate::report::{RunInfo, RunResults};
use crate::results::{
    CaseError, CaseResult, LevelResult, ScheduleSummary, Stage, StageResult, StepResult,
};
use crate::stats::Summary;
use crate::target::Targets;
use crate::thresholds::Bound;
use crate::verdict::{
    judge, judge_evidence, judge_regressions, BaselineUse, Evidence, Judged, Outcome, Verdict,
};

mod baseline;
mod inputs;

pub use crate::target::FrontEnd;
pub use baseline::{Baseline, BASELINE_DIR_VAR, BASELINE_VAR, SAVE_BASELINE_VAR};
pub use inputs::{load, unmatched_rules, Config, Loaded, PROFILE_VAR, TAGS_VAR};

/// The confidence of regression comparisons when no rule sets `confidence`.
pub const DEFAULT_REGRESSION_CONFIDENCE: f64 = 0.95;

/// What the cases of one run share: the targets, once-scoped fixtures, the redactor.
pub struct Session {
    targets: Targets,
    /// TLS settings from the command line, over each suite's own.
    tls: TlsOptions,
    context: Arc<RunContext>,
    /// The current suite's managed target, if it has one.
    managed: Managed,
    /// The machine's case lock, kept from one case to the next while a managed target runs, so
    /// no other run's cases or target start meanwhile.
    held: Mutex<Option<CaseLock>>,
    /// Tear-down failures of once-scoped fixtures torn down before a managed target stopped.
    early_failures: Mutex<Vec<String>>,
    /// The saved baseline every case is compared with, if the run has one.
    baseline: Option<Baseline>,
}

/// The session of a run configured by `config`, with its baseline when it names one; a
/// baseline that cannot be read comes back as a broken entry that fails the run.
pub fn open_session(config: &Config) -> (Session, Option<Loaded>) {
    let mut session = Session::new(config.base_url.clone(), config.reference_api);
    session.targets.front_end = config.front_end;
    session.tls = config.tls.clone();
    let mut broken = None;
    if let Some(name) = &config.baseline {
        match Baseline::load(&config.baseline_dir, name) {
            Ok(baseline) => session.baseline = Some(baseline),
            Err(error) => {
                broken = Some(Loaded::Broken {
                    id: "baseline::file".to_string(),
                    error,
                })
            }
        }
    }
    (session, broken)
}

/// Saves `results` as the baseline `config` names, if it names one; says where.
pub fn save_baseline(config: &Config, results: &RunResults) -> Result<(), String> {
    if let Some(name) = &config.save_baseline {
        let path = baseline::save(&config.baseline_dir, name, results)?;
        eprintln!("loadgate: saved baseline `{name}` to {}", path.display());
    }
    Ok(())
}

/// Checks the baseline names of `config` before anything runs.
pub fn check_baseline_names(config: &Config) -> Result<(), String> {
    for name in config.baseline.iter().chain(&config.save_baseline) {
        baseline::check_name(name)?;
    }
    Ok(())
}

impl Session {
    /// A run against `base_url`, or each suite's own, or (with `reference_api`) the embedded
    /// API.
    pub fn new(base_url: Option<String>, reference_api: bool) -> Self {
        Self {
            targets: Targets::new(base_url, reference_api),
            tls: TlsOptions::default(),
            context: Arc::new(RunContext::new()),
            managed: Managed::default(),
            held: Mutex::new(None),
            early_failures: Mutex::new(Vec::new()),
            baseline: None,
        }
    }

    /// The baseline this session compares with, if any.
    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// `text` without any secret this run has seen.
    pub fn redact(&self, text: &str) -> String {
        self.context.redactor.redact(text)
    }

    /// Runs one case and judges it: execute, summarise, judge each bound. Holds the machine's
    /// case lock meanwhile, so cases never overlap, even when a runner such as cargo-nextest
    /// starts each case in a process of its own.
    pub fn run_case(&self, case: &Arc<Case>) -> CaseResult {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        let lock = held.unwrap_or_else(CaseLock::acquire);
        let mut result =
            CaseResult::new(&case.id, case.kind.name(), &case.kind.describe(), case.seed);
        let mut sampler = None;
        let outcome = self.target_of(case).and_then(|(target, managed_pid)| {
            result.target = target.base_url.clone();
            result.tls_unverified = target.tls.insecure;
            let runtime = measuring_runtime()?;
            // Sampled on a thread of its own from just before the case to just after it.
            sampler = managed_pid.map(Sampler::start);
            let execute = || {
                runtime.block_on(exec::execute(
                    Arc::clone(case),
                    Arc::clone(&target),
                    Arc::clone(&self.context),
                    Arc::new(Bounds(case.bounds.clone())),
                    watch(case),
                ))
            };
            let first = execute()?;
            self.adapt(case, first, &target.base_url, &execute)
        });
        result.resources = sampler.map(Sampler::stop);
        if self.managed.is_running() {
            *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(lock);
        }
        match outcome {
            Ok((measured, looks)) => {
                let compared = self
                    .baseline
                    .as_ref()
                    .map(|b| b.for_case(&case.id, &result.target));
                judge_measurement(case, measured, looks, compared.as_ref(), &mut result)
            }
            Err(e) => {
                let stage = match e {
                    ExecError::Setup(_) => Stage::Setup,
                    ExecError::Teardown(_) => Stage::Teardown,
                    ExecError::CaseTimeout(_) | ExecError::Client(_) => Stage::Run,
                };
                result.error = Some(CaseError {
                    stage,
                    message: self.redact(&e.to_string()),
                });
            }
        }
        result
    }

    /// Runs an `adaptive` case again, round after round, merging what each round measured,
    /// until its verdict is decided (every bound judged with a confidence is met or missed, and
    /// every regression is within or beyond its tolerance) or `max_requests` is reached. The
    /// looks come at doubling request counts and share the error budget by alpha spending
    /// ([`Sequential`]), so looking repeatedly does not raise the error rates.
    fn adapt(
        &self,
        case: &Case,
        mut measured: Measurement,
        target: &str,
        execute: &dyn Fn() -> Result<Measurement, ExecError>,
    ) -> Result<(Measurement, Looks), ExecError> {
        let mut looks = Looks {
            previous: 0,
            rounds: 1,
        };
        let Some(plan) = sequential(case) else {
            return Ok((measured, looks));
        };
        if !measured.levels.is_empty() {
            return Ok((measured, looks));
        }
        let compared = self.baseline.as_ref().map(|b| b.for_case(&case.id, target));
        loop {
            let recorded = &measured.recorded;
            let n = recorded.total.requests();
            let level = plan.look(looks.previous, n);
            let summary = Summary::of(&recorded.total, recorded.elapsed);
            let verdict = decide(
                case,
                recorded,
                &summary,
                None,
                compared.as_ref(),
                Some(level),
            );
            if verdict.outcome == Outcome::Fail || verdict.more_requests().is_none() {
                break;
            }
            let Some(next) = plan.next(n) else { break };
            looks.previous = n;
            while measured.recorded.total.requests() < next {
                let more = execute()?;
                looks.rounds += 1;
                let added = more.recorded.total.requests();
                absorb(&mut measured, more);
                if added == 0 {
                    return Ok((measured, looks));
                }
            }
        }
        Ok((measured, looks))
    }

    /// The target `case` runs against, with the pid to sample when it is a managed target. A
    /// case of another suite stops the managed target before it (after tearing down once-scoped
    /// fixtures, which may need it), so the target neither holds a port nor burdens the machine.
    fn target_of(&self, case: &Case) -> Result<(Arc<Target>, Option<u32>), ExecError> {
        let next = case.target.as_ref().map(|t| t.suite.as_str());
        if self
            .managed
            .running_suite()
            .is_some_and(|s| Some(s.as_str()) != next)
        {
            // Once-scoped fixtures set up against the target are torn down while it answers.
            let failures = measuring_runtime()?.block_on(self.context.tear_down_all());
            self.early_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(failures);
            self.managed.stop();
        }
        let tls = case.tls.overridden_by(&self.tls);
        match &case.target {
            Some(plan) => {
                let plan = crate::plan::TargetPlan {
                    tls,
                    ..(**plan).clone()
                };
                let started = self
                    .managed
                    .start(&plan, measuring_runtime()?)
                    .map_err(|e| ExecError::Setup(e.to_string()))?;
                Ok((started.target, Some(started.pid)))
            }
            None => {
                let target = self.targets.resolve(case.base_url.as_deref(), &tls)?;
                Ok((target, None))
            }
        }
    }

    /// Tears down once-scoped fixtures, stops the managed target and the embedded API; returns
    /// tear-down failures.
    pub fn finish(&self) -> Vec<String> {
        let mut failures = std::mem::take(
            &mut *self
                .early_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        failures.extend(match runtime() {
            Ok(rt) => rt.block_on(self.context.tear_down_all()),
            Err(e) => vec![e],
        });
        self.managed.stop();
        self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.targets.shutdown();
        failures
    }
}

/// [`runtime`], or why a case cannot run without it.
fn measuring_runtime() -> Result<&'static tokio::runtime::Runtime, ExecError> {
    runtime().map_err(|e| ExecError::Client(format!("cannot start the measuring runtime: {e}")))
}

/// Runs every case whose id contains `filter` (all when empty), one at a time, and returns their
/// results (without the cases the tag filter or profile leave out, and with `skip_ignored` without
/// `ignore: true` ones); files that cannot load come back as results with a load error, and a failed
/// tear-down of once-scoped fixtures as a result of its own. With `config.report_dir` set, the
/// results are also added to the report files there.
pub fn run_all(config: &Config, filter: &str) -> Vec<CaseResult> {
    let reports = config
        .report_dir
        .clone()
        .map(|dir| config.report_files(dir));
    announce_profile(config);
    let (session, broken_baseline) = open_session(config);
    let mut results = Vec::new();
    if let Err(e) = check_baseline_names(config) {
        results.push(CaseResult::broken("baseline::name", e));
        return results;
    }
    // A baseline that cannot be read fails the run whatever the filter.
    if let Some(Loaded::Broken { id, error }) = broken_baseline {
        results.push(CaseResult::broken(&id, error));
    }
    for entry in load(config) {
        match entry {
            Loaded::Case(case)
                if case.id.contains(filter) && !(config.skip_ignored && case.ignore) =>
            {
                results.push(session.run_case(&case));
            }
            Loaded::Broken { id, error } if id.contains(filter) => {
                results.push(CaseResult::broken(&id, error));
            }
            Loaded::Case(_) | Loaded::Deselected(_) | Loaded::Broken { .. } => {}
        }
    }
    results.extend(teardown_result(session.finish()));
    if results.is_empty() {
        return results;
    }
    let written = match reports {
        Some(reports) => match reports.write(&results, &|text| session.redact(text)) {
            Ok(run) => Some(run),
            Err(e) => {
                eprintln!("loadgate: {e}");
                None
            }
        },
        None if config.save_baseline.is_some() => {
            let scrubbed: Vec<CaseResult> = results
                .iter()
                .map(|r| crate::report::redacted(r, &|text| session.redact(text)))
                .collect();
            let info = RunInfo::collect("", std::time::SystemTime::now(), &scrubbed);
            Some(RunResults::new(info, scrubbed))
        }
        None => None,
    };
    if let Some(run) = written {
        if let Err(e) = save_baseline(config, &run) {
            eprintln!("loadgate: {e}");
            results.push(CaseResult::broken("baseline::save", e));
        }
    }
    results
}

/// Where an adaptive case's looks stand.
#[derive(Debug, Clone, Copy)]
pub struct Looks {
    /// Requests at the look before the last (0 when there was one look).
    previous: u64,
    /// Rounds of the case that ran.
    rounds: u32,
}

/// An adaptive case's plan of looks, if it is adaptive.
fn sequential(case: &Case) -> Option<Sequential> {
    let adaptive = case.adaptive?;
    Some(Sequential {
        confidence: case
            .policy
            .confidence
            .as_ref()
            .map_or(DEFAULT_REGRESSION_CONFIDENCE, |c| c.value.0),
        max_requests: adaptive.max_requests,
    })
}

/// Adds a later round's measurement to what the case measured so far: its requests, checks
/// and refreshes, with the measured spans one after the other.
fn absorb(measured: &mut Measurement, mut more: Measurement) {
    // The later round's offsets count from its own start: moved by the time between the two
    // starts, its seconds follow the first round's on the timeline instead of overlaying them.
    let later = more.started.duration_since(measured.started);
    more.recorded.shift(later.unwrap_or_default());
    let elapsed = measured.recorded.elapsed + more.recorded.elapsed;
    // Rounds of one case carry the same steps, so merging cannot clash.
    let _ = measured.recorded.merge(&more.recorded);
    measured.recorded.elapsed = elapsed;
    measured.checks.merge(&more.checks);
    measured.refreshes += more.refreshes;
    measured.aborted = measured.aborted.take().or(more.aborted);
    measured.invalid = measured.invalid.take().or(more.invalid);
}

/// The verdict of a case on what it recorded, its percentile bounds judged at `level` when
/// the case has a confidence, and its regression bounds against the baseline when there is
/// one.
fn decide(
    case: &Case,
    recorded: &Recorded,
    summary: &Summary,
    resources: Option<&Resources>,
    compared: Option<&(BaselineUse, Option<&Recorded>)>,
    level: Option<f64>,
) -> Verdict {
    let evidence = Evidence {
        summary,
        series: Some(&recorded.total),
        resources,
        confidence: case.policy.confidence.as_ref().and(level),
    };
    let mut verdict = judge_evidence(&evidence, &case.bounds);
    verdict.on_inconclusive = case.policy.on_inconclusive();
    if let Some((using, old)) = compared {
        if let (Some(old), false) = (old, case.policy.regression.is_empty()) {
            let level = level.unwrap_or(DEFAULT_REGRESSION_CONFIDENCE);
            let regressions =
                judge_regressions(&case.policy.regression, old, recorded, level, case.seed);
            verdict.add_regressions(regressions);
        }
        verdict.baseline = Some(using.clone());
    }
    verdict
}

/// A result of its own for failed tear-downs of once-scoped fixtures ([`Session::finish`]'s
/// failures), if there are any.
pub fn teardown_result(failures: Vec<String>) -> Option<CaseResult> {
    if failures.is_empty() {
        return None;
    }
    let mut result = CaseResult::new(
        "fixtures::teardown",
        "",
        "tear-down of once-scoped fixtures",
        0,
    );
    result.error = Some(CaseError {
        stage: Stage::Teardown,
        message: failures.join("\n"),
    });
    Some(result)
}

/// Says which profile a run uses, once at its start: its bounds differ from the file's own.
pub fn announce_profile(config: &Config) {
    if let Some(profile) = &config.profile {
        eprintln!("loadgate: profile {profile}");
    }
}

/// The runtime that sends and times requests: multi-threaded, so concurrent responses are
/// read in parallel; the embedded API runs on runtimes of its own.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("loadgate-measure")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// What a case measured, summarised and judged into its result.
fn judge_measurement(
    case: &Case,
    measured: Measurement,
    looks: Looks,
    compared: Option<&(BaselineUse, Option<&Recorded>)>,
    result: &mut CaseResult,
) {
    let recorded = measured.recorded;
    let elapsed = recorded.elapsed;
    let summary = Summary::of(&recorded.total, elapsed);
    // The level of the last look: an adaptive case's share of its error budget, else the
    // confidence as written.
    let level = match sequential(case) {
        Some(plan) => Some(plan.look(looks.previous, recorded.total.requests())),
        None => case.policy.confidence.as_ref().map(|c| c.value.0),
    };
    let part = |id: String, series: &Series, bounds: &[Bound]| {
        let summary = Summary::of_part(series);
        let evidence = Evidence {
            series: Some(series),
            confidence: case.policy.confidence.as_ref().and(level),
            ..Evidence::of(&summary)
        };
        let mut verdict = judge_evidence(&evidence, bounds);
        verdict.on_inconclusive = case.policy.on_inconclusive();
        StepResult {
            id,
            verdict,
            summary,
        }
    };
    for ((name, series), bounds) in recorded.steps.iter().zip(&case.step_bounds) {
        result
            .steps
            .push(part(format!("{}/{name}", case.id), series, bounds));
    }
    for (name, bounds) in &case.name_bounds {
        if let Some(series) = recorded.names.get(name) {
            result
                .names
                .push(part(format!("{}/{name}", case.id), series, bounds));
        }
    }
    for level in &measured.levels {
        let summary = Summary::of(&level.recorded.total, level.recorded.elapsed);
        result.levels.push(LevelResult {
            level: level.value,
            verdict: judge(&summary, &case.bounds),
            summary,
            aborted: level.aborted.clone(),
        });
    }
    let mut verdict = decide(
        case,
        &recorded,
        &summary,
        result.resources.as_ref(),
        compared,
        level,
    );
    verdict.rounds = looks.rounds;
    if !result.levels.is_empty() {
        // A sweep is judged level by level. Stopping at the first miss is a search for the
        // breaking point: the sweep holds when its first level does. Otherwise every level must.
        let first_miss = result.levels.iter().position(|l| !l.verdict.passed());
        let decisive = match (case.kind.stops_at_miss(), first_miss) {
            (true, _) => 0,
            (false, Some(i)) => i,
            (false, None) => result.levels.len() - 1,
        };
        verdict = result.levels[decisive].verdict.clone();
        if case.kind.stops_at_miss() {
            result.breaking_point = match first_miss {
                Some(0) => None,
                Some(i) => Some(result.levels[i - 1].level),
                None => result.levels.last().map(|l| l.level),
            };
        }
    }
    result.verdict = Some(verdict);
    result.summary = Some(summary);
    result.stages = measured
        .stages
        .iter()
        .enumerate()
        .map(|(index, span)| {
            // Recorded between the stage's exact bounds; else (results saved without them)
            // from the timeline's slots that start within the stage.
            let slot = match recorded.stages.get(index) {
                Some(stage) => stage.slot().clone(),
                None => recorded.total.timeline().span(span.from, span.to),
            };
            let seconds = (span.to - span.from).as_secs_f64();
            StageResult {
                span: span.clone(),
                requests: slot.requests(),
                errors: slot.errors(),
                p50: slot.p50(),
                p95: slot.p95(),
                p99: slot.p99(),
                throughput: if seconds > 0.0 {
                    slot.requests() as f64 / seconds
                } else {
                    0.0
                },
            }
        })
        .collect();
    result.schedule = recorded.schedule.as_ref().map(|s| ScheduleSummary {
        service: Summary::of(&s.service, elapsed),
        lag: Summary::of(&s.lag, elapsed),
        dropped: s.dropped,
        late_wakeups: s.late_wakeups,
    });
    result.aborted = measured.aborted;
    if let Some(why) = measured.invalid {
        result.error = Some(CaseError {
            stage: Stage::Run,
            message: why,
        });
    }
    result.checks = measured.checks;
    result.refreshes = measured.refreshes;
    result.started = Some(measured.started);
    result.recorded = Some(recorded);
}

/// A progress bar for the case on a terminal, nothing elsewhere.
fn watch(case: &Case) -> Arc<dyn exec::Watch> {
    match crate::report::Progress::for_terminal(&case.id) {
        Some(progress) => Arc::new(progress),
        None => Arc::new(exec::Open),
    }
}

/// The case's bounds as a gate for runs that stop early: the first bound the data so far
/// misses.
struct Bounds(Vec<Bound>);

impl Gate for Bounds {
    fn missed(&self, recorded: &Recorded) -> Option<Judged> {
        let summary = Summary::of(&recorded.total, recorded.elapsed);
        // Resources are judged at the end, from the whole run's samples.
        let bounds: Vec<Bound> = self
            .0
            .iter()
            .filter(|b| !b.metric.is_resource())
            .cloned()
            .collect();
        judge(&summary, &bounds)
            .bounds
            .into_iter()
            .find(|j| j.outcome == Outcome::Fail)
    }
}

/// Exclusive use of the machine for one case, across processes: an advisory lock on a file in
/// the temporary folder, released when dropped (or when the process dies).
struct CaseLock(Option<std::fs::File>);

impl CaseLock {
    /// Waits for the lock. Where the file cannot be created or locked (a read-only temporary
    /// folder), cases run unlocked rather than not at all.
    fn acquire() -> Self {
        let path = std::env::temp_dir().join("loadgate-cases.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok()
            .filter(|file| file.lock().is_ok());
        Self(file)
    }
}

impl Drop for CaseLock {
    fn drop(&mut self) {
        if let Some(file) = &self.0 {
            let _ = file.unlock();
        }
    }
}

/// Results of the cases run so far, shared by the trials of one libtest run.
#[derive(Debug, Default)]
pub struct Collected(Mutex<Vec<CaseResult>>);

impl Collected {
    /// Adds one case's result.
    pub fn push(&self, result: CaseResult) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(result);
    }

    /// Everything collected, leaving nothing behind.
    pub fn take(&self) -> Vec<CaseResult> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
