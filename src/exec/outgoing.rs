//! Requests for the fast path, finished before the clock starts: encoded once into the bytes
//! that go on the wire (origin-form target, `Host` header, framing, body), with the connection
//! they go to. A step's path on the target is joined to the target's [`Origin`] directly;
//! anything else goes through reqwest's request and is converted ([`Outgoing::try_from`]).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Method, Version};

use crate::sample::ErrorCause;

/// A request ready for [`Connection::send`](super::Connection::send): encoded here, off the
/// clock, so the timed span only writes it. A copy shares the encoded bytes.
#[derive(Clone)]
pub struct Outgoing {
    /// The request as it goes on the wire: request line, headers, blank line, body.
    pub(super) wire: Bytes,
    /// `host:port` to connect to.
    pub(super) authority: Authority,
    /// An `https://` request: the connection is TLS.
    pub(super) tls: bool,
    /// Applies to the whole exchange, a reconnect included; `None` waits as long as it takes.
    pub(super) timeout: Option<Duration>,
    /// A `HEAD` request: its response has no body, whatever its headers announce.
    pub(super) head: bool,
    /// Safe to send again (RFC 9110, 9.2.2) when a reused connection turns out to have been
    /// closed by the server before it answered.
    pub(super) idempotent: bool,
}

/// The request line and the size only: the headers may hold credentials.
impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.wire.split(|&b| b == b'\r').next().unwrap_or_default();
        f.debug_struct("Outgoing")
            .field("request", &String::from_utf8_lossy(line))
            .field("bytes", &self.wire.len())
            .field("authority", &self.authority)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Whether a rendered request can take the fast path ([`Connection`](super::Connection)) rather
/// than reqwest: `http://` or `https://` over HTTP/1.1 with its body already in memory, sent by
/// a user without a cookie jar. Cookie jars are reqwest's job: a
/// [`Connection`](super::Connection) does not store cookies.
pub fn fast_path(request: &reqwest::Request, cookie_jar: bool) -> bool {
    !cookie_jar
        && matches!(request.url().scheme(), "http" | "https")
        && request.url().host_str().is_some()
        && request.version() == Version::HTTP_11
        && request.body().is_none_or(|b| b.as_bytes().is_some())
}

impl Outgoing {
    /// From a request with an absolute `http://` or `https://` URI; `Host` is added when
    /// absent.
    pub fn new(
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<Self, ErrorCause> {
        let (mut parts, body) = request.into_parts();
        let tls = match parts.uri.scheme() {
            Some(s) if *s == Scheme::HTTP => false,
            Some(s) if *s == Scheme::HTTPS => true,
            _ => {
                return Err(invalid(format!(
                    "expected an absolute http:// or https:// URI, got `{}`",
                    parts.uri
                )))
            }
        };
        let Some(given) = parts.uri.authority() else {
            return Err(invalid(format!("expected a host in `{}`", parts.uri)));
        };
        if !parts.headers.contains_key(HOST) {
            let host = HeaderValue::from_str(given.as_str())
                .map_err(|_| invalid(format!("`{given}` is not a valid Host header")))?;
            parts.headers.insert(HOST, host);
        }
        let authority = match given.port_u16() {
            Some(_) => given.clone(),
            None => Authority::try_from(format!("{}:{}", given.host(), if tls { 443 } else { 80 }))
                .map_err(|e| invalid(format!("`{given}`: {e}")))?,
        };
        let target = parts.uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let wire = encode(&parts.method, target, &parts.headers, &body);
        Ok(Outgoing::encoded(
            wire,
            &parts.method,
            authority,
            tls,
            timeout,
        ))
    }

    fn encoded(
        wire: Bytes,
        method: &Method,
        authority: Authority,
        tls: bool,
        timeout: Option<Duration>,
    ) -> Self {
        Outgoing {
            wire,
            authority,
            tls,
            timeout,
            head: method == Method::HEAD,
            idempotent: method.is_idempotent(),
        }
    }

    /// The `host:port` this request connects to.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Whether it goes over TLS (an `https://` request).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The bytes it sends.
    pub fn as_bytes(&self) -> &[u8] {
        &self.wire
    }

    /// Its headers as they are written, in order: lower-case name and value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        let end = self
            .wire
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(self.wire.len());
        self.wire[..end]
            .split(|&b| b == b'\n')
            .skip(1)
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let colon = line.iter().position(|&b| b == b':')?;
                let name = std::str::from_utf8(&line[..colon]).ok()?;
                let value = &line[colon + 1..];
                let skip = value.iter().take_while(|&&b| b == b' ').count();
                Some((name, &value[skip..]))
            })
    }
}

