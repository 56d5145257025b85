//! HTTPS on the measured connections and through whole runs, against TLS servers on 127.0.0.1
//! whose certificates are made here: a CA bundle, a self-signed server, skipping verification,
//! mutual TLS, a server name override, HTTP/2-only and plain-HTTP servers, and the connect and
//! handshake times of each connection opened.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{harness, only};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use loadgate::engine::{Connection, Outgoing, Response, Tls, TlsOptions, HTTP2_ONLY};
use loadgate::sample::ErrorCause;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA, a server certificate for `localhost` and `api.test` signed by it, a client
/// certificate signed by it, and a self-signed server certificate; the PEM files in a folder.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertificateDer<'static>,
    server: (CertificateDer<'static>, Vec<u8>),
    expired: (CertificateDer<'static>, Vec<u8>),
    self_signed: (CertificateDer<'static>, Vec<u8>),
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "loadgate test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let leaf = |names: Vec<String>, expired: bool| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(names).unwrap();
            if expired {
                params.not_before = rcgen::date_time_ymd(2020, 1, 1);
                params.not_after = rcgen::date_time_ymd(2021, 1, 1);
            }
            let cert = params.signed_by(&key, &ca).unwrap();
            (cert, key)
        };
        let (server, server_key) = leaf(vec!["localhost".into(), "api.test".into()], false);
        let (expired, expired_key) = leaf(vec!["localhost".into()], true);
        let (client, client_key) = leaf(vec!["loadgate-client".into()], false);
        std::fs::write(dir.path().join("client.pem"), client.pem()).unwrap();
        std::fs::write(dir.path().join("client.key"), client_key.serialize_pem()).unwrap();
        let own_key = KeyPair::generate().unwrap();
        let own = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&own_key)
            .unwrap();
        Pki {
            ca: ca.der().clone(),
            server: (server.der().clone(), server_key.serialize_der()),
            expired: (expired.der().clone(), expired_key.serialize_der()),
            self_signed: (own.der().clone(), own_key.serialize_der()),
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Options trusting the test CA.
    fn trusting(&self) -> TlsOptions {
        TlsOptions {
            ca: Some(self.path("ca.pem")),
            ..TlsOptions::default()
        }
    }

    /// Options trusting the test CA and offering the client certificate.
    fn with_client(&self) -> TlsOptions {
        TlsOptions {
            cert: Some(self.path("client.pem")),
            key: Some(self.path("client.key")),
            ..self.trusting()
        }
    }
}

/// How a test server answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// HTTP/1.1 keep-alive.
    KeepAlive,
    /// HTTP/1.1, closing the connection after each response.
    Close,
}

/// A TLS server with `cert` answering `200 ok`; client certificates from the CA required when
/// `client_ca` is given; ALPN `alpn`.
fn tls_server(
    (cert, key): &(CertificateDer<'static>, Vec<u8>),
    client_ca: Option<&CertificateDer<'static>>,
    alpn: &[&[u8]],
    mode: Mode,
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone()));
    let mut config = builder.with_single_cert(vec![cert.clone()], key).unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(|_request| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                            b"ok",
                        ))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(mode == Mode::KeepAlive)
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    addr
}

/// A plain TCP server that answers every connection with `reply` once it has read something.
fn raw_server(reply: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = tcp.read(&mut buf).await;
                    let _ = tcp.write_all(reply).await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                });
            }
        });
    });
    addr
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn get(url: &str) -> Outgoing {
    let request = http::Request::get(url).body(Bytes::new()).unwrap();
    Outgoing::new(request, Some(Duration::from_secs(10))).unwrap()
}

fn connection(options: &TlsOptions) -> Connection {
    Connection::with_tls(Arc::new(Tls::new(options).unwrap()))
}

/// One GET on `connection`, its response or error, on `rt`: a connection keeps to the runtime
/// it first ran on.
fn send(
    rt: &tokio::runtime::Runtime,
    connection: &mut Connection,
    url: &str,
) -> Result<Response, ErrorCause> {
    rt.block_on(connection.send(get(url), Some(64))).2
}

