//! The response reader against hyper's client, on generated and mutated responses.
//!
//! Each case is a response byte stream (and whether it answers a `HEAD` request). A server on
//! `127.0.0.1` sends it, split into writes at random points so the reader sees partial reads,
//! then closes; it is read once by [`response::read`] over a real socket and once by hyper's
//! HTTP/1.1 client connection. The two must agree on the status, the headers and the body, or
//! both fail. Where hyper is stricter or laxer on a point, the difference is one of the
//! divergences listed in [`accepted`], each with the RFC 9112 section that allows it. The
//! reader never panics, never hangs (every read is bounded by [`BOUND`]; running out of it
//! fails the test), keeps its buffer bounded whatever size a response declares, and ends every
//! failure with a message saying why.
//!
//! Generated cases are valid responses built from a model (informational responses first,
//! status, headers, `content-length`, chunked with random chunk sizes, extensions and trailers,
//! or a body up to the close; `HEAD` requests; HTTP/1.0); for them both readers must also
//! return what the model says, and the reader must say whether the connection can be reused as
//! the model does. Mutated cases take such a response and flip, insert, delete and truncate
//! bytes, add conflicting or malformed framing headers, huge sizes, obs-fold and bare line
//! ends.
//!
//! Every run replays the corpus under `tests/corpus/http1/` first (responses that once found a
//! bug), then [`CASES`] generated and [`CASES`] mutated cases from a fixed seed.
//! `PROPTEST_CASES` changes the number of cases, `PROPTEST_RNG_SEED` the seed (a number).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, TRANSFER_ENCODING};
use http::Method;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::response::{self, Failure, MAX_HEAD};
use crate::exec::body::Kept;

/// Generated cases per run, and as many mutated ones: about 5 s in all (the corpus included) on
/// two cores in the default `cargo test` build.
const CASES: u32 = 1024;
/// The seed of a run unless `PROPTEST_RNG_SEED` gives another.
const SEED: u64 = 0x6c6f_6164_6761_7465;
/// The longest any one read of a case may take; a case that runs out of it has hung.
const BOUND: Duration = Duration::from_secs(2);
/// Largest body kept: more than any case sends, so every body is compared whole.
const KEEP: usize = 4 << 20;
/// Most memory the reader's buffer may hold, whatever a response declares: a head of
/// [`MAX_HEAD`] and one read, doubled for the buffer's growth.
const BUFFER_BOUND: usize = 2 * (MAX_HEAD + 64 * 1024);

/// A response to read, and whether it answers `HEAD`.
#[derive(Clone)]
struct Case {
    wire: Vec<u8>,
    head: bool,
    /// Where the server splits its writes (offsets into `wire`, ascending).
    splits: Vec<usize>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("head", &self.head)
            .field("splits", &self.splits)
            .field("wire", &Shown(&self.wire))
            .finish()
    }
}

/// Bytes shown escaped, long runs shortened.
struct Shown<'a>(&'a [u8]);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.len() > 1024 {
            let (start, end) = (&self.0[..512], &self.0[self.0.len() - 256..]);
            write!(
                f,
                "\"{}\" ...({} bytes)... \"{}\"",
                start.escape_ascii(),
                self.0.len() - 768,
                end.escape_ascii()
            )
        } else {
            write!(f, "\"{}\"", self.0.escape_ascii())
        }
    }
}

/// What the reader made of a case.
#[derive(Debug)]
enum Engine {
    Done {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        reusable: bool,
        /// Bytes read past the response's end.
        rest: usize,
    },
    Failed(Failure),
}

/// What hyper made of a case.
#[derive(Debug)]
enum Hyper {
    Done {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        trailers: Option<Box<HeaderMap>>,
    },
    /// Why, and whether the head had been read (the body failed).
    Failed(String, bool),
}

impl Engine {
    fn summary(&self) -> String {
        match self {
            Engine::Done {
                status,
                headers,
                body,
                reusable,
                rest,
            } => format!(
                "{status}, {} headers, body {:?}, reusable {reusable}, {rest} bytes past the end",
                headers.len(),
                Shown(body)
            ),
            Engine::Failed(failure) => format!("{failure:?}"),
        }
    }
}

