//! The timer: a request is rendered off the clock, then only send -> last body byte is timed.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::body::Kept;
use super::outgoing::{fast_path, join, Origin, Outgoing};
use crate::plan::{BodyPlan, HeaderPlan, RequestPlan, UrlPlan};
use crate::sample::ErrorCause;
use crate::template::RenderContext;

/// A response as the harness keeps it: read to the last byte inside the measured span, its body
/// kept only when asked for and only up to a limit.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as kept: whole when it was asked for and fits the limit, otherwise empty.
    pub body: bytes::Bytes,
    /// Body bytes received, kept or not.
    pub received: u64,
    /// The body was wanted but is larger than the limit, so none of it was kept.
    pub over_limit: bool,
}

/// A step's request, rendered before the clock starts.
#[derive(Debug)]
pub enum Rendered {
    /// Ready for the user's own connection: plain HTTP to a path on the target.
    Direct(Outgoing),
    /// For a reqwest client: TLS, cookie jars, absolute URLs, and paths URL parsing rewrites.
    Client(reqwest::Request),
}

impl Rendered {
    /// The request as a user that owns a connection sends it: a reqwest request that can take
    /// the fast path ([`fast_path`]) is moved onto it; anything else stays as it is, for the
    /// user's client.
    pub fn onto_connection(self, cookie_jar: bool) -> Result<Rendered, ErrorCause> {
        match self {
            Rendered::Client(request) if fast_path(&request, cookie_jar) => {
                Outgoing::try_from(request).map(Rendered::Direct)
            }
            other => Ok(other),
        }
    }

    /// Each header it will send, as a lower-case name and the value's bytes.
    pub fn for_each_header(&self, mut f: impl FnMut(&str, &[u8])) {
        match self {
            Rendered::Direct(outgoing) => outgoing.headers().for_each(|(k, v)| f(k, v)),
            Rendered::Client(request) => {
                for (k, v) in request.headers() {
                    f(k.as_str(), v.as_bytes());
                }
            }
        }
    }
}

/// Renders a request with `ctx`'s data. With an `origin` (the user owns a connection and the
/// target is plain HTTP), a path on the target is joined to it directly; everything else
/// becomes a `reqwest::Request` for `client`.
pub fn render(
    plan: &RequestPlan,
    base_url: &str,
    origin: Option<&Origin>,
    client: &reqwest::Client,
    ctx: &mut RenderContext,
) -> Result<Rendered, ErrorCause> {
    let url = match &plan.url {
        UrlPlan::Path(path) => {
            let path = path.render(ctx);
            if let Some((origin, target)) = origin.and_then(|o| Some((o, o.target(&path)?))) {
                return direct(plan, origin, target, ctx).map(Rendered::Direct);
            }
            join(base_url, &path)
        }
        UrlPlan::Absolute(url) => url.render(ctx),
    };
    let mut builder = client
        .request(plan.method.clone(), &url)
        .timeout(plan.timeout);
    for (name, value) in &plan.headers {
        builder = builder.header(name.clone(), header_value(name, value, ctx)?);
    }
    if !plan.query.is_empty() {
        let pairs: Vec<(&str, String)> = plan
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), query_text(v.render(ctx))))
            .collect();
        builder = builder.query(&pairs);
    }
    builder = match &plan.body {
        BodyPlan::Empty => builder,
        BodyPlan::Json(t) => builder.json(&t.render(ctx)),
        BodyPlan::Text(t) => builder.body(t.render(ctx)),
    };
    rendered_whole(ctx)?;
    builder
        .build()
        .map(Rendered::Client)
        .map_err(|e| ErrorCause::InvalidRequest(root_cause(&e)))
}

/// The request reqwest would build for the base URL followed by `target`, built without it:
/// the same headers in the same order (the step's, `content-type` for JSON, `host`, `accept`),
/// the query form-encoded onto the target as reqwest's `query` does, the same body.
fn direct(
    plan: &RequestPlan,
    origin: &Origin,
    mut target: String,
    ctx: &mut RenderContext,
) -> Result<Outgoing, ErrorCause> {
    let mut headers = HeaderMap::with_capacity(plan.headers.len() + 3);
    for (name, value) in &plan.headers {
        headers.append(name.clone(), header_value(name, value, ctx)?);
    }
    if !plan.query.is_empty() {
        let start = match target.find('?') {
            Some(at) => at + 1,
            None => {
                target.push('?');
                target.len()
            }
        };
        let mut pairs = form_urlencoded::Serializer::for_suffix(target, start);
        for (key, value) in &plan.query {
            pairs.append_pair(key, &query_text(value.render(ctx)));
        }
        target = pairs.finish();
    }
    let body = match &plan.body {
        BodyPlan::Empty => bytes::Bytes::new(),
        BodyPlan::Json(t) => {
            let body = serde_json::to_vec(&t.render(ctx))
                .map_err(|e| ErrorCause::InvalidRequest(e.to_string()))?;
            if !headers.contains_key(CONTENT_TYPE) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            body.into()
        }
        BodyPlan::Text(t) => t.render(ctx).into(),
    };
    rendered_whole(ctx)?;
    origin.request(plan.method.clone(), target, headers, body, plan.timeout)
}

