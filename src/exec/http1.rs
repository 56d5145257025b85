//! The fast path for measured requests: each virtual user owns one HTTP/1.1 keep-alive
//! connection, with nothing between the user and the socket but this module.
//!
//! An `https://` request goes over TLS (rustls, with the run's [`Tls`] configuration): the link
//! is a plain TCP stream or a TLS one ([`Stream`]), chosen per connection, so a request pays no
//! indirection for it. ALPN offers `http/1.1` only; a server that speaks only HTTP/2 fails the
//! handshake or answers with HTTP/2 frames, and either is an error saying so. When a request
//! opens a connection, its TCP connect and its TLS handshake are timed apart ([`Opened`],
//! from [`Connection::opened_last`]), inside the request's own latency as before.
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
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::uri::Authority;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::body::Kept;
use super::outgoing::Outgoing;
use super::request::Response;
use crate::sample::ErrorCause;
use crate::tls::{readable_io, Tls};
use response::{Done, Failure};

/// One virtual user's HTTP/1.1 connection: it connects on the first request, sends one request
/// at a time, and connects again, inside the timed span of the request that needs it, when the
/// server closed it (`Connection: close`, a keep-alive timeout) or a request failed or timed out
/// on it. A request to another host (or scheme) closes it and connects there.
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
    /// The TLS configuration for `https://` requests; the defaults when `None`.
    tls: Option<Arc<Tls>>,
    /// The connection the latest request opened, if it opened one.
    last_opened: Option<Opened>,
}

/// How long opening a connection took, apart: both are inside the latency of the request
/// that opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// The TCP connect (name resolution included).
    pub connect: Duration,
    /// The TLS handshake, for an `https://` connection; `None` for plain HTTP, or when the
    /// handshake failed.
    pub tls: Option<Duration>,
}

/// An open connection.
#[derive(Debug)]
struct Link {
    authority: Authority,
    stream: Stream,
    /// A request was already sent on it, so it may have been closed by the server meanwhile.
    used: bool,
}

/// The byte stream under a connection: TCP, or TLS over TCP.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    Tls(Box<Secured>),
}

/// A TLS stream, with the TLS error that ended it in words, if one did.
#[derive(Debug)]
struct Secured {
    stream: TlsStream<TcpStream>,
    failure: Option<String>,
}

impl Secured {
    /// A TLS error (an alert from the server, say) recorded and returned in words.
    fn note(&mut self, error: std::io::Error) -> std::io::Error {
        match readable_io(&error) {
            Some(text) => {
                self.failure = Some(text.clone());
                std::io::Error::new(error.kind(), text)
            }
            None => error,
        }
    }
}

impl Stream {
    fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// The TLS error that ended this stream, in words.
    fn tls_failure(&mut self) -> Option<String> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(secured) => secured.failure.take(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(secured) => match Pin::new(&mut secured.stream).poll_read(cx, buf) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(secured.note(e))),
                other => other,
            },
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, data),
            Stream::Tls(secured) => match Pin::new(&mut secured.stream).poll_write(cx, data) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(secured.note(e))),
                other => other,
            },
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(secured) => match Pin::new(&mut secured.stream).poll_flush(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(secured.note(e))),
                other => other,
            },
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(secured) => Pin::new(&mut secured.stream).poll_shutdown(cx),
        }
    }
}

impl Link {
    /// Whether this connection can carry `request`: same host and scheme, and not closed by
    /// the server since its last request.
    fn serves(&mut self, request: &Outgoing) -> bool {
        self.authority == request.authority
            && self.stream.is_tls() == request.tls
            && !(self.used && self.gone())
    }

    /// Whether the server closed this idle connection (or sent something unasked): then it
    /// cannot carry a request. Costs no system call unless the socket was signalled readable.
    /// On TLS, records that carry no data (session tickets) are taken in and leave it usable.
    fn gone(&mut self) -> bool {
        let mut probe = [0u8; 1];
        match &mut self.stream {
            Stream::Plain(tcp) => !matches!(
                tcp.try_read(&mut probe),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            ),
            Stream::Tls(secured) => {
                let mut buf = ReadBuf::new(&mut probe);
                let mut cx = Context::from_waker(Waker::noop());
                let read = Pin::new(&mut secured.stream).poll_read(&mut cx, &mut buf);
                !read.is_pending()
            }
        }
    }
}

impl Connection {
    /// A connection that will connect on its first request, with the default TLS
    /// configuration for `https://` requests (the Mozilla roots, no client certificate).
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection whose `https://` requests use `tls`.
    pub fn with_tls(tls: Arc<Tls>) -> Self {
        Connection {
            tls: Some(tls),
            ..Self::default()
        }
    }

    /// Makes every request open a new connection, inside the request's timed span, and close
    /// it after the response: what a client without keep-alive pays (`fresh_connections`).
    pub fn fresh_each_request(&mut self) {
        self.fresh = true;
        self.link = None;
    }