/// The request as hyper's HTTP/1.1 client writes it, so either way a request goes the server
/// reads the same bytes: header names in lower case and in the map's order; a body framed by
/// a `content-length` added last unless one was given, or chunked when a `transfer-encoding` was
/// given (which must then end in `chunked`); no framing for an empty body.
fn encode(method: &Method, target: &str, headers: &HeaderMap, body: &[u8]) -> Bytes {
    let size = method.as_str().len()
        + target.len()
        + 32
        + headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
        + body.len();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let codings = headers.get_all(TRANSFER_ENCODING).iter().count();
    let chunked = !body.is_empty() && codings > 0;
    let mut coding = 0;
    for (name, value) in headers {
        if name == TRANSFER_ENCODING {
            // hyper drops it for an empty body, and makes the last one end in `chunked`.
            coding += 1;
            if !chunked {
                continue;
            }
            let text = value.as_bytes();
            let last = text.rsplit(|&b| b == b',').next().unwrap_or_default();
            if coding == codings && !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                header(&mut out, name.as_str(), &[text, b", chunked"].concat());
                continue;
            }
        } else if chunked && name == CONTENT_LENGTH {
            continue;
        }
        header(&mut out, name.as_str(), value.as_bytes());
    }
    if chunked {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(format!("{:X}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n0\r\n\r\n");
        return out.into();
    }
    if !body.is_empty() && !headers.contains_key(CONTENT_LENGTH) {
        header(
            &mut out,
            "content-length",
            body.len().to_string().as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out.into()
}

fn header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// A request rendered for reqwest, moved onto the fast path with the headers reqwest's client
/// would add (`accept: */*`) so the server sees the same request either way. Check
/// [`fast_path`] first; a request it refuses is an `InvalidRequest` here.
impl TryFrom<reqwest::Request> for Outgoing {
    type Error = ErrorCause;

    fn try_from(mut request: reqwest::Request) -> Result<Self, ErrorCause> {
        let url = request.url();
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(invalid(format!("expected a host in `{url}`")));
        };
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => {
                return Err(invalid(format!(
                    "expected an http:// or https:// URL, got `{url}`"
                )))
            }
        };
        let authority = Authority::try_from(format!("{host}:{port}"))
            .map_err(|e| invalid(format!("`{url}`: {e}")))?;
        // As hyper's pooled client writes it: the port only when it is not the default.
        let host_header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let path = PathAndQuery::try_from(target)
            .map_err(|e| invalid(format!("`{url}` has no valid path: {e}")))?;
        if request.body().is_some_and(|b| b.as_bytes().is_none()) {
            return Err(invalid("a streamed body cannot take the fast path".into()));
        }
        let timeout = request.timeout().copied();
        let method = request.method().clone();
        let mut headers = std::mem::take(request.headers_mut());
        if !headers.contains_key(HOST) {
            let value = HeaderValue::try_from(host_header)
                .map_err(|e| invalid(format!("not a valid Host header: {e}")))?;
            headers.insert(HOST, value);
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let body = match request.body() {
            None => &[][..],
            Some(body) => body.as_bytes().unwrap_or_default(),
        };
        let wire = encode(&method, path.as_str(), &headers, body);
        Ok(Outgoing::encoded(wire, &method, authority, tls, timeout))
    }
}

/// A target's base URL, parsed once, for requests that go straight to a user's connection: a
/// step's path is joined to it as text, with no URL parsing per request.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `host:port` to connect to.
    authority: Authority,
    /// An `https://` base URL.
    tls: bool,
    /// The `Host` header: the port only when it is not the default, as reqwest writes it.
    host: HeaderValue,
    /// The base URL's path without its trailing `/` (empty for the root).
    prefix: String,
}

impl Origin {
    /// The origin of an `http://` or `https://` base URL that URL parsing leaves as written (no user,
    /// query or fragment; a lower-case host; no default port written out). Any other base URL
    /// has none, and its requests take reqwest's way.
    pub fn of(base_url: &str) -> Option<Self> {
        let url = reqwest::Url::parse(base_url).ok()?;
        let written = base_url.trim_end_matches('/');
        if !matches!(url.scheme(), "http" | "https")
            || url.as_str().trim_end_matches('/') != written
            || !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        Some(Origin {
            authority: Authority::try_from(format!("{host}:{port}")).ok()?,
            tls: url.scheme() == "https",
            host: HeaderValue::try_from(header).ok()?,
            prefix: url.path().trim_end_matches('/').to_string(),
        })
    }

