//! Requests for the fast path, finished before the clock starts: origin-form URI, `Host`
//! header, body in one piece, and the connection they go to. A step's path on the target is
//! joined to the target's [`Origin`] directly; anything else goes through reqwest's request and
//! is converted ([`Outgoing::try_from`]).

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, HOST};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Uri, Version};
use http_body_util::Full;

use crate::sample::ErrorCause;

/// A request ready for [`Connection::send`](super::Connection::send): everything a request
/// needs is built here, off the clock, so the timed span only hands it to hyper.
#[derive(Debug)]
pub struct Outgoing {
    pub(super) request: hyper::Request<Full<Bytes>>,
    /// `host:port` to connect to.
    pub(super) authority: Authority,
    /// Applies to the whole exchange, a reconnect included; `None` waits as long as it takes.
    pub(super) timeout: Option<Duration>,
}

/// Whether a rendered request can take the fast path ([`Connection`](super::Connection)) rather
/// than reqwest: plain `http://` over HTTP/1.1 with its body already in memory, sent by a user
/// without a cookie jar. TLS and cookie jars are reqwest's job: a [`Connection`](super::Connection)
/// neither encrypts nor stores cookies.
pub fn fast_path(request: &reqwest::Request, cookie_jar: bool) -> bool {
    !cookie_jar
        && request.url().scheme() == "http"
        && request.url().host_str().is_some()
        && request.version() == Version::HTTP_11
        && request.body().is_none_or(|b| b.as_bytes().is_some())
}

impl Outgoing {
    /// From a request with an absolute `http://` URI; `Host` is added when absent.
    pub fn new(
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<Self, ErrorCause> {
        let (mut parts, body) = request.into_parts();
        if parts.uri.scheme() != Some(&Scheme::HTTP) {
            return Err(invalid(format!(
                "expected an absolute http:// URI, got `{}`",
                parts.uri
            )));
        }
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
            None => Authority::try_from(format!("{}:80", given.host()))
                .map_err(|e| invalid(format!("`{given}`: {e}")))?,
        };
        let path = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        parts.uri = Uri::from(path);
        parts.version = Version::HTTP_11;
        Ok(Outgoing {
            request: hyper::Request::from_parts(parts, Full::new(body)),
            authority,
            timeout,
        })
    }

    /// The `host:port` this request connects to.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }
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
        if url.scheme() != "http" {
            return Err(invalid(format!("expected an http:// URL, got `{url}`")));
        }
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
        let body = match request.body() {
            None => Bytes::new(),
            Some(body) => match body.as_bytes() {
                Some(bytes) => Bytes::copy_from_slice(bytes),
                None => return Err(invalid("a streamed body cannot take the fast path".into())),
            },
        };
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
        let mut out = hyper::Request::new(Full::new(body));
        *out.method_mut() = method;
        *out.uri_mut() = Uri::from(path);
        *out.headers_mut() = headers;
        Ok(Outgoing {
            request: out,
            authority,
            timeout,
        })
    }
}

/// A target's base URL, parsed once, for requests that go straight to a user's connection: a
/// step's path is joined to it as text, with no URL parsing per request.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `host:port` to connect to.
    authority: Authority,
    /// The `Host` header: the port only when it is not the default, as reqwest writes it.
    host: HeaderValue,
    /// The base URL's path without its trailing `/` (empty for the root).
    prefix: String,
}

