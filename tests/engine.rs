//! The fast path against real servers on 127.0.0.1: one connection per user reused across
//! requests, connecting again when the server closes it, timeouts on hanging and endless
//! responses, bodies kept or only counted, and the errors users read.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::hostile::{peak_rss, Hostile};
use loadgate::engine::{Connection, Outgoing, Response};
use loadgate::sample::ErrorCause;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn get(url: &str, timeout: Duration) -> Outgoing {
    let request = http::Request::get(url).body(Bytes::new()).unwrap();
    Outgoing::new(request, Some(timeout)).unwrap()
}

async fn send(c: &mut Connection, url: &str, keep: Option<usize>) -> Result<Response, ErrorCause> {
    c.send(get(url, Duration::from_secs(10)), keep).await.2
}

#[test]
fn keep_alive_sends_many_requests_on_one_connection() {
    let server = Hostile::start();
    // A reply in one write: the server does not set TCP_NODELAY.
    let url = format!("{}/login", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        for _ in 0..200 {
            let response = send(&mut connection, &url, None).await.unwrap();
            assert_eq!(response.status, 200);
            assert!(response.received > 0);
        }
        assert_eq!(connection.opened(), 1);
    });
    assert_eq!(server.accepted_connections(), 1);
}

#[test]
fn connection_close_is_followed_by_a_new_connection_inside_the_next_request() {
    let server = Hostile::start();
    let url = format!("{}/close", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        for _ in 0..20 {
            let response = send(&mut connection, &url, Some(16)).await.unwrap();
            assert_eq!((response.status, &response.body[..]), (200, &b"ok"[..]));
        }
        assert_eq!(connection.opened(), 20);
    });
    assert_eq!(server.accepted_connections(), 20);
}

#[test]
fn a_connection_the_server_dropped_while_idle_is_replaced_transparently() {
    let server = Hostile::start();
    let url = format!("{}/drop", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        for _ in 0..5 {
            let response = send(&mut connection, &url, None).await.unwrap();
            assert_eq!(response.status, 200);
            // Idle long enough for the close to arrive, as after a keep-alive timeout.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(connection.opened(), 5);
    });
}

#[test]
fn a_reused_connection_closed_unanswered_is_retried_once_for_an_idempotent_request_only() {
    let server = Hostile::start();
    let url = |path: &str| format!("{}{path}", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        send(&mut connection, &url("/login"), None).await.unwrap();
        // A GET goes once more, on a fresh connection, which the server closes as well.
        let error = send(&mut connection, &url("/unanswered"), None).await;
        let message = error.unwrap_err().to_string();
        assert!(message.contains("closed before a response"), "{message}");
        assert_eq!(connection.opened(), 2);

        send(&mut connection, &url("/login"), None).await.unwrap();
        assert_eq!(connection.opened(), 3);
        // A POST is never sent twice: the server may have acted on it.
        let post = http::Request::post(url("/unanswered"))
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let post = Outgoing::new(post, Some(Duration::from_secs(10))).unwrap();
        let (_, _, result) = connection.send(post, None).await;
        assert!(result.is_err());
        assert_eq!(connection.opened(), 3);
    });
}

#[test]
fn a_chunked_body_after_an_informational_response_is_read_and_the_connection_kept() {
    let server = Hostile::start();
    let url = format!("{}/chunked", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        for _ in 0..3 {
            let response = send(&mut connection, &url, Some(64)).await.unwrap();
            assert_eq!(response.status, 200);
            assert_eq!(&response.body[..], b"hello world");
            assert_eq!(response.received, 11);
            assert_eq!(response.headers["transfer-encoding"], "chunked");
        }
        assert_eq!(connection.opened(), 1);
    });
    assert_eq!(server.accepted_connections(), 1);
}

#[test]
fn a_hanging_response_times_out_and_the_next_request_connects_again() {
    let server = Hostile::start();
    runtime().block_on(async {
        let mut connection = Connection::new();
        let timeout = Duration::from_millis(200);
        let hang = get(&format!("{}/hang", server.base_url), timeout);
        let (_, latency, result) = connection.send(hang, None).await;
        assert_eq!(result.unwrap_err(), ErrorCause::Timeout);
        assert!(latency >= timeout, "{latency:?}");
        assert!(latency < timeout * 10, "{latency:?}");
        let echo = send(&mut connection, &format!("{}/echo", server.base_url), None).await;
        assert_eq!(echo.unwrap().status, 400);
        assert_eq!(connection.opened(), 2);
    });
    wait_until_closed(&server, 1);
}

#[test]
fn an_endless_body_is_ended_by_the_timeout_in_bounded_memory() {
    let server = Hostile::start();
    let url = format!("{}/endless", server.base_url);
    runtime().block_on(async {
        let mut connection = Connection::new();
        for keep in [None, Some(1024 * 1024)] {
            let started = Instant::now();
            let (_, _, result) = connection
                .send(get(&url, Duration::from_millis(500)), keep)
                .await;
            assert_eq!(result.unwrap_err(), ErrorCause::Timeout);
            assert!(started.elapsed() < Duration::from_secs(5));
        }
    });
    wait_until_closed(&server, 0);
    if let Some(peak) = peak_rss() {
        // The endless body streams at loopback speed: gigabytes in half a second if kept.
        assert!(peak < 200 * 1024 * 1024, "peak RSS {} MB", peak >> 20);
    }
}