/// A request with nothing to render (see [`RequestPlan::is_literal`]), built once for a
/// target's origin; `None` when it cannot go there directly.
pub fn prebuild(plan: &RequestPlan, origin: &Origin, ctx: &mut RenderContext) -> Option<Outgoing> {
    let UrlPlan::Path(path) = &plan.url else {
        return None;
    };
    let target = origin.target(&path.render(ctx))?;
    direct(plan, origin, target, ctx).ok()
}

/// A header's value for this request: pre-built, or rendered.
fn header_value(
    name: &HeaderName,
    value: &HeaderPlan,
    ctx: &mut RenderContext,
) -> Result<HeaderValue, ErrorCause> {
    match value {
        HeaderPlan::Static(v) => Ok(v.clone()),
        HeaderPlan::Template(t) => HeaderValue::from_str(&t.render(ctx)).map_err(|_| {
            ErrorCause::InvalidRequest(format!("header `{name}` rendered to an invalid value"))
        }),
    }
}

/// Whether everything rendered whole: a data set that ran out, or a value cut at the size cap,
/// is not the request the suite describes, and it is not sent.
fn rendered_whole(ctx: &RenderContext) -> Result<(), ErrorCause> {
    if let Some(message) = ctx.exhaustion_message() {
        return Err(ErrorCause::Data(message));
    }
    match ctx.oversize_message() {
        Some(message) => Err(ErrorCause::InvalidRequest(message)),
        None => Ok(()),
    }
}

/// The measured span: send, then read the body to its last byte. Only the exchange happens
/// between the two clock reads; chunks are counted and, when `keep` gives a limit, their
/// handles are kept (no copy) and joined after the clock stops. A body over the limit is still
/// read to the end, so a large response costs its time but not its size in memory.
pub async fn timed(
    client: &reqwest::Client,
    request: reqwest::Request,
    keep: Option<usize>,
) -> (Instant, Duration, Result<Response, ErrorCause>) {
    let mut kept = Kept::new(keep);
    let started = Instant::now();
    let result = read(client, request, &mut kept).await;
    let latency = started.elapsed();
    let result = result.map(|(status, headers)| {
        let (body, received, over_limit) = kept.finish();
        Response {
            status,
            headers,
            body,
            received,
            over_limit,
        }
    });
    (started, latency, result)
}

async fn read(
    client: &reqwest::Client,
    request: reqwest::Request,
    kept: &mut Kept,
) -> Result<(u16, reqwest::header::HeaderMap), ErrorCause> {
    let mut response = client.execute(request).await.map_err(|e| classify(&e))?;
    let status = response.status().as_u16();
    // Taken, not cloned: nothing is allocated inside the measured span that can wait.
    let headers = std::mem::take(response.headers_mut());
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        kept.push(chunk);
    }
    Ok((status, headers))
}

/// Maps a client error to the cause users read: `timeout`, `connection refused`, ...
pub fn classify(error: &reqwest::Error) -> ErrorCause {
    if error.is_timeout() {
        return ErrorCause::Timeout;
    }
    if let Some(text) = crate::tls::readable_in(error) {
        return ErrorCause::Tls(text);
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return ErrorCause::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return ErrorCause::Timeout,
                _ => {}
            }
        }
        source = inner.source();
    }
    if error.is_connect() {
        ErrorCause::Connect(root_cause(error))
    } else {
        ErrorCause::Transport(root_cause(error))
    }
}

