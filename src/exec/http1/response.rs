//! Reading one HTTP/1.1 response off a connection: its head parsed with `httparse`, its body
//! framed as RFC 9112 section 6 says (no body for `HEAD`, 1xx, 204 and 304; chunked; a
//! `content-length`; or up to the close) and read to its last byte, counted and kept as
//! [`Kept`] decides. Everything read is bounded: a head or a trailer section larger than
//! [`MAX_HEAD`], a chunk-size line longer than [`MAX_LINE`], or more than [`MAX_HEADERS`]
//! headers is an error, and body bytes pass through the read buffer without piling up.

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::HeaderMap;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::exec::body::Kept;

/// Headers a response may have (hyper's default).
pub(super) const MAX_HEADERS: usize = 100;
/// Largest response head, and largest trailer section (hyper's default read buffer limit).
pub(super) const MAX_HEAD: usize = 8192 + 4096 * 100;
/// Longest chunk-size line, extensions included.
pub(super) const MAX_LINE: usize = 4096;
/// Room made in the read buffer before each read.
const READ_SIZE: usize = 16 * 1024;

/// A response read to its end.
#[derive(Debug)]
pub(super) struct Done {
    pub status: u16,
    pub headers: HeaderMap,
    /// The connection may carry the next request: HTTP/1.1 without `Connection: close` (or
    /// HTTP/1.0 with `keep-alive`), a body not ended by the close, nothing read past its end.
    pub reusable: bool,
}

/// Why a response could not be read.
#[derive(Debug, PartialEq)]
pub(super) enum Failure {
    /// The connection was closed or reset before a single byte of a response arrived: on a
    /// connection used before, the server closed it as the request went out.
    Unanswered(String),
    /// Anything else: a malformed response, or one cut short.
    Broken(String),
}

impl Failure {
    pub(super) fn into_message(self) -> String {
        match self {
            Failure::Unanswered(why) | Failure::Broken(why) => why,
        }
    }
}

fn broken(why: impl Into<String>) -> Failure {
    Failure::Broken(why.into())
}

/// Reads one response from `io`, starting with what `buf` already holds. On success `buf`
/// holds whatever came after the response (nothing, on a well-behaved connection).
pub(super) async fn read<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    head_request: bool,
    kept: &mut Kept,
) -> Result<Done, Failure> {
    let mut answered = !buf.is_empty();
    let head = loop {
        match parse_head(buf, head_request)? {
            Parsed::Final(head) => break head,
            Parsed::Informational => continue,
            Parsed::Partial if buf.len() >= MAX_HEAD => {
                return Err(broken(format!(
                    "response head larger than {} KiB",
                    MAX_HEAD / 1024
                )));
            }
            Parsed::Partial => match fill(io, buf).await {
                Ok(0) if answered => {
                    return Err(broken("connection closed before the response head ended"))
                }
                Ok(0) => {
                    return Err(Failure::Unanswered(
                        "connection closed before a response".into(),
                    ))
                }
                Ok(_) => answered = true,
                Err(e) if answered => return Err(broken(e.to_string())),
                Err(e) => return Err(Failure::Unanswered(e.to_string())),
            },
        }
    };
    let mut reusable = head.keep_alive;
    match head.framing {
        Framing::Empty => {}
        Framing::Length(mut left) => loop {
            let take = left.min(buf.len() as u64) as usize;
            kept.push_slice(&buf[..take]);
            buf.advance(take);
            left -= take as u64;
            if left == 0 {
                break;
            }
            more(io, buf).await?;
        },
        Framing::Chunked => {
            let mut chunked = Chunked::default();
            while !chunked.feed(buf, kept)? {
                more(io, buf).await?;
            }
        }
        Framing::Close => {
            reusable = false;
            loop {
                kept.push_slice(buf);
                buf.clear();
                if fill(io, buf).await.map_err(|e| broken(e.to_string()))? == 0 {
                    break;
                }
            }
        }
    }
    // Bytes past the response's end were never asked for: the connection is out of step.
    reusable &= buf.is_empty();
    Ok(Done {
        status: head.status,
        headers: head.headers,
        reusable,
    })
}

/// Reads more of a body that has not ended yet.
async fn more<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut) -> Result<(), Failure> {
    match fill(io, buf).await {
        Ok(0) => Err(broken("connection closed before the body ended")),
        Ok(_) => Ok(()),
        Err(e) => Err(broken(e.to_string())),
    }
}