    /// Opens the connection `request` would use, off the clock, unless it is open already or
    /// every request opens its own: after this, the request's timed span holds no connect.
    pub async fn open(&mut self, request: &Outgoing) -> Result<(), ErrorCause> {
        if self.fresh || self.link.as_mut().is_some_and(|l| l.serves(request)) {
            return Ok(());
        }
        self.buf.clear();
        let mut opened = None;
        self.link = Some(connect(request, self.tls.as_ref(), &mut opened).await?);
        self.opened += 1;
        Ok(())
    }

    /// Connections opened so far (the first one included).
    pub fn opened(&self) -> u64 {
        self.opened
    }

    /// The connection the latest [`send`](Connection::send) opened, with its connect and
    /// handshake times; `None` when it reused one (or failed before connecting).
    pub fn opened_last(&self) -> Option<Opened> {
        self.last_opened
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
        self.last_opened = None;
        let started = Instant::now();
        let exchange = exchange(
            &mut self.link,
            Opening {
                count: &mut self.opened,
                last: &mut self.last_opened,
                tls: self.tls.as_ref(),
            },
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

/// What opening a connection updates: the count, the latest times, and the TLS to use.
struct Opening<'a> {
    count: &'a mut u64,
    last: &'a mut Option<Opened>,
    tls: Option<&'a Arc<Tls>>,
}

/// Connects if needed, writes, reads the response into `kept`: the timed span.
async fn exchange(
    link: &mut Option<Link>,
    opening: Opening<'_>,
    buf: &mut BytesMut,
    request: &Outgoing,
    kept: &mut Kept,
) -> Result<Done, ErrorCause> {
    let mut resent = false;
    loop {
        if link.as_mut().is_some_and(|l| !l.serves(request)) {
            *link = None;
        }
        let l = match link {
            Some(l) => l,
            None => {
                buf.clear();
                let fresh = connect(request, opening.tls, opening.last).await?;
                *opening.count += 1;
                link.insert(fresh)
            }
        };
        let reused = std::mem::replace(&mut l.used, true);
        let outcome = match write(&mut l.stream, &request.wire).await {
            Ok(()) => response::read(&mut l.stream, buf, request.head, kept).await,
            Err(e) => Err(Failure::Unanswered(e.to_string())),
        };
        if outcome.is_err() {
            if let Some(text) = l.stream.tls_failure() {
                return Err(ErrorCause::Tls(text));
            }
        }
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

/// Writes a whole request; on TLS, flushed through to the socket.
async fn write(stream: &mut Stream, wire: &[u8]) -> std::io::Result<()> {
    stream.write_all(wire).await?;
    if stream.is_tls() {
        stream.flush().await?;
    }
    Ok(())
}

/// Opens a TCP connection with `TCP_NODELAY` (a request is one small write; Nagle would hold
/// it back waiting for an ACK), then for `https://` does the TLS handshake; each is timed into
/// `last`.
async fn connect(
    request: &Outgoing,
    tls: Option<&Arc<Tls>>,
    last: &mut Option<Opened>,
) -> Result<Link, ErrorCause> {
    let authority = request.authority.clone();
    let port = authority
        .port_u16()
        .unwrap_or(if request.tls { 443 } else { 80 });
    // `[::1]` in a URL is `::1` to the resolver.
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let began = Instant::now();
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| connect_error(&e))?;
    tcp.set_nodelay(true)
        .map_err(|e| ErrorCause::Connect(e.to_string()))?;
    let connect = began.elapsed();
    *last = Some(Opened { connect, tls: None });
    let stream = if request.tls {
        let default;
        let tls = match tls {
            Some(tls) => tls,
            None => {
                default = Tls::shared_default();
                &default
            }
        };
        let name = tls.name_for(authority.host()).map_err(ErrorCause::Tls)?;
        let began = Instant::now();
        let stream = TlsConnector::from(Arc::clone(&tls.config))
            .connect(name, tcp)
            .await
            .map_err(|e| handshake_error(&e))?;
        *last = Some(Opened {
            connect,
            tls: Some(began.elapsed()),
        });
        Stream::Tls(Box::new(Secured {
            stream,
            failure: None,
        }))
    } else {
        Stream::Plain(tcp)
    };
    Ok(Link {
        authority,
        stream,
        used: false,
    })
}

/// A failed TLS handshake in words.
fn handshake_error(error: &std::io::Error) -> ErrorCause {
    if let Some(text) = readable_io(error) {
        return ErrorCause::Tls(text);
    }
    let text = match error.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => format!(
            "the server closed the connection during the TLS handshake ({error}): does it \
             speak TLS on this port, or want a client certificate?"
        ),
        _ => format!("the TLS handshake failed: {error}"),
    };
    ErrorCause::Tls(text)
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
