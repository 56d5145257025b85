//! Requests for the fast path, finished before the clock starts: origin-form URI, `Host`
//! header, body in one piece, and the connection they go to.

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