/// One read into `buf`'s spare room; 0 at the end of the stream. A read that leaves room
/// unused tells tokio the socket is drained, so the next read waits for readiness instead of
/// trying (and failing) first.
async fn fill<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut) -> std::io::Result<usize> {
    buf.reserve(READ_SIZE);
    io.read_buf(buf).await
}

/// How a response's body ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    Close,
}

#[derive(Debug)]
struct Head {
    status: u16,
    headers: HeaderMap,
    framing: Framing,
    keep_alive: bool,
}

#[derive(Debug)]
enum Parsed {
    /// More bytes are needed.
    Partial,
    /// A 1xx response, skipped: the final one follows.
    Informational,
    Final(Head),
}

/// Parses a response head at the start of `buf` and removes it from `buf`.
fn parse_head(buf: &mut BytesMut, head_request: bool) -> Result<Parsed, Failure> {
    let mut slots = [const { MaybeUninit::<httparse::Header>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(broken(format!("more than {MAX_HEADERS} response headers")))
        }
        // The first bytes of what may be an HTTP/2 frame header: wait for the whole header.
        Err(_) if buf.len() < 9 && buf[0] == 0 => return Ok(Parsed::Partial),
        Err(_) if http2_frame(buf) => return Err(broken(crate::tls::HTTP2_ONLY)),
        Err(e) => return Err(broken(format!("invalid response head: {e}"))),
    };
    let status = response.code.unwrap_or_default();
    // RFC 9110 15: a status code is a three-digit integer from 100; `httparse` takes any three
    // digits.
    if status < 100 {
        return Err(broken(format!(
            "invalid status code {status:03} in the response"
        )));
    }
    if (100..200).contains(&status) {
        if status == 101 {
            return Err(broken(
                "101 Switching Protocols: upgrades are not supported",
            ));
        }
        buf.advance(len);
        return Ok(Parsed::Informational);
    }
    // Header values are slices of one copy of the head, not a copy each.
    let raw = Bytes::copy_from_slice(&buf[..len]);
    let start = buf.as_ptr() as usize;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    let mut length = None;
    // Why a content-length cannot be used: an error only where it would frame the body (RFC
    // 9112 6.3: a response to HEAD, a 204 and a 304 have none whatever their headers say, and
    // a transfer coding overrides a content-length).
    let mut bad_length = None;
    let (mut coded, mut chunked, mut close, mut keep_alive) = (false, false, false, false);
    for header in response.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| broken(format!("invalid response header name `{}`", header.name)))?;
        let at = (header.value.as_ptr() as usize).wrapping_sub(start);
        let end = at.wrapping_add(header.value.len());
        let shared = if at <= end && end <= raw.len() {
            raw.slice(at..end)
        } else {
            // Not a slice of the head (an empty value need not point into it): a copy.
            Bytes::copy_from_slice(header.value)
        };
        let value = HeaderValue::from_maybe_shared(shared)
            .map_err(|_| broken(format!("invalid value of response header `{name}`")))?;
        if name == CONTENT_LENGTH {
            match content_length(value.as_bytes()) {
                None => bad_length = Some("invalid content-length in the response"),
                Some(given) if length.is_some_and(|n| n != given) => {
                    bad_length = Some("conflicting content-lengths in the response");
                }
                Some(given) => length = Some(given),
            }
        } else if name == TRANSFER_ENCODING {
            coded = true;
            chunked = last_token_is(value.as_bytes(), b"chunked");
        } else if name == CONNECTION {
            for token in value.as_bytes().split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
        headers.append(name, value);
    }
    let http11 = response.version == Some(1);
    let framing = if head_request || status == 204 || status == 304 {
        Framing::Empty
    } else if coded {
        // RFC 9112 6.3: a transfer coding overrides a content-length; one that does not end
        // in `chunked` runs to the close.
        if chunked {
            Framing::Chunked
        } else {
            Framing::Close
        }
    } else if let Some(why) = bad_length {
        return Err(broken(why));
    } else {
        match length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::Close,
        }
    };
    // Both framings given, or a transfer coding in HTTP/1.0 (RFC 9112 6.1: faulty framing,
    // close after the message): the message may have been smuggled; do not reuse the
    // connection.
    let given = length.is_some() || bad_length.is_some();
    let keep_alive = !close && (http11 || keep_alive) && !(coded && (given || !http11));
    buf.advance(len);
    Ok(Parsed::Final(Head {
        status,
        headers,
        framing,
        keep_alive,
    }))
}