fn tls_error(result: Result<Response, ErrorCause>) -> String {
    match result {
        Err(ErrorCause::Tls(text)) => text,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn https_goes_over_the_users_connection_trusting_the_given_ca() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.server, None, &[b"http/1.1"], Mode::KeepAlive);
    let url = format!("https://localhost:{}/", addr.port());
    let mut c = connection(&pki.trusting());
    let response = send(&rt, &mut c, &url).unwrap();
    assert_eq!((response.status, &response.body[..]), (200, &b"ok"[..]));
    let opened = c
        .opened_last()
        .expect("the first request opens the connection");
    assert!(opened.tls.is_some_and(|t| t > Duration::ZERO), "{opened:?}");
    for _ in 0..5 {
        assert_eq!(send(&rt, &mut c, &url).unwrap().status, 200);
        assert_eq!(c.opened_last(), None, "reused, so nothing opened");
    }
    assert_eq!(c.opened(), 1);
}

#[test]
fn each_fresh_connection_has_its_connect_and_handshake_timed_apart() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.server, None, &[b"http/1.1"], Mode::Close);
    let url = format!("https://localhost:{}/", addr.port());
    let mut c = connection(&pki.trusting());
    for _ in 0..4 {
        assert_eq!(send(&rt, &mut c, &url).unwrap().status, 200);
        let opened = c.opened_last().expect("the server closed the previous one");
        let handshake = opened.tls.expect("an https connection");
        assert!(handshake > Duration::ZERO);
    }
    assert_eq!(c.opened(), 4);
    // Plain HTTP has a connect time and no handshake.
    let plain = raw_server(b"HTTP/1.1 204 No Content\r\n\r\n");
    let mut c = Connection::new();
    let response = send(&rt, &mut c, &format!("http://127.0.0.1:{}/", plain.port())).unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(c.opened_last().map(|o| o.tls), Some(None));
}

#[test]
fn a_self_signed_certificate_is_refused_in_words_unless_insecure() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.self_signed, None, &[b"http/1.1"], Mode::KeepAlive);
    let url = format!("https://localhost:{}/", addr.port());
    let text = tls_error(send(&rt, &mut Connection::new(), &url));
    assert_eq!(
        text,
        "the server's certificate is not trusted (self-signed or unknown CA): pass its CA with \
         tls.ca / --cacert, or tls.insecure / --insecure to skip verification"
    );
    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    assert_eq!(
        send(&rt, &mut connection(&insecure), &url).unwrap().status,
        200
    );
}

#[test]
fn an_expired_certificate_is_named_as_such() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.expired, None, &[b"http/1.1"], Mode::KeepAlive);
    let url = format!("https://localhost:{}/", addr.port());
    let text = tls_error(send(&rt, &mut connection(&pki.trusting()), &url));
    assert_eq!(text, "the server's certificate has expired");
}

#[test]
fn the_certificate_is_checked_for_the_given_server_name() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.server, None, &[b"http/1.1"], Mode::KeepAlive);
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let text = tls_error(send(&rt, &mut connection(&pki.trusting()), &url));
    assert!(
        text.starts_with("the server's certificate is not valid for `127.0.0.1`"),
        "{text}"
    );
    assert!(text.contains("tls.server_name / --servername"), "{text}");
    let renamed = TlsOptions {
        server_name: Some("api.test".into()),
        ..pki.trusting()
    };
    assert_eq!(
        send(&rt, &mut connection(&renamed), &url).unwrap().status,
        200
    );
}

#[test]
fn mutual_tls_works_with_a_client_certificate_and_says_so_without() {
    let rt = runtime();
    let pki = Pki::new();
    let addr = tls_server(&pki.server, Some(&pki.ca), &[b"http/1.1"], Mode::KeepAlive);
    let url = format!("https://localhost:{}/", addr.port());
    let mut c = connection(&pki.with_client());
    for _ in 0..3 {
        assert_eq!(send(&rt, &mut c, &url).unwrap().status, 200);
    }
    let text = tls_error(send(&rt, &mut connection(&pki.trusting()), &url));
    assert!(
        text.contains("requires a client certificate") && text.contains("--cert and --key"),
        "{text}"
    );
}