impl Origin {
    /// The origin of a plain `http://` base URL that URL parsing leaves as written (no user,
    /// query or fragment; a lower-case host; no default port written out). Any other base URL
    /// has none, and its requests take reqwest's way.
    pub fn of(base_url: &str) -> Option<Self> {
        let url = reqwest::Url::parse(base_url).ok()?;
        let written = base_url.trim_end_matches('/');
        if url.scheme() != "http"
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
            host: HeaderValue::try_from(header).ok()?,
            prefix: url.path().trim_end_matches('/').to_string(),
        })
    }

    /// The origin-form target of `path` on this origin, as reqwest would send it for the base
    /// URL followed by `path`; `None` when URL parsing would rewrite it (characters it
    /// percent-encodes, dot segments, a fragment), which leaves the request to reqwest.
    pub fn target(&self, path: &str) -> Option<String> {
        let mut target = String::with_capacity(self.prefix.len() + path.len() + 1);
        target.push_str(&self.prefix);
        if !path.starts_with('/') {
            target.push('/');
        }
        target.push_str(path);
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
    ) -> Result<Prebuilt, ErrorCause> {
        let path = PathAndQuery::try_from(target)
            .map_err(|e| invalid(format!("not a valid request target: {e}")))?;
        if !headers.contains_key(HOST) {
            headers.insert(HOST, self.host.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        Ok(Prebuilt {
            method,
            uri: Uri::from(path),
            headers,
            body,
            authority: self.authority.clone(),
            timeout,
        })
    }
}

/// The parts of a direct request: made into an [`Outgoing`] once, or kept and copied for
/// every send of a request with nothing to render.
#[derive(Debug, Clone)]
pub struct Prebuilt {
    method: http::Method,
    uri: Uri,
    headers: http::HeaderMap,
    body: Bytes,
    authority: Authority,
    timeout: Duration,
}

impl Prebuilt {
    /// A copy that shares no memory with this one. Each user sends from a copy of its own:
    /// copying a shared request bumps reference counts that every user's thread writes to.
    pub fn detached(&self) -> Self {
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri = PathAndQuery::try_from(path).map_or_else(|_| self.uri.clone(), Uri::from);
        let mut headers = http::HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let name = http::HeaderName::from_bytes(name.as_str().as_bytes())
                .unwrap_or_else(|_| name.clone());
            let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            headers.append(name, value);
        }
        Prebuilt {
            method: self.method.clone(),
            uri,
            headers,
            body: Bytes::copy_from_slice(&self.body),
            authority: Authority::try_from(self.authority.as_str())
                .unwrap_or_else(|_| self.authority.clone()),
            timeout: self.timeout,
        }
    }

    /// The request to send.
    pub fn outgoing(self) -> Outgoing {
        let mut request = hyper::Request::new(Full::new(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.headers_mut() = self.headers;
        Outgoing {
            request,
            authority: self.authority,
            timeout: Some(self.timeout),
        }
    }
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
        assert!(!fast_path(&tls, false), "TLS stays on reqwest");
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
        let r = &out.request;
        assert_eq!(r.method(), http::Method::POST);
        assert_eq!(r.uri().to_string(), "/api/v1/tasks?page=2&q=a%20b");
        assert_eq!(r.headers()[HOST], "127.0.0.1:8080");
        assert_eq!(r.headers()[ACCEPT], "*/*");
        assert_eq!(r.headers()["x-trace"], "7");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(out.authority.as_str(), "127.0.0.1:8080");
        assert_eq!(out.timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn the_default_port_is_dialled_but_not_written() {
        let out = Outgoing::try_from(rendered("http://localhost/").build().unwrap()).unwrap();
        assert_eq!(out.authority.as_str(), "localhost:80");
        assert_eq!(out.request.headers()[HOST], "localhost");
        assert_eq!(out.timeout, None);
    }

    #[test]
    fn an_http_request_keeps_its_host_and_body() {
        let request = http::Request::put("http://[::1]:9000/x")
            .header(HOST, "api.example")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let out = Outgoing::new(request, Some(Duration::from_secs(1))).unwrap();
        assert_eq!(out.request.uri().to_string(), "/x");
        assert_eq!(out.request.headers()[HOST], "api.example");
        assert_eq!(out.authority.as_str(), "[::1]:9000");
    }

    #[test]
    fn only_absolute_http_uris_are_accepted() {
        let relative = http::Request::get("/x").body(Bytes::new()).unwrap();
        let tls = http::Request::get("https://h/x")
            .body(Bytes::new())
            .unwrap();
        for request in [relative, tls] {
            let message = Outgoing::new(request, None).unwrap_err().to_string();
            assert!(
                message.contains("expected an absolute http:// URI"),
                "{message}"
            );
        }
        let tls = rendered("https://h/x").build().unwrap();
        let message = Outgoing::try_from(tls).unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid request: expected an http:// URL, got `https://h/x`"
        );
    }
}