    /// The origin-form target of `path` on this origin, as reqwest would send it for the base
    /// URL followed by `path`; `None` when URL parsing would rewrite it (characters it
    /// percent-encodes, dot segments, a fragment), which leaves the request to reqwest.
    pub fn target(&self, path: &str) -> Option<String> {
        let target = join(&self.prefix, path);
        as_written(&target).then_some(target)
    }

    /// A request with `target` (from [`Origin::target`], possibly with a query appended),
    /// with `Host` and `Accept` added as reqwest would add them, unless `headers` has them.
    pub fn request(
        &self,
        method: http::Method,
        target: String,
        mut headers: http::HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Outgoing, ErrorCause> {
        let path = PathAndQuery::try_from(target)
            .map_err(|e| invalid(format!("not a valid request target: {e}")))?;
        if !headers.contains_key(HOST) {
            headers.insert(HOST, self.host.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let wire = encode(&method, path.as_str(), &headers, &body);
        let authority = self.authority.clone();
        Ok(Outgoing::encoded(
            wire,
            &method,
            authority,
            self.tls,
            Some(timeout),
        ))
    }
}

/// A step's `path` on a target whose base is `base` (a base URL, or its path without the
/// trailing `/`): the two joined by exactly the one `/` the path may not start with.
pub fn join(base: &str, path: &str) -> String {
    let mut joined = String::with_capacity(base.len() + path.len() + 1);
    joined.push_str(base);
    if !path.starts_with('/') {
        joined.push('/');
    }
    joined.push_str(path);
    joined
}

/// Whether URL parsing keeps `target` (a path, maybe with a query) exactly as written: only
/// characters it never percent-encodes, and no `.` or `..` segment (which it removes).
fn as_written(target: &str) -> bool {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // `'` is kept in a path but encoded in the query of an http URL; `?` within a query is kept.
    let plain = |b: u8, in_query: bool| {
        b.is_ascii_alphanumeric()
            || b"-._~!$&()*+,;=:@/%".contains(&b)
            || b == if in_query { b'?' } else { b'\'' }
    };
    path.starts_with('/')
        && path.bytes().all(|b| plain(b, false))
        && query.bytes().all(|b| plain(b, true))
        && !path.split('/').any(|segment| {
            [".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"]
                .iter()
                .any(|dot| segment.eq_ignore_ascii_case(dot))
        })
}

fn invalid(why: String) -> ErrorCause {
    ErrorCause::InvalidRequest(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(url: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().get(url)
    }

    #[test]
    fn plain_http_without_a_jar_takes_the_fast_path() {
        let request = rendered("http://127.0.0.1:8080/a").build().unwrap();
        assert!(fast_path(&request, false));
        assert!(!fast_path(&request, true), "cookie jars stay on reqwest");
        let tls = rendered("https://127.0.0.1:8443/a").build().unwrap();
        assert!(fast_path(&tls, false), "HTTPS takes it too");
        let other = rendered("ftp://127.0.0.1/a").build().unwrap();
        assert!(!fast_path(&other, false));
    }

    fn text(out: &Outgoing) -> String {
        String::from_utf8(out.wire.to_vec()).unwrap()
    }

    #[test]
    fn a_reqwest_request_becomes_origin_form_with_host_and_accept() {
        let request = reqwest::Client::new()
            .post("http://127.0.0.1:8080/api/v1/tasks?page=2&q=a%20b")
            .timeout(Duration::from_secs(3))
            .header("x-trace", "7")
            .json(&serde_json::json!({"title": "t"}))
            .build()
            .unwrap();
        let out = Outgoing::try_from(request).unwrap();
        assert_eq!(
            text(&out),
            "POST /api/v1/tasks?page=2&q=a%20b HTTP/1.1\r\nx-trace: 7\r\n\
             content-type: application/json\r\nhost: 127.0.0.1:8080\r\naccept: */*\r\n\
             content-length: 13\r\n\r\n{\"title\":\"t\"}"
        );
        assert_eq!(out.authority.as_str(), "127.0.0.1:8080");
        assert_eq!(out.timeout, Some(Duration::from_secs(3)));
        assert!(!out.idempotent && !out.head);
        let headers: Vec<_> = out.headers().collect();
        assert_eq!(headers[0], ("x-trace", &b"7"[..]));
        assert_eq!(headers.len(), 5);
    }

    #[test]
    fn the_default_port_is_dialled_but_not_written() {
        let out = Outgoing::try_from(rendered("http://localhost/").build().unwrap()).unwrap();
        assert_eq!(out.authority.as_str(), "localhost:80");
        assert_eq!(
            text(&out),
            "GET / HTTP/1.1\r\nhost: localhost\r\naccept: */*\r\n\r\n"
        );
        assert_eq!(out.timeout, None);
        assert!(out.idempotent);
    }

    #[test]
    fn an_http_request_keeps_its_host_and_body() {
        let request = http::Request::put("http://[::1]:9000/x")
            .header(HOST, "api.example")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let out = Outgoing::new(request, Some(Duration::from_secs(1))).unwrap();
        assert_eq!(
            text(&out),
            "PUT /x HTTP/1.1\r\nhost: api.example\r\ncontent-length: 2\r\n\r\n{}"
        );
        assert_eq!(out.authority.as_str(), "[::1]:9000");
    }

    #[test]
    fn framing_is_as_given_or_added() {
        let encoded = |headers: &[(&str, &str)], body: &'static [u8]| {
            let mut request = http::Request::post("http://h:1/u");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            let out = Outgoing::new(request.body(Bytes::from_static(body)).unwrap(), None);
            text(&out.unwrap())
        };
        // An empty body has no framing header; a given content-length stays where it was.
        assert_eq!(encoded(&[], b""), "POST /u HTTP/1.1\r\nhost: h:1\r\n\r\n");
        assert_eq!(
            encoded(&[("content-length", "0")], b""),
            "POST /u HTTP/1.1\r\ncontent-length: 0\r\nhost: h:1\r\n\r\n"
        );
        // A given transfer-encoding makes the body one chunk, ending in `chunked`.
        assert_eq!(
            encoded(
                &[("transfer-encoding", "gzip"), ("content-length", "3")],
                b"abc"
            ),
            "POST /u HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\nhost: h:1\r\n\r\n\
             3\r\nabc\r\n0\r\n\r\n"
        );
        assert_eq!(
            encoded(&[("transfer-encoding", "chunked")], b"abc"),
            "POST /u HTTP/1.1\r\ntransfer-encoding: chunked\r\nhost: h:1\r\n\r\n\
             3\r\nabc\r\n0\r\n\r\n"
        );
        assert_eq!(
            encoded(&[("transfer-encoding", "chunked")], b""),
            "POST /u HTTP/1.1\r\nhost: h:1\r\n\r\n"
        );
    }

    #[test]
    fn debug_shows_the_request_line_and_not_the_headers() {
        let request = http::Request::get("http://h:1/u")
            .header("authorization", "Bearer s3cr3t")
            .body(Bytes::new())
            .unwrap();
        let shown = format!("{:?}", Outgoing::new(request, None).unwrap());
        assert!(shown.contains("GET /u HTTP/1.1"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn only_absolute_http_and_https_uris_are_accepted() {
        let relative = http::Request::get("/x").body(Bytes::new()).unwrap();
        let message = Outgoing::new(relative, None).unwrap_err().to_string();
        assert!(
            message.contains("expected an absolute http:// or https:// URI"),
            "{message}"
        );
        let tls = http::Request::get("https://h/x")
            .body(Bytes::new())
            .unwrap();
        let out = Outgoing::new(tls, None).unwrap();
        assert!(out.is_tls());
        assert_eq!(out.authority.as_str(), "h:443");
        let out = Outgoing::try_from(rendered("https://h/x").build().unwrap()).unwrap();
        assert!(out.is_tls());
        assert_eq!(out.authority.as_str(), "h:443");
        assert_eq!(
            text(&out),
            "GET /x HTTP/1.1\r\nhost: h\r\naccept: */*\r\n\r\n"
        );
        let plain = Outgoing::try_from(rendered("http://h/x").build().unwrap()).unwrap();
        assert!(!plain.is_tls());
        let origin = Origin::of("https://api.example:8443/v1").unwrap();
        let out = origin
            .request(
                Method::GET,
                origin.target("/a").unwrap(),
                HeaderMap::new(),
                Bytes::new(),
                Duration::from_secs(1),
            )
            .unwrap();
        assert!(out.is_tls());
        assert_eq!(out.authority.as_str(), "api.example:8443");
    }
}