#[test]
fn a_server_that_speaks_only_http2_is_named() {
    let rt = runtime();
    let pki = Pki::new();
    // Over TLS: ALPN finds no protocol in common.
    let addr = tls_server(&pki.server, None, &[b"h2"], Mode::KeepAlive);
    let url = format!("https://localhost:{}/", addr.port());
    assert_eq!(
        tls_error(send(&rt, &mut connection(&pki.trusting()), &url)),
        HTTP2_ONLY
    );
    // In the clear: the server's SETTINGS, then GOAWAY for the missing preface.
    let h2 = raw_server(
        b"\0\0\x06\x04\0\0\0\0\0\0\x03\0\0\0\x64\0\0\x08\x07\0\0\0\0\0\0\0\0\0\0\0\0\x01",
    );
    let result = send(
        &rt,
        &mut Connection::new(),
        &format!("http://127.0.0.1:{}/", h2.port()),
    );
    assert_eq!(
        result.unwrap_err(),
        ErrorCause::Transport(HTTP2_ONLY.into())
    );
}

#[test]
fn a_plain_http_server_on_an_https_url_is_named() {
    let rt = runtime();
    let plain = raw_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    let url = format!("https://127.0.0.1:{}/", plain.port());
    let text = tls_error(send(&rt, &mut Connection::new(), &url));
    assert!(text.contains("did not answer in TLS"), "{text}");
}

/// A suite with a `tls:` block running against a TLS server: every case kind's requests (the
/// fast path's and reqwest's) use the same trust.
fn suite(addr: SocketAddr, tls: &str) -> String {
    format!(
        "suite: secure\nbase_url: https://localhost:{}\ntls: {tls}\ncases:\n\
         \x20 - name: one_by_one\n    kind: sequential\n    iterations: 5\n    request: {{ path: / }}\n\
         \x20 - name: users\n    kind: load\n    users: 2\n    duration: 1s\n    think_time: 20ms\n    request: {{ path: / }}\n",
        addr.port()
    )
}

#[test]
fn a_suite_trusting_its_ca_measures_https_and_insecure_is_recorded() {
    let pki = Pki::new();
    let addr = tls_server(&pki.server, None, &[b"http/1.1"], Mode::KeepAlive);
    let dir = tempfile::tempdir().unwrap();
    let ca = pki.path("ca.pem");
    let reports = harness(
        dir.path(),
        "secure",
        &suite(addr, &format!("{{ ca: {} }}", ca.display())),
        "",
    )
    .run_cases("");
    assert_eq!(reports.len(), 2);
    for report in &reports {
        assert!(
            report.passed(),
            "{}",
            loadgate::report::failure_message(report)
        );
        assert!(!report.tls_unverified);
        assert!(report.summary.as_ref().unwrap().requests >= 5);
    }
    let self_signed = tls_server(&pki.self_signed, None, &[b"http/1.1"], Mode::KeepAlive);
    let reports = harness(
        dir.path(),
        "secure",
        &suite(self_signed, "{ insecure: true }"),
        "",
    )
    .run_cases("");
    for report in &reports {
        assert!(
            report.passed(),
            "{}",
            loadgate::report::failure_message(report)
        );
        assert!(report.tls_unverified);
    }
    let run = loadgate::report::RunInfo::collect("r", std::time::SystemTime::now(), &reports);
    let json = serde_json::to_value(&run).unwrap();
    assert_eq!(
        json["tls_unverified"],
        serde_json::json!([format!("https://localhost:{}", self_signed.port())])
    );
    // Without the CA, the same suite fails in words.
    let report =
        only(harness(dir.path(), "secure", &suite(self_signed, "{}"), "").run_cases("one_by_one"));
    let message = loadgate::report::failure_message(&report);
    assert!(
        message.contains("not trusted (self-signed or unknown CA)"),
        "{message}"
    );
}

#[test]
fn an_unusable_tls_file_is_a_suite_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Path::new("no-such-ca.pem");
    let text = suite(
        "127.0.0.1:1".parse().unwrap(),
        &format!("{{ ca: {} }}", missing.display()),
    );
    let report = only(harness(dir.path(), "secure", &text, "").run_cases(""));
    let message = report.error_message().expect("a load error");
    assert!(message.contains("tls.ca `"), "{message}");
    assert!(
        message.contains("no-such-ca.pem`: cannot read it"),
        "{message}"
    );
}