impl Hyper {
    fn summary(&self) -> String {
        match self {
            Hyper::Done {
                status,
                headers,
                body,
                trailers,
            } => format!(
                "{status}, {} headers, body {:?}, {} trailers",
                headers.len(),
                Shown(body),
                trailers.as_deref().map_or(0, HeaderMap::len)
            ),
            Hyper::Failed(error, in_body) => format!("{error:?} (in the body: {in_body})"),
        }
    }
}

/// What a generated response must read as.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    status: u16,
    body: Vec<u8>,
    trailers: Vec<(String, String)>,
    reusable: bool,
}

/// The server and the runtime the cases are read on.
struct Bench {
    runtime: tokio::runtime::Runtime,
    listener: Arc<TcpListener>,
    addr: SocketAddr,
}

impl Bench {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        Bench {
            runtime,
            listener: Arc::new(listener),
            addr,
        }
    }

    /// Reads `case` with both readers.
    fn read(&self, case: &Case) -> Result<(Engine, Hyper), String> {
        self.runtime.block_on(async {
            let engine = self.serve(case, engine_read(self.addr, case.head)).await?;
            let hyper = self.serve(case, hyper_read(self.addr, case.head)).await?;
            Ok((engine?, hyper))
        })
    }

    /// Serves `case` to the one connection `client` makes, and returns what it read.
    async fn serve<T>(
        &self,
        case: &Case,
        client: impl std::future::Future<Output = T>,
    ) -> Result<T, String> {
        let listener = self.listener.clone();
        let mut pieces = Vec::with_capacity(case.splits.len() + 1);
        let mut at = 0;
        for &split in case.splits.iter().chain([&case.wire.len()]) {
            if split > at {
                pieces.push(case.wire[at..split].to_vec());
                at = split;
            }
        }
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            // The request, to its blank line (it has no body).
            let mut request = Vec::new();
            let mut scratch = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut scratch).await? {
                    0 => return Ok(()),
                    n => request.extend_from_slice(&scratch[..n]),
                }
            }
            for piece in pieces {
                if stream.write_all(&piece).await.is_err() {
                    break;
                }
                // Lets the client read this piece before the next one arrives.
                tokio::task::yield_now().await;
            }
            stream.shutdown().await?;
            // Until the client closes, so that closing sends no reset over unread bytes.
            while stream.read(&mut scratch).await? > 0 {}
            std::io::Result::Ok(())
        });
        let read = tokio::time::timeout(BOUND, client).await;
        let served = tokio::time::timeout(BOUND, server).await;
        let read = read.map_err(|_| format!("no outcome within {BOUND:?}: the reader hangs"))?;
        match served {
            Ok(_) => Ok(read),
            Err(_) => Err(format!("the server did not finish within {BOUND:?}")),
        }
    }
}

/// The request each reader sends (the server only waits for its end).
fn request(head: bool) -> &'static [u8] {
    if head {
        b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    } else {
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    }
}

async fn engine_read(addr: SocketAddr, head: bool) -> Result<Engine, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .write_all(request(head))
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = BytesMut::new();
    let mut kept = Kept::new(Some(KEEP));
    let done = response::read(&mut stream, &mut buf, head, &mut kept).await;
    if buf.capacity() > BUFFER_BOUND {
        return Err(format!(
            "the read buffer grew to {} bytes (bound {BUFFER_BOUND})",
            buf.capacity()
        ));
    }
    let (body, received, over_limit) = kept.finish();
    if over_limit || received != body.len() as u64 {
        return Err(format!(
            "{received} body bytes received, {} kept",
            body.len()
        ));
    }
    Ok(match done {
        Ok(done) => Engine::Done {
            status: done.status,
            headers: done.headers,
            body,
            reusable: done.reusable,
            rest: buf.len(),
        },
        Err(failure) => Engine::Failed(failure),
    })
}

async fn hyper_read(addr: SocketAddr, head: bool) -> Hyper {
    let outcome = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| (e.to_string(), false))?;
        stream
            .set_nodelay(true)
            .map_err(|e| (e.to_string(), false))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                .await
                .map_err(|e| (e.to_string(), false))?;
        let conn = tokio::spawn(conn);
        let request = http::Request::builder()
            .method(if head { Method::HEAD } else { Method::GET })
            .uri("/")
            .header(http::header::HOST, "127.0.0.1")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let outcome = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| (error_chain(&e), false))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let collected = response
                .into_body()
                .collect()
                .await
                .map_err(|e| (error_chain(&e), true))?;
            let trailers = collected.trailers().cloned().map(Box::new);
            Ok(Hyper::Done {
                status,
                headers,
                body: collected.to_bytes(),
                trailers,
            })
        }
        .await;
        conn.abort();
        outcome
    }
    .await;
    outcome.unwrap_or_else(|(error, in_body)| Hyper::Failed(error, in_body))
}