#[test]
fn a_body_is_kept_when_asked_and_it_fits() {
    let server = Hostile::start();
    runtime().block_on(async {
        let mut connection = Connection::new();
        let request = http::Request::post(format!("{}/echo?x=1", server.base_url))
            .header("x-trace", "7")
            .body(Bytes::from_static(b"hello"))
            .unwrap();
        let request = Outgoing::new(request, Some(Duration::from_secs(10))).unwrap();
        let (_, _, result) = connection.send(request, Some(4096)).await;
        let response = result.unwrap();
        let echoed = String::from_utf8_lossy(&response.body).to_lowercase();
        // What the server received: origin form, the Host header, the headers, the body.
        assert!(
            echoed.starts_with("post /echo?x=1 http/1.1\r\n"),
            "{echoed}"
        );
        let host = server.base_url.trim_start_matches("http://");
        assert!(echoed.contains(&format!("host: {host}\r\n")), "{echoed}");
        assert!(echoed.contains("x-trace: 7\r\n"), "{echoed}");
        assert!(echoed.ends_with("\r\n\r\nhello"), "{echoed}");
        assert_eq!(response.received, response.body.len() as u64);
        assert_eq!(response.headers["content-type"], "text/plain");
        assert!(!response.over_limit);

        let echo = format!("{}/echo", server.base_url);
        let counted = send(&mut connection, &echo, None).await.unwrap();
        assert!(counted.body.is_empty() && counted.received > 0 && !counted.over_limit);
    });
}

#[test]
fn a_body_over_the_limit_is_read_to_the_end_and_not_kept() {
    let server = Hostile::start();
    runtime().block_on(async {
        let mut connection = Connection::new();
        let big = format!("{}/big?mb=2", server.base_url);
        let response = send(&mut connection, &big, Some(1000)).await.unwrap();
        assert!(response.over_limit);
        assert!(response.body.is_empty());
        assert_eq!(response.received, 2 * 1024 * 1024);
        // Read to its end, so the connection is still good for the next request.
        send(&mut connection, &big, None).await.unwrap();
        assert_eq!(connection.opened(), 1);
    });
}

#[test]
fn nothing_listening_is_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    runtime().block_on(async {
        let mut connection = Connection::new();
        let url = format!("http://127.0.0.1:{port}/");
        let result = send(&mut connection, &url, None).await;
        assert_eq!(result.unwrap_err(), ErrorCause::ConnectionRefused);
    });
}

#[cfg(feature = "reference-api")]
#[test]
fn a_request_rendered_for_reqwest_takes_the_fast_path_to_the_reference_api() {
    let api = loadgate::reference_api::ReferenceApi::new()
        .start()
        .unwrap();
    let client = reqwest::Client::new();
    let request = client
        .post(format!("{}/api/v1/auth/register", api.base_url()))
        .timeout(Duration::from_secs(10))
        .json(&serde_json::json!({"username": "fast-path", "password": "pw-123456789"}))
        .build()
        .unwrap();
    assert!(loadgate::engine::fast_path(&request, false));
    let request = Outgoing::try_from(request).unwrap();
    runtime().block_on(async {
        let mut connection = Connection::new();
        let (_, _, result) = connection.send(request, Some(4096)).await;
        let response = result.unwrap();
        assert!(response.status < 300, "{response:?}");
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert!(body.is_object(), "{body}");
        let health = format!("{}/health", api.base_url());
        let health = send(&mut connection, &health, None).await.unwrap();
        assert_eq!(health.status, 200);
        assert_eq!(connection.opened(), 1);
    });
}

#[cfg(feature = "reference-api")]
#[test]
fn many_users_at_once_on_threads_lose_no_wake_up() {
    let api = loadgate::reference_api::ReferenceApi::new()
        .start()
        .unwrap();
    let url = format!("{}/health", api.base_url());
    runtime().block_on(async {
        let users: Vec<_> = (0..16)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let mut connection = Connection::new();
                    for _ in 0..300 {
                        // A lost wake-up would leave a request waiting for its 10 s timeout.
                        let response = send(&mut connection, &url, None).await.unwrap();
                        assert_eq!(response.status, 200);
                    }
                    connection.opened()
                })
            })
            .collect();
        for user in users {
            assert_eq!(user.await.unwrap(), 1);
        }
    });
}

/// Waits (up to 10 s) until the server holds at most `open` connections.
fn wait_until_closed(server: &Hostile, open: usize) {
    let until = Instant::now() + Duration::from_secs(10);
    while server.open_connections() > open && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(server.open_connections() <= open, "connections left open");
}
