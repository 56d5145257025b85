//! A deliberately badly behaved HTTP/1.1 server on 127.0.0.1 for the tests that prove the
//! harness survives its targets: endless and huge bodies, requests that never get an answer,
//! a log-in that hands out secrets, and an echo of everything received (to prove secrets are
//! not printed). It counts its open connections, so a test can see that the harness closed them,
//! and every connection it accepted, so a test can see that the harness reused them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The secrets `/login` hands out: an access token (with characters that URL encoding
/// changes), a 300-character JWT-like token, and a session cookie.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub access: String,
    pub jwt: String,
    pub cookie: String,
}

impl Secrets {
    fn draw() -> Self {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self {
            access: format!("acc/{stamp:x}+tok=en"),
            jwt: format!("eyJ{}", format!("{stamp:x}").repeat(20))[..300].to_string(),
            cookie: format!("sid{stamp:x}"),
        }
    }
}

/// A running hostile server; it stops with the runtime that owns it.
pub struct Hostile {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// What `/login` hands out.
    pub secrets: Secrets,
    open: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Hostile {
    /// Starts the server on its own runtime and thread.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let open = Arc::new(AtomicUsize::new(0));
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&open);
        let accepts = Arc::clone(&accepted);
        let secrets = Secrets::draw();
        let handed = Arc::new(secrets.clone());
        let timing = Arc::new(Timing::default());
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                let handed = Arc::clone(&handed);
                let timing = Arc::clone(&timing);
                counter.fetch_add(1, Ordering::SeqCst);
                accepts.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let _ = serve(stream, &handed, &timing).await;
                    counter.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            base_url,
            secrets,
            open,
            accepted,
            _runtime: runtime,
        }
    }

    /// Connections the server holds open right now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Connections accepted since the start.
    pub fn accepted_connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Server-wide state of the timing routes: a stall window, `/fast` requests so far, and the
/// requests in flight.
#[derive(Default)]
struct Timing {
    stalled_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    fast: AtomicUsize,
    in_flight: AtomicUsize,
}

/// One connection: requests in turn (keep-alive) until the client goes away.
async fn serve(mut stream: TcpStream, secrets: &Secrets, timing: &Timing) -> std::io::Result<()> {
    loop {
        let Some((head, body)) = read_request(&mut stream).await? else {
            return Ok(());
        };
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (route, query) = path.split_once('?').unwrap_or((&path, ""));
        let mb: u64 = query
            .strip_prefix("mb=")
            .and_then(|n| n.parse().ok())
            .unwrap_or(200);
        match route {
            "/endless" => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await?;
                let chunk = vec![b'x'; 64 * 1024];
                let header = format!("{:x}\r\n", chunk.len());
                loop {
                    stream.write_all(header.as_bytes()).await?;
                    stream.write_all(&chunk).await?;
                    stream.write_all(b"\r\n").await?;
                }
            }
            "/big" | "/big-json" => {
                let total = mb * 1024 * 1024;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n"
                );
                stream.write_all(head.as_bytes()).await?;
                // `{"a":"xxx...x"}`: valid JSON of exactly `total` bytes, written in pieces.
                let (open, close) = (b"{\"a\":\"", b"\"}");
                stream.write_all(open).await?;
                let mut left = total - (open.len() + close.len()) as u64;
                let filler = vec![b'x'; 64 * 1024];
                while left > 0 {
                    let n = left.min(filler.len() as u64) as usize;
                    stream.write_all(&filler[..n]).await?;
                    left -= n as u64;
                }
                stream.write_all(close).await?;
            }
            "/login" => {
                let body = format!(
                    "{{\"access\":\"{}\",\"jwt\":\"{}\"}}",
                    secrets.access, secrets.jwt
                );
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: sid={}; HttpOnly\r\ncontent-length: {}\r\n\r\n{body}",
                    secrets.cookie,
                    body.len()
                );
                stream.write_all(reply.as_bytes()).await?;
            }
            "/echo64" => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
                let reply = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{encoded}",
                    encoded.len()
                );
                stream.write_all(reply.as_bytes()).await?;
            }
            // `/fast?stall_at=N`: fast, but from the N-th request on, every request waits until
            // one second after the N-th arrived: the whole server stalls for a second.
            "/fast" => {
                let stall_at: usize = query
                    .strip_prefix("stall_at=")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(usize::MAX);
                if timing.fast.fetch_add(1, Ordering::SeqCst) + 1 == stall_at {
                    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
                    *timing.stalled_until.lock().unwrap() = Some(until);
                }
                let until = *timing.stalled_until.lock().unwrap();
                if let Some(until) = until {
                    tokio::time::sleep_until(until).await;
                }
                stream.write_all(OK).await?;
            }
            // `/limited?n=N`: fast while at most N requests are in flight, 300 ms each past it.
            "/limited" => {
                let limit: usize = query
                    .strip_prefix("n=")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(10);
                let now = timing.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                if now > limit {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                } else {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                timing.in_flight.fetch_sub(1, Ordering::SeqCst);
                stream.write_all(OK).await?;
            }
            "/close" | "/drop" => {
                // `/close` says it closes; `/drop` closes without a word, as a server does
                // when its keep-alive timeout passes.
                let header = if route == "/close" {
                    "connection: close\r\n"
                } else {
                    ""
                };
                let reply = format!("HTTP/1.1 200 OK\r\n{header}content-length: 2\r\n\r\nok");
                stream.write_all(reply.as_bytes()).await?;
                return Ok(());
            }
            "/unanswered" => {
                // Read the request, then close without a word, as a server does when its
                // keep-alive timeout passes just as a request arrives.
                return Ok(());
            }
            "/chunked" => {
                // A 1xx first, then a chunked body in separate writes, with a trailer.
                stream
                    .write_all(b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n")
                    .await?;
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await?;
                for part in [&b"5\r\nhello\r\n"[..], b"1;x=y\r\n \r\n", b"5\r\nworld\r\n"] {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    stream.write_all(part).await?;
                }
                stream.write_all(b"0\r\nx-sum: 11\r\n\r\n").await?;
            }
            "/hang" => {
                // Never answer; keep the connection until the client closes it.
                let mut sink = [0u8; 1024];
                while stream.read(&mut sink).await? > 0 {}
                return Ok(());
            }
            _ => {
                // Echo: the request line, headers and body, as a text body.
                let mut echoed = head.into_bytes();
                echoed.extend_from_slice(&body);
                let reply = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                    echoed.len()
                );
                stream.write_all(reply.as_bytes()).await?;
                stream.write_all(&echoed).await?;
            }
        }
    }
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/// The head (request line and headers) and body of the next request, or `None` at the end.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    while !buffer.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 || buffer.len() > 64 * 1024 {
            return Ok(None);
        }
        buffer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buffer).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1024 * 1024)];
    stream.read_exact(&mut body).await?;
    Ok(Some((head, body)))
}

/// The process's peak resident memory so far (VmHWM), in bytes; `None` off Linux.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