/// An error with its causes, so hyper's parse errors can be told apart.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Why a difference between the two readers is accepted, if it is: each a point where RFC 9112
/// leaves the recipient a choice or where one of them is stricter than the other. Whichever
/// way, the reader ends with a named error or a complete response, never a panic or a hang.
fn accepted(case: &Case, engine: &Engine, hyper: &Hyper) -> Option<&'static str> {
    let wire = &case.wire[..];
    // RFC 9112 section 2.3 and RFC 9110 section 5.4: a recipient limits the size of a head.
    // Both stop at MAX_HEAD bytes (hyper's default read buffer), but each counts what it has
    // read so far, so near the limit one may read a head whole that the other refuses.
    let near_limit = wire.len() > MAX_HEAD - 64 * 1024;
    if obs_text_coding(wire) {
        return Some("Transfer-Encoding with obs-text");
    }
    match (engine, hyper) {
        (Engine::Failed(failure), Hyper::Done { status, .. }) => {
            let why = failure_message(failure);
            // RFC 9112 section 2 and RFC 9110 section 7.8: a 101 answers a request that asked to
            // upgrade, which the reader never sends; hyper hands the 101 to its caller.
            if *status == 101 && why.contains("upgrades are not supported") {
                return Some("unasked-for 101");
            }
            // RFC 9112 section 7.1: a chunk size of more than 16 hex digits (leading zeros) is
            // refused by httparse's chunk-size parser, which counts digits rather than value;
            // hyper counts value.
            if why.contains("invalid chunk-size line") && long_hex(wire) {
                return Some("chunk size of more than 16 hex digits");
            }
            // RFC 9112 section 7.1.1: a recipient may limit the length of chunk extensions; the
            // reader allows a chunk-size line of MAX_LINE bytes, hyper 16 KiB of extensions.
            if why.contains("chunk-size line longer") {
                return Some("long chunk extensions");
            }
            if near_limit && why.contains("response head larger") {
                return Some("head at the size limit");
            }
            None
        }
        (Engine::Done { headers, body, .. }, Hyper::Failed(error, in_body)) => {
            // RFC 9112 section 6.1: a Transfer-Encoding in an HTTP/1.0 response means faulty
            // framing; the reader reads the message as its headers frame it and then closes
            // the connection ("close the connection after processing the message"), hyper
            // refuses it.
            if headers.contains_key(TRANSFER_ENCODING)
                && error.contains("unexpected transfer-encoding")
            {
                return Some("Transfer-Encoding in HTTP/1.0");
            }
            // RFC 9112 section 7.1.2: a recipient may discard trailer fields. The reader skips
            // the trailer section line by line (each line ended by LF, RFC 9112 section 2.2;
            // bounded by MAX_HEAD) and never parses it; hyper parses it as header fields (CRLF
            // only, at most 100 of them in 16 KiB) and fails the body on one it cannot parse.
            // Accepted when hyper failed in the body and the chunks, read as strictly as hyper
            // reads them, reach the last chunk with the body the reader returned.
            if *in_body
                && is_chunked(headers)
                && strict_chunks(wire).is_some_and(|data| data[..] == body[..])
            {
                return Some("trailer section the reader discards");
            }
            if near_limit && error.contains("message head is too large") {
                return Some("head at the size limit");
            }
            None
        }
        _ => None,
    }
}

/// RFC 9112 section 6.3 and RFC 9110 section 5.5: a Transfer-Encoding whose last coding is
/// `chunked` frames a chunked body. The reader reads the list as bytes; hyper reads only a value
/// of visible ASCII and frames the body up to the close when a coding in the list has obs-text
/// in it. From there on the two read different bodies, or one of them fails.
fn obs_text_coding(wire: &[u8]) -> bool {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    final_head(wire, &mut slots).is_some_and(|(_, response)| {
        response
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding") && !h.value.is_ascii())
    })
}

