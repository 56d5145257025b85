//! The fast path for measured requests: each virtual user owns one HTTP/1.1 keep-alive
//! connection, with nothing between the user and the socket but this module.
//!
//! A request arrives already encoded ([`Outgoing`], built before the clock starts), so the timed
//! span is: one write of those bytes, reads into a buffer the connection keeps, the response
//! head parsed in place with `httparse`, and the body counted (and kept, if asked for) as it
//! passes through ([`response`]). The user's own task does all of it; no other task, channel,
//! lock or timer registration is involved (the timeout's timer is armed once per timeout period,
//! see `Deadline`). Per request the allocations are the response's: one copy of its head, which
//! the header values are slices of, and the header map.
//!
//! A general-purpose client (reqwest, or hyper's connection driver beneath it) pays for what a
//! load generator does not use: a pool lookup under a lock, a channel to a connection task and a
//! oneshot back, boxed futures, and a body channel per response. Measured as ratios to oha in
//! interleaved runs against nginx on 2 CPUs, hyper's HTTP/1.1 client connection, even driven on
//! the user's own task, took about a quarter more CPU time per request than this module.
//!
//! The connection follows the protocol where a load test meets it: responses framed by
//! `content-length`, chunked coding or the close; no body for `HEAD`, 1xx, 204 and 304; 1xx
//! responses skipped; `Connection: close` and HTTP/1.0 honoured; a connection the server
//! closed while it was idle replaced before the request is written; and an idempotent request
//! sent once more on a fresh connection when a reused one was closed as it went out.

#[cfg(test)]
mod differential;
mod response;

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::uri::Authority;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::body::Kept;
use super::outgoing::Outgoing;
use super::request::Response;
use crate::sample::ErrorCause;
use response::{Done, Failure};

/// One virtual user's HTTP/1.1 connection: it connects on the first request, sends one request
/// at a time, and connects again, inside the timed span of the request that needs it, when the
/// server closed it (`Connection: close`, a keep-alive timeout) or a request failed or timed out
/// on it. A request to another host closes it and connects there.
#[derive(Debug, Default)]
pub struct Connection {
    link: Option<Link>,
    deadline: Deadline,
    /// What was read and not yet consumed; its memory is kept from request to request.
    buf: BytesMut,
    opened: u64,
    /// Every request opens a connection of its own, inside its timed span, and closes it after
    /// (`fresh_connections`).
    fresh: bool,
}

/// An open connection.
#[derive(Debug)]
struct Link {
    authority: Authority,
    stream: TcpStream,
    /// A request was already sent on it, so it may have been closed by the server meanwhile.
    used: bool,
}

impl Link {
    /// Whether the server closed this idle connection (or sent something unasked): then it
    /// cannot carry a request. Costs no system call unless the socket was signalled readable.
    fn gone(&self) -> bool {
        let mut probe = [0u8; 1];
        !matches!(
            self.stream.try_read(&mut probe),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        )
    }
}

impl Connection {
    /// A connection that will connect on its first request.
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection that opens a new TCP connection for every request, inside the request's
    /// timed span, and closes it after the response: what a client without keep-alive pays.
    pub fn fresh() -> Self {
        Self {
            fresh: true,
            ..Self::default()
        }
    }

    /// Opens the connection `request` would use, off the clock, unless it is open already or
    /// every request opens its own: after this, the request's timed span holds no connect.
    pub async fn open(&mut self, request: &Outgoing) -> Result<(), ErrorCause> {
        let open = self
            .link
            .as_ref()
            .is_some_and(|l| l.authority == request.authority && !(l.used && l.gone()));
        if self.fresh || open {
            return Ok(());
        }
        self.buf.clear();
        self.link = Some(connect(request.authority.clone()).await?);
        self.opened += 1;
        Ok(())
    }

    /// Connections opened so far (the first one included).
    pub fn opened(&self) -> u64 {
        self.opened
    }

    /// Sends `request` and reads the response to its last body byte, keeping the body when
    /// `keep` gives a limit and it fits (see [`Kept`]). Returns when the clock started, the
    /// latency (connecting, if needed, included), and the response or why there is none. The
    /// request's timeout bounds the whole exchange.
    pub async fn send(
        &mut self,
        request: Outgoing,
        keep: Option<usize>,
    ) -> (Instant, Duration, Result<Response, ErrorCause>) {
        let mut kept = Kept::new(keep);
        let started = Instant::now();
        let exchange = exchange(
            &mut self.link,
            &mut self.opened,
            &mut self.buf,
            &request,
            &mut kept,
        );
        let result = match request.timeout {
            Some(timeout) => self
                .deadline
                .bound(started + timeout, exchange)
                .await
                .unwrap_or(Err(ErrorCause::Timeout)),
            None => exchange.await,
        };
        let latency = started.elapsed();
        if self.fresh {
            self.link = None;
            self.buf.clear();
        }
        let result = match result {
            Ok(Done {
                status, headers, ..
            }) => {
                let (body, received, over_limit) = kept.finish();
                Ok(Response {
                    status,
                    headers,
                    body,
                    received,
                    over_limit,
                })
            }
            Err(cause) => {
                // Whatever state the exchange left the connection in, start afresh.
                self.link = None;
                self.buf.clear();
                Err(cause)
            }
        };
        (started, latency, result)
    }
}

