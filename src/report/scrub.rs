//! Results made safe to keep in files: credentials out of target URLs, and the run's redactor
//! over every text a result carries, so a report folder never holds a secret, even when the
//! process that reads it later knows none of the run's secrets.

use crate::results::CaseResult;
use crate::sample::ErrorCause;
use crate::stats::Summary;

/// `url` without the `user:password@` part of its authority; other text unchanged.
pub fn strip_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// A copy of `result` with every free text passed through `redact`: the target (credentials
/// stripped first), the description, the error, error causes, check labels, and the causes and
/// names inside the recorded series. Ids stay as written in the suite, so files still join up.
pub fn redacted(result: &CaseResult, redact: &dyn Fn(&str) -> String) -> CaseResult {
    let mut out = result.clone();
    out.target = redact(&strip_credentials(&result.target));
    out.description = redact(&result.description);
    if let Some(error) = &mut out.error {
        error.message = redact(&error.message);
    }
    if let Some(summary) = &mut out.summary {
        redact_summary(summary, redact);
    }
    for step in &mut out.steps {
        redact_summary(&mut step.summary, redact);
    }
    out.checks = through_json(&result.checks, redact).unwrap_or_default();
    // The series keep their causes private; their serialized form is redacted instead. Should
    // redaction make it unreadable (a secret that equals a keyword of the format), the series
    // are dropped: the report loses its charts rather than keep the secret.
    out.recorded = result
        .recorded
        .as_ref()
        .and_then(|recorded| through_json(recorded, redact));
    out
}

fn redact_summary(summary: &mut Summary, redact: &dyn Fn(&str) -> String) {
    for (cause, _) in &mut summary.error_causes {
        *cause = redact_cause(cause, redact);
    }
}

fn redact_cause(cause: &ErrorCause, redact: &dyn Fn(&str) -> String) -> ErrorCause {
    match cause {
        ErrorCause::Connect(text) => ErrorCause::Connect(redact(text)),
        ErrorCause::Tls(text) => ErrorCause::Tls(redact(text)),
        ErrorCause::Transport(text) => ErrorCause::Transport(redact(text)),
        ErrorCause::Check(text) => ErrorCause::Check(redact(text)),
        ErrorCause::InvalidRequest(text) => ErrorCause::InvalidRequest(redact(text)),
        ErrorCause::Data(text) => ErrorCause::Data(redact(text)),
        ErrorCause::Step(step, inner) => {
            ErrorCause::Step(redact(step), Box::new(redact_cause(inner, redact)))
        }
        ErrorCause::Status(_)
        | ErrorCause::Timeout
        | ErrorCause::ConnectionRefused
        | ErrorCause::BodyOverLimit(_) => cause.clone(),
    }
}

/// `value` serialized, every string value redacted (keys and histograms kept), and read back;
/// `None` when the redacted form no longer reads as a `T`.
fn through_json<T>(value: &T, redact: &dyn Fn(&str) -> String) -> Option<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut json = serde_json::to_value(value).ok()?;
    redact_strings(&mut json, redact);
    serde_json::from_value(json).ok()
}

fn redact_strings(value: &mut serde_json::Value, redact: &dyn Fn(&str) -> String) {
    match value {
        serde_json::Value::String(text) => *text = redact(text),
        serde_json::Value::Array(items) => {
            for item in items {
                redact_strings(item, redact);
            }
        }
        serde_json::Value::Object(fields) => {
            // A histogram is base64 of compressed counts: no text, and a long-token mask
            // would corrupt it.
            for (_, field) in fields.iter_mut().filter(|(key, _)| *key != "histogram") {
                redact_strings(field, redact);
            }
        }
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::record::Recorded;
    use crate::results::{CaseError, Stage};

    #[test]
    fn credentials_leave_urls() {
        assert_eq!(
            strip_credentials("https://ann:s3cret@api.example.com:8443/v1?x=1"),
            "https://api.example.com:8443/v1?x=1"
        );
        assert_eq!(strip_credentials("http://tok@h/"), "http://h/");
        assert_eq!(strip_credentials("http://h/a@b"), "http://h/a@b");
        assert_eq!(strip_credentials("not a url"), "not a url");
    }

    #[test]
    fn every_text_is_redacted_and_the_series_still_read() {
        let secret = "tok-4f9a2c";
        let redact = |text: &str| text.replace(secret, "[REDACTED]");
        let mut result = CaseResult::new("s::c", "sequential", "1 request", 7);
        result.target = format!("http://u:{secret}@127.0.0.1:1");
        result.error = Some(CaseError {
            stage: Stage::Setup,
            message: format!("login: body: {secret}"),
        });
        result.checks.record(&format!("body has {secret}"), false);
        let mut recorded = Recorded::new(Duration::from_secs(1));
        let cause = ErrorCause::Transport(format!("reset by {secret}"));
        recorded
            .total
            .record_error(Duration::ZERO, Duration::from_millis(1), &cause, 0);
        recorded
            .total
            .record_ok(Duration::ZERO, Duration::from_millis(2), 10);
        result.summary = Some(Summary::of(&recorded.total, Duration::from_secs(1)));
        result.recorded = Some(recorded);

        let clean = redacted(&result, &redact);
        let text = serde_json::to_string(&clean).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert_eq!(clean.target, "http://127.0.0.1:1");
        let recorded = clean.recorded.expect("the series survive redaction");
        assert_eq!((recorded.total.requests(), recorded.total.ok()), (2, 1));
        assert_eq!(
            recorded.total.causes()[0].0.to_string(),
            "transport error: reset by [REDACTED]"
        );
    }
}