/// Where the final response head in `wire` ends (after any 1xx ones), with what httparse
/// made of it.
fn final_head<'h>(
    wire: &'h [u8],
    slots: &'h mut [httparse::Header<'h>],
) -> Option<(usize, httparse::Response<'h, 'h>)> {
    let mut at = 0;
    loop {
        let mut skipped = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut skipped);
        let Ok(httparse::Status::Complete(len)) = response.parse(&wire[at..]) else {
            return None;
        };
        let code = response.code.unwrap_or_default();
        if (100..200).contains(&code) {
            at += len;
            continue;
        }
        break;
    }
    let mut response = httparse::Response::new(slots);
    let Ok(httparse::Status::Complete(len)) = response.parse(&wire[at..]) else {
        return None;
    };
    Some((at + len, response))
}

/// The data of a chunked body read as strictly as hyper reads it (hex digits, optional
/// whitespace and extension without LF, CRLF after each line and chunk), up to its last-chunk
/// line; `None` if it does not get there.
fn strict_chunks(wire: &[u8]) -> Option<Vec<u8>> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let (mut at, _) = final_head(wire, &mut slots)?;
    let mut data = Vec::new();
    loop {
        let line_end = at + wire[at..].iter().position(|&b| b == b'\n')?;
        let line = wire[at..line_end].strip_suffix(b"\r")?;
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let rest = &line[digits..];
        let rest = rest.trim_ascii_start();
        if digits == 0 || !(rest.is_empty() || rest[0] == b';') || rest.contains(&b'\r') {
            return None;
        }
        let mut size = 0u64;
        for &d in &line[..digits] {
            let v = (d as char).to_digit(16)?;
            size = size.checked_mul(16)?.checked_add(u64::from(v))?;
        }
        at = line_end + 1;
        if size == 0 {
            return Some(data);
        }
        let end = at.checked_add(usize::try_from(size).ok()?)?;
        data.extend_from_slice(wire.get(at..end)?);
        if wire.get(end..end + 2)? != b"\r\n" {
            return None;
        }
        at = end + 2;
    }
}

