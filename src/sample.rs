//! What one measured request leaves behind: when it started, how long it took, how it ended.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One measured request.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Send time, as an offset from the start of the case's measured span.
    pub start: Duration,
    /// Send to last body byte, measured on a monotonic clock.
    pub latency: Duration,
    /// Success, or why the request counts as an error.
    pub outcome: Outcome,
    /// Response body bytes received.
    pub bytes: u64,
}

impl Sample {
    /// True when the request met every expectation.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok)
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The response met every expectation; its latency counts.
    Ok,
    /// The request is an error sample; its latency is kept but not in latency statistics.
    Error(ErrorCause),
}

/// Why a request counts as an error. `Display` gives the text reports show.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCause {
    /// The status was not one the request expects.
    Status(u16),
    /// No complete response within the request's timeout.
    Timeout,
    /// The target actively refused the connection (nothing listening).
    ConnectionRefused,
    /// Any other failure to connect (DNS, reset).
    Connect(String),
    /// A TLS failure (an untrusted certificate, a refused handshake), in words that say what
    /// to do about it.
    Tls(String),
    /// The connection broke while sending or reading the body.
    Transport(String),
    /// A check on the response failed (named by the check).
    Check(String),
    /// The rendered request could not be built (e.g. a header value with a newline).
    InvalidRequest(String),
    /// A data file could not supply a row (a `unique` set ran out).
    Data(String),
    /// A check or extraction needed the body, and it is larger than `max_body` (the limit).
    BodyOverLimit(u64),
    /// An earlier step of the journey failed, so this iteration stopped there.
    Step(String, Box<ErrorCause>),
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCause::Status(code) => write!(f, "status {code}"),
            ErrorCause::Timeout => f.write_str("timeout"),
            ErrorCause::ConnectionRefused => f.write_str("connection refused"),
            ErrorCause::Connect(why) => write!(f, "connect error: {why}"),
            ErrorCause::Tls(why) => write!(f, "TLS: {why}"),
            ErrorCause::Transport(why) => write!(f, "transport error: {why}"),
            ErrorCause::Check(name) => write!(f, "check failed: {name}"),
            ErrorCause::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            ErrorCause::Data(why) => f.write_str(why),
            ErrorCause::BodyOverLimit(limit) => write!(f, "body over max_body ({limit} bytes)"),
            ErrorCause::Step(step, cause) => write!(f, "step {step}: {cause}"),
        }
    }
}