/// Connects if needed, writes, reads the response into `kept`: the timed span.
async fn exchange(
    link: &mut Option<Link>,
    opened: &mut u64,
    buf: &mut BytesMut,
    request: &Outgoing,
    kept: &mut Kept,
) -> Result<Done, ErrorCause> {
    let mut resent = false;
    loop {
        if link
            .as_ref()
            .is_some_and(|l| l.authority != request.authority || (l.used && l.gone()))
        {
            *link = None;
        }
        let l = match link {
            Some(l) => l,
            None => {
                buf.clear();
                let fresh = connect(request.authority.clone()).await?;
                *opened += 1;
                link.insert(fresh)
            }
        };
        let reused = std::mem::replace(&mut l.used, true);
        let outcome = match l.stream.write_all(&request.wire).await {
            Ok(()) => response::read(&mut l.stream, buf, request.head, kept).await,
            Err(e) => Err(Failure::Unanswered(e.to_string())),
        };
        match outcome {
            Ok(done) => {
                if !done.reusable {
                    *link = None;
                    buf.clear();
                }
                return Ok(done);
            }
            // Closed by the server as the request went out: nothing was answered, so a request
            // that may be repeated is sent again on a fresh connection, once, as browsers and
            // HTTP client libraries do.
            Err(Failure::Unanswered(_)) if reused && request.idempotent && !resent => {
                *link = None;
                resent = true;
            }
            Err(failure) => return Err(ErrorCause::Transport(failure.into_message())),
        }
    }
}

/// Opens a TCP connection with `TCP_NODELAY` (a request is one small write; Nagle would hold
/// it back waiting for an ACK).
async fn connect(authority: Authority) -> Result<Link, ErrorCause> {
    let port = authority.port_u16().unwrap_or(80);
    // `[::1]` in a URL is `::1` to the resolver.
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| connect_error(&e))?;
    stream
        .set_nodelay(true)
        .map_err(|e| ErrorCause::Connect(e.to_string()))?;
    Ok(Link {
        authority,
        stream,
        used: false,
    })
}

fn connect_error(error: &std::io::Error) -> ErrorCause {
    match error.kind() {
        std::io::ErrorKind::ConnectionRefused => ErrorCause::ConnectionRefused,
        std::io::ErrorKind::TimedOut => ErrorCause::Timeout,
        _ => ErrorCause::Connect(error.to_string()),
    }
}

/// A request timeout that registers a timer once per timeout period instead of once per
/// request. Registering and cancelling a tokio timer takes the timer wheel's lock twice; at tens
/// of thousands of requests per second that is the costliest thing a request would do outside
/// hyper. So the timer stays armed across requests at the earliest deadline it was given: a
/// request whose deadline is later leaves it alone, and when it fires before the current
/// request's deadline it is re-armed there. A timeout still fires on time (to the timer's 1 ms
/// granularity); an early wake-up costs one clock read.
#[derive(Debug, Default)]
struct Deadline {
    /// Created on first use: a timer needs the runtime, a [`Connection`] does not.
    timer: Option<Pin<Box<Sleep>>>,
    /// When the timer fires; `None` before first use.
    armed: Option<Instant>,
}

impl Deadline {
    /// `work`'s output, or `None` if `deadline` passed first (`work` is dropped then).
    async fn bound<F: Future>(&mut self, deadline: Instant, work: F) -> Option<F::Output> {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
        if self.armed.is_none_or(|at| at > deadline) {
            timer.as_mut().reset(deadline.into());
            self.armed = Some(deadline);
        }
        let armed = &mut self.armed;
        let mut work = pin!(work);
        poll_fn(|cx| {
            if let Poll::Ready(output) = work.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            while timer.as_mut().poll(cx).is_ready() {
                if Instant::now() >= deadline {
                    return Poll::Ready(None);
                }
                timer.as_mut().reset(deadline.into());
                *armed = Some(deadline);
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn the_deadline_ends_work_that_takes_longer() {
        runtime().block_on(async {
            let mut deadline = Deadline::default();
            let start = Instant::now();
            let slow = tokio::time::sleep(Duration::from_secs(5));
            let out = deadline
                .bound(start + Duration::from_millis(50), slow)
                .await;
            assert_eq!(out, None);
            let waited = start.elapsed();
            assert!(waited >= Duration::from_millis(50), "{waited:?}");
            assert!(waited < Duration::from_millis(500), "{waited:?}");
        });
    }

    #[test]
    fn a_timer_armed_earlier_does_not_end_a_later_request_early() {
        runtime().block_on(async {
            let mut deadline = Deadline::default();
            let start = Instant::now();
            let quick = deadline.bound(start + Duration::from_millis(20), async { 1 });
            assert_eq!(quick.await, Some(1));
            // Still armed at +20 ms; this request may take until +300 ms.
            let work = tokio::time::sleep(Duration::from_millis(100));
            let out = deadline
                .bound(start + Duration::from_millis(300), work)
                .await;
            assert_eq!(out, Some(()));
            assert_eq!(deadline.armed, Some(start + Duration::from_millis(300)));
            // A shorter deadline than the armed one re-arms the timer.
            let hang = std::future::pending::<()>();
            let out = deadline.bound(Instant::now() + Duration::from_millis(30), hang);
            assert_eq!(out.await, None);
        });
    }
}
