//! Faults injected per route: a delay before answering and/or a share of error answers.
//!
//! They let the harness prove that a slow or failing endpoint fails its gate. The table is fixed
//! when the server starts and looked up by method and axum route pattern, so `/workers/{id}`
//! matches every worker id.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::error::ApiError;

/// A misbehaviour injected on one route: a delay, an error rate, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    delay: Option<Delay>,
    errors: Option<ErrorInjection>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Delay {
    Fixed(Duration),
    Between(Duration, Duration),
    /// Lognormal: `median * exp(sigma * Z)`, capped at 100 medians.
    LogNormal(Duration, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct ErrorInjection {
    rate: f64,
    status: StatusCode,
}

impl Fault {
    /// Waits this long before answering (the handler still runs afterwards).
    pub fn delay(delay: Duration) -> Self {
        Self {
            delay: Some(Delay::Fixed(delay)),
            errors: None,
        }
    }

    /// Waits a uniformly random time between `min` and `max` (in either order) before answering.
    pub fn random_delay(min: Duration, max: Duration) -> Self {
        let (low, high) = if min <= max { (min, max) } else { (max, min) };
        Self {
            delay: Some(Delay::Between(low, high)),
            errors: None,
        }
    }

    /// Waits a lognormal time before answering: `median * exp(sigma * Z)` with `Z` standard
    /// normal (capped at 100 medians), the long right tail web services show. `sigma` is
    /// clamped to `0.0..=3.0` (NaN counts as 0).
    pub fn lognormal_delay(median: Duration, sigma: f64) -> Self {
        let sigma = if sigma.is_nan() {
            0.0
        } else {
            sigma.clamp(0.0, 3.0)
        };
        Self {
            delay: Some(Delay::LogNormal(median, sigma)),
            errors: None,
        }
    }

    /// Answers `status` with a JSON body instead of running the handler, for this share of requests.
    ///
    /// `rate` is clamped to `0.0..=1.0` (NaN counts as 0); a `status` outside `200..=599` becomes
    /// 500, since informational codes cannot end a response.
    pub fn error_rate(rate: f64, status: u16) -> Self {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|code| (200..=599).contains(&code.as_u16()))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            delay: None,
            errors: Some(ErrorInjection { rate, status }),
        }
    }

    /// Combines two faults, typically a delay and an error rate; where both set the same part,
    /// `other` wins.
    pub fn and(self, other: Fault) -> Self {
        Self {
            delay: other.delay.or(self.delay),
            errors: other.errors.or(self.errors),
        }
    }

    fn sample_delay(&self) -> Option<Duration> {
        match self.delay? {
            Delay::Fixed(delay) => Some(delay),
            Delay::Between(low, high) => {
                let low_ns = u64::try_from(low.as_nanos()).unwrap_or(u64::MAX);
                let high_ns = u64::try_from(high.as_nanos()).unwrap_or(u64::MAX);
                Some(Duration::from_nanos(
                    rand::rng().random_range(low_ns..=high_ns),
                ))
            }
            Delay::LogNormal(median, sigma) => {
                let mut rng = rand::rng();
                // Box-Muller.
                let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rng.random();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                Some(median.mul_f64((sigma * z).exp().min(100.0)))
            }
        }
    }

    fn sample_error(&self) -> Option<StatusCode> {
        let errors = self.errors?;
        rand::rng()
            .random_bool(errors.rate)
            .then_some(errors.status)
    }
}

/// Faults by route key (`"GET /api/v1/workers/{id}"`), fixed at start.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultTable {
    by_route: HashMap<String, Fault>,
}

impl FaultTable {
    /// Adds or replaces the fault for a route written as `"METHOD /pattern"`.
    pub(crate) fn insert(&mut self, route: &str, fault: Fault) {
        self.by_route.insert(normalize_route(route), fault);
    }

    /// Route keys that name no route of the server, so a typo fails loudly at start.
    pub(crate) fn unknown_routes<'a>(&'a self, known: &[&str]) -> Vec<&'a str> {
        let mut unknown: Vec<&str> = self
            .by_route
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .map(String::as_str)
            .collect();
        unknown.sort_unstable();
        unknown
    }

    fn get(&self, method: &Method, pattern: &str) -> Option<&Fault> {
        if self.by_route.is_empty() {
            return None;
        }
        self.by_route.get(&format!("{method} {pattern}"))
    }
}

/// `" post   /api/v1/tasks "` -> `"POST /api/v1/tasks"`, so callers need not match our spacing.
pub(crate) fn normalize_route(route: &str) -> String {
    let mut parts = route.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(method), Some(path)) => format!("{} {path}", method.to_ascii_uppercase()),
        _ => route.trim().to_owned(),
    }
}

/// Middleware: applies the matched route's fault before its handler runs.
///
/// The delay is a `tokio::time::sleep`, so a delayed request holds no thread while it waits.
pub(crate) async fn inject(
    State(faults): State<Arc<FaultTable>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let fault = matched.and_then(|path| faults.get(request.method(), path.as_str()).cloned());
    if let Some(fault) = fault {
        if let Some(delay) = fault.sample_delay() {
            tokio::time::sleep(delay).await;
        }
        if let Some(status) = fault.sample_error() {
            return ApiError::Injected(status).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_combines_delay_and_errors() {
        let fault = Fault::delay(Duration::from_millis(5)).and(Fault::error_rate(1.0, 503));
        assert_eq!(fault.sample_delay(), Some(Duration::from_millis(5)));
        assert_eq!(fault.sample_error(), Some(StatusCode::SERVICE_UNAVAILABLE));
    }

    #[test]
    fn error_rate_is_clamped_and_status_checked() {
        assert_eq!(Fault::error_rate(f64::NAN, 500).sample_error(), None);
        assert_eq!(Fault::error_rate(-1.0, 500).sample_error(), None);
        assert_eq!(
            Fault::error_rate(7.0, 42).sample_error(),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert_eq!(
            Fault::error_rate(1.0, 100).sample_error(),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
    }

    #[test]
    fn random_delay_stays_in_range_whatever_the_order() {
        let fault = Fault::random_delay(Duration::from_millis(20), Duration::from_millis(10));
        for _ in 0..100 {
            let delay = fault.sample_delay().unwrap();
            assert!((Duration::from_millis(10)..=Duration::from_millis(20)).contains(&delay));
        }
    }

    #[test]
    fn routes_are_normalized_and_unknown_ones_reported() {
        assert_eq!(
            normalize_route(" post   /api/v1/tasks "),
            "POST /api/v1/tasks"
        );
        let mut table = FaultTable::default();
        table.insert("get /health", Fault::delay(Duration::ZERO));
        table.insert("GET /nope", Fault::delay(Duration::ZERO));
        assert_eq!(table.unknown_routes(&["GET /health"]), vec!["GET /nope"]);
        assert!(table.get(&Method::GET, "/health").is_some());
        assert!(table.get(&Method::POST, "/health").is_none());
    }
}