/// The innermost error's text: the part that says what happened, without the URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn query_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Scope, Variables};

    fn scope() -> Scope {
        Scope::new().with_variable("token")
    }

    fn plan(request: &str) -> RequestPlan {
        let text = format!("cases:\n  - name: a\n    kind: sequential\n    request: {request}\n");
        let spec = crate::suite::parse_str(&text, "suites/t.yaml").unwrap();
        let request = spec.cases[0].request.as_ref().unwrap();
        crate::plan::plan_request(request, &spec, &scope()).unwrap()
    }

    fn rendered(plan: &RequestPlan, base: &str, origin: Option<&Origin>) -> Rendered {
        let vars: Variables = [("token".to_string(), serde_json::json!("s3cr3t"))].into();
        let scope = scope();
        let mut ctx = RenderContext::new(&scope, 7, 1, &vars);
        let client = reqwest::Client::new();
        render(plan, base.trim_end_matches('/'), origin, &client, &mut ctx).unwrap()
    }

    /// The request rendered straight for a connection, if it was, and the one rendered through
    /// reqwest and converted (the way every request went before the direct render).
    fn both(base: &str, request: &str) -> (Option<Outgoing>, Outgoing) {
        let plan = plan(request);
        let direct = match rendered(&plan, base, Origin::of(base).as_ref()) {
            Rendered::Direct(outgoing) => Some(outgoing),
            Rendered::Client(_) => None,
        };
        let Rendered::Client(request) = rendered(&plan, base, None) else {
            panic!("without an origin, a request goes through reqwest");
        };
        (direct, Outgoing::try_from(request).unwrap())
    }

    /// Everything the server would see, and where it goes.
    fn wire(outgoing: Outgoing) -> String {
        format!(
            "to {} within {:?}\n{}",
            outgoing.authority(),
            outgoing.timeout,
            String::from_utf8_lossy(outgoing.as_bytes())
        )
    }

    #[test]
    fn a_direct_request_is_the_request_reqwest_would_send() {
        let cases = [
            ("http://127.0.0.1:8080", "{ path: /tasks }"),
            ("http://127.0.0.1:8080/", "{ path: tasks }"),
            (
                "http://127.0.0.1:8080/api/",
                "{ path: \"v1/tasks?page=2\", query: { q: \"a b&c/d\", n: 3, t: \"{{ token }}\" } }",
            ),
            (
                "http://[::1]:9000",
                "{ method: post, path: \"/t/{{ token }}\", headers: { Authorization: \"Bearer {{ token }}\", X-Static: v1 }, json: { title: \"x {{ token }}\", n: [1, 2] } }",
            ),
            (
                "http://localhost",
                "{ method: put, path: /t, headers: { Host: api.example, Content-Type: text/csv }, body: \"a,b\" }",
            ),
            (
                "http://127.0.0.1:8080",
                "{ path: \"/a-b_c.d~e/f:g@h!$&'()*+,;=%41\", timeout: 3s }",
            ),
        ];
        for (base, request) in cases {
            let (direct, converted) = both(base, request);
            let direct = direct.unwrap_or_else(|| panic!("{request} on {base}: not direct"));
            assert_eq!(wire(direct), wire(converted), "{request} on {base}");
        }
    }

    #[test]
    fn the_default_port_is_dialled_but_not_written_directly_either() {
        let (direct, _) = both("http://localhost", "{ path: / }");
        let wire = wire(direct.unwrap());
        assert!(wire.starts_with("to localhost:80 "), "{wire}");
        assert!(wire.contains("\nGET / HTTP/1.1\r\n"), "{wire}");
        assert!(wire.contains("\nhost: localhost\r\n"), "{wire}");
    }

    #[test]
    fn what_url_parsing_would_rewrite_goes_through_reqwest() {
        for path in [
            "/a b",
            "/a/../b",
            "/a/./b",
            "/%2E%2e/b",
            "/a#frag",
            "/a?q=it's",
            "/\u{e9}",
            "/{x}",
        ] {
            let request = format!("{{ path: \"{path}\" }}");
            let (direct, _) = both("http://127.0.0.1:8080", &request);
            assert!(direct.is_none(), "{path} should go through reqwest");
        }
        assert!(Origin::of("https://127.0.0.1:8443").is_some());
        for base in [
            "https://127.0.0.1:443",
            "http://LOCALHOST:8080",
            "http://127.0.0.1:80",
            "http://user:pw@127.0.0.1:8080",
            "http://127.0.0.1:8080/a?x=1",
        ] {
            assert!(Origin::of(base).is_none(), "{base} has no direct origin");
        }
    }

    #[test]
    fn a_literal_request_is_built_once_as_it_would_render() {
        let literal = plan(
            "{ method: post, path: /t, headers: { X-A: b }, query: { n: 1 }, json: { a: 1 } }",
        );
        assert!(literal.is_literal());
        let origin = Origin::of("http://127.0.0.1:8080").unwrap();
        let vars = Variables::new();
        let scope = scope();
        let mut ctx = RenderContext::new(&scope, 0, 1, &vars);
        let built = prebuild(&literal, &origin, &mut ctx).unwrap();
        let Rendered::Direct(each) = rendered(&literal, "http://127.0.0.1:8080", Some(&origin))
        else {
            panic!("a plain path renders directly");
        };
        assert_eq!(wire(built), wire(each));
        for templated in [
            "{ path: \"/t/{{ token }}\" }",
            "{ path: /t, headers: { X-A: \"{{ token }}\" } }",
            "{ path: /t, query: { a: \"{{ token }}\" } }",
            "{ path: /t, json: { a: \"{{ token }}\" } }",
        ] {
            assert!(!plan(templated).is_literal(), "{templated}");
        }
    }
}
