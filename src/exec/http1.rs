//! The fast path for measured requests: each virtual user owns one HTTP/1.1 keep-alive
//! connection, driven by hyper on the user's own task, with nothing between the user and the
//! socket.
//!
//! reqwest's pooled client costs a pool lookup (a lock), URL handling and boxed futures per
//! request, which caps a load generator well below what the target can serve. Here a request is
//! rendered into an [`Outgoing`] before the clock starts; inside the timed span this module adds
//! no allocation, lock or channel send of its own: the timeout is a timer registered once per
//! timeout period rather than once per request (see `Deadline`), and the hand-overs between the
//! request and hyper's connection state machine wake no task (see [`super::quiet`]).
//!
//! hyper's connection state machine is polled by the user's task itself, not spawned as a task
//! of its own: a spawned driver costs two cross-task wake-ups per request, and on a
//! multi-threaded runtime often a thread wake-up too. In interleaved runs against nginx on
//! 2 CPUs, a spawned driver served 6-33 % fewer requests per second and took up to 14 % more
//! CPU per request.
//!
//! What hyper itself does per request (1.x, `client::conn::http1`): the request goes into an
//! unbounded channel (a slot in a block the channel reuses) with a oneshot for the response
//! (one allocation); the head is encoded into a reused write buffer; the response head is parsed
//! into a new `HeaderMap` (allocations); a non-empty body gets a channel of its own
//! (allocations) through which its frames, slices of the read buffer, are handed over. No lock
//! is taken, and with one user per connection none of it crosses threads.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Authority;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Builder, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::body::Kept;
use super::outgoing::Outgoing;
use super::quiet::Quiet;
use super::request::Response;
use crate::sample::ErrorCause;

/// One virtual user's HTTP/1.1 connection: it connects on the first request, sends one request
/// at a time, and connects again, inside the timed span of the request that needs it, when the
/// server closed it (`Connection: close`, a keep-alive timeout) or a request failed or timed out
/// on it. A request to another host closes it and connects there.
#[derive(Debug, Default)]
pub struct Connection {
    link: Option<Link>,
    deadline: Deadline,
    quiet: Quiet,
    opened: u64,
}

/// An open connection: the sender half and hyper's state machine for the socket.
#[derive(Debug)]
struct Link {
    authority: Authority,
    sender: SendRequest<Full<Bytes>>,
    /// Polled by [`driven`] on the user's own task; `None` once it finished (the connection is
    /// closed), which also hands back any request still queued on it.
    driver: Option<Driver>,
    /// A request was already sent on it, so it may have been closed by the server meanwhile.
    used: bool,
}

type Driver = hyper::client::conn::http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

impl Connection {
    /// A connection that will connect on its first request.
    pub fn new() -> Self {
        Self::default()
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
        let Outgoing {
            request,
            authority,
            timeout,
        } = request;
        let started = Instant::now();
        let (result, latency) = {
            let exchange = exchange(
                &mut self.link,
                &mut self.opened,
                request,
                authority,
                &mut kept,
            );
            let mut exchange = pin!(exchange);
            let quiet = &self.quiet;
            let exchange = poll_fn(|cx| quiet.poll(exchange.as_mut(), cx));
            let result = match timeout {
                Some(timeout) => self
                    .deadline
                    .bound(started + timeout, exchange)
                    .await
                    .unwrap_or(Err(ErrorCause::Timeout)),
                None => exchange.await,
            };
            (result, started.elapsed())
        };
        let result = match result {
            Ok((status, headers)) => {
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
                // hyper closes a connection whose exchange was abandoned or failed; start afresh.
                self.link = None;
                Err(cause)
            }
        };
        (started, latency, result)
    }
}

/// Connects if needed, sends, reads the body into `kept`: the timed span.
async fn exchange(
    link: &mut Option<Link>,
    opened: &mut u64,
    mut request: hyper::Request<Full<Bytes>>,
    authority: Authority,
    kept: &mut Kept,
) -> Result<(u16, http::HeaderMap), ErrorCause> {
    loop {
        let live = match link {
            Some(l) if l.authority == authority && l.driver.is_some() => {
                driven(&mut l.driver, l.sender.ready()).await.is_ok()
            }
            _ => false,
        };
        let l = match link {
            Some(l) if live => l,
            _ => {
                *link = None;
                let fresh = connect(authority.clone()).await?;
                *opened += 1;
                link.insert(fresh)
            }
        };
        let reused = std::mem::replace(&mut l.used, true);
        let sent = driven(&mut l.driver, l.sender.try_send_request(request)).await;
        match sent {
            Ok(response) => return driven(&mut l.driver, read(response, kept)).await,
            Err(mut failed) => match failed.take_message() {
                // Never written: the server closed a reused connection just before. Any client
                // connects again and sends it there, once.
                Some(unsent) if reused => {
                    *link = None;
                    request = unsent;
                }
                _ => return Err(transport(&failed.into_error())),
            },
        }
    }
}

/// Runs `work` (which waits on the connection) and the connection's driver together on the
/// calling task, so a request involves no other task: the socket's readiness wakes this task,
/// which writes, reads, parses and hands over the response in one go. A spawned driver would
/// cost two cross-task wake-ups per request, and on a multi-threaded runtime often a thread
/// wake-up (a futex call) with them.
async fn driven<F: Future>(driver: &mut Option<Driver>, work: F) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if let Some(d) = driver {
            if Pin::new(d).poll(cx).is_ready() {
                // Finished: dropping it answers whatever waits on it (queued requests come
                // back unsent, a body in progress ends with an error).
                *driver = None;
            }
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// Reads the response to its last body byte.
async fn read(
    response: hyper::Response<hyper::body::Incoming>,
    kept: &mut Kept,
) -> Result<(u16, http::HeaderMap), ErrorCause> {
    let (parts, mut body) = response.into_parts();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| transport(&e))?;
        // Trailers are not part of the body and are not kept.
        if let Ok(data) = frame.into_data() {
            kept.push(data);
        }
    }
    Ok((parts.status.as_u16(), parts.headers))
}

/// Opens a TCP connection with `TCP_NODELAY` (a request is one small write; Nagle would hold
/// it back waiting for an ACK) and hyper's HTTP/1.1 state machine over it.
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
    let (sender, driver) = Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ErrorCause::Connect(root_cause(&e)))?;
    Ok(Link {
        authority,
        sender,
        driver: Some(driver),
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

fn transport(error: &hyper::Error) -> ErrorCause {
    ErrorCause::Transport(root_cause(error))
}

/// The innermost error's text: the part that says what happened, worded as reqwest's path
/// words the same failure (both end in hyper's or the OS's message).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
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