/// `content-length`: digits, or a list of equal ones (`5, 5`).
/// Whether `buf` starts with an HTTP/2 frame on the connection's stream 0: the `SETTINGS`
/// a server opens with, or the `GOAWAY` it sends when it reads HTTP/1.1 where it expected
/// HTTP/2's preface.
fn http2_frame(buf: &[u8]) -> bool {
    buf.len() >= 9 && buf[0] == 0 && matches!(buf[3], 0x04 | 0x07) && buf[5..9] == [0, 0, 0, 0]
}

fn content_length(value: &[u8]) -> Option<u64> {
    let mut length = None;
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() {
            return None;
        }
        // Any number of digits (leading zeros included) as long as the value fits.
        let mut n = 0u64;
        for &digit in part {
            if !digit.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
        }
        if length.is_some_and(|l| l != n) {
            return None;
        }
        length = Some(n);
    }
    length
}

fn last_token_is(value: &[u8], token: &[u8]) -> bool {
    value
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(token))
}

/// A chunked body being read: where in it the next byte falls.
#[derive(Debug, Default)]
struct Chunked {
    state: State,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum State {
    /// A chunk-size line.
    #[default]
    Size,
    /// Data bytes still to come in this chunk.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk, with their bytes so far.
    Trailers(usize),
}

impl Chunked {
    /// Consumes what it can of `buf`, counting data into `kept`; `true` once the body ended.
    fn feed(&mut self, buf: &mut BytesMut, kept: &mut Kept) -> Result<bool, Failure> {
        loop {
            match self.state {
                // RFC 9112 7.1: the size is at least one hex digit, and the line ends at its
                // first LF (httparse takes an empty size for 0, and reads an extension on past
                // a bare LF to the next CRLF).
                State::Size if buf.first().is_some_and(|b| !b.is_ascii_hexdigit()) => {
                    return Err(broken("invalid chunk-size line"));
                }
                State::Size => match httparse::parse_chunk_size(buf) {
                    Ok(httparse::Status::Complete((used, _)))
                        if buf[..used - 1].contains(&b'\n') =>
                    {
                        return Err(broken("invalid chunk-size line"));
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        buf.advance(used);
                        self.state = match size {
                            0 => State::Trailers(0),
                            n => State::Data(n),
                        };
                    }
                    Ok(httparse::Status::Partial) if buf.len() > MAX_LINE => {
                        return Err(broken(format!(
                            "chunk-size line longer than {} KiB",
                            MAX_LINE / 1024
                        )))
                    }
                    Ok(httparse::Status::Partial) if buf.contains(&b'\n') => {
                        return Err(broken("invalid chunk-size line"));
                    }
                    Ok(httparse::Status::Partial) => return Ok(false),
                    Err(_) => return Err(broken("invalid chunk-size line")),
                },
                State::Data(left) => {
                    let take = left.min(buf.len() as u64) as usize;
                    if take == 0 {
                        return Ok(false);
                    }
                    kept.push_slice(&buf[..take]);
                    buf.advance(take);
                    self.state = match left - take as u64 {
                        0 => State::DataEnd,
                        n => State::Data(n),
                    };
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return match buf.first() {
                            None | Some(b'\r') => Ok(false),
                            Some(_) => Err(broken("chunk data not followed by CRLF")),
                        };
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(broken("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    self.state = State::Size;
                }
                State::Trailers(seen) => {
                    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
                        if seen + buf.len() > MAX_HEAD {
                            return Err(broken("trailers too large"));
                        }
                        return Ok(false);
                    };
                    let blank = matches!(&buf[..end], b"" | b"\r");
                    buf.advance(end + 1);
                    if blank {
                        return Ok(true);
                    }
                    if seen + end + 1 > MAX_HEAD {
                        return Err(broken("trailers too large"));
                    }
                    self.state = State::Trailers(seen + end + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::ReadBuf;

    /// A stream that hands out its bytes in the given pieces, one per read, then ends.
    struct Pieces(VecDeque<Vec<u8>>);

    impl AsyncRead for Pieces {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            out: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            if let Some(mut piece) = self.0.pop_front() {
                let n = piece.len().min(out.remaining());
                out.put_slice(&piece[..n]);
                if n < piece.len() {
                    self.0.push_front(piece.split_off(n));
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// Reads `wire` delivered in pieces of `size` bytes; the outcome, the kept body and what
    /// was left in the buffer.
    fn read_in(
        wire: &[u8],
        size: usize,
        head_request: bool,
    ) -> (Result<Done, Failure>, Bytes, u64, Vec<u8>) {
        let pieces = wire.chunks(size.max(1)).map(<[u8]>::to_vec).collect();
        let mut io = Pieces(pieces);
        let mut buf = BytesMut::new();
        let mut kept = Kept::new(Some(1 << 20));
        let done = run(read(&mut io, &mut buf, head_request, &mut kept));
        let (body, received, _) = kept.finish();
        (done, body, received, buf.to_vec())
    }

    /// Every way of splitting `wire` into reads gives the same response.
    fn read_every_way(wire: &[u8]) -> (u16, HeaderMap, bool, Bytes) {
        let (done, body, received, rest) = read_in(wire, wire.len(), false);
        let done = done.unwrap();
        assert_eq!(received, body.len() as u64);
        assert!(rest.is_empty());
        for size in 1..wire.len() {
            let (again, again_body, _, _) = read_in(wire, size, false);
            let again = again.unwrap_or_else(|e| panic!("in pieces of {size}: {e:?}"));
            assert_eq!(again.status, done.status, "pieces of {size}");
            assert_eq!(again.headers, done.headers, "pieces of {size}");
            assert_eq!(again.reusable, done.reusable, "pieces of {size}");
            assert_eq!(again_body, body, "pieces of {size}");
        }
        (done.status, done.headers, done.reusable, body)
    }

    #[test]
    fn a_content_length_body() {
        let (status, headers, reusable, body) = read_every_way(
            b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: b\r\nX-A:  c \r\nX-E:\r\n\r\nhello",
        );
        assert_eq!((status, reusable, &body[..]), (201, true, &b"hello"[..]));
        let all: Vec<_> = headers.get_all("x-a").iter().collect();
        assert_eq!(all, ["b", "c"]);
        assert_eq!(headers["x-e"], "");
    }

    #[test]
    fn a_chunked_body_with_extensions_and_trailers() {
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                     5;name=v\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
        let (status, _, reusable, body) = read_every_way(wire);
        assert_eq!((status, reusable), (200, true));
        assert_eq!(&body[..], b"hello 0123456789");
    }

    #[test]
    fn no_body_for_head_204_304_and_informational_responses_are_skipped() {
        let (status, _, reusable, body) = read_every_way(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
              HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
        );
        assert_eq!((status, reusable, body.len()), (204, true, 0));
        read_every_way(b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n");
        let (done, _, received, rest) =
            read_in(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", 100, true);
        assert!(done.unwrap().reusable);
        assert_eq!((received, rest.len()), (0, 0));
    }

    #[test]
    fn a_body_without_length_runs_to_the_close_and_ends_the_connection() {
        let (status, _, reusable, body) =
            read_every_way(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of it");
        assert_eq!(
            (status, reusable, &body[..]),
            (200, false, &b"all of it"[..])
        );
        let (_, _, reusable, body) = read_every_way(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcdef",
        );
        assert_eq!((reusable, &body[..]), (false, &b"abcdef"[..]));
    }

    #[test]
    fn a_content_length_that_frames_nothing_is_not_read() {
        // RFC 9112 6.3: no body for HEAD, 204 and 304 whatever the headers say, and a transfer
        // coding overrides a content-length (the connection is not reused after both).
        let (status, _, reusable, body) =
            read_every_way(b"HTTP/1.1 304 Not Modified\r\nContent-Length: abc\r\n\r\n");
        assert_eq!((status, reusable, body.len()), (304, true, 0));
        let (done, _, _, _) = read_in(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            100,
            true,
        );
        assert!(done.unwrap().reusable);
        let (_, _, reusable, body) = read_every_way(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\nTransfer-Encoding: chunked\r\n\r\n\
              2\r\nok\r\n0\r\n\r\n",
        );
        assert_eq!((reusable, &body[..]), (false, &b"ok"[..]));
    }

    #[test]
    fn a_content_length_may_have_leading_zeros() {
        let (_, _, _, body) =
            read_every_way(b"HTTP/1.1 200 OK\r\nContent-Length: 000000000000000000002\r\n\r\nok");
        assert_eq!(&body[..], b"ok");
    }

    #[test]
    fn keep_alive_follows_the_version_and_the_connection_header() {
        let reusable = |wire: &[u8]| read_in(wire, wire.len(), false).0.unwrap().reusable;
        assert!(reusable(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assert!(!reusable(
            b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"
        ));
        assert!(!reusable(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assert!(reusable(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
        ));
        // Bytes after the end: the connection is out of step, and they are left in the buffer.
        let (done, _, _, rest) =
            read_in(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", 99, false);
        assert!(!done.unwrap().reusable);
        assert_eq!(rest, b"y");
    }

    #[test]
    fn a_transfer_coding_in_http_1_0_is_read_and_the_connection_closed() {
        // RFC 9112 6.1: the framing is faulty even with keep-alive; read the message, then close.
        let wire =
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
                     2\r\nok\r\n0\r\n\r\n";
        let (_, _, reusable, body) = read_every_way(wire);
        assert_eq!((reusable, &body[..]), (false, &b"ok"[..]));
    }

    #[test]
    fn a_response_cut_short_or_malformed_is_an_error_naming_why() {
        let error = |wire: &[u8]| match read_in(wire, 7, false).0 {
            Err(Failure::Broken(why)) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            read_in(b"", 1, false).0.unwrap_err(),
            Failure::Unanswered("connection closed before a response".into())
        );
        assert!(error(b"HTTP/1.1 200 OK\r\nContent-").contains("head ended"));
        assert!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").contains("body ended"));
        assert!(
            error(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
                .contains("body ended")
        );
        assert!(
            error(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                .contains("chunk-size")
        );
        assert!(
            error(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n")
                .contains("CRLF")
        );
        // No size at all is not a last chunk; a bare LF does not end an extension.
        for body in [
            &b"\r\n\r\n"[..],
            b";x\r\n\r\n",
            b"2;a\nok\r\n0\r\n\r\n",
            b"2;a\nok",
        ] {
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            wire.extend_from_slice(body);
            assert!(
                error(&wire).contains("chunk-size"),
                "{}",
                body.escape_ascii()
            );
        }
        assert!(
            error(b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n").contains("content-length")
        );
        assert!(error(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").contains("content-length"));
        assert!(
            error(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n")
                .contains("content-length")
        );
        assert!(error(b"HTTP/1.1 101 Switching Protocols\r\n\r\n").contains("upgrades"));
        assert!(error(b"SSH-2.0-OpenSSH\r\n\r\n").contains("invalid response head"));
        assert!(error(b"HTTP/1.1 000 OK\r\nContent-Length: 0\r\n\r\n").contains("status code 000"));
        assert!(error(b"HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n").contains("status code 099"));
        // An HTTP/2 server's SETTINGS, then its GOAWAY for a preface it did not get.
        let h2 = b"\0\0\x06\x04\0\0\0\0\0\0\x03\0\0\0\x64\0\0\x08\x07\0\0\0\0\0\0\0\0\0\0\0\0\x01";
        assert_eq!(error(h2), crate::tls::HTTP2_ONLY);
        assert_eq!(error(&h2[15..]), crate::tls::HTTP2_ONLY);
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("x-{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(error(&many).contains("more than 100"));
    }

    #[test]
    fn endless_heads_lines_and_trailers_are_bounded() {
        let error = |wire: Vec<u8>| match read_in(&wire, 64 * 1024, false).0 {
            Err(Failure::Broken(why)) => why,
            other => panic!("{other:?}"),
        };
        let mut head = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
        head.resize(MAX_HEAD + 10, b'a');
        assert!(error(head).contains("head larger"));
        let mut line = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
        line.resize(line.len() + MAX_LINE + 10, b'a');
        assert!(error(line).contains("chunk-size line longer"));
        let mut trailers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
        while trailers.len() < MAX_HEAD * 2 {
            trailers.extend_from_slice(
                b"x-t: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        assert!(error(trailers).contains("trailers too large"));
    }

    #[test]
    fn a_body_is_only_counted_when_not_kept() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
        let mut io = Pieces([wire.to_vec()].into());
        let mut buf = BytesMut::new();
        let mut kept = Kept::new(None);
        run(read(&mut io, &mut buf, false, &mut kept)).unwrap();
        assert_eq!(kept.finish(), (Bytes::new(), 4, false));
    }
}