/// Whether RFC 9112 lets the connection carry another request after the response in `wire`
/// (sections 9.3 and 6.1): persistent by version or `keep-alive`, no `close`, framing that
/// cannot have been smuggled (no transfer coding beside a `content-length` or in HTTP/1.0),
/// and a body that does not run to the close. Hyper's own decision is not observable.
fn reuse_allowed(wire: &[u8], head_request: bool) -> bool {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let Some((_, response)) = final_head(wire, &mut slots) else {
        return false;
    };
    let values = |name: &str| {
        response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
            .collect::<Vec<_>>()
    };
    let token = |name: &str, token: &str| {
        values(name).iter().any(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    let code = response.code.unwrap_or_default();
    let http11 = response.version == Some(1);
    let (close, keep_alive) = (
        token("connection", "close"),
        token("connection", "keep-alive"),
    );
    let codings = values("transfer-encoding");
    let coded = !codings.is_empty();
    let chunked = codings.last().is_some_and(|v| {
        v.rsplit(|&b| b == b',')
            .next()
            .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
    });
    let length = !values("content-length").is_empty();
    let no_body = head_request || code == 204 || code == 304;
    let to_close = !no_body && if coded { !chunked } else { !length };
    !close && (http11 || keep_alive) && !(coded && (length || !http11)) && !to_close
}

fn failure_message(failure: &Failure) -> &str {
    match failure {
        Failure::Unanswered(why) | Failure::Broken(why) => why,
    }
}

fn is_chunked(headers: &HeaderMap) -> bool {
    headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .next_back()
        .is_some_and(|v| {
            v.as_bytes()
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
        })
}

/// A run of 17 or more hex digits anywhere.
fn long_hex(wire: &[u8]) -> bool {
    let mut run = 0;
    for &b in wire {
        run = if b.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run > 16 {
            return true;
        }
    }
    false
}

/// Checks one case: both readers, then the model when there is one.
fn check(bench: &Bench, case: &Case, expected: Option<&Expected>) -> Result<(), TestCaseError> {
    let (engine, hyper) = bench.read(case).map_err(TestCaseError::fail)?;
    let fail = |what: &str| {
        TestCaseError::fail(format!(
            "{what}\n  reader: {}\n  hyper: {}\n  case: {case:?}",
            engine.summary(),
            hyper.summary()
        ))
    };
    if let Engine::Failed(failure) = &engine {
        if failure_message(failure).is_empty() {
            return Err(fail("the reader failed without saying why"));
        }
    }
    let agree = match (&engine, &hyper) {
        (
            Engine::Done {
                status,
                headers,
                body,
                ..
            },
            Hyper::Done {
                status: s,
                headers: h,
                body: b,
                ..
            },
        ) => status == s && headers == h && body == b,
        (Engine::Failed(_), Hyper::Failed(..)) => true,
        _ => false,
    };
    if !agree && accepted(case, &engine, &hyper).is_none() {
        return Err(fail("the reader and hyper disagree"));
    }
    if let Engine::Done { reusable, rest, .. } = &engine {
        let allowed = reuse_allowed(&case.wire, case.head);
        if *reusable != (allowed && *rest == 0) {
            return Err(fail(&format!(
                "reusable is {reusable}, RFC 9112 says {allowed} (with {rest} bytes past the end)"
            )));
        }
    }
    if let Some(expected) = expected {
        match &engine {
            Engine::Done {
                status,
                body,
                reusable,
                rest,
                ..
            } if *status == expected.status
                && body[..] == expected.body[..]
                && *reusable == expected.reusable
                && *rest == 0 => {}
            _ => return Err(fail(&format!("the reader does not read {expected:?}"))),
        }
        match &hyper {
            Hyper::Done {
                status,
                body,
                trailers,
                ..
            } if *status == expected.status && body[..] == expected.body[..] => {
                let got: Vec<(String, String)> = trailers
                    .as_deref()
                    .into_iter()
                    .flatten()
                    .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                    .collect();
                let want: Vec<(String, String)> = expected
                    .trailers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                if got != want {
                    return Err(fail(&format!("hyper's trailers are not {want:?}")));
                }
            }
            // HTTP/1.0 with a transfer coding: see `accepted`.
            Hyper::Failed(error, _) if error.contains("unexpected transfer-encoding") => {}
            _ => return Err(fail(&format!("hyper does not read {expected:?}"))),
        }
    }
    Ok(())
}

// ---- generated responses ----

/// How a generated body is framed.
#[derive(Debug, Clone)]
enum Framing {
    /// `content-length`, written as a list of equal values when `listed`.
    Length { listed: bool },
    /// Chunked: chunk sizes cut the body at these fractions (per mille), each chunk-size line
    /// with its padding and extension; then the trailers.
    Chunked {
        cuts: Vec<u16>,
        lines: Vec<(usize, bool, String)>,
        trailers: Vec<(String, String)>,
        coding: &'static str,
    },
    /// Up to the close.
    Close,
}

#[derive(Debug, Clone)]
struct Model {
    informational: Vec<u16>,
    http10: bool,
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
    connection: Option<&'static str>,
    head: bool,
    /// Lines end in a bare LF (RFC 9112 section 2.2 lets a recipient accept that).
    lf: bool,
}

fn header() -> impl Strategy<Value = (String, String)> {
    (
        "X-[A-Za-z0-9-]{1,12}",
        "[!-~]([ -~]{0,30}[!-~])?|",
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(name, value, obs)| {
            // Now and then a value with obs-text, which both parsers keep as bytes.
            let value = if obs { format!("{value}é") } else { value };
            (name, value)
        })
}

fn framing() -> impl Strategy<Value = Framing> {
    let chunked = (
        proptest::collection::vec(1u16..1000, 0..6),
        proptest::collection::vec(
            (
                0usize..3,
                any::<bool>(),
                prop_oneof![
                    4 => Just(String::new()),
                    1 => "; ?[a-z]{1,6}(=[a-z0-9]{1,6})?",
                    1 => ";[a-z]{1,4}=\"[a-z ]{0,8}\"",
                ],
            ),
            8,
        ),
        proptest::collection::vec(header(), 0..3),
        prop_oneof![
            6 => Just("chunked"),
            1 => Just("gzip, chunked"),
            1 => Just("Chunked"),
        ],
    )
        .prop_map(|(mut cuts, lines, trailers, coding)| {
            cuts.sort_unstable();
            Framing::Chunked {
                cuts,
                lines,
                trailers,
                coding,
            }
        });
    prop_oneof![
        4 => any::<bool>().prop_map(|listed| Framing::Length { listed }),
        4 => chunked,
        1 => Just(Framing::Close),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let status = prop_oneof![
        6 => Just(200u16),
        4 => 200u16..600,
        1 => Just(204u16),
        1 => Just(304u16),
    ];
    let body = prop_oneof![
        6 => proptest::collection::vec(any::<u8>(), 0..300),
        2 => proptest::collection::vec(any::<u8>(), 0..5000),
        1 => proptest::collection::vec(any::<u8>(), 0..70_000),
    ];
    (
        proptest::collection::vec(prop_oneof![Just(100u16), Just(102), Just(103)], 0..3),
        proptest::bool::weighted(0.1),
        status,
        "[A-Za-z]{0,3}( [A-Za-z]{1,6}){0,2}",
        proptest::collection::vec(header(), 0..6),
        body,
        framing(),
        prop_oneof![
            3 => Just(None),
            1 => Just(Some("close")),
            1 => Just(Some("keep-alive")),
            1 => Just(Some("Keep-Alive, Upgrade")),
        ],
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.1),
    )
        .prop_map(
            |(
                informational,
                http10,
                status,
                reason,
                headers,
                body,
                framing,
                connection,
                head,
                lf,
            )| {
                Model {
                    informational,
                    http10,
                    status,
                    reason,
                    headers,
                    body,
                    framing,
                    connection,
                    head,
                    lf,
                }
            },
        )
}

impl Model {
    /// The response on the wire.
    fn render(&self) -> Vec<u8> {
        let eol: &[u8] = if self.lf { b"\n" } else { b"\r\n" };
        let version = if self.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let mut wire = Vec::new();
        for code in &self.informational {
            wire.extend_from_slice(format!("{version} {code} Info").as_bytes());
            wire.extend_from_slice(eol);
            wire.extend_from_slice(b"X-Info: 1");
            wire.extend_from_slice(eol);
            wire.extend_from_slice(eol);
        }
        wire.extend_from_slice(format!("{version} {} {}", self.status, self.reason).as_bytes());
        wire.extend_from_slice(eol);
        let line = |wire: &mut Vec<u8>, name: &str, value: &str| {
            wire.extend_from_slice(name.as_bytes());
            wire.extend_from_slice(b": ");
            wire.extend_from_slice(value.as_bytes());
            wire.extend_from_slice(eol);
        };
        for (name, value) in &self.headers {
            line(&mut wire, name, value);
        }
        if let Some(connection) = self.connection {
            line(&mut wire, "Connection", connection);
        }
        match &self.framing {
            Framing::Length { listed } => {
                let n = self.body.len();
                let value = if *listed {
                    format!("{n}, {n}")
                } else {
                    n.to_string()
                };
                line(&mut wire, "Content-Length", &value);
            }
            Framing::Chunked { coding, .. } => line(&mut wire, "Transfer-Encoding", coding),
            Framing::Close => {}
        }
        wire.extend_from_slice(eol);
        if self.no_body() {
            return wire;
        }
        match &self.framing {
            Framing::Length { .. } | Framing::Close => wire.extend_from_slice(&self.body),
            Framing::Chunked {
                cuts,
                lines,
                trailers,
                ..
            } => {
                // Chunk lines end in CRLF whatever the head's line ends: hyper wants CRLF there.
                let mut at = 0;
                let ends = cuts
                    .iter()
                    .map(|&c| self.body.len() * c as usize / 1000)
                    .chain([self.body.len()]);
                let mut lines = lines.iter().cycle();
                for end in ends.filter(|&e| e > 0) {
                    if end <= at {
                        continue;
                    }
                    let (pad, upper, ext) = lines.next().unwrap();
                    size_line(&mut wire, end - at, *pad, *upper, ext);
                    wire.extend_from_slice(&self.body[at..end]);
                    wire.extend_from_slice(b"\r\n");
                    at = end;
                }
                let (_, _, ext) = lines.next().unwrap();
                size_line(&mut wire, 0, 0, false, ext);
                for (name, value) in trailers {
                    wire.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                }
                wire.extend_from_slice(b"\r\n");
            }
        }
        wire
    }

    fn no_body(&self) -> bool {
        self.head || self.status == 204 || self.status == 304
    }

    fn expected(&self) -> Expected {
        let no_body = self.no_body();
        let keep_alive = self.connection != Some("close")
            && (!self.http10 || self.connection.is_some_and(|c| c.to_ascii_lowercase().contains("keep-alive")))
            // RFC 9112 section 6.1: HTTP/1.0 with a transfer coding is closed after the message.
            && !(self.http10 && matches!(self.framing, Framing::Chunked { .. }));
        let to_close = matches!(self.framing, Framing::Close) && !no_body;
        Expected {
            status: self.status,
            body: if no_body {
                Vec::new()
            } else {
                self.body.clone()
            },
            trailers: match &self.framing {
                Framing::Chunked { trailers, .. } if !no_body => trailers.clone(),
                _ => Vec::new(),
            },
            reusable: keep_alive && !to_close,
        }
    }
}

fn size_line(wire: &mut Vec<u8>, size: usize, pad: usize, upper: bool, ext: &str) {
    let digits = if upper {
        format!("{size:X}")
    } else {
        format!("{size:x}")
    };
    wire.extend_from_slice("0".repeat(pad).as_bytes());
    wire.extend_from_slice(digits.as_bytes());
    wire.extend_from_slice(ext.as_bytes());
    wire.extend_from_slice(b"\r\n");
}

/// Where the server splits its writes: up to eight random points.
fn splits() -> impl Strategy<Value = Vec<Index>> {
    proptest::collection::vec(any::<Index>(), 0..8)
}

fn split_points(len: usize, points: &[Index]) -> Vec<usize> {
    let mut at: Vec<usize> = points
        .iter()
        .map(|i| i.index(len.max(1)))
        .filter(|&i| i > 0)
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}

// ---- mutated responses ----

#[derive(Debug, Clone)]
enum Mutation {
    /// One byte XORed with a non-zero value.
    Flip(Index, u8),
    /// Bytes inserted anywhere.
    Insert(Index, Vec<u8>),
    /// Up to eight bytes removed.
    Delete(Index, usize),
    /// The stream cut short.
    Truncate(Index),
    /// A header line added to the head of the final response (or the first one).
    Header(Vec<u8>),
    /// One of the line ends replaced.
    LineEnd(Index, &'static [u8]),
    /// The status code of the first response replaced.
    Status(&'static [u8]),
    /// Bytes after the end.
    Append(Vec<u8>),
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    let tokens: &[&[u8]] = &[
        b"\r\n",
        b"\n",
        b"\r",
        b"\0",
        b"\x7f",
        b"\xff",
        b" ",
        b"\t",
        b":",
        b";",
        b",",
        b"\r\n ",
        b"0\r\n\r\n",
        b"ffffffffffffffffff",
        b"10000000000000000",
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"-1",
        b"18446744073709551616",
    ];
    prop_oneof![
        3 => proptest::sample::select(tokens).prop_map(<[u8]>::to_vec),
        1 => proptest::collection::vec(any::<u8>(), 1..4),
    ]
}

fn framing_header() -> impl Strategy<Value = Vec<u8>> {
    let fixed: &[&str] = &[
        "Content-Length: 5, 6",
        "Content-Length: 000000000000000000000000001",
        "Content-Length: 18446744073709551615",
        "Content-Length: 18446744073709551616",
        "Content-Length: 99999999999999999999",
        "Content-Length:",
        "Content-Length: +1",
        "Content-Length: 1e2",
        "Content-Length: 0x10",
        "Content-Length: 1,",
        "Content-Length: 0",
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: chunked, gzip",
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: identity",
        "Transfer-Encoding: CHUNKED",
        "Transfer-Encoding:  chunked ",
        "Transfer-Encoding: chunked\x0b",
        "Transfer-Encoding: chunk",
        "Transfer-Encoding:",
        "Transfer-Encoding: gzip",
        "Transfer-Encoding : chunked",
        "Connection: close",
        "Connection: keep-alive",
        "Connection: upgrade",
        "X-Fold: a\r\n b",
        "X-Fold: a\r\n\tb",
        " X-Lead: a",
        "X-Empty:",
        "X-Nul: a\0b",
        "X-Bad Name: a",
        ": no name",
    ];
    prop_oneof![
        10 => proptest::sample::select(fixed).prop_map(|h| h.as_bytes().to_vec()),
        3 => (any::<u64>(), 0u32..20).prop_map(|(n, shift)| format!("Content-Length: {}", n >> (shift * 3)).into_bytes()),
        // An endless header, and too many of them.
        1 => (400_000usize..600_000).prop_map(|n| {
            let mut h = b"X-Long: ".to_vec();
            h.resize(n, b'a');
            h
        }),
        1 => (95usize..110).prop_map(|n| {
            (0..n).map(|i| format!("X-{i}: v")).collect::<Vec<_>>().join("\r\n").into_bytes()
        }),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let ends: &[&[u8]] = &[b"\n", b"\r", b"\r\r\n", b"\n\r", b"\r\n ", b"\r\n\t", b""];
    let statuses: &[&[u8]] = &[
        b"099", b"000", b"999", b"1000", b"20", b"101", b"100", b"2x0", b"600",
    ];
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        4 => (any::<Index>(), token()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        3 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        2 => any::<Index>().prop_map(Mutation::Truncate),
        6 => framing_header().prop_map(Mutation::Header),
        3 => (any::<Index>(), proptest::sample::select(ends)).prop_map(|(i, e)| Mutation::LineEnd(i, e)),
        1 => proptest::sample::select(statuses).prop_map(Mutation::Status),
        1 => token().prop_map(Mutation::Append),
    ]
}

impl Mutation {
    fn apply(&self, wire: &mut Vec<u8>) {
        let len = wire.len();
        match self {
            Mutation::Flip(i, x) if len > 0 => wire[i.index(len)] ^= x,
            Mutation::Flip(..) => {}
            Mutation::Insert(i, bytes) => {
                let at = i.index(len + 1);
                wire.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                wire.drain(at..(at + n).min(len));
            }
            Mutation::Delete(..) => {}
            Mutation::Truncate(i) => wire.truncate(i.index(len + 1)),
            Mutation::Header(line) => {
                // After the status line of the last response head in the stream.
                let start = find_all(wire, b"HTTP/1.")
                    .last()
                    .copied()
                    .unwrap_or_default();
                let at = wire[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(len, |p| start + p + 1);
                let mut bytes = line.clone();
                bytes.extend_from_slice(b"\r\n");
                wire.splice(at..at, bytes);
            }
            Mutation::LineEnd(i, end) => {
                let ends = find_all(wire, b"\r\n");
                if !ends.is_empty() {
                    let at = ends[i.index(ends.len())];
                    wire.splice(at..at + 2, end.iter().copied());
                }
            }
            Mutation::Status(code) => {
                if wire.len() >= 12 && wire.starts_with(b"HTTP/1.") && wire[8] == b' ' {
                    wire.splice(9..12, code.iter().copied());
                }
            }
            Mutation::Append(bytes) => wire.extend_from_slice(bytes),
        }
    }
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

// ---- the runs ----

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES)
}

fn seed() -> u64 {
    std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SEED)
}

fn runner(seed: u64) -> TestRunner {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (seed >> ((i % 8) * 8)) as u8 ^ i as u8;
    }
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// The corpus: every file is a response that once found a bug, read whole, a byte at a time
/// and in pieces of 7; a file whose name starts with `head-` answers a `HEAD` request.
fn replay_corpus(bench: &Bench) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/http1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    for path in files {
        let wire = std::fs::read(&path).unwrap();
        let head = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("head-"));
        for step in [wire.len(), 1, 7] {
            let splits = (1..wire.len())
                .filter(|i| i.is_multiple_of(step.max(1)))
                .collect();
            let case = Case {
                wire: wire.clone(),
                head,
                splits,
            };
            if let Err(e) = check(bench, &case, None) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

/// Why a run failed, with the smallest failing case as `check` shows it (the generator's own
/// values can be megabytes long).
fn why<T>(error: TestError<T>) -> String {
    match error {
        TestError::Abort(why) | TestError::Fail(why, _) => why.to_string(),
    }
}

#[test]
fn the_response_reader_agrees_with_hyper() {
    let bench = Bench::new();
    replay_corpus(&bench);
    let seed = seed();
    let generated = (model(), splits());
    runner(seed)
        .run(&generated, |(model, points)| {
            let wire = model.render();
            let case = Case {
                splits: split_points(wire.len(), &points),
                wire,
                head: model.head,
            };
            check(&bench, &case, Some(&model.expected()))
        })
        .unwrap_or_else(|e| panic!("generated responses, PROPTEST_RNG_SEED={seed}: {}", why(e)));
    let mutated = (
        model(),
        proptest::collection::vec(mutation(), 1..4),
        splits(),
    );
    runner(seed ^ 1)
        .run(&mutated, |(model, mutations, points)| {
            let mut wire = model.render();
            for mutation in &mutations {
                mutation.apply(&mut wire);
            }
            let case = Case {
                splits: split_points(wire.len(), &points),
                wire,
                head: model.head,
            };
            check(&bench, &case, None)
        })
        .unwrap_or_else(|e| panic!("mutated responses, PROPTEST_RNG_SEED={seed}: {}", why(e)));
}
